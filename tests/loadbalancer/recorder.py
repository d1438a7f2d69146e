"""An HTTPS server that records each request as sent and answers with a canned status and body.

It knows nothing of NITRO: tests set the answer (a verbatim NITRO envelope) and read back the
exact request line, headers and body the adapter put on the wire.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lifecycle.lab.base import TlsFiles

DONE = {"errorcode": 0, "message": "Done", "severity": "NONE"}


@dataclass
class Seen:
    method: str
    path: str  # with the query, as sent
    headers: dict[str, str]
    body: Any


@dataclass
class Recorder:
    tls: TlsFiles
    port: int = 0
    seen: list[Seen] = field(default_factory=list)
    status: int = 200
    answer: Any = field(default_factory=lambda: dict(DONE))
    refused: int = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def reply(self, status: int, answer: Any) -> None:
        self.status, self.answer = status, answer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        rec = self.server.rec
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        rec.seen.append(Seen(self.command, self.path, dict(self.headers.items()),
                             json.loads(raw) if raw else None))
        body = rec.answer if isinstance(rec.answer, bytes) else json.dumps(rec.answer).encode()
        self.send_response(rec.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, rec: Recorder) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.rec = rec
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(rec.tls.cert, rec.tls.key)

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        sock.settimeout(10)
        try:
            return self.ctx.wrap_socket(sock, server_side=True), addr
        except (ssl.SSLError, OSError):
            self.rec.refused += 1
            sock.close()
            raise


def serve(tls: TlsFiles) -> Iterator[Recorder]:
    rec = Recorder(tls)
    srv = _Server(rec)
    rec.port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield rec
    srv.shutdown()
    srv.server_close()
