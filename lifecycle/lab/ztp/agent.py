"""A switch's ZTP agent: fetch the bootstrap from ztpserver and run it on "the switch".

The real client runs unmodified. What makes it "on the switch" is its environment, built per
switch in a private mount namespace (``unshare --mount``):

- ``/mnt/flash``   -> the switch's flash directory (``startup-config`` lands there);
- ``/var/run``     -> a directory holding the switch's eAPI unix socket ``command-api.sock``;
- ``/dev/log``     -> a per-switch syslog socket the agent reads (the client's progress);
- ``FastCli``      -> first on PATH, forwarding CLI lines to the switch (see fastcli.py).

``/tmp`` stays the host's (the Python running the client may live under it), so bootstraps
run one at a time on the host, twins included (a file lock): the client keeps fixed names there
(``/tmp/startup-config``).

When the bootstrap exits 0 the switch reloads with the new startup-config, as EOS does.
Needs root (mount namespaces), which the lab has on its machines.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NS_SCRIPT = """set -e
mount --bind "$I2_FLASH" /mnt/flash
mount --bind "$I2_RUN" /var/run
mount --bind "$I2_LOG" /dev/log
exec "$I2_PY" "$I2_SCRIPT"
"""


_ONE_AT_A_TIME = threading.Lock()
_HOST_LOCK = Path(tempfile.gettempdir()) / "i2-ztp-bootstrap.lock"


@contextmanager
def _one_bootstrap_on_this_host() -> Iterator[None]:
    """Every twin on the host shares the client's fixed /tmp names: one bootstrap at a time."""
    with _ONE_AT_A_TIME, open(_HOST_LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class ZtpResult:
    switch: str
    status: str = "pending"  # pending | waiting | running | succeeded | failed
    attempts: int = 0
    error: str = ""
    log: list[str] = field(default_factory=list)  # what the bootstrap sent to syslog
    output: str = ""  # its stdout/stderr (last attempt)

    def as_dict(self) -> dict[str, Any]:
        return {"switch": self.switch, "status": self.status, "attempts": self.attempts,
                "error": self.error, "log": self.log[-50:]}


class _Syslog:
    """A unix datagram socket standing in for the switch's /dev/log."""

    def __init__(self, path: Path, sink: list[str]):
        path.unlink(missing_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sink = sink
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            self.sink.append(data.decode(errors="replace").rstrip("\x00\n"))

    def close(self) -> None:
        self.sock.close()


def _host_mountpoints() -> None:
    # Bind mounts need something to mount on; on a host with no syslog daemon /dev/log is absent.
    Path("/mnt/flash").mkdir(parents=True, exist_ok=True)
    if not os.path.lexists("/dev/log"):
        Path("/dev/log").touch()


class ZtpAgent:
    """Provision one switch by ZTP against ``server_url`` (a thread; see :attr:`result`)."""

    def __init__(self, switch: Any, *, server_url: str, workdir: Path, console_url: str,
                 python: str = sys.executable, fail: bool = False, retry_interval: float = 1.0,
                 max_attempts: int = 3, timeout: float = 300.0):
        self.switch = switch
        self.server_url = server_url.rstrip("/")
        self.dir = workdir / switch.name
        self.console_url = console_url
        self.python = python
        self.fail = fail
        self.retry_interval = retry_interval
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.result = ZtpResult(switch.name)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._short_dir: Path | None = None

    def start(self) -> ZtpAgent:
        self._thread = threading.Thread(target=self._run, name=f"ztp-{self.switch.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._short_dir is not None:
            shutil.rmtree(self._short_dir, ignore_errors=True)

    def wait(self, timeout: float | None = None) -> ZtpResult:
        if self._thread:
            self._thread.join(timeout)
        return self.result

    # -- the agent loop ----------------------------------------------------------------------

    def _run(self) -> None:
        res = self.result
        if self.fail:
            res.status, res.error = "failed", "no DHCP offer carrying a bootfile (injected ztp.fail)"
            return
        deadline = time.monotonic() + self.timeout
        while not self._stop.is_set() and time.monotonic() < deadline:
            if self.switch.ztp_mode != "active":
                res.status = "succeeded" if res.status == "succeeded" else "cancelled"
                return
            script = self._fetch()
            if not script:  # nothing served yet (or an empty file): EOS keeps asking
                res.status = "waiting"
                self._stop.wait(self.retry_interval)
                continue
            res.attempts += 1
            res.status = "running"
            rc = self._bootstrap(script)
            if rc == 0:
                res.status, res.error = "succeeded", ""
                self.switch.reload(wait=False, cause="Reload after ZeroTouch provisioning.")
                return
            res.error = f"bootstrap exited {rc}: {res.output.strip().splitlines()[-1:]}"
            if res.attempts >= self.max_attempts:
                res.status = "failed"
                return
            self._stop.wait(self.retry_interval)
        if res.status not in ("succeeded", "failed"):
            res.status, res.error = "failed", res.error or "ZTP timed out"

    def _fetch(self) -> bytes | None:
        try:
            with urllib.request.urlopen(f"{self.server_url}/bootstrap", timeout=10) as resp:
                return resp.read()
        except (urllib.error.URLError, OSError):
            return None

    def _sockets_dir(self) -> Path:
        """Where the eAPI and syslog unix sockets live: the agent's own directory, unless its
        path is too long for AF_UNIX (108 bytes), then a private directory under /tmp."""
        run = self.dir / "run"
        if len(str(run / "command-api.sock")) < 100:
            return run
        if self._short_dir is None:
            self._short_dir = Path(tempfile.mkdtemp(prefix=f"i2-ztp-{self.switch.name}-"))
        return self._short_dir

    def _bootstrap(self, script: bytes) -> int:
        d = self.dir
        for sub in ("run", "bin"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        run = self._sockets_dir()
        (d / "bootstrap").write_bytes(script)
        shim = d / "bin" / "FastCli"
        shim.write_text(f"#!{self.python}\n" + (Path(__file__).with_name("fastcli.py")).read_text())
        shim.chmod(0o755)
        sock = run / "command-api.sock"
        if not any(getattr(x, "unix_path", None) == str(sock) for x in self.switch.listeners):
            self.switch.serve(https_port=None, http_port=None, unix_path=str(sock))
        _host_mountpoints()
        syslog = _Syslog(run / "log.sock", self.result.log)
        env = {**os.environ, "PATH": f"{d / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
               "I2_TWIN_SWITCH": self.switch.name, "I2_TWIN_CONTROL": self.console_url,
               "I2_FLASH": str(self.switch.flash), "I2_RUN": str(run),
               "I2_LOG": str(run / "log.sock"), "I2_PY": self.python,
               "I2_SCRIPT": str(d / "bootstrap")}
        env.pop("EAPI_TEST", None)  # the client must take the production path (unix socket)
        unshare = shutil.which("unshare") or "unshare"
        try:
            with _one_bootstrap_on_this_host():
                proc = subprocess.run([unshare, "--mount", "--propagation", "private", "sh",
                                       "-c", _NS_SCRIPT], env=env, cwd=d, capture_output=True,
                                      text=True, timeout=self.timeout)
            self.result.output = proc.stdout + proc.stderr
            (d / "bootstrap.log").write_text(self.result.output)
            return proc.returncode
        except subprocess.TimeoutExpired:
            self.result.output = "bootstrap timed out"
            return 124
        finally:
            syslog.close()


def ztp_boot(switch: Any, *, server_url: str, workdir: Path, console_url: str,
             fail: bool = False, **kwargs: Any) -> ZtpAgent:
    """Send ``switch`` (a spine as well as a leaf) through ZTP: factory-reset it unless it is
    already in ZTP, then start its agent against ``server_url``. For a lab that brings switches
    up in ZTP (greenfield) or a test that wipes one; the agent's :attr:`ZtpAgent.result` tells
    how it went."""
    if switch.ztp_mode != "active":
        switch.factory_reset()
    return ZtpAgent(switch, server_url=server_url, workdir=workdir, console_url=console_url,
                    fail=fail, **kwargs).start()
