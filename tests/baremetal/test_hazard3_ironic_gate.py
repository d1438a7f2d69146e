"""Issue 12, hazard 3: the requests i2 keeps in flight to an Ironic are bounded per endpoint, as
the endpoints file says (``requests_at_once``), not by one value tuned to the twin.

A real Ironic (the twin's) behind two small recording proxies, one per undercloud entry of the
endpoints file: each proxy holds every request a moment and records how many were in flight at
once, so the bound is read at the wire, where the undercloud would feel it.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from lifecycle.baremetal import Baremetal
from lifecycle.lab.ironic import IronicService, RedfishTiming
from lifecycle.model.endpoints import load_endpoints
from tests.lab.ironic.conftest import require_venv

HOLD = 0.15  # seconds each proxied request is held: long enough for requests to pile up


class Recorder(ThreadingHTTPServer):
    """Forwards to Ironic; ``peak`` is the most requests it ever had in flight at once."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = urlsplit(upstream)
        self.lock = threading.Lock()
        self.now = self.peak = self.total = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(BaseHTTPRequestHandler):
    server: Recorder
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        rec = self.server
        with rec.lock:
            rec.now += 1
            rec.total += 1
            rec.peak = max(rec.peak, rec.now)
        try:
            time.sleep(HOLD)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            up = http.client.HTTPConnection(rec.upstream.hostname, rec.upstream.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            up.request(self.command, self.path, body or None, headers)
            resp = up.getresponse()
            data = resp.read()
            up.close()
        finally:
            with rec.lock:
                rec.now -= 1
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def ironic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IronicService]:
    require_venv()
    service = IronicService(tmp_path_factory.mktemp("hazard3") / "ironic",
                            redfish=RedfishTiming(connection_attempts=1))
    try:
        service.start()
        yield service
    finally:
        service.stop()


def hammer(bm: Baremetal, n: int) -> None:
    """``n`` steps asking this Ironic for a node at the same time."""
    with ThreadPoolExecutor(max_workers=n) as pool:
        assert list(pool.map(lambda i: bm.node(f"absent-{i}"), range(n))) == [None] * n


def test_hazard3_ironic_requests_in_flight_bounded_per_endpoint(ironic: IronicService,
                                                                tmp_path: Path) -> None:
    proxies = {uc: Recorder(ironic.url) for uc in ("uc-new", "uc-old", "uc-dflt")}
    for p in proxies.values():
        threading.Thread(target=p.serve_forever, daemon=True).start()
    try:
        path = tmp_path / "endpoints.yaml"
        path.write_text(yaml.safe_dump({"ironic": {
            "uc-new": {"url": proxies["uc-new"].url, "api_version": "1.115", "requests_at_once": 3},
            "uc-old": {"url": proxies["uc-old"].url, "api_version": "1.115", "requests_at_once": 1},
            "uc-dflt": {"url": proxies["uc-dflt"].url, "api_version": "1.115"}}}))
        endpoints = load_endpoints(path)
        clients = {uc: Baremetal.connect(endpoints, uc) for uc in proxies}
        # both undercloud's Ironics at once: each is bounded by its own setting, not a shared one
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(lambda uc: hammer(clients[uc], 12), proxies))
    finally:
        for p in proxies.values():
            p.shutdown()
            p.server_close()
    peaks = {uc: p.peak for uc, p in proxies.items()}
    assert all(p.total >= 12 for p in proxies.values()), {uc: p.total for uc, p in proxies.items()}
    # reached, never exceeded: 3 and 1 as configured, 8 (production default) when unset
    assert peaks == {"uc-new": 3, "uc-old": 1, "uc-dflt": 8}, peaks
