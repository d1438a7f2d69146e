"""Supervise one real external process of the twin (Ironic, sushy-tools, ...).

Each process runs in its own session (so stopping it takes its whole tree), logs to a file in
its work directory and leaves a PID file there, so a lab restarted on the same directory can
reap a leftover from a crashed run before it binds the same ports and databases again.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lifecycle.lab.process import alive, terminate


class ProcessError(RuntimeError):
    """A managed process died or never became ready; the message carries its log tail."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the caller binds it soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _start_time(pid: int) -> str:
    """The kernel's start time of ``pid`` (clock ticks since boot): with the PID, an identity
    that survives renaming (Ironic rewrites its command line) and is never reused."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


class ManagedProcess:
    """A command run in its own process group, with a log file and a PID file."""

    def __init__(self, name: str, cmd: Sequence[str], *, log_path: Path, pid_path: Path | None = None,
                 env: Mapping[str, str] | None = None, cwd: Path | None = None):
        self.name = name
        self.cmd = [str(c) for c in cmd]
        self.log_path = Path(log_path)
        self.pid_path = Path(pid_path) if pid_path else self.log_path.with_suffix(".pid")
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc else 0

    def start(self) -> ManagedProcess:
        if self.alive():
            return self
        self.reap_stale()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(self.cmd)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd,
                                          start_new_session=True)
        self.pid_path.write_text(f"{self._proc.pid} {_start_time(self._proc.pid)}\n")
        return self

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds, reap it."""
        if self._proc is not None:
            terminate(self._proc.pid, grace)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        with contextlib.suppress(FileNotFoundError):
            self.pid_path.unlink()

    def reap_stale(self) -> None:
        """Stop a process left by an earlier run of this same command (per the PID file)."""
        try:
            pid_text, _, started = self.pid_path.read_text().strip().partition(" ")
            pid = int(pid_text)
        except (OSError, ValueError):
            return
        # Only if that PID is still the process we started: PIDs get reused.
        if alive(pid) and started and _start_time(pid) == started:
            terminate(pid)
        with contextlib.suppress(FileNotFoundError):
            self.pid_path.unlink()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> float:
        """Poll ``ready`` until true; fail early if the process dies. Returns seconds waited."""
        t0 = time.monotonic()
        while True:
            if not self.alive():
                code = self._proc.returncode if self._proc else None
                raise ProcessError(f"{self.name} exited (code {code}) before {what}; "
                                   f"log {self.log_path}:\n{self.log_tail()}")
            if ready():
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise ProcessError(f"{self.name}: no {what} after {timeout:.0f} s; "
                                   f"log {self.log_path}:\n{self.log_tail()}")
            time.sleep(0.1)


def _opener(cafile: Path | None) -> urllib.request.OpenerDirector:
    # No proxies: everything the twin runs is on loopback, whatever http_proxy says.
    ctx = ssl.create_default_context(cafile=str(cafile)) if cafile else None
    return urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                       urllib.request.HTTPSHandler(context=ctx))


def http_ok(url: str, *, cafile: Path | None = None, timeout: float = 2.0) -> bool:
    """True if ``url`` answers with a non-5xx status (4xx still proves the server is up)."""
    try:
        with _opener(cafile).open(url, timeout=timeout) as resp:
            return resp.status < 500
    except urllib.error.HTTPError as err:
        return err.code < 500
    except (OSError, ssl.SSLError):
        return False


def get_json(url: str, *, cafile: Path | None = None, timeout: float = 5.0) -> Any:
    """GET ``url`` and decode its JSON body; raises OSError/ValueError on failure."""
    with _opener(cafile).open(url, timeout=timeout) as resp:
        return json.load(resp)


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total
