"""SSH writer hooks (``writer_hook: {kind: ssh, user, command, resume_command}``), run with
paramiko through the endpoints' ``vm_access.ssh_jump``, as ``ssh -J jump user@vm command`` does:

1. one SSH connection to the jump host per process (reused by every hook call, re-made when it
   drops), its host key checked against ``vm_access.known_hosts``;
2. per VM, a ``direct-tcpip`` channel from the jump host to ``<vm-ip>:22``, and over it an SSH
   session to the VM as the hook's ``user`` with ``vm_access.ssh_key_file``, the VM's host key
   checked against the same ``known_hosts`` (by address);
3. the command runs; exit status 0 is success, anything else fails with the output's last lines.

Host keys are always verified (paramiko's RejectPolicy): an unknown or changed key is refused,
naming the host and the fingerprint it presented, and never written anywhere. What is worth a
retry (the jump host or a VM not answering, a dropped connection, a timeout) is ``transient``;
a refused key, login or command is not.

>>> fingerprint(paramiko.Ed25519Key(data=bytes.fromhex(
...     "0000000b7373682d6564323535313900000020" + "11" * 32)))
'SHA256:SQfC+vTbLURn9cTkVxIS8fGQ3FKNAJWeB0o139+gV4M'
"""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import threading
from collections.abc import Iterable
from typing import Any

import paramiko

from lifecycle.model.endpoints import Endpoints, SecretMissing, SecretStore
from lifecycle.model.endpoints_vm import VmAccess
from lifecycle.model.schema_lb import SshHook
from lifecycle.redact import redact

TAIL = 5  # lines of a failed command's output in its error


class SshHookError(Exception):
    """Raised as :class:`lifecycle.vmaccess.HookError` by the caller; ``transient``: worth retrying."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's ``SHA256:...`` fingerprint of a host key."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


def load_key(text: str, passphrase: str | None = None) -> paramiko.PKey:
    """A private key from its text, whatever its type (Ed25519, ECDSA, RSA)."""
    errors = []
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text.strip() + "\n"), password=passphrase)
        except paramiko.PasswordRequiredException:
            raise ValueError("the key is encrypted and no passphrase was given") from None
        except (paramiko.SSHException, ValueError) as exc:
            errors.append(f"{cls.__name__}: {exc}")
    raise ValueError("not a private key i2 can read (" + "; ".join(errors) + ")")


class _Reject(paramiko.MissingHostKeyPolicy):
    """paramiko's RejectPolicy, keeping the presented key for the error message."""

    def __init__(self) -> None:
        self.presented: paramiko.PKey | None = None

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        self.presented = key
        raise paramiko.SSHException(f"{hostname} is not in known_hosts")


class SshHooks:
    """Runs SSH hooks on VMs through the jump host. Thread-safe: steps running at once share it."""

    def __init__(self, endpoints: Endpoints, access: VmAccess, secrets: SecretStore):
        assert access.ssh_jump is not None and access.known_hosts and access.ssh_key_file is not None
        self.endpoints, self.access, self.secrets = endpoints, access, secrets
        self.jump = access.ssh_jump
        self.known_hosts = endpoints.path(access.known_hosts)
        self._client: paramiko.SSHClient | None = None
        self._vm_key: paramiko.PKey | None = None
        self._lock = threading.Lock()

    # -- connections -----------------------------------------------------------------------------

    def _secret(self, ref: Any, what: str) -> str:
        try:
            return self.secrets.get(ref)
        except SecretMissing as exc:
            raise SshHookError(f"vm_access: cannot read {what}: {exc}") from None

    def _login(self, client: paramiko.SSHClient, host: str, port: int, username: str, where: str, *,
               pkey: paramiko.PKey | None, password: str | None, sock: Any) -> None:
        """Log in on ``sock`` with ``client`` (its host keys loaded), translating paramiko's errors."""
        policy = _Reject()
        client.set_missing_host_key_policy(policy)
        t = self.access.timeout
        try:
            client.connect(host, port=port, username=username, pkey=pkey, password=password, sock=sock,
                           timeout=t, banner_timeout=t, auth_timeout=t, allow_agent=False,
                           look_for_keys=False)
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise SshHookError(f"{where}: host key mismatch: it presents {exc.key.get_name()} "
                               f"{fingerprint(exc.key)}, {self.known_hosts} has "
                               f"{fingerprint(exc.expected_key)}. "
                               "Refusing to connect: verify the host's key out of band, then fix known_hosts"
                               ) from None
        except paramiko.AuthenticationException as exc:
            client.close()
            raise SshHookError(f"{where}: login as {username} refused: {exc}") from None
        except paramiko.SSHException as exc:
            client.close()
            if policy.presented is not None:
                key = policy.presented
                raise SshHookError(f"{where}: unknown host key: it presents {key.get_name()} "
                                   f"{fingerprint(key)}, which is not in {self.known_hosts}. Refusing to "
                                   "connect: verify the fingerprint out of band, then add it to known_hosts"
                                   ) from None
            raise SshHookError(f"{where}: SSH failed: {exc}", transient=True) from None
        except (OSError, EOFError) as exc:
            client.close()
            raise SshHookError(f"{where}: no answer: {exc}", transient=True) from None

    def _new_client(self) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        try:
            client.load_host_keys(str(self.known_hosts))
        except OSError as exc:
            raise SshHookError(f"vm_access: cannot read known_hosts {self.known_hosts}: "
                               f"{exc.strerror}") from None
        return client

    def _jump_transport(self) -> paramiko.Transport:
        """The jump host's connection: the live one, or a new one."""
        with self._lock:
            transport = self._client.get_transport() if self._client is not None else None
            if transport is not None and transport.is_active():
                return transport
            j = self.jump
            where = f"jump host {j.username}@{j.host}:{j.port}"
            key_text = self._secret(j.key_file, "ssh_jump.key_file") if j.key_file else None
            password = self._secret(j.password, "ssh_jump.password") if j.password else None
            try:
                pkey = load_key(key_text, password) if key_text else None
            except ValueError as exc:
                raise SshHookError(f"{where}: key_file {j.key_file.describe()}: {exc}") from None  # type: ignore[union-attr]
            try:
                # TCP_NODELAY, as OpenSSH sets it: each hook is a few short exchanges
                sock = socket.create_connection((j.host, j.port), timeout=self.access.timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError as exc:
                raise SshHookError(f"{where}: cannot connect: {exc}", transient=True) from None
            client = self._new_client()
            self._login(client, j.host, j.port, j.username, where, pkey=pkey,
                        password=password if pkey is None else None, sock=sock)
            self._client = client
            transport = client.get_transport()
            assert transport is not None
            transport.set_keepalive(30)
            return transport

    def _key(self) -> paramiko.PKey:
        if self._vm_key is None:
            ref = self.access.ssh_key_file
            try:
                self._vm_key = load_key(self._secret(ref, "ssh_key_file"))
            except ValueError as exc:
                raise SshHookError(f"vm_access.ssh_key_file {ref.describe()}: {exc}") from None  # type: ignore[union-attr]
        return self._vm_key

    # -- hooks -----------------------------------------------------------------------------------

    def call(self, hook: SshHook, ips: Iterable[str], *, resume: bool) -> list[dict[str, Any]]:
        """Run the hook's ``command`` (or ``resume_command``) on every address; one record per VM."""
        command = hook.resume_command if resume else hook.command
        return [self._run(hook.user, ip, command) for ip in sorted(set(ips))]

    def _run(self, user: str, ip: str, command: str) -> dict[str, Any]:
        where = f"ssh {user}@{ip} via {self.jump.host}"
        transport = self._jump_transport()
        try:
            chan = transport.open_channel("direct-tcpip", (ip, 22), ("127.0.0.1", 0),
                                          timeout=self.access.timeout)
        except paramiko.ChannelException as exc:  # the jump host could not connect to the VM
            raise SshHookError(f"{where}: the jump host cannot reach {ip}:22: {exc.text}",
                               transient=True) from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            with self._lock:
                self._client = None  # the jump connection is gone: the retry makes a new one
            raise SshHookError(f"{where}: the jump host's connection failed: {exc}", transient=True) from None
        vm = self._new_client()
        try:
            self._login(vm, ip, 22, user, where, pkey=self._key(), password=None, sock=chan)
            status, out = self._exec(vm, command, where)
        finally:
            vm.close()
        if status != 0:
            tail = [line for line in out.splitlines() if line.strip()][-TAIL:]
            raise SshHookError(f"{where}: {redact(command)!r} exited {status}"
                               + (f": {redact(' | '.join(tail))}" if tail else ""))
        return {"ip": ip, "user": user, "command": redact(command), "exit": status}

    def _exec(self, vm: paramiko.SSHClient, command: str, where: str) -> tuple[int, str]:
        t = self.access.timeout
        try:
            chan = vm.get_transport().open_session(timeout=t)  # type: ignore[union-attr]
            chan.settimeout(t)
            chan.set_combine_stderr(True)
            chan.exec_command(command)
            out = b""
            while chunk := chan.recv(32768):
                out += chunk
            if not chan.status_event.wait(t):
                raise TimeoutError("no exit status")
        except (paramiko.SSHException, OSError, EOFError) as exc:  # TimeoutError is an OSError
            raise SshHookError(f"{where}: {redact(command)!r} did not finish within {t:g} s: "
                               f"{type(exc).__name__}: {exc}", transient=True) from None
        return chan.exit_status, out.decode(errors="replace")

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


__all__ = ["SshHookError", "SshHooks", "fingerprint", "load_key"]
