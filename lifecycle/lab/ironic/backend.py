"""A keep-alive connection pool to one backend service of the twin (plain HTTP on loopback).

The release gateway forwards every request through it: a pooled connection saves the TCP setup
per request (the rack bench measures the gateway's overhead in requests per second).
"""

from __future__ import annotations

import http.client
import socket
import threading
from urllib.parse import urlsplit

# Hop-by-hop headers (RFC 9110 7.6.1) and the ones each side sets itself.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
                        "trailer", "upgrade", "content-length", "host", "date", "server"})


class BackendPool:
    """Idle keep-alive connections to ``url``, reused LIFO across the gateway's threads."""

    def __init__(self, url: str, *, timeout: float = 120.0):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError(f"backend URL must be http://HOST:PORT, got {url!r}")
        self.url = url.rstrip("/")
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        conn.connect()
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def request(self, method: str, target: str, body: bytes, headers: dict[str, str]
                ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Send one request; a reused connection the backend closed meanwhile is retried once
        on a fresh one (the request never reached the backend then)."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        reused = conn is not None
        while True:
            if conn is None:
                conn = self._connect()
            try:
                conn.request(method, target, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                if not reused:
                    raise
                reused, conn = False, None
                continue
            except BaseException:
                conn.close()
                raise
            if resp.will_close:
                conn.close()
            else:
                with self._lock:
                    self._idle.append(conn)
            return resp.status, resp.getheaders(), data

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
