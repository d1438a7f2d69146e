"""Long undercloud commands (``openstack overcloud deploy``, ``node delete``), detached from the
SSH session that starts them: a dropped connection, or a killed i2, must not end a deploy that
runs for hours. A job is files in its directory on the undercloud::

    <dir>/<name>.sh    the script (stackrc sourced, then the command; writes the two below)
    <dir>/<name>.pid   its pid, once it runs        <dir>/<name>.rc   its exit status, once done
    <dir>/<name>.log   stdout and stderr            <dir>/<name>.lock claimed by the one that runs

It is started with ``setsid nohup bash <name>.sh >> <name>.log 2>&1 < /dev/null &``. Starting it
twice is harmless (the second cannot claim the lock and exits); i2 never starts a job that has a
pid or an exit status, it follows it instead (re-attach), and retires a finished one it has
reported, so that the next attempt is a new job.

Example (needs a reachable undercloud)::

    job = state(uc, "/home/stack/i2/ie1-new/jobs/r1-deploy", "deploy")
    if not job.started:
        job = start(uc, job.dir, "deploy", ["openstack", "overcloud", "deploy", ...])
    res = follow(uc, job, on_line=print)
"""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lifecycle.tripleo.undercloud import STACKRC, TAIL, Result, Undercloud, UndercloudError

POLL = 1.0  # seconds between reads of a job's log
ALIVE_EVERY = 10  # polls between ``kill -0`` checks of a job still without an exit status


def _dropped() -> tuple[type[BaseException], ...]:
    """What paramiko raises when the connection drops under an SFTP read."""
    import paramiko

    return (OSError, EOFError, paramiko.SSHException)


@dataclass
class Job:
    """A detached job's files on the undercloud: ``<dir>/<name>.{sh,log,pid,rc}``."""

    dir: str
    name: str
    pid: int | None = None
    rc: int | None = None

    def file(self, ext: str) -> str:
        return f"{self.dir}/{self.name}.{ext}"

    @property
    def started(self) -> bool:
        return self.pid is not None or self.rc is not None


def state(uc: Undercloud, job_dir: str, name: str) -> Job:
    """What the undercloud has of the job ``<job_dir>/<name>``: its pid and exit status."""
    job = Job(job_dir.rstrip("/"), name)
    try:
        for ext in ("pid", "rc"):
            text = (uc.read(job.file(ext)) or b"").decode(errors="replace").strip()
            if text.lstrip("-").isdigit():
                setattr(job, ext, int(text))
    except _dropped() as exc:
        raise UndercloudError(uc.name, f"connection lost reading {job.dir}: {exc or type(exc).__name__}",
                              transient=True) from None
    return job


def _size(uc: Undercloud, path: str) -> int:
    try:
        return int(uc.sftp().stat(path).st_size or 0)
    except FileNotFoundError:
        return 0


def alive(uc: Undercloud, pid: int) -> bool:
    status, _ = uc.output(["kill", "-0", str(pid)], timeout=60)
    return status == 0


def script(job: Job, argv: Sequence[str]) -> str:
    q = shlex.quote
    return "\n".join([
        "#!/bin/bash",
        f"# Written by i2: {job.name}, detached from the SSH session that started it, so that a",
        "# dropped connection does not end it. The lock makes a second start exit at once.",
        f"mkdir {q(job.file('lock'))} 2>/dev/null || exit 0",
        f"echo $$ > {q(job.file('pid'))}",
        f"source {STACKRC} && {shlex.join(argv)}",
        f"echo $? > {q(job.file('rc'))}", ""])


def start(uc: Undercloud, job_dir: str, name: str, argv: Sequence[str], *, wait: float = 60.0) -> Job:
    """Start ``argv`` detached, with the undercloud's stackrc sourced; returns once its pid
    file is there."""
    job = Job(job_dir.rstrip("/"), name)
    uc.makedirs(job.dir)
    sftp = uc.sftp()
    with sftp.open(job.file("sh.i2-upload"), "wb") as fh:
        fh.chmod(0o700)
        fh.write(script(job, argv).encode())
    sftp.posix_rename(job.file("sh.i2-upload"), job.file("sh"))
    q = shlex.quote
    res = uc.shell(f"setsid nohup bash {q(job.file('sh'))} >> {q(job.file('log'))} 2>&1 < /dev/null &",
                   ["setsid", "nohup", name], timeout=60.0)
    if not res.ok:
        raise UndercloudError(uc.name, f"cannot start {name} in {job.dir} (exit {res.status}): "
                              + " | ".join(res.tail[-3:]))
    t0 = time.monotonic()
    while not (job := state(uc, job.dir, name)).started:
        if time.monotonic() - t0 > wait:
            raise UndercloudError(uc.name, f"{name} in {job.dir} did not start within {wait:.0f} s",
                                  transient=True)
        time.sleep(0.2)
    return job


def follow(uc: Undercloud, job: Job, *, on_line: Callable[[str], None] | None = None,
           from_start: bool = True, timeout: float | None = None,
           cancelled: threading.Event | None = None) -> Result:
    """Stream the job's log (from its start, or from its current end when re-attaching) until
    its exit status is there; ``Result.lost``: it ended without one. A dropped connection or
    ``cancelled``/``timeout`` stop following only (a transient :class:`UndercloudError`): the
    job carries on; follow it again."""
    t0 = time.monotonic()
    result = Result(status=-1)
    what = f"{job.name} (pid {job.pid}) in {job.dir}"

    def emit(raw: bytes) -> None:
        line = uc.redactor.redact_text(raw.decode(errors="replace").rstrip("\r"))
        result.lines += 1
        if on_line is not None:
            on_line(line)

    try:
        offset = 0 if from_start else _size(uc, job.file("log"))
        buf = b""
        polls = 0
        while True:
            rc = state(uc, job.dir, job.name).rc
            data = uc.read(job.file("log"), offset) or b""
            offset += len(data)
            *lines, buf = (buf + data).split(b"\n")
            for raw in lines:
                emit(raw)
            if rc is not None:
                if buf:
                    emit(buf)
                result.status = rc
                break
            polls += 1
            if job.pid is not None and polls % ALIVE_EVERY == 0 and not alive(uc, job.pid) \
                    and state(uc, job.dir, job.name).rc is None:
                result.lost = True
                break
            if cancelled is not None and cancelled.is_set():
                raise UndercloudError(uc.name, f"stopped following {what}; it carries on", transient=True)
            if timeout is not None and time.monotonic() - t0 > timeout:
                raise UndercloudError(uc.name, f"{what} still running after {timeout:.0f} s", transient=True)
            time.sleep(POLL)
        tail = (uc.read(job.file("log"), max(0, offset - 65536)) or b"").decode(errors="replace")
    except _dropped() as exc:
        raise UndercloudError(uc.name, f"connection lost following {what} (it carries on): "
                              f"{exc or type(exc).__name__}", transient=True) from None
    result.tail = [uc.redactor.redact_text(x) for x in tail.splitlines()[-TAIL:]]
    result.seconds = time.monotonic() - t0
    return result


def retire(uc: Undercloud, job: Job) -> str:
    """Move a reported job's files aside (the next start is a new job); returns where to."""
    dest = f"{job.dir}.{time.strftime('%Y%m%dT%H%M%S')}"
    uc.sftp().posix_rename(job.dir, dest)
    return dest
