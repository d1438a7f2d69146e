"""A dead BMC: a TCP port that accepts connections and then never says a word.

That is what a hung iLO looks like from Ironic (TCP up, HTTP/TLS silent): every Redfish call
ends in a read timeout, sushy retries, Ironic retries, and the operation fails with a
connection error in ``last_error``. A port nobody listens on would be "connection refused"
instead, which a client can tell apart from a dead BMC far too quickly.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading


class Blackhole:
    """Accepts and holds connections on ``host:port``, reading and discarding what is sent."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host, self.port = host, port
        self._sel: selectors.DefaultSelector | None = None
        self._lsock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> Blackhole:
        if self._thread:
            return self
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind((self.host, self.port))
        lsock.listen(128)
        lsock.setblocking(False)
        self.port = lsock.getsockname()[1]
        self._lsock, self._sel = lsock, selectors.DefaultSelector()
        self._sel.register(lsock, selectors.EVENT_READ)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="twin-dead-bmc", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        assert self._sel and self._lsock
        while not self._stop.is_set():
            for key, _ in self._sel.select(timeout=0.2):
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                if sock is self._lsock:
                    with contextlib.suppress(BlockingIOError):
                        conn, _addr = sock.accept()
                        conn.setblocking(False)
                        self._sel.register(conn, selectors.EVENT_READ)
                    continue
                try:
                    data = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:  # the client gave up: let go of its socket
                    self._sel.unregister(sock)
                    sock.close()
        for key in list(self._sel.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self._sel.close()

    def stop(self) -> None:
        if self._thread:
            self._stop.set()
            self._thread.join(timeout=5)
            self._thread = None
