"""The twin's shared machinery: faults are reproducible, the server behaves on the wire."""

from __future__ import annotations

import http.client
import json
import socket
import ssl

import pytest

from lifecycle.lab.base import EmulatorServer, HttpError, LatencyProfile, Router, make_ca
from lifecycle.lab.base.faults import FaultSpecError, parse_faults
from lifecycle.lab.world import build_world, miswire
from lifecycle.model import load_site


def router() -> Router:
    r = Router()

    @r.route("GET", r"/things/(?P<name>[a-z]+)")
    def get_thing(req):
        if req.params["name"] == "missing":
            raise HttpError(404, {"message": "no such thing"})
        return {"name": req.params["name"]}

    @r.route("POST", r"/echo")
    def echo(req):
        return 201, {"got": req.json()}

    return r


def test_fault_spec_parsing_and_reproducibility():
    spec = "oneview.http5xx=0.3,eos.reset=0.1,bmc.dead=c02-s03+c02-s04,ztp.fail=c02-leaf2"
    a, b = parse_faults(spec, seed=42), parse_faults(spec, seed=42)
    rolls_a = [a.roll("oneview", "http5xx") for _ in range(200)]
    assert rolls_a == [b.roll("oneview", "http5xx") for _ in range(200)]
    assert 30 < sum(rolls_a) < 90  # about 30% of 200
    assert a.targets("bmc", "dead") == ["c02-s03", "c02-s04"]
    assert a.has("ztp", "fail", "c02-leaf2") and not a.has("ztp", "fail", "c02-leaf1")
    assert not a.roll("vsd", "http5xx")
    assert parse_faults(a.as_spec(), 42).rates == a.rates
    held = parse_faults("oneview.http5xx=1", seed=1)
    held.hold()  # while the lab seeds its estate
    assert not held.roll("oneview", "http5xx") and held.targets("bmc", "dead") == []
    held.arm()
    assert held.roll("oneview", "http5xx")
    for bad in ("oneview", "oneview.http5xx=2", "oneview.bogus=1", "x.http5xx=abc"):
        with pytest.raises(FaultSpecError):
            parse_faults(bad)


def test_https_with_keepalive_body_read_and_errors(tmp_path):
    tls = make_ca(tmp_path)
    assert oct(tls.key.stat().st_mode & 0o777) == "0o600"
    with EmulatorServer("t", router(), tls=tls) as srv:
        ctx = ssl.create_default_context(cafile=str(tls.ca))  # verification on, against the twin CA
        conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=ctx)
        # bambou sends a body on GET; the next request on the same connection must still work.
        conn.request("GET", "/things/abc", body=b"null", headers={"Content-Length": "4"})
        resp = conn.getresponse()
        assert (resp.status, json.loads(resp.read())) == (200, {"name": "abc"})
        conn.request("POST", "/echo", body=json.dumps({"a": 1}))
        resp = conn.getresponse()
        assert (resp.status, json.loads(resp.read())) == (201, {"got": {"a": 1}})
        conn.request("GET", "/things/missing")
        resp = conn.getresponse()
        assert resp.status == 404 and json.loads(resp.read())["message"] == "no such thing"
        conn.request("DELETE", "/echo")
        assert conn.getresponse().status == 405
        with pytest.raises(ssl.SSLCertVerificationError):
            http.client.HTTPSConnection("127.0.0.1", srv.port,
                                        context=ssl.create_default_context()).request("GET", "/")


def test_injected_5xx_reset_and_timeout():
    with EmulatorServer("t", router(), faults=parse_faults("t.http5xx=1")) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port)
        conn.request("GET", "/things/abc")
        assert conn.getresponse().status == 503
    with EmulatorServer("t", router(), faults=parse_faults("t.reset=1")) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port)
        conn.request("GET", "/things/abc")
        with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
            conn.getresponse()
    with EmulatorServer("t", router(), faults=parse_faults("t.timeout=1"),
                        timeout_seconds=1.0) as srv:
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=0.3)
        conn.request("GET", "/things/abc")
        with pytest.raises(socket.timeout):
            conn.getresponse()
        assert srv.faults.injected[("t", "timeout")] == 1


def test_unix_socket(tmp_path):
    path = str(tmp_path / "api.sock")
    with EmulatorServer("t", router(), port=None, unix_path=path):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        sock.sendall(b"GET /things/xyz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
        data = b""
        while b'{"name": "xyz"}' not in data:  # headers and body may come in separate reads
            chunk = sock.recv(4096)
            assert chunk, f"connection closed early: {data!r}"
            data += chunk
        assert data.startswith(b"HTTP/1.1 200")


def test_latency_profiles():
    assert LatencyProfile("none").request_delay("oneview") == 0.0
    real = LatencyProfile("realistic", seed=1)
    delays = [real.request_delay("oneview") for _ in range(50)]
    assert all(0.02 < d < 0.1 for d in delays)
    assert real.task_duration("oneview.profile_apply") > real.task_duration("oneview.power")
    with pytest.raises(ValueError, match="unknown latency profile"):
        LatencyProfile("slow")


def test_world_from_example_site_and_miswire():
    site = load_site("examples/ie1")
    world = build_world(site)
    assert {s.name for s in world.servers if not s.racked} == {f"c02-s{i:02d}" for i in range(1, 9)}
    assert {s.name for s in world.switches if s.ztp} == {"c02-leaf1", "c02-leaf2"}
    assert world.server("c02-s01").uuid == build_world(site).server("c02-s01").uuid  # stable ids
    swapped = build_world(site, parse_faults("cable.miswire=c02-s04:nic1~c02-s05:nic1"))
    far = {(link.a_dev, link.a_port): (link.b_dev, link.b_port) for link in swapped.links}
    assert far[("c02-s04", "nic1")] == ("c02-leaf1", "Ethernet5")
    assert far[("c02-s05", "nic1")] == ("c02-leaf1", "Ethernet4")
    assert swapped.planned_links == world.links
    with pytest.raises(ValueError, match="both ends"):
        miswire(world.links, "nope:x~c02-s05:nic1")
    world.rack("c02")
    assert all(s.racked for s in world.servers)
