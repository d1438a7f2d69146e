"""A small threaded HTTP/1.1 server that every emulator of the twin is built on.

It gives each emulator the wire behaviour that real clients depend on and that is easy to get
wrong: keep-alive with the request body always read (bambou sends ``null`` on GET), TLS from the
twin's CA, an optional unix socket (EOS's ``/var/run/command-api.sock``), per-request latency
and injected faults (5xx, connection resets, timeouts).

>>> router = Router()
>>> @router.route("GET", r"/rest/server-hardware/(?P<id>[^/]+)")
... def hardware(req):
...     return {"uri": f"/rest/server-hardware/{req.params['id']}"}
>>> resp = router.dispatch(Request("GET", "/rest/server-hardware/31", {}, {}, b""))
>>> resp.status, resp.body
(200, b'{"uri": "/rest/server-hardware/31"}')

Served on a loopback port::

    srv = EmulatorServer("demo", router).start()
    srv.url      # 'http://127.0.0.1:40123'
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import socketserver
import ssl
import struct
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lifecycle.lab.base.faults import FaultPlan
from lifecycle.lab.base.latency import LatencyProfile
from lifecycle.lab.base.tls import TlsFiles

log = logging.getLogger("i2.lab")
_RUNNING: weakref.WeakSet[EmulatorServer] = weakref.WeakSet()


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # named groups of the route
    server: EmulatorServer | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise HttpError(400, {"message": f"malformed JSON body: {exc}"}) from None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    """Raise from a handler to answer with ``status`` and a JSON (or bytes) body."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = b"" if data is None else json.dumps(data).encode()
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    return Response(status, body, hdrs)


Handler = Callable[[Request], Any]


class Router:
    """Regex routes: ``(?P<name>...)`` groups land in ``req.params``."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.add(method, pattern, fn)
            return fn

        return deco

    def add(self, method: str, pattern: str, fn: Handler) -> None:
        self.routes.append((method.upper(), re.compile(pattern + r"/?$"), fn))

    def dispatch(self, req: Request) -> Response:
        allowed = False
        for method, rx, fn in self.routes:
            m = rx.match(req.path)
            if not m:
                continue
            if method != req.method and not (method == "GET" and req.method == "HEAD"):
                allowed = True
                continue
            req.params = {k: v for k, v in m.groupdict().items() if v is not None}
            return _to_response(fn(req))
        if allowed:
            raise HttpError(405, {"message": f"method {req.method} not allowed on {req.path}"})
        raise HttpError(404, {"message": f"no resource at {req.path}"})


def _to_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, tuple):
        status, data = result[0], result[1]
        headers = result[2] if len(result) > 2 else None
        return json_response(data, status, headers)
    return json_response(result)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "i2-twin"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: with Nagle on, the body waits for the client's
        # delayed ACK (~40 ms per keep-alive request). Unix sockets have no such option.
        if self.connection.family in (socket.AF_INET, socket.AF_INET6):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.server.emulator.name, format % args)  # type: ignore[attr-defined]

    def address_string(self) -> str:  # unix sockets have no peer address
        return self.client_address[0] if isinstance(self.client_address, tuple) else "unix"

    def _handle(self) -> None:
        emu: EmulatorServer = self.server.emulator  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        req = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                      {k.lower(): v for k, v in self.headers.items()}, body, server=emu)
        emu.requests += 1
        delay = emu.latency.request_delay(emu.component)
        if delay:
            time.sleep(delay)
        fault = emu.pick_fault(req)
        if fault == "reset":
            # RST instead of FIN: what a client sees when a load balancer drops it.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        if fault == "timeout":
            time.sleep(emu.timeout_seconds)
            self.close_connection = True
            return
        try:
            if fault == "http5xx":
                raise HttpError(503, {"message": "injected fault: service unavailable"})
            resp = emu.handle(req)
        except HttpError as err:
            if isinstance(err.body, bytes):
                resp = Response(err.status, err.body, err.headers)
            else:
                resp = json_response(err.body, err.status, err.headers)
        except Exception as exc:  # an emulator bug must answer 500, not hang the client
            log.exception("%s: %s %s failed", emu.name, req.method, req.path)
            resp = json_response({"message": f"twin internal error: {exc}"}, 500)
        self.send_response(resp.status)
        headers = dict(resp.headers)
        headers.setdefault("Content-Length", str(len(resp.body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and resp.body:
            self.wfile.write(resp.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle


class _TcpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def request_counts() -> dict[str, int]:
    """Requests served so far by every emulator server started in this process, by name (the
    twin's control API serves it, for benchmarks counting API calls)."""
    out: dict[str, int] = {}
    for srv in list(_RUNNING):
        out[srv.name] = out.get(srv.name, 0) + srv.requests
    return out


class EmulatorServer:
    """One listening endpoint of an emulator (HTTP or HTTPS, and/or a unix socket).

    Subclass and override :meth:`handle`, or pass a :class:`Router`.
    """

    def __init__(self, name: str, router: Router | None = None, *, component: str | None = None,
                 host: str = "127.0.0.1", port: int = 0, tls: TlsFiles | None = None,
                 unix_path: str | None = None, latency: LatencyProfile | None = None,
                 faults: FaultPlan | None = None, timeout_seconds: float = 15.0):
        self.name = name
        self.component = component or name
        self.router = router or Router()
        self.host, self.port, self.tls, self.unix_path = host, port, tls, unix_path
        self.latency = latency or LatencyProfile("none")
        self.faults = faults or FaultPlan()
        self.timeout_seconds = timeout_seconds
        self.requests = 0
        self._servers: list[socketserver.BaseServer] = []
        self._threads: list[threading.Thread] = []
        # Fault scoping: an emulator may exempt paths (e.g. login) or narrow faults by request.
        self.fault_filter: Callable[[Request], bool] = lambda req: True

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def handle(self, req: Request) -> Response:
        return self.router.dispatch(req)

    def pick_fault(self, req: Request) -> str | None:
        if not self.fault_filter(req):
            return None
        for kind in ("reset", "timeout", "http5xx"):
            if self.faults.roll(self.component, kind):
                return kind
        return None

    def start(self) -> EmulatorServer:
        _RUNNING.add(self)
        if self.port is not None and self.host:
            srv = _TcpServer((self.host, self.port), _Handler)
            if self.tls:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(self.tls.cert, self.tls.key)
                srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
            srv.emulator = self  # type: ignore[attr-defined]
            self.port = srv.server_address[1]
            self._serve(srv)
        if self.unix_path:
            if os.path.exists(self.unix_path):
                os.unlink(self.unix_path)
            usrv = _UnixServer(self.unix_path, _Handler)
            usrv.emulator = self  # type: ignore[attr-defined]
            self._serve(usrv)
        return self

    def _serve(self, srv: socketserver.BaseServer) -> None:
        # A short poll interval: stopping a lab stops dozens of listeners one after another.
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                             name=f"twin-{self.name}", daemon=True)
        t.start()
        self._servers.append(srv)
        self._threads.append(t)

    def stop(self) -> None:
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._servers.clear()
        if self.unix_path and os.path.exists(self.unix_path):
            os.unlink(self.unix_path)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
