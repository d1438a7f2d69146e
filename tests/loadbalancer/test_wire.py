"""What the adapter puts on the wire (request lines, headers, bodies as the NITRO reference and
the NetScaler Ansible collection shape them), how it reads NITRO's error envelopes (taken from
the NITRO reference's examples), and TLS: a wrong hostname is refused before anything is sent.

The server is a recorder (tests/loadbalancer/recorder.py) that knows nothing of NITRO."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from lifecycle.lab.base import make_ca
from lifecycle.loadbalancer import LoadBalancer, Nitro, NitroError, WouldStopServing
from lifecycle.model.endpoints import parse_endpoints
from lifecycle.model.endpoints_lb import NetScaler
from tests.loadbalancer.recorder import DONE, Recorder, serve

PASSWORD = "nitro-wire-s3cret"


@pytest.fixture(scope="module")
def rec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    yield from serve(make_ca(tmp_path_factory.mktemp("ca"), hosts=("127.0.0.1",)))


@pytest.fixture(scope="module")
def wrong(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    yield from serve(make_ca(tmp_path_factory.mktemp("wrong"), hosts=("wrong.example",)))


@pytest.fixture(autouse=True)
def fresh(rec: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    rec.seen.clear()
    rec.reply(200, dict(DONE))
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(var, raising=False)


def nitro(rec: Recorder, auth: str = "headers") -> Nitro:
    return Nitro(rec.url, "i2", PASSWORD, verify=str(rec.tls.ca), auth=auth, timeout=5)


def test_reads_carry_filter_attrs_count_and_header_credentials(rec: Recorder) -> None:
    n = nitro(rec)
    n.get("lbvserver", filter={"ipv46": "10.50.1.10"}, attrs=["name", "curstate"])
    rec.reply(200, {**DONE, "lbvserver": [{"__count": 3}]})
    assert n.count("lbvserver") == 3
    rec.reply(200, {**DONE, "lbvserver": [{"name": "vs web/1", "curstate": "UP"}]})
    assert n.get_one("lbvserver", "vs web/1") == {"name": "vs web/1", "curstate": "UP"}
    assert [s.path for s in rec.seen] == [
        "/nitro/v1/config/lbvserver?filter=ipv46:10.50.1.10&attrs=name,curstate",
        "/nitro/v1/config/lbvserver?count=yes",
        "/nitro/v1/config/lbvserver/vs%20web%2F1"]
    assert all(s.headers["X-NITRO-USER"] == "i2" and s.headers["X-NITRO-PASS"] == PASSWORD
               and "Cookie" not in s.headers for s in rec.seen)


def test_member_moves_as_nitro_shapes_them(rec: Recorder) -> None:
    """A side's binds, its drain and its unbinds are one request each (an array body,
    ``X-NITRO-ONERROR: continue``; the unbind as the NITRO SDK's bulk delete of a binding:
    ``POST <binding>?action=unbind``)."""
    lb = LoadBalancer(nitro(rec))
    members = {**DONE, "servicegroup_servicegroupmember_binding": [
        {"servicegroupname": "sg_web", "ip": ip, "port": 8080, "state": "ENABLED", "svrstate": "UP",
         "servername": ip} for ip in ("10.20.1.5", "10.20.1.6", "10.20.1.70")]}
    rec.reply(200, members)
    assert lb.bind_members("sg_web", ["10.20.1.72", "10.20.1.71", "10.20.1.70"], 8080) == [
        "10.20.1.71", "10.20.1.72"]
    assert [m.ip for m in lb.drain("sg_web", ["10.20.1.5", "10.20.1.6"], 30)] == ["10.20.1.5", "10.20.1.6"]
    assert [m.ip for m in lb.unbind("sg_web", ["10.20.1.5", "10.20.1.6"], force=True)] == [
        "10.20.1.5", "10.20.1.6"]
    writes = [s for s in rec.seen if s.method != "GET"]
    assert [(s.method, s.path, s.body) for s in writes] == [
        ("PUT", "/nitro/v1/config/servicegroup_servicegroupmember_binding",
         {"servicegroup_servicegroupmember_binding": [
             {"servicegroupname": "sg_web", "ip": "10.20.1.71", "port": 8080},
             {"servicegroupname": "sg_web", "ip": "10.20.1.72", "port": 8080}]}),
        ("POST", "/nitro/v1/config/servicegroup?action=disable",
         {"servicegroup": [{"servicegroupname": "sg_web", "servername": ip, "port": 8080, "graceful": "YES",
                            "delay": 30} for ip in ("10.20.1.5", "10.20.1.6")]}),
        ("POST", "/nitro/v1/config/servicegroup_servicegroupmember_binding?action=unbind",
         {"servicegroup_servicegroupmember_binding": [
             {"servicegroupname": "sg_web", "ip": ip, "port": 8080} for ip in ("10.20.1.5", "10.20.1.6")]})]
    assert [s.headers.get("X-NITRO-ONERROR") for s in writes] == ["continue"] * 3


def test_a_bulk_answer_is_read_per_object(rec: Recorder) -> None:
    """207 / 1243: one envelope per object in the order sent; 273 on a bind is "bound already"
    (idempotent), any other failure names its object (the others were done: ``continue``)."""
    n = nitro(rec)
    binding = "servicegroup_servicegroupmember_binding"
    objs = [{"servicegroupname": "sg_web", "ip": ip, "port": 8080} for ip in ("10.20.1.70", "10.20.1.71")]
    rec.reply(207, {"errorcode": 1243, "message": "Bulk operation failed", "severity": "ERROR", "response": [
        {"errorcode": 273, "message": "Resource already exists", "severity": "ERROR"}, dict(DONE)]})
    assert n.bind_many(binding, objs) == [False, True]
    rec.reply(207, {"errorcode": 1243, "message": "Bulk operation failed", "severity": "ERROR", "response": [
        dict(DONE), {"errorcode": 258, "message": "No such resource [serviceGroupName, sg_web]",
                     "severity": "ERROR"}]})
    with pytest.raises(NitroError) as caught:
        n.action_many("servicegroup", "disable", [{"servicegroupname": "sg_web", "servername": o["ip"],
                                                   "port": 8080} for o in objs])
    err = caught.value
    assert "1 of 2 failed" in str(err) and "servername:10.20.1.71,port:8080: NITRO 258" in str(err)
    assert "10.20.1.70" not in str(err) and err.transient is False
    assert [r.ok for r in err.items] == [True, False]
    # an answer that is not per object (exit: only the failure) fails the request as a whole
    rec.reply(207, {"errorcode": 1243, "message": "Bulk operation failed", "severity": "ERROR", "response": [
        {"errorcode": 278, "message": "Invalid argument [port, 0]", "severity": "ERROR"}]})
    with pytest.raises(NitroError, match="2 objects"):
        n.bind_many(binding, objs)
    sent = len(rec.seen)
    assert n.bind_many(binding, []) == [] and len(rec.seen) == sent  # nothing to send: no request


def test_the_guard_refuses_before_any_change(rec: Recorder) -> None:
    lb = LoadBalancer(nitro(rec))
    rec.reply(200, {**DONE, "servicegroup_servicegroupmember_binding": [
        {"ip": "10.20.1.5", "port": 8080, "state": "ENABLED", "svrstate": "UP"},
        {"ip": "10.20.1.70", "port": 8080, "state": "ENABLED", "svrstate": "DOWN"}]})
    with pytest.raises(WouldStopServing, match=r"no enabled, UP member \(serving now: 10.20.1.5:8080\)"):
        lb.drain("sg_web", ["10.20.1.5"], 30)
    with pytest.raises(WouldStopServing):
        lb.unbind("sg_web", ["10.20.1.5"])
    assert {s.method for s in rec.seen} == {"GET"}
    lb.drain("sg_web", ["10.20.1.5"], 30, force=True)
    assert rec.seen[-1].method == "POST"


@pytest.mark.parametrize(("status", "envelope", "code", "transient", "absent"), [
    (404, {"errorcode": 258, "message": "No such resource [name, lb_x]", "severity": "ERROR"}, 258, False,
     True),
    (409, {"errorcode": 273, "message": "Resource already exists", "severity": "ERROR"}, 273, False, False),
    (599, {"errorcode": 1097, "message": "Invalid argument value [lbmethod]", "severity": "ERROR"}, 1097,
     False, False),
    (503, {"errorcode": 1, "message": "Service Unavailable", "severity": "ERROR"}, 1, True, False),
    (502, b"<html>Bad Gateway</html>", None, True, False),
])
def test_error_envelopes(rec: Recorder, status: int, envelope: object, code: int | None, transient: bool,
                         absent: bool) -> None:
    rec.reply(status, envelope)
    with pytest.raises(NitroError) as caught:
        nitro(rec).get("lbvserver", "lb_x")
    e = caught.value
    assert (e.errorcode, e.http_status, e.transient, e.absent) == (code, status, transient, absent)
    assert str(e).startswith("GET lbvserver/lb_x: ")


def test_reads_of_absent_objects_and_adds_of_existing_ones(rec: Recorder) -> None:
    n = nitro(rec)
    rec.reply(404, {"errorcode": 258, "message": "No such resource [name, lb_x]", "severity": "ERROR"})
    assert n.get_one("lbvserver", "lb_x") is None
    rec.reply(409, {"errorcode": 273, "message": "Resource already exists", "severity": "ERROR"})
    assert n.add("lbvserver", {"name": "lb_x"}) is False
    binding = {"name": "lb_x", "servicegroupname": "sg"}
    assert n.bind("lbvserver_servicegroup_binding", binding, method="POST") is False
    assert [s.method for s in rec.seen[-2:]] == ["POST", "POST"]


def test_bulk_answer_is_read_per_object(rec: Recorder) -> None:
    rec.reply(207, {"errorcode": 1067, "message": "...", "severity": "ERROR", "response": [
        {"errorcode": 0, "message": "Done", "severity": "NONE"},
        {"errorcode": 273, "message": "Resource already exists", "severity": "ERROR"}]})
    with pytest.raises(NitroError) as caught:
        nitro(rec).request("POST", "/nitro/v1/config/lbvserver",
                           body={"lbvserver": [{"name": "a"}, {"name": "b"}]})
    assert [(i.errorcode, i.ok) for i in caught.value.items] == [(0, True), (273, False)]
    assert "1 of 2 failed: #1 273 Resource already exists" in str(caught.value)


def test_invalid_credentials_are_permanent_and_never_show_the_password(rec: Recorder) -> None:
    rec.reply(401, {"errorcode": 354, "message": "Invalid username or password", "severity": "ERROR"})
    n = nitro(rec, auth="session")
    with pytest.raises(NitroError) as caught:
        n.get("lbvserver")
    e = caught.value
    assert (e.errorcode, e.transient) == (354, False) and "invalid credentials" in str(e)
    assert len(rec.seen) == 1, "a wrong password is not retried"
    assert rec.seen[0].path == "/nitro/v1/config/login"
    assert rec.seen[0].body == {"login": {"username": "i2", "password": PASSWORD}}
    assert PASSWORD not in repr(e.__dict__) + str(e) and e.__cause__ is None


def test_an_unreachable_appliance_is_transient() -> None:
    n = Nitro("https://127.0.0.1:9", "i2", PASSWORD, timeout=2)
    with pytest.raises(NitroError) as caught:
        n.get("lbvserver")
    assert caught.value.transient and PASSWORD not in str(caught.value)


def test_wrong_hostname_is_refused_before_anything_is_sent(wrong: Recorder, rec: Recorder) -> None:
    """Chain good (the CA is given), name wrong: the handshake fails, no credentials leave; the
    same client against the right name gets through (the refusal is the hostname check)."""
    refused = wrong.refused
    for auth in ("session", "headers"):
        with pytest.raises(NitroError, match=r"TLS to .* refused.*(hostname|match)") as caught:
            Nitro(wrong.url, "i2", PASSWORD, verify=str(wrong.tls.ca), auth=auth, timeout=5).get("nsip")
        assert not caught.value.transient
    deadline = time.monotonic() + 5
    while wrong.refused < refused + 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert wrong.seen == [] and wrong.refused >= refused + 2
    nitro(rec).get("nsip")
    assert len(rec.seen) == 1


def test_without_ca_file_the_system_store_is_used(rec: Recorder) -> None:
    """The twin's private CA is not in the system store: refused, nothing sent."""
    ns = NetScaler.model_validate({"url": rec.url, "username": "i2", "password": {"env": "X"}})
    with pytest.raises(NitroError, match="CERTIFICATE_VERIFY_FAILED"):
        Nitro.from_endpoint(ns, PASSWORD).get("nsip")
    assert rec.seen == []


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_verify_off_only_when_acknowledged(rec: Recorder) -> None:
    ns = NetScaler.model_validate({"url": rec.url, "username": "i2", "password": {"env": "X"},
                                   "auth": "headers", "verify": False,
                                   "insecure_acknowledged": "lab appliance, CHG-1"})
    Nitro.from_endpoint(ns, PASSWORD).get("nsip")
    assert len(rec.seen) == 1
    ep = parse_endpoints({"probes": {"url": "https://p", "verify": False,
                                     "insecure_acknowledged": "lab appliance, CHG-1"}}, "e.yaml")
    assert ep.unverified_tls()  # the same Tls convention: every run warns (lifecycle/cli/insecure.py)
