"""One emulated Arista EOS switch: identity, configs, flash, boot/reload, users, eAPI endpoints.

The running-config lives in memory; the startup-config is the file ``<flash>/startup-config``
that a boot (and :meth:`Switch.reload`) loads, exactly what ZTP's ``replace_config`` writes.
A switch without a startup-config boots into Zero Touch Provisioning (``show zerotouch``:
active) unless ``<flash>/zerotouch-config`` says ``DISABLE=True``.

>>> sw = Switch("leaf1", "DCS-7050SX3-48YC8", "JPE1", "44:4c:a8:00:00:01",
...             config="hostname leaf1\\nusername admin secret 0 pw\\n")
>>> sw.cli("show hostname").splitlines()[0]
'Hostname: leaf1'
>>> sw.authenticate("admin", "pw"), sw.authenticate("admin", "nope")
(True, False)
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import FaultPlan, LatencyProfile, TlsFiles
from lifecycle.lab.eos.cli import CliSession, load
from lifecycle.lab.eos.config import CliError, Config
from lifecycle.lab.eos.crypt import verify
from lifecycle.lab.eos.sessions import Sessions

if TYPE_CHECKING:
    from lifecycle.lab.eos.fabric import Fabric
    from lifecycle.lab.eos.server import EapiListener
    from lifecycle.lab.eos.state import SwitchOper
    from lifecycle.lab.world import SwitchSpec

DEFAULT_VERSION = "4.28.3M"
_FILES = ("startup-config", "zerotouch-config")
ZTP_RELOAD_CAUSE = "System reloaded due to Zero Touch Provisioning"


class Switch:
    """An EOS device. Add it to a :class:`~lifecycle.lab.eos.fabric.Fabric` to cable it."""

    component = "eos"

    def __init__(
        self,
        name: str,
        model: str,
        serial: str,
        system_mac: str,
        *,
        mgmt_ip: str | None = None,
        version: str = DEFAULT_VERSION,
        config: str | None = None,
        ztp: bool = False,
        flash_dir: str | Path | None = None,
        username: str = "admin",
        password: str | None = None,
        latency: LatencyProfile | None = None,
    ):
        self.name = name
        self.model = model
        self.serial = serial
        self.system_mac = system_mac.lower()
        self.mgmt_ip = mgmt_ip
        self.version = version
        self.latency = latency or LatencyProfile("none")
        self.flash = Path(flash_dir) if flash_dir else Path(tempfile.mkdtemp(prefix=f"eos-{name}-"))
        self.flash.mkdir(parents=True, exist_ok=True)
        self.initial_credentials = (username, password)
        self.sessions = Sessions()
        self.running = Config(model)
        self.boot_errors: list[str] = []
        self.reset_causes: list[dict[str, Any]] = []
        self.state = "down"  # up | down | reloading
        self.boot_time = time.time()
        self.ztp_mode = "disabled"
        self.listeners: list[EapiListener] = []
        self.api_stats = {"requests": 0, "commands": 0, "last": 0.0}
        self._fabric: Fabric | None = None
        self._reload_timer: threading.Timer | None = None
        if ztp:
            for f in _FILES:
                (self.flash / f).unlink(missing_ok=True)
        elif config is not None:
            self.write_file("startup-config", config)
        self._boot()

    def __repr__(self) -> str:
        return f"Switch({self.name!r}, {self.model!r}, state={self.state!r})"

    @classmethod
    def from_spec(cls, spec: SwitchSpec, **kwargs: Any) -> Switch:
        """A switch for a lab :class:`~lifecycle.lab.world.SwitchSpec` (``ztp`` from the spec)."""
        kwargs.setdefault("ztp", spec.ztp)
        return cls(
            spec.name,
            spec.model,
            spec.serial,
            spec.system_mac or _mac_of(spec.serial),
            mgmt_ip=spec.mgmt_ip.split("/")[0] if spec.mgmt_ip else None,
            **kwargs,
        )

    # -- fabric -----------------------------------------------------------------------------------

    @property
    def fabric(self) -> Fabric:
        if self._fabric is None:
            from lifecycle.lab.eos.fabric import Fabric

            Fabric([self])
        assert self._fabric is not None
        return self._fabric

    def attach(self, fabric: Fabric) -> None:
        self._fabric = fabric

    @property
    def lock(self) -> threading.RLock:
        return self.fabric.lock

    def changed(self) -> None:
        self.fabric.changed()

    @property
    def oper(self) -> SwitchOper:
        """This switch's derived operational state (only while it is up)."""
        return self.fabric.oper()[self.name]

    @property
    def booted(self) -> bool:
        return self.state == "up"

    @property
    def uptime(self) -> float:
        return time.time() - self.boot_time

    # -- flash ------------------------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        name = name.removeprefix("flash:").lstrip("/")
        path = (self.flash / name).resolve()
        if self.flash.resolve() not in path.parents and path != self.flash.resolve():
            raise CliError(f"Invalid file name {name}", 1000)
        return path

    def read_file(self, name: str) -> str:
        if name in ("startup-config", "flash:startup-config", "flash:/startup-config"):
            name = "startup-config"
        if name in ("running-config", "system:running-config"):
            return self.startup_text()
        path = self._path(name)
        if not path.exists():
            raise CliError(f"Error opening {name} (No such file or directory)", 1000)
        return path.read_text()

    def write_file(self, name: str, text: str) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text)
        tmp.replace(path)

    @property
    def startup_config(self) -> str | None:
        """The startup-config file's text, or None when there is none (a ZTP switch)."""
        path = self.flash / "startup-config"
        return path.read_text() if path.exists() else None

    def startup_text(self) -> str:
        """The running-config as ``write memory`` stores it."""
        return self.running.text(self.header(startup=True))

    @property
    def boot_image(self) -> str:
        """The image the next boot runs: ``SWI=`` of ``<flash>/boot-config``, else the running one."""
        path = self.flash / "boot-config"
        if path.exists():
            m = re.search(r"^SWI=(\S+)", path.read_text(), re.M)
            if m:
                return m.group(1)
        return f"flash:/EOS-{self.version}.swi"

    def set_boot_image(self, src: str) -> None:
        """``install source`` / ``boot system``: the image must be in flash; EOS runs it after reload."""
        name = src.removeprefix("flash:").lstrip("/")
        if not self._path(name).exists():
            raise CliError(f"Error: {src} does not exist", 1000)
        self.write_file("boot-config", f"SWI=flash:/{name}\n")

    def header(self, *, startup: bool = False) -> list[str]:
        first = (
            f"! Startup-config last modified at {time.strftime('%a %b %d %H:%M:%S %Y')} by admin"
            if startup
            else "! Command: show running-config"
        )
        return [
            first,
            f"! device: {self.running.hostname} ({self.model}, EOS-{self.version})",
            "!",
            f"! boot system {self.boot_image}",
            "!",
        ]

    def write_memory(self) -> None:
        with self.lock:
            self.write_file("startup-config", self.startup_text())

    def replace_running(self, cfg: Config) -> None:
        with self.lock:
            self.running = cfg
            self.changed()

    def commit_session(self, name: str) -> None:
        with self.lock:
            sess = self.sessions.get(name)
            if sess is None or sess.state != "pending":
                raise CliError(f"Cannot commit session {name}", 1000)
            self.running = sess.candidate.copy()
            self.sessions.finish(name, "completed")
            self.changed()

    # -- boot, reload, power ------------------------------------------------------------------------

    def _boot(self) -> None:
        with self._boot_lock():
            image = re.search(r"EOS-([\w.-]+)\.swi$", self.boot_image)
            if image and self._path(self.boot_image).exists():
                self.version = image.group(1)  # an upgrade took effect
            self.running = Config(self.model)
            self.sessions.clear()
            text = self.startup_config
            if text is not None:
                self.boot_errors = load(self.running, text)
                self.ztp_mode = "disabled"
            else:
                self.boot_errors = []
                zt = self.flash / "zerotouch-config"
                disabled = zt.exists() and "DISABLE=True" in zt.read_text()
                self.ztp_mode = "disabled" if disabled else "active"
            self.boot_time = time.time()
            self.state = "up"
            if self._fabric is not None:
                self.changed()

    def _boot_lock(self) -> Any:
        return self._fabric.lock if self._fabric is not None else threading.RLock()

    def reload(self, *, wait: bool = True, cause: str = "Reload requested by the user.") -> None:
        """Go down, come back with ``<flash>/startup-config`` (what ``reload now`` does).

        ``wait=False`` returns at once (the eAPI reply goes out first, as on a real switch); the
        switch stays unreachable for the latency profile's ``eos.reload`` duration.
        """
        if self.ztp_mode == "active" and self.startup_config is not None:
            # ZTP's own reload once the bootstrap has written a startup-config: EOS words the
            # cause itself (as ANTA issue 1130 shows it), whoever asks for the reload
            cause = ZTP_RELOAD_CAUSE
        with self._boot_lock():
            self.state = "reloading"
            self.reset_causes = [
                {
                    "description": cause,
                    "timestamp": time.time(),
                    "recommendedAction": "No action necessary.",
                    "debugInfoIsDir": False,
                }
            ]
            if self._fabric is not None:
                self.changed()
        delay = self.latency.task_duration("eos.reload")
        if wait:
            time.sleep(delay)
            self._boot()
            return
        if self._reload_timer is not None:
            self._reload_timer.cancel()
        self._reload_timer = threading.Timer(delay, self._boot)
        self._reload_timer.daemon = True
        self._reload_timer.start()

    def wait_up(self, timeout: float = 30.0) -> bool:
        end = time.time() + timeout
        while time.time() < end:
            if self.state == "up":
                return True
            time.sleep(0.01)
        return self.state == "up"

    def power_off(self) -> None:
        """The switch stops answering (requests hang until the client gives up) and drops its links."""
        with self._boot_lock():
            self.state = "down"
            if self._fabric is not None:
                self.changed()

    def power_on(self) -> None:
        self.reset_causes = [
            {
                "description": "Reload after power cycle",
                "timestamp": time.time(),
                "recommendedAction": "No action necessary.",
                "debugInfoIsDir": False,
            }
        ]
        self._boot()

    def zerotouch(self, what: str) -> None:
        """``zerotouch disable`` (persisted) / ``cancel`` (this boot): both reload the switch, as EOS does;
        ``enable`` removes the disable file for the next boot."""
        if what == "enable":
            (self.flash / "zerotouch-config").unlink(missing_ok=True)
            return
        if what == "disable":
            self.write_file("zerotouch-config", "DISABLE=True\n")
        self.ztp_mode = "disabled"
        self.reload(wait=False, cause="Reload requested after ZeroTouch was cancelled.")

    def factory_reset(self) -> None:
        """``write erase now`` then ``reload now``: startup-config and zerotouch-config leave the
        flash, so the switch boots into ZTP like a new one out of its box (spine or leaf)."""
        with self._boot_lock():
            for f in _FILES:
                (self.flash / f).unlink(missing_ok=True)
        self.reload(wait=True, cause="Reload requested by the user.")

    # -- users --------------------------------------------------------------------------------------

    def authenticate(self, user: str, password: str) -> bool:
        init_user, init_pw = self.initial_credentials
        if init_pw is not None and user == init_user and password == init_pw:
            return True
        line = self.running.root.line(f"username {user}")
        if not line:
            return False
        words = line.split()
        if words[-1] == "nopassword":
            return True
        if "sha512" in words:
            return verify(password, words[-1])
        return False

    # -- CLI ------------------------------------------------------------------------------------------

    def session(self, *, abbrev: bool = False) -> CliSession:
        return CliSession(self, abbrev=abbrev)

    def configure(self, text: str) -> None:
        """Apply config text/lines in config mode (raises CliError on the first bad line)."""
        from lifecycle.lab.eos.config import commands_of

        with self.lock:
            s = self.session()
            s.run("configure")
            for line in commands_of(text):
                s.run(line)
            s.run("end")

    def cli(self, text: str) -> str:
        """What ``FastCli -p 15 -c TEXT`` prints: every line run in one session, errors inline."""
        out: list[str] = []
        with self.lock:
            s = self.session(abbrev=True)
            for line in text.splitlines():
                try:
                    res = s.run(line, "text")
                except CliError as err:
                    res = f"% {err.message}\n"
                out.append(res)
        return "".join(out)

    # -- eAPI endpoints -----------------------------------------------------------------------------

    def serve(
        self,
        *,
        tls: TlsFiles | None = None,
        host: str = "127.0.0.1",
        https_port: int | None = 0,
        http_port: int | None = 0,
        unix_path: str | None = None,
        faults: FaultPlan | None = None,
        timeout_seconds: float = 15.0,
    ) -> Switch:
        """Start the eAPI listeners: HTTPS (needs ``tls``), HTTP, and the unix socket if a path is given.

        Each answers only while ``management api http-commands`` enables that protocol, as on EOS
        (closed connection otherwise); a powered-off or reloading switch does not answer at all.
        """
        from lifecycle.lab.eos.server import EapiListener

        specs: list[tuple[str, dict[str, Any]]] = []
        if tls is not None and https_port is not None:
            specs.append(("https", {"host": host, "port": https_port, "tls": tls}))
        if http_port is not None:
            specs.append(("http", {"host": host, "port": http_port}))
        if unix_path:
            specs.append(("unix", {"host": "", "port": None, "unix_path": unix_path}))
        for transport, kw in specs:
            listener = EapiListener(
                self, transport, latency=self.latency, faults=faults, timeout_seconds=timeout_seconds, **kw
            )
            self.listeners.append(listener.start())
        return self

    def listener(self, transport: str) -> EapiListener:
        return next(x for x in self.listeners if x.transport == transport)

    @property
    def https_port(self) -> int:
        return self.listener("https").port

    @property
    def http_port(self) -> int:
        return self.listener("http").port

    def stop(self) -> None:
        if self._reload_timer is not None:
            self._reload_timer.cancel()
        threads = [threading.Thread(target=x.stop) for x in self.listeners]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.listeners.clear()

    def erase(self) -> None:
        """Remove the flash directory (tests and ``i2 lab down``)."""
        self.stop()
        shutil.rmtree(self.flash, ignore_errors=True)

    @property
    def build_id(self) -> str:
        return str(uuid.UUID(hashlib.md5(f"{self.version}".encode()).hexdigest()))


def _mac_of(serial: str) -> str:
    h = hashlib.sha256(serial.encode()).digest()
    return "00:1c:73:" + ":".join(f"{b:02x}" for b in h[:3])
