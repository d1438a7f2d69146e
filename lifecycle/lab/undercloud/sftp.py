"""The undercloud's SFTP subsystem: the remote filesystem is a directory of the lab.

Remote absolute paths map below ``root`` (``/home/stack/i2`` -> ``root/home/stack/i2``), relative
ones start at the user's home; ``..`` never leaves ``root``. Each write is reported to ``on_write``
(tests prove from it that nothing was uploaded).

>>> sftp = RootedSFTP(None, root=Path("/lab/fs"), home="/home/stack")
>>> sftp.local("i2/site.yaml"), sftp.local("../../../etc/passwd")
(PosixPath('/lab/fs/home/stack/i2/site.yaml'), PosixPath('/lab/fs/etc/passwd'))

Mounted on a paramiko transport (what :mod:`lifecycle.lab.undercloud.sshd` does)::

    transport.set_subsystem_handler("sftp", paramiko.SFTPServer, RootedSFTP,
                                    root=Path("fs"), home="/home/stack")
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paramiko import SFTPAttributes, SFTPHandle, SFTPServer, SFTPServerInterface
from paramiko.sftp import SFTP_FAILURE, SFTP_OK


def _errno(exc: OSError) -> int:
    return SFTPServer.convert_errno(exc.errno)


def _mode(flags: int) -> str:
    """The Python file mode for os.open ``flags`` (paramiko hands us the os.O_* flags)."""
    if flags & os.O_WRONLY:
        return "ab" if flags & os.O_APPEND else "wb"
    if flags & os.O_RDWR:
        return "a+b" if flags & os.O_APPEND else "r+b"
    return "rb"


class _Handle(SFTPHandle):
    """An open file; paramiko's SFTPHandle reads and writes through ``readfile``/``writefile``."""

    def __init__(self, fh: Any, flags: int) -> None:
        super().__init__(flags)
        self.readfile = fh
        self.writefile = fh

    def stat(self) -> Any:
        try:
            return SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))
        except OSError as exc:
            return _errno(exc)

    def chattr(self, attr: SFTPAttributes) -> int:
        try:
            if attr.st_mode is not None:
                os.fchmod(self.readfile.fileno(), attr.st_mode & 0o7777)
            return SFTP_OK
        except OSError as exc:
            return _errno(exc)


class RootedSFTP(SFTPServerInterface):
    """SFTP operations on the files below ``root``."""

    def __init__(self, server: Any, *args: Any, root: Path, home: str = "/home/stack",
                 on_write: Callable[[str], None] | None = None, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        self.root = Path(root)
        self.home = home
        self.on_write = on_write or (lambda _path: None)

    # -- paths ---------------------------------------------------------------------------------

    def canonicalize(self, path: str) -> str:
        return posixpath.normpath(posixpath.join(self.home, path or "."))

    def local(self, path: str) -> Path:
        remote = self.canonicalize(path)  # normpath drops any ".." above "/"
        return self.root / remote.lstrip("/")

    # -- directories ---------------------------------------------------------------------------

    def list_folder(self, path: str) -> Any:
        folder = self.local(path)
        try:
            out = []
            for name in sorted(os.listdir(folder)):
                attr = SFTPAttributes.from_stat(os.lstat(folder / name))
                attr.filename = name
                out.append(attr)
            return out
        except OSError as exc:
            return _errno(exc)

    def stat(self, path: str) -> Any:
        try:
            return SFTPAttributes.from_stat(os.stat(self.local(path)))
        except OSError as exc:
            return _errno(exc)

    def lstat(self, path: str) -> Any:
        try:
            return SFTPAttributes.from_stat(os.lstat(self.local(path)))
        except OSError as exc:
            return _errno(exc)

    def mkdir(self, path: str, attr: SFTPAttributes) -> int:
        try:
            mode = attr.st_mode & 0o777 if attr is not None and attr.st_mode is not None else 0o755
            os.mkdir(self.local(path), mode)
            self.on_write(self.canonicalize(path) + "/")
            return SFTP_OK
        except OSError as exc:
            return _errno(exc)

    def rmdir(self, path: str) -> int:
        try:
            os.rmdir(self.local(path))
            return SFTP_OK
        except OSError as exc:
            return _errno(exc)

    # -- files ---------------------------------------------------------------------------------

    def open(self, path: str, flags: int, attr: SFTPAttributes) -> Any:
        local = self.local(path)
        mode = attr.st_mode & 0o777 if attr is not None and attr.st_mode is not None else 0o644
        try:
            fd = os.open(local, flags | getattr(os, "O_BINARY", 0), mode)
            fh = os.fdopen(fd, _mode(flags))
        except OSError as exc:
            return _errno(exc)
        if flags & (os.O_WRONLY | os.O_RDWR):
            self.on_write(self.canonicalize(path))
        return _Handle(fh, flags)

    def remove(self, path: str) -> int:
        try:
            os.remove(self.local(path))
            self.on_write(self.canonicalize(path))
            return SFTP_OK
        except OSError as exc:
            return _errno(exc)

    def rename(self, oldpath: str, newpath: str) -> int:
        # SFTP v3 rename refuses to replace an existing file (posix_rename does).
        if self.local(newpath).exists():
            return SFTP_FAILURE
        return self.posix_rename(oldpath, newpath)

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        try:
            os.replace(self.local(oldpath), self.local(newpath))
            self.on_write(self.canonicalize(newpath))
            return SFTP_OK
        except OSError as exc:
            return _errno(exc)

    def chattr(self, path: str, attr: SFTPAttributes) -> int:
        try:
            local = self.local(path)
            if attr.st_mode is not None:
                os.chmod(local, attr.st_mode & 0o7777)
            if attr.st_atime is not None and attr.st_mtime is not None:
                os.utime(local, (attr.st_atime, attr.st_mtime))
            return SFTP_OK
        except OSError as exc:
            return _errno(exc)

