"""The undercloud (OSP Director) over SSH with paramiko, as in production.

- Host keys are always verified against the endpoints' ``known_hosts`` (RejectPolicy): an
  unknown or changed key is refused with an error that names the undercloud and both fingerprints.
- Login with the key and/or password the endpoints file references (never logged; both are
  added to the redactor so no output line can carry them).
- SFTP uploads into the remote directory (parents created, modes kept: secrets.yaml stays 0600).
- Commands stream their output line by line to a callback; the exit status says success.
  ``openstack`` commands run with ``~/stackrc`` sourced: a non-interactive SSH shell has no OS_*.
- Long commands (the deploy) run detached instead: :mod:`lifecycle.tripleo.jobs`.

Example (needs a reachable undercloud)::

    with Undercloud.connect(endpoints, "uc-new", secrets) as uc:
        uc.upload(Path("out/ie1-new"), "/home/stack/i2/ie1-new", ["deploy.yaml"])
        status = uc.run(["openstack", "overcloud", "status", "-f", "json"], on_line=print)
"""

from __future__ import annotations

import base64
import hashlib
import io
import posixpath
import shlex
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifecycle.model.endpoints import Endpoints, SecretMissing, SecretStore
from lifecycle.redact import Redactor, default_redactor

CONNECT_TIMEOUT = 20.0
KEEPALIVE = 30  # seconds: a deploy prints nothing for minutes while Heat works
TAIL = 60  # output lines kept for error messages
STACKRC = "~/stackrc"  # the undercloud's credentials (Train: written by the undercloud install)


class UndercloudError(Exception):
    """An undercloud operation failed; the message names the undercloud. ``transient``: a retry
    may help (connection refused or reset), else it will not (host key, login, exit status)."""

    def __init__(self, undercloud: str, message: str, *, transient: bool = False) -> None:
        super().__init__(f"undercloud {undercloud}: {message}")
        self.undercloud = undercloud
        self.message = message
        self.transient = transient
        self.subject = undercloud


def fingerprint(key: Any) -> str:
    """OpenSSH's ``SHA256:...`` fingerprint of a paramiko key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _load_key(text: str, password: str | None) -> Any:
    """A private key from its text, whatever its type (Ed25519, ECDSA, RSA)."""
    import paramiko

    errors = []
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text.strip() + "\n"), password=password)
        except paramiko.PasswordRequiredException:
            raise
        except (paramiko.SSHException, ValueError) as exc:
            errors.append(f"{cls.__name__}: {exc}")
    raise ValueError("not a private key i2 can read (" + "; ".join(errors) + ")")


@dataclass
class Result:
    """What a remote command did: exit status and its last lines (redacted)."""

    status: int
    tail: list[str] = field(default_factory=list)
    lines: int = 0
    seconds: float = 0.0

    lost: bool = False  # a detached job ended without an exit status (its host rebooted?)

    @property
    def ok(self) -> bool:
        return self.status == 0


class _Reject:
    """paramiko's RejectPolicy, keeping the presented key for the error message."""

    def __init__(self) -> None:
        self.presented: Any = None

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        import paramiko

        self.presented = key
        raise paramiko.SSHException(f"Server {hostname!r} not found in known_hosts")


class Undercloud:
    """One SSH connection to an undercloud. Thread-safe for concurrent commands (one channel
    each). Use :meth:`connect`; close it (or use it as a context manager)."""

    def __init__(self, name: str, client: Any, *, redactor: Redactor | None = None) -> None:
        self.name = name
        self.client = client
        self.redactor = redactor or default_redactor
        self._sftp: Any = None
        self._lock = threading.Lock()

    # -- connecting ----------------------------------------------------------------------------

    @classmethod
    def connect(cls, endpoints: Endpoints, name: str, secrets: SecretStore | None = None, *,
                timeout: float = CONNECT_TIMEOUT, redactor: Redactor | None = None) -> Undercloud:
        """Connect and log in as the endpoints file says (``underclouds.<name>``)."""
        import paramiko

        ep = endpoints.underclouds.get(name)
        if ep is None:
            known = ", ".join(sorted(endpoints.underclouds)) or "none"
            raise UndercloudError(name, f"not in the endpoints file (underclouds: {known})")
        store = secrets or SecretStore(endpoints)
        red = redactor or default_redactor
        where = f"{ep.host}:{ep.port}"
        try:
            key_text = store.get(ep.key_file) if ep.key_file else None
            password = store.get(ep.password) if ep.password else None
        except SecretMissing as exc:
            raise UndercloudError(name, f"cannot read its login secret: {exc}") from None
        for value in (key_text, password):
            red.add(value)
        if key_text is None and password is None:
            raise UndercloudError(name, "the endpoints file gives neither key_file nor password")
        try:
            pkey = _load_key(key_text, password) if key_text else None
        except (paramiko.SSHException, ValueError) as exc:
            raise UndercloudError(name, f"key_file {ep.key_file.describe()}: {exc}") from None
        known_hosts = endpoints.path(ep.known_hosts)
        client = paramiko.SSHClient()
        try:
            client.load_host_keys(str(known_hosts))
        except OSError as exc:
            raise UndercloudError(name, f"cannot read known_hosts {known_hosts}: {exc.strerror}") from None
        policy = _Reject()
        client.set_missing_host_key_policy(policy)
        try:
            # Our own socket for TCP_NODELAY (as OpenSSH sets it): short request/response
            # exchanges would otherwise wait on delayed ACKs (~40 ms each on Linux).
            sock = socket.create_connection((ep.host, ep.port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.connect(ep.host, port=ep.port, username=ep.username, pkey=pkey,
                           password=password if pkey is None else None, timeout=timeout,
                           banner_timeout=timeout, auth_timeout=timeout, allow_agent=False,
                           look_for_keys=False, sock=sock)
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise UndercloudError(
                name, f"host key mismatch for {where}: it presents {exc.key.get_name()} "
                      f"{fingerprint(exc.key)}, {known_hosts} has {fingerprint(exc.expected_key)}. "
                      "Refusing to connect: verify the host's key out of band, then fix known_hosts"
            ) from None
        except paramiko.AuthenticationException as exc:
            client.close()
            raise UndercloudError(name, f"login as {ep.username} on {where} refused: {exc}") from None
        except paramiko.SSHException as exc:
            client.close()
            if policy.presented is not None:
                key = policy.presented
                raise UndercloudError(
                    name, f"unknown host key for {where}: it presents {key.get_name()} "
                          f"{fingerprint(key)}, which is not in {known_hosts}. Refusing to connect: "
                          "verify the fingerprint out of band, then add it to known_hosts") from None
            raise UndercloudError(name, f"SSH to {where} failed: {exc}", transient=True) from None
        except (OSError, TimeoutError) as exc:
            client.close()
            raise UndercloudError(name, f"cannot reach {where}: {exc}", transient=True) from None
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(KEEPALIVE)
        return cls(name, client, redactor=red)

    def close(self) -> None:
        with self._lock:
            if self._sftp is not None:
                self._sftp.close()
                self._sftp = None
        self.client.close()

    def __enter__(self) -> Undercloud:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- commands ------------------------------------------------------------------------------

    def run(self, argv: Sequence[str], *, on_line: Callable[[str], None] | None = None,
            timeout: float | None = None, cancelled: threading.Event | None = None,
            redact: bool = True) -> Result:
        """Run ``argv`` (quoted for the remote shell), stdout and stderr merged, streaming each
        line (redacted) to ``on_line``. Returns the exit status and the last lines.

        ``redact=False`` is for output i2 parses and never shows (a stack's environment holds
        the deploy's secrets, and comparing them needs them whole).

        ``timeout``/``cancelled``: stop waiting and close the channel (the remote command may
        carry on); raises a transient :class:`UndercloudError`.
        """
        command = shlex.join(argv)
        if argv[:1] == ["openstack"]:
            command = f"source {STACKRC} && {command}"
        return self.shell(command, argv, on_line=on_line, timeout=timeout, cancelled=cancelled, redact=redact)

    def shell(self, command: str, argv: Sequence[str] = (), *, on_line: Callable[[str], None] | None = None,
              timeout: float | None = None, cancelled: threading.Event | None = None,
              redact: bool = True) -> Result:
        """Run ``command``, a shell line the caller quoted, as :meth:`run` does; ``argv``
        names it in errors."""
        import paramiko

        argv = list(argv) or command.split()[:3]
        t0 = time.monotonic()
        try:
            chan = self.client.get_transport().open_session()
            chan.set_combine_stderr(True)
            chan.exec_command(command)
        except (paramiko.SSHException, OSError, AttributeError) as exc:
            raise UndercloudError(self.name, f"cannot run {argv[0]} {' '.join(argv[1:3])}: {exc}",
                                  transient=True) from None
        chan.settimeout(0.5)
        result = Result(status=-1)
        buf = b""
        try:
            while True:
                if cancelled is not None and cancelled.is_set():
                    raise UndercloudError(self.name, f"stopped waiting for {shlex.join(argv[:3])}",
                                          transient=True)
                if timeout is not None and time.monotonic() - t0 > timeout:
                    raise UndercloudError(self.name, f"{shlex.join(argv[:3])} still running after "
                                          f"{timeout:.0f} s", transient=True)
                try:
                    chunk = chan.recv(32768)
                except TimeoutError:
                    continue
                except OSError as exc:
                    raise UndercloudError(self.name, f"connection lost during "
                                          f"{shlex.join(argv[:3])}: {exc}", transient=True) from None
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    self._line(raw, result, on_line, redact)
            if buf:
                self._line(buf, result, on_line, redact)
            result.status = chan.recv_exit_status()
        finally:
            chan.close()
        result.seconds = time.monotonic() - t0
        return result

    def _line(self, raw: bytes, result: Result, on_line: Callable[[str], None] | None,
              redact: bool = True) -> None:
        line = raw.decode(errors="replace").rstrip("\r")
        line = self.redactor.redact_text(line) if redact else line
        result.lines += 1
        result.tail.append(line)
        del result.tail[:-TAIL]
        if on_line is not None:
            on_line(line)

    def read(self, path: str, offset: int = 0) -> bytes | None:
        """A remote file's bytes from ``offset`` (SFTP); None if there is no such file."""
        try:
            with self.sftp().open(path, "rb") as fh:
                fh.seek(offset)
                return bytes(fh.read())
        except FileNotFoundError:
            return None

    def output(self, argv: Sequence[str], *, timeout: float = 120.0, redact: bool = True) -> tuple[int, str]:
        """(exit status, whole output) of a short command."""
        lines: list[str] = []
        res = self.run(argv, on_line=lines.append, timeout=timeout, redact=redact)
        return res.status, "\n".join(lines)

    # -- files ---------------------------------------------------------------------------------

    def sftp(self) -> Any:
        with self._lock:
            if self._sftp is None:
                self._sftp = self.client.open_sftp()
            return self._sftp

    def makedirs(self, remote_dir: str) -> None:
        """``mkdir -p`` over SFTP."""
        sftp = self.sftp()
        path = "/"
        for part in [p for p in remote_dir.split("/") if p]:
            path = posixpath.join(path, part)
            try:
                sftp.stat(path)
            except FileNotFoundError:
                sftp.mkdir(path, 0o755)

    def upload(self, local_dir: Path, remote_dir: str, names: Iterable[str]) -> list[str]:
        """Put ``local_dir/<name>`` at ``remote_dir/<name>`` for each name (relative paths), each
        written to a temporary name then renamed, with the local file's mode."""
        sftp = self.sftp()
        done = []
        made: set[str] = set()
        for name in sorted(names):
            local = Path(local_dir) / name
            remote = posixpath.join(remote_dir, name)
            parent = posixpath.dirname(remote)
            if parent not in made:
                self.makedirs(parent)
                made.add(parent)
            mode = stat.S_IMODE(local.stat().st_mode)
            tmp = f"{remote}.i2-upload"
            with sftp.open(tmp, "wb") as fh:
                fh.chmod(mode)  # before the content: secrets are never world-readable
                fh.write(local.read_bytes())
            sftp.posix_rename(tmp, remote)
            done.append(name)
        return done

    def digests(self, remote_dir: str, names: Iterable[str]) -> dict[str, str | None]:
        """sha256 of each remote file (None if absent), read over SFTP."""
        sftp = self.sftp()
        out: dict[str, str | None] = {}
        for name in names:
            try:
                with sftp.open(posixpath.join(remote_dir, name), "rb") as fh:
                    out[name] = hashlib.sha256(fh.read()).hexdigest()
            except FileNotFoundError:
                out[name] = None
        return out


__all__ = ["Result", "Undercloud", "UndercloudError", "fingerprint"]
