"""SSH keys of the twin's underclouds: a host key per undercloud, one client key pair for i2.

Keys are Ed25519, generated once per lab directory (private files 0600) and reused when the lab
restarts, so a known_hosts entry stays valid as long as the lab directory lives.

>>> import tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> key = ensure_key(Path(tmp.name) / "uc-new" / "ssh_host_ed25519_key")
>>> public_line(key)
'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA...'
>>> public_line(ensure_key(Path(tmp.name) / "uc-new" / "ssh_host_ed25519_key")) == public_line(key)
True
>>> tmp.cleanup()
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lifecycle.lab.config import write_private


def ensure_key(path: Path, comment: str = "") -> paramiko.PKey:
    """The Ed25519 key at ``path``, generated (OpenSSH format, 0600, ``.pub`` beside it) if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
        write_private(path, pem.decode())
        pub = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                            serialization.PublicFormat.OpenSSH).decode()
        path.with_name(path.name + ".pub").write_text(f"{pub} {comment}".rstrip() + "\n")
    return paramiko.Ed25519Key.from_private_key_file(str(path))


def public_line(key: paramiko.PKey) -> str:
    """``<type> <base64>`` as in authorized_keys and known_hosts."""
    return f"{key.get_name()} {key.get_base64()}"


def known_hosts_name(host: str, port: int) -> str:
    """How OpenSSH (and paramiko) name a host in known_hosts: ``[host]:port`` unless port 22."""
    return host if port == 22 else f"[{host}]:{port}"


def write_known_hosts(path: Path, entries: Iterable[tuple[str, int, paramiko.PKey]]) -> None:
    """One line per (host, port, host key); the file is replaced whole."""
    lines = [f"{known_hosts_name(h, p)} {public_line(k)}" for h, p, k in entries]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(f"{line}\n" for line in lines))
    tmp.replace(path)
