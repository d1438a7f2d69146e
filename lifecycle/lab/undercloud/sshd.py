"""An SSH server on loopback built with paramiko's server side: public-key (or password) login
for one user, ``exec`` requests and the ``sftp`` subsystem. Nothing else (no shell, no pty, no
forwarding), which is all i2 asks of an undercloud.

A command runs in its own thread with a :class:`Session` to write to. When the client goes away
mid-command (``kill -9`` of i2, a dropped connection) its next write raises :class:`ChannelGone`,
as a real process gets EPIPE on its next write to a closed SSH channel: a command that must
survive its channel runs detached with its output in a file (``setsid nohup ... > log &``, see
:mod:`lifecycle.lab.undercloud.bash`).

Example (listens on a loopback port)::

    srv = SSHServer("uc-new", host_key, [client_pub], handler=run, root=Path("fs")).start()
    srv.port      # 40211
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import paramiko

from lifecycle.lab.undercloud.sftp import RootedSFTP

log = logging.getLogger("i2.lab.undercloud")
QUIET_LOG = "i2.lab.undercloud.paramiko"
logging.getLogger(QUIET_LOG).setLevel(logging.CRITICAL)

Event = Callable[[dict[str, Any]], None]
CLOSE_DELAY = 0.5  # seconds between a command's exit status and closing its channel


class ChannelGone(Exception):
    """The SSH channel a command writes to is closed (the process's EPIPE)."""


class Session:
    """One exec request: the command line, and where its output goes.

    ``write`` raises :class:`ChannelGone` once the client is gone.
    """

    def __init__(self, channel: paramiko.Channel, command: str, user: str) -> None:
        self.channel = channel
        self.command = command
        self.user = user
        self._lock = threading.Lock()
        self.gone = False

    def write(self, text: str) -> None:
        if not text.endswith("\n"):
            text += "\n"
        with self._lock:
            if not self.gone:
                try:
                    self.channel.sendall(text.encode())
                    return
                except (OSError, EOFError, paramiko.SSHException):
                    self.gone = True
        raise ChannelGone(self.command)

    def readline(self, timeout: float = 30.0) -> str | None:
        """A line the client sent on stdin, or None at EOF or after ``timeout``."""
        self.channel.settimeout(timeout)
        data = b""
        try:
            while not data.endswith(b"\n"):
                chunk = self.channel.recv(1)
                if not chunk:
                    break
                data += chunk
        except (OSError, TimeoutError):
            return None
        return data.decode(errors="replace") if data else None

    def finish(self, status: int) -> None:
        with self._lock:
            if self.gone:
                return
            try:
                self.channel.send_exit_status(status)
                self.channel.shutdown_write()
            except (OSError, EOFError, paramiko.SSHException):
                self.gone = True
                return
        # paramiko answers the exec request only after check_channel_exec_request returns, so a
        # quick command could close its channel before the client hears "exec accepted" (the
        # client then fails with "Channel closed"). Status and EOF are out; the close may wait.
        timer = threading.Timer(CLOSE_DELAY, self.channel.close)
        timer.daemon = True
        timer.start()


class Client:
    """Where a command's output goes, as seen from the undercloud's services: once the client
    is gone (EPIPE), output is dropped, and :meth:`check` ends a client-driven phase."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.dead = False

    def write(self, text: str) -> None:
        if not self.dead:
            try:
                self.out.write(text)
            except ChannelGone:
                self.dead = True

    def readline(self, timeout: float = 30.0) -> str | None:
        return None if self.dead else self.out.readline(timeout)

    def check(self) -> None:
        if self.dead:
            raise ChannelGone("the client went away")


class _Interface(paramiko.ServerInterface):
    """Authentication and channel policy of one connection."""

    def __init__(self, server: SSHServer, peer: str) -> None:
        self.server = server
        self.peer = peer
        self.user = ""

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def get_allowed_auths(self, username: str) -> str:
        return "publickey,password" if self.server.password else "publickey"

    def _auth(self, username: str, ok: bool, method: str) -> int:
        self.server.event({"event": "auth", "user": username, "method": method, "ok": ok,
                           "peer": self.peer})
        if ok:
            self.user = username
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        known = any(key.asbytes() == k.asbytes() for k in self.server.authorized)
        return self._auth(username, username == self.server.username and known, "publickey")

    def check_auth_password(self, username: str, password: str) -> int:
        want = self.server.password
        ok = bool(want) and username == self.server.username and \
            hmac.compare_digest(password.encode(), str(want).encode())
        return self._auth(username, ok, "password")

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        text = command.decode(errors="replace")
        session = Session(channel, text, self.user)
        threading.Thread(target=self.server.execute, args=(session,), daemon=True,
                         name=f"uc-{self.server.name}-exec").start()
        return True


class SSHServer:
    """Listens on ``host:port`` (0: a free port) and serves ``username`` only.

    ``handler(session) -> exit status`` runs each exec request; ``root`` is the filesystem SFTP
    serves; ``event`` receives one dict per login attempt, command and SFTP write.
    """

    def __init__(self, name: str, host_key: paramiko.PKey, authorized: Sequence[paramiko.PKey], *,
                 handler: Callable[[Session], int], root: Path, username: str = "stack",
                 password: str | None = None, home: str = "/home/stack", host: str = "127.0.0.1",
                 port: int = 0, event: Event | None = None) -> None:
        self.name = name
        self.host_key = host_key
        self.authorized = list(authorized)
        self.handler = handler
        self.root = Path(root)
        self.username = username
        self.password = password
        self.home = home
        self.host = host
        self.port = port
        self.event = event or (lambda _e: None)
        self._sock: socket.socket | None = None
        self._transports: list[paramiko.Transport] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def start(self) -> SSHServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(32)
        self.port = sock.getsockname()[1]
        self._sock = sock
        threading.Thread(target=self._accept, daemon=True, name=f"uc-{self.name}-sshd").start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._sock is not None:
            self._sock.close()
        with self._lock:
            transports, self._transports = self._transports, []
        for t in transports:
            t.close()

    # -- connections ---------------------------------------------------------------------------

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stopped.is_set():
            try:
                conn, addr = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, f"{addr[0]}:{addr[1]}"), daemon=True,
                             name=f"uc-{self.name}-conn").start()

    def _serve(self, conn: socket.socket, peer: str) -> None:
        # Small packets (a line of output, an exit status) must not wait for a delayed ACK.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = paramiko.Transport(conn)
        # A client that drops the connection (a health probe, a refused host key, a killed i2) is
        # ordinary here: paramiko's tracebacks for it stay out of the lab's log.
        transport.set_log_channel(QUIET_LOG)
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler("sftp", paramiko.SFTPServer, RootedSFTP, root=self.root,
                                        home=self.home, on_write=self._on_write)
        with self._lock:
            self._transports.append(transport)
        try:
            transport.start_server(server=_Interface(self, peer))
        except (paramiko.SSHException, EOFError, OSError) as exc:
            log.debug("undercloud %s: SSH negotiation with %s failed: %s", self.name, peer, exc)
            transport.close()
            return
        # Channels are served by their exec/subsystem requests. paramiko holds channels weakly:
        # keep each accepted one referenced until it closes, or it is collected (and closed).
        channels: list[paramiko.Channel] = []
        while transport.is_active() and not self._stopped.is_set():
            chan = transport.accept(1.0)
            channels = [c for c in channels if not c.closed]
            if chan is not None:
                channels.append(chan)
        with self._lock:
            if transport in self._transports:
                self._transports.remove(transport)

    def _on_write(self, path: str) -> None:
        self.event({"event": "sftp.write", "path": path})

    def execute(self, session: Session) -> None:
        self.event({"event": "exec", "user": session.user, "command": session.command})
        try:
            status = self.handler(session)
        except ChannelGone:
            status = 141  # 128 + SIGPIPE: nobody is left to read the error
        except Exception as exc:  # a bug in a command must not kill the connection
            log.exception("undercloud %s: %s failed", self.name, session.command)
            status = 1
            try:
                session.write(f"ERROR: {type(exc).__name__}: {exc}")
            except ChannelGone:
                status = 141
        self.event({"event": "exit", "command": session.command, "status": status})
        session.finish(status)
