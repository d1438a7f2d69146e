"""Real sushy-tools 2.2.0 Redfish emulator (fake systems driver) as the servers' BMCs.

One emulator serves every server's system at ``/redfish/v1/Systems/<ServerSpec.uuid>``; where
production has one iLO per server, the twin has one URL with one system per server.

- Systems are read from ``SUSHY_EMULATOR_FAKE_SYSTEMS`` once, when the emulator first touches
  its driver, and kept in ``SUSHY_EMULATOR_STATE_DIR`` (sqlite) with their power state, boot
  device and media. Servers racked later are added by restarting the emulator on the same port
  and state directory (:meth:`SushyService.sync`): existing systems keep their state, new ones
  are added; Ironic's retries cover the ~1 s gap.
- Dead BMCs (``dead``) are left out of the emulator and get their own address, a port that
  accepts TCP and never answers (:class:`~lifecycle.lab.ironic.blackhole.Blackhole`), as a hung
  iLO does: Ironic sees read timeouts, not a 404.
- ``notification_url``: the emulator then PUTs the system's whole record as JSON (``uuid``,
  ``name``, ``power_state``, ``nics``, ``pending_power`` {power_state, apply_time} or null,
  ``boot_device``, ``boot_mode``, ``boot_image`` {device: [url, write_protected, inserted]}...)
  on every change of a system: a power request (with ``pending_power`` set), its taking effect
  (observed lazily, on the next read of that system after the 1-11 s fake delay), boot device,
  boot mode and virtual media changes. It is sent synchronously inside the Redfish request: if
  the receiver is down, that Redfish request fails with HTTP 500.
- ``powered_on``: the servers racked when the service is made (the in-service ones) start
  powered On, as serving servers are; servers racked later start Off. A system already in the
  state directory keeps its state either way (the fake driver never overwrites it).
- ``old_ilo``: server name -> iLO 4 firmware (e.g. ``"2.40"``): that server's BMC is an
  :class:`~lifecycle.lab.ironic.ilo4_front.Ilo4Front` of its own, the older Redfish of a Gen9's
  iLO 4, in front of the same emulator.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lifecycle.lab.base.tls import TlsFiles
from lifecycle.lab.ironic.blackhole import Blackhole
from lifecycle.lab.ironic.ilo4_front import Ilo4Front
from lifecycle.lab.ironic.process import ManagedProcess, ProcessError, free_port, http_ok
from lifecycle.lab.ironic.venv import ironic_venv
from lifecycle.lab.world import ServerSpec

# bcrypt cost 4 (the minimum): sushy-tools checks the htpasswd entry on *every* request, and
# the usual cost 10-12 would add 0.1-0.3 s to each. It changes nothing Ironic sees.
_HTPASSWD_PY = ("import bcrypt, sys; u, p = sys.stdin.read().split('\\n', 1); "
                "print(u + ':' + bcrypt.hashpw(p.encode(), bcrypt.gensalt(4)).decode())")


class SushyService:
    """sushy-emulator for ``servers`` (the racked ones), state and logs in ``workdir``."""

    def __init__(self, workdir: Path, servers: Iterable[ServerSpec], *, port: int = 0,
                 tls: TlsFiles | None = None, username: str = "admin", password: str = "password",
                 dead: Iterable[str] = (), notification_url: str | None = None,
                 venv: Path | None = None, host: str = "127.0.0.1", start_timeout: float = 30.0,
                 powered_on: bool = False, old_ilo: dict[str, str] | None = None):
        self.workdir = Path(workdir).resolve()
        self.servers: list[ServerSpec] = list(servers)
        self.port = port
        self.tls = tls
        self.username, self.password = username, password
        self.dead: set[str] = set(dead)
        self.notification_url = notification_url
        self.venv = Path(venv) if venv else ironic_venv()
        self.host = host
        self.start_timeout = start_timeout
        self.conf_path = self.workdir / "sushy.conf"
        self.state_dir = self.workdir / "state"
        self.auth_path = self.workdir / "htpasswd"
        self.start_seconds = 0.0
        self._served: list[str] = []  # uuids the running emulator was configured with
        self._proc: ManagedProcess | None = None
        self._blackhole: Blackhole | None = None
        # in service: racked before anything of the twin ran
        self.in_service: set[str] = {s.uuid for s in self.servers if s.racked} if powered_on else set()
        self.old_ilo: dict[str, str] = dict(old_ilo or {})
        self._fronts: dict[str, Ilo4Front] = {}

    # -- addresses ---------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc else 0

    @staticmethod
    def system_path(spec: ServerSpec) -> str:
        return f"/redfish/v1/Systems/{spec.uuid}"

    def bmc_url(self, spec: ServerSpec) -> str:
        """Where this server's BMC answers (or, for a dead one, where it does not)."""
        if spec.name in self.dead and self._blackhole:
            return f"{self.scheme}://{self.host}:{self._blackhole.port}"
        if spec.name in self._fronts:
            return self._fronts[spec.name].url
        return self.url

    def driver_info(self, spec: ServerSpec) -> dict[str, Any]:
        """Ironic ``driver_info`` for a ``redfish`` node of this server."""
        info: dict[str, Any] = {
            "redfish_address": self.bmc_url(spec),
            "redfish_system_id": self.system_path(spec),
            "redfish_username": self.username,
            "redfish_password": self.password,
        }
        if self.tls:
            info["redfish_verify_ca"] = str(self.tls.ca)
        return info

    # -- config ------------------------------------------------------------------------------

    def live_servers(self) -> list[ServerSpec]:
        return [s for s in self.servers if s.racked and s.name not in self.dead]

    def fake_systems(self) -> list[dict[str, Any]]:
        systems = []
        for s in self.live_servers():
            systems.append({
                "uuid": s.uuid, "name": s.name,
                "power_state": "On" if s.uuid in self.in_service else "Off",
                "external_notifier": bool(self.notification_url),
                # No "ip": sushy-tools does not use it and the specs have none before deploy.
                "nics": [{"mac": n.mac.lower()} for n in s.nics],
            })
        return systems

    def write_config(self) -> Path:
        conf: dict[str, Any] = {
            "SUSHY_EMULATOR_LISTEN_IP": self.host,
            "SUSHY_EMULATOR_LISTEN_PORT": self.port,
            "SUSHY_EMULATOR_FAKE_DRIVER": True,
            "SUSHY_EMULATOR_FAKE_SYSTEMS": self.fake_systems(),
            "SUSHY_EMULATOR_STATE_DIR": str(self.state_dir),
            "SUSHY_EMULATOR_AUTH_FILE": str(self.auth_path),
        }
        if self.tls:
            conf["SUSHY_EMULATOR_SSL_CERT"] = str(self.tls.cert)
            conf["SUSHY_EMULATOR_SSL_KEY"] = str(self.tls.key)
        if self.notification_url:
            conf["EXTERNAL_NOTIFICATION_URL"] = self.notification_url
            if self.tls and self.notification_url.startswith("https:"):
                conf["EXTERNAL_NOTIFICATION_CAFILE"] = str(self.tls.ca)
        body = "".join(f"{k} = {v!r}\n" for k, v in conf.items())
        self.conf_path.write_text("# Written by lifecycle.lab.ironic: the twin's BMCs.\n" + body)
        return self.conf_path

    def write_htpasswd(self) -> None:
        res = subprocess.run([self.venv / "bin" / "python", "-c", _HTPASSWD_PY],
                             input=f"{self.username}\n{self.password}", capture_output=True,
                             text=True, check=True)
        fd = os.open(self.auth_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(res.stdout)

    def _forget_dead(self) -> None:
        """Drop dead servers' systems from a state dir an earlier run left (it outlives config)."""
        db = self.state_dir / "fakedriver.sqlite"
        gone = {s.uuid for s in self.servers if s.name in self.dead}
        if not gone or not db.exists():
            return
        with contextlib.closing(sqlite3.connect(db)) as conn, conn:
            for (key,) in conn.execute("select key from cache").fetchall():
                if pickle.loads(key) in gone:  # our own emulator's state file
                    conn.execute("delete from cache where key=?", (key,))

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SushyService:
        if self._proc and self._proc.alive():
            return self
        for sub in (self.workdir, self.state_dir, self.workdir / "tmp"):
            sub.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port(self.host)
        if self.dead and not self._blackhole:
            self._blackhole = Blackhole(self.host).start()
        self.write_htpasswd()
        self._forget_dead()
        self.write_config()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "SUSHY_"))}
        env["TMPDIR"] = str(self.workdir / "tmp")  # virtual media images land in TMPDIR
        self._proc = ManagedProcess(
            "sushy-emulator", [self.venv / "bin" / "sushy-emulator", "--config", self.conf_path],
            log_path=self.workdir / "sushy.log", env=env, cwd=self.workdir)
        t0 = time.monotonic()
        self._proc.start()
        cafile = self.tls.ca if self.tls else None
        try:
            self._proc.wait_until(lambda: http_ok(f"{self.url}/redfish/v1", cafile=cafile),
                                  self.start_timeout, "Redfish service root")
        except ProcessError:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - t0
        self._served = [s.uuid for s in self.live_servers()]
        for spec in self.live_servers():
            if spec.name in self.old_ilo and spec.name not in self._fronts:
                self._fronts[spec.name] = Ilo4Front(self.url, [spec.uuid], firmware=self.old_ilo[spec.name],
                                                    tls=self.tls, host=self.host).start()
        return self

    def sync(self, servers: Iterable[ServerSpec] = ()) -> bool:
        """Add ``servers`` and pick up newly racked ones; restart if the system list changed.

        Returns True if the emulator was restarted (same port, same state directory).
        """
        known = {s.name for s in self.servers}
        self.servers.extend(s for s in servers if s.name not in known)
        if [s.uuid for s in self.live_servers()] == self._served:
            return False
        if self._proc:
            self._proc.stop()
        self.start()
        return True

    def stop(self) -> None:
        if self._proc:
            self._proc.stop()
        if self._blackhole:
            self._blackhole.stop()
            self._blackhole = None
        for front in self._fronts.values():
            front.stop()
        self._fronts.clear()

    def healthy(self) -> bool:
        if not (self._proc and self._proc.alive()):
            return False
        return http_ok(f"{self.url}/redfish/v1", cafile=self.tls.ca if self.tls else None)

    def __enter__(self) -> SushyService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
