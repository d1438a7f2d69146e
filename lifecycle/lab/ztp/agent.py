"""A switch's ZTP agent: fetch the bootstrap from ztpserver and run it on "the switch".

The real client runs unmodified. What makes it "on the switch" is its environment, built per
switch in a private mount namespace (``unshare --mount``):

- ``/mnt/flash``   -> the switch's flash directory (``startup-config`` lands there);
- ``/var/run``     -> a directory holding the switch's eAPI unix socket ``command-api.sock``;
- ``/dev/log``     -> a per-switch syslog socket the agent reads (the client's progress);
- ``FastCli``      -> first on PATH, forwarding CLI lines to the switch (see fastcli.py).

- ``/tmp``        -> the switch's own directory (the client keeps fixed names there, e.g.
                     ``/tmp/startup-config``), with the host's entries the bootstrap needs (the
                     Python running it, the agent's directory, ``PATH`` entries) bound back in.

So every switch bootstraps at once, as real switches do, each in its own /tmp; bootstraps once
ran one at a time on the host (a file lock over a shared /tmp), which made a build-out's leaf
ZTP grow with the number of switches in the twin only.

When the bootstrap exits 0 the switch reloads with the new startup-config, as EOS does.
Needs root (mount namespaces), which the lab has on its machines.
"""

from __future__ import annotations

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_NS_SCRIPT = """set -e
mount --bind "$I2_FLASH" /mnt/flash
mount --bind "$I2_RUN" /var/run
mount --bind "$I2_LOG" /dev/log
mount --bind /tmp "$I2_HOST_TMP"
mount --bind "$I2_TMP" /tmp
for p in $I2_KEEP; do mkdir -p "/tmp/$p"; mount --bind "$I2_HOST_TMP/$p" "/tmp/$p"; done
exec "$I2_PY" "$I2_SCRIPT"
"""
FAILED_RETRY_MAX = 10.0  # seconds between bootstraps of a switch that keeps failing
_HOST_TMP = "/mnt/i2-host-tmp"  # the host's /tmp as the namespace sees it (binds only)


def _kept_under_tmp(paths: list[str]) -> list[str]:
    """The entries of the host's /tmp that ``paths`` (as given and resolved) live under.

    >>> _kept_under_tmp(["/tmp/base/.venv/bin/python", "/usr/bin", "/tmp/lab/ztp/leaf1/bin"])
    ['base', 'lab']
    """
    tmp, out = Path("/tmp"), set()
    for p in paths:
        for q in {Path(p).absolute(), Path(p).resolve()}:
            if q != tmp and q.is_relative_to(tmp):
                out.add(q.relative_to(tmp).parts[0])
    return sorted(out)


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
    Path(_HOST_TMP).mkdir(parents=True, exist_ok=True)
    if not os.path.lexists("/dev/log"):
        Path("/dev/log").touch()


class ZtpAgent:
    """Provision one switch by ZTP against ``server_url`` (a thread; see :attr:`result`)."""

    def __init__(self, switch: Any, *, server_url: str, workdir: Path, console_url: str,
                 python: str = sys.executable, fail: bool = False, retry_interval: float = 1.0,
                 max_attempts: int | None = None, timeout: float = 300.0):
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
            if self.max_attempts is not None and res.attempts >= self.max_attempts:
                res.status = "failed"
                return
            # EOS restarts ZTP after a failed bootstrap until it succeeds or is cancelled (a leaf
            # powered on before i2 staged it fails at POST /nodes until then); backing off keeps
            # a DC of switches retrying from eating the twin's CPU.
            self._stop.wait(min(self.retry_interval * 2 ** (res.attempts - 1), FAILED_RETRY_MAX))
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
        private = d / "tmp"  # the switch's /tmp, fresh for each attempt
        shutil.rmtree(private, ignore_errors=True)
        private.mkdir()
        path = f"{d / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}"
        keep = _kept_under_tmp([self.python, sys.prefix, str(d), *path.split(":")])
        syslog = _Syslog(run / "log.sock", self.result.log)
        env = {**os.environ, "PATH": path, "I2_TMP": str(private), "I2_HOST_TMP": _HOST_TMP,
               "I2_KEEP": " ".join(keep),
               "I2_TWIN_SWITCH": self.switch.name, "I2_TWIN_CONTROL": self.console_url,
               "I2_FLASH": str(self.switch.flash), "I2_RUN": str(run),
               "I2_LOG": str(run / "log.sock"), "I2_PY": self.python,
               "I2_SCRIPT": str(d / "bootstrap")}
        env.pop("EAPI_TEST", None)  # the client must take the production path (unix socket)
        unshare = shutil.which("unshare") or "unshare"
        try:
            proc = subprocess.run([unshare, "--mount", "--propagation", "private", "sh", "-c",
                                   _NS_SCRIPT], env=env, cwd=d, capture_output=True, text=True,
                                  timeout=self.timeout)
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
