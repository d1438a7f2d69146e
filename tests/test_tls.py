"""Issue 12, hazard 4: TLS is verified (certificate *and* hostname) by every adapter.

Each adapter is pointed at a small HTTPS server on 127.0.0.1 whose certificate is issued by the
twin's CA helper (:func:`lifecycle.lab.base.make_ca`) for another name, ``wrong.example``; the
adapter is given that CA, so the chain is good and only the hostname is wrong. It must refuse
during the handshake, before a single request (credentials included) is sent. The same adapter
against a server whose certificate names 127.0.0.1 does get through, so the refusal is the
hostname check and nothing else.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lifecycle.lab.base import TlsFiles, make_ca
from lifecycle.model.endpoints import Endpoints, EndpointsInvalid, SecretStore, parse_endpoints

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # hpOneView's ssl use

PASSWORD = "hazard4-secret"


@dataclass
class Stub:
    """What an HTTPS server saw: requests that got through TLS, handshakes the client refused."""

    tls: TlsFiles
    port: int = 0
    requests: list[str] = field(default_factory=list)
    refused: int = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        self.server.stub.requests.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b"{}"
        self.send_response(503)  # nothing to serve: the adapter only has to have got this far
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stub: Stub) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stub = stub
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(stub.tls.cert, stub.tls.key)

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        sock.settimeout(10)
        try:
            return self.ctx.wrap_socket(sock, server_side=True), addr
        except (ssl.SSLError, OSError):
            self.stub.refused += 1
            sock.close()
            raise


def _serve(tls: TlsFiles) -> Iterator[Stub]:
    stub = Stub(tls)
    srv = _Server(stub)
    stub.port = srv.server_address[1]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield stub
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def wrong(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stub]:
    """A server at 127.0.0.1 presenting a certificate for wrong.example (chain good)."""
    yield from _serve(make_ca(tmp_path_factory.mktemp("wrong-ca"), hosts=("wrong.example",)))


@pytest.fixture(scope="module")
def right(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stub]:
    """The control: a server at 127.0.0.1 presenting a certificate for 127.0.0.1."""
    yield from _serve(make_ca(tmp_path_factory.mktemp("right-ca"), hosts=("127.0.0.1",)))


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H4_PASS", PASSWORD)
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(var, raising=False)  # the system store is the store under test


def refused_but_control_gets_through(wrong: Stub, right: Stub, call: Callable[[Stub], Any]) -> None:
    """``call(stub)`` raises against ``wrong`` with no request sent, and reaches ``right``."""
    before, refused = len(wrong.requests), wrong.refused
    with pytest.raises(Exception) as caught:
        call(wrong)
    assert wrong.requests[before:] == [], f"sent over an unverified hostname: {wrong.requests[before:]}"
    deadline = time.monotonic() + 5  # the server sees the client's alert a moment after the client
    while wrong.refused == refused and time.monotonic() < deadline:
        time.sleep(0.02)
    assert wrong.refused > refused, f"no handshake was refused (error: {caught.value!r})"
    sent = len(right.requests)
    with contextlib.suppress(Exception):  # the stub answers 503: getting through TLS is the point
        call(right)
    assert len(right.requests) > sent, "the control server (right hostname) was not reached"


def endpoints(data: dict[str, Any], base: Path | None = None) -> Endpoints:
    return parse_endpoints(data, "endpoints.yaml", base)


# -- adapters ---------------------------------------------------------------------------------------


def test_hazard4_oneview_refuses_wrong_hostname(wrong: Stub, right: Stub) -> None:
    from lifecycle.oneview import OneViewError, connect

    def call(stub: Stub) -> Any:
        return connect(endpoints({"oneview": {"url": stub.url, "username": "administrator",
                                              "password": {"env": "H4_PASS"}, "ca_file": str(stub.tls.ca)}}))

    refused_but_control_gets_through(wrong, right, call)
    with pytest.raises(OneViewError, match="mismatch"):
        call(wrong)


def test_hazard4_oneview_without_ca_file_uses_the_system_store(right: Stub) -> None:
    """No ca_file: the twin's private CA is not in the system store, so the appliance is refused
    (hpOneView alone trusts every certificate when it is given no CA)."""
    from lifecycle.oneview import OneViewError, connect

    before = len(right.requests)
    with pytest.raises(OneViewError, match="CERTIFICATE_VERIFY_FAILED"):
        connect(endpoints({"oneview": {"url": right.url, "username": "administrator",
                                       "password": {"env": "H4_PASS"}}}))
    assert right.requests[before:] == []


def test_hazard4_fabric_refuses_wrong_hostname(wrong: Stub, right: Stub) -> None:
    from lifecycle.fabric.eapi import connect

    def call(stub: Stub) -> Any:
        ep = endpoints({"fabric": {"devices": {"leaf1": {
            "host": "127.0.0.1", "port": stub.port, "username": "admin",
            "password": {"env": "H4_PASS"}, "ca_file": str(stub.tls.ca)}}}})
        return connect(ep, SecretStore(ep), "leaf1", timeout=5).run_commands(["show version"])

    refused_but_control_gets_through(wrong, right, call)


def test_hazard4_nuage_refuses_wrong_hostname(wrong: Stub, right: Stub) -> None:
    from lifecycle.nuage.client import connect

    def call(stub: Stub) -> Any:
        ep = endpoints({"vsd": {"url": stub.url, "username": "csproot", "password": {"env": "H4_PASS"},
                                "ca_file": str(stub.tls.ca)}})
        return connect(ep, SecretStore(ep))

    refused_but_control_gets_through(wrong, right, call)


def test_hazard4_clouds_refuses_wrong_hostname(wrong: Stub, right: Stub, tmp_path: Path) -> None:
    """The clouds.yaml entry's own ``cacert`` (the usual way a cloud names its CA)."""
    from lifecycle.clouds.client import connect

    def call(stub: Stub) -> Any:
        (tmp_path / "clouds.yaml").write_text(
            f"clouds:\n  admin:\n    auth: {{auth_url: '{stub.url}/v3', username: admin, password: x,\n"
            f"      project_name: admin, user_domain_name: Default, project_domain_name: Default}}\n"
            f"    identity_api_version: 3\n    cacert: {stub.tls.ca}\n")
        ep = endpoints({"clouds": {"ie1": {"cloud": "admin", "clouds_yaml": "clouds.yaml"}}}, tmp_path)
        return connect(ep, "ie1").authorize()

    refused_but_control_gets_through(wrong, right, call)


def test_hazard4_clouds_refuses_an_unacknowledged_insecure_entry(tmp_path: Path) -> None:
    from lifecycle.clouds.client import CloudError, connect

    (tmp_path / "clouds.yaml").write_text(
        "clouds:\n  admin:\n    auth: {auth_url: 'https://127.0.0.1:9/v3', username: a, password: x}\n"
        "    insecure: true\n")
    ep = endpoints({"clouds": {"ie1": {"cloud": "admin", "clouds_yaml": "clouds.yaml"}}}, tmp_path)
    with pytest.raises(CloudError, match="turns TLS verification off"):
        connect(ep, "ie1")
    acknowledged = endpoints({"clouds": {"ie1": {
        "cloud": "admin", "clouds_yaml": "clouds.yaml", "verify": False,
        "insecure_acknowledged": "lab cloud with a self-signed certificate"}}}, tmp_path)
    assert connect(acknowledged, "ie1").session.verify is False


def test_hazard4_baremetal_refuses_wrong_hostname(wrong: Stub, right: Stub) -> None:
    from lifecycle.baremetal.client import connect

    def call(stub: Stub) -> Any:
        ep = endpoints({"ironic": {"uc-new": {"url": stub.url, "ca_file": str(stub.tls.ca)}}})
        return list(connect(ep, "uc-new").baremetal.nodes())

    refused_but_control_gets_through(wrong, right, call)


def test_hazard4_probes_refuses_wrong_hostname(wrong: Stub, right: Stub) -> None:
    from lifecycle.probes import Probes

    def call(stub: Stub) -> Any:
        probes = Probes.connect(endpoints({"probes": {"url": stub.url, "ca_file": str(stub.tls.ca)}}))
        assert probes is not None
        return probes.status()

    refused_but_control_gets_through(wrong, right, call)


# -- turning verification off -----------------------------------------------------------------------


def test_hazard4_verify_false_needs_an_acknowledgement() -> None:
    for section in ({"url": "https://p", "verify": False},
                    {"url": "https://p", "verify": "no"},
                    {"url": "https://p", "verify": False, "insecure_acknowledged": "ok"}):
        with pytest.raises(EndpointsInvalid) as caught:
            endpoints({"probes": section})
        assert "endpoints.probes" in str(caught.value) and "insecure_acknowledged" in str(caught.value)
    with pytest.raises(EndpointsInvalid, match="insecure_acknowledged"):
        endpoints({"probes": {"url": "https://p", "verify": False, "insecure_acknowledged": True}})
    ep = endpoints({"probes": {"url": "https://p", "verify": False,
                               "insecure_acknowledged": "self-signed until CHG-1234"}})
    assert ep.unverified_tls() == {"probes": "self-signed until CHG-1234"}
    assert endpoints({"probes": {"url": "https://p"}}).unverified_tls() == {}


def test_hazard4_oneview_verify_false_acknowledged_connects_unverified(wrong: Stub) -> None:
    """The acknowledged switch really is the only way off: with it the wrong host is reached."""
    from lifecycle.oneview import connect

    before = len(wrong.requests)
    with pytest.raises(Exception):  # noqa: B017 - the stub answers 503: reaching it is the point
        connect(endpoints({"oneview": {"url": wrong.url, "username": "administrator",
                                       "password": {"env": "H4_PASS"}, "verify": False,
                                       "insecure_acknowledged": "appliance cert replaced in CHG-99"}}))
    assert len(wrong.requests) > before


def test_hazard4_every_run_with_verify_false_warns(tmp_path: Path) -> None:
    """``i2 runs resume`` of a run with such an endpoints file: a stderr line at the start and a
    ``tls_unverified`` event in its journal (store and JSONL file), naming section and reason."""
    from lifecycle.cli.insecure import EVENT
    from lifecycle.cli.main import cli
    from lifecycle.engine import Store
    from tests.engine.plans import plan, step

    (tmp_path / "endpoints.yaml").write_text(
        "probes:\n  url: https://probes.example\n  verify: false\n"
        "  insecure_acknowledged: probe service cert expired, CHG-4711\n")
    db = f"sqlite:///{tmp_path}/i2.db"
    with Store.open(db) as store:
        run_id = store.create_run(plan([step("a")], str(tmp_path / "effects.log")))
    events = tmp_path / "events"
    result = CliRunner().invoke(cli, ["--db", db, "--endpoints", str(tmp_path / "endpoints.yaml"),
                                      "runs", "resume", run_id], env={"I2_EVENTS_DIR": str(events)})
    assert "TLS certificate and hostname checks are OFF for: probes (probe service cert expired, " \
           "CHG-4711)" in result.stderr, result.output
    with Store.open(db) as store:
        warned = [e for e in store.get_events(run_id) if e.type == EVENT]
    assert len(warned) == 1 and warned[0].data == {
        "sections": {"probes": "probe service cert expired, CHG-4711"}}
    assert EVENT in (events / f"{run_id}.jsonl").read_text()
