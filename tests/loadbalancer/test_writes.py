"""The write coalescer against the twin's NITRO emulator: the moves of a wave that bind, drain or
unbind at once share one bulk request per kind, each move gets its own objects' answers (a
failure of one move's object fails that move alone), and a request that fails as a whole fails
every move in it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.netscaler import NetScalerEmulator
from lifecycle.loadbalancer import Nitro, NitroError
from lifecycle.loadbalancer.members import MEMBER_BINDING
from lifecycle.loadbalancer.writes import WriteCoalescer
from tests.loadbalancer.conftest import PASSWORD, connect

SLOW = 0.5  # s a request waits for others to join (GATHER is 0.05: threads may start later here)


def at_once(calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run each call in its own thread, started together; each one's result or exception."""
    out: dict[str, Any] = {}
    go = threading.Barrier(len(calls))

    def run(name: str, call: Callable[[], Any]) -> None:
        go.wait()
        try:
            out[name] = call()
        except Exception as exc:
            out[name] = exc

    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def groups(n: Nitro, *names: str) -> None:
    for sg in names:
        n.add("servicegroup", {"servicegroupname": sg, "servicetype": "HTTP"})


def rows(n: Nitro, sg: str) -> dict[str, str]:
    return {str(r["ip"]): str(r["state"]) for r in n.get(MEMBER_BINDING, sg)}


def test_moves_share_one_request_per_kind_and_keep_their_own_answers(emu: NetScalerEmulator,
                                                                      tls: TlsFiles) -> None:
    lb = connect(emu, tls)
    lb.writes.gather = SLOW  # the threads of a busy test host all join
    groups(lb.nitro, "sg-w1", "sg-w2", "sg-w3")
    sent = lb.nitro.calls
    bound = at_once({
        "w1": lambda: lb.bind_members("sg-w1", ["10.31.0.1", "10.31.0.2"], 80, current=[]),
        "w2": lambda: lb.bind_members("sg-w2", ["10.31.0.3"], 80, current=[]),
        # a group the appliance lacks: 258 for this move's object alone
        "gone": lambda: lb.bind_members("sg-none", ["10.31.0.9"], 80, current=[]),
        "w3": lambda: lb.bind_members("sg-w3", ["10.31.0.4"], 80, current=[])})
    assert (lb.writes.requests, lb.writes.objects, lb.nitro.calls - sent) == (1, 5, 1)
    assert (bound["w1"], bound["w2"], bound["w3"]) == (["10.31.0.1", "10.31.0.2"], ["10.31.0.3"],
                                                       ["10.31.0.4"])
    err = bound["gone"]
    assert isinstance(err, NitroError) and err.errorcode == 258 and "1 of 1 failed" in str(err)
    assert "10.31.0.9" in str(err) and "10.31.0.1" not in str(err)
    assert rows(lb.nitro, "sg-w1") == {"10.31.0.1": "ENABLED", "10.31.0.2": "ENABLED"}

    # bound again (a retried step): 273 is "bound already", as wanted
    again = at_once({"w1": lambda: lb.writes.bind_many(MEMBER_BINDING, [
        {"servicegroupname": "sg-w1", "ip": "10.31.0.1", "port": 80}])})
    assert again["w1"] == [False]

    # drains of several moves: one graceful disable; the guard is each move's (forced here:
    # no member is UP in this world)
    current = {sg: lb.members(sg) for sg in ("sg-w1", "sg-w2")}
    drained = at_once({sg: (lambda sg=sg: lb.drain(sg, [m.ip for m in current[sg]], 5, current=current[sg],
                                                    force=True)) for sg in current})
    assert {sg: [m.ip for m in ms] for sg, ms in drained.items()} == {
        "sg-w1": ["10.31.0.1", "10.31.0.2"], "sg-w2": ["10.31.0.3"]}
    assert rows(lb.nitro, "sg-w1") == {"10.31.0.1": "DISABLED", "10.31.0.2": "DISABLED"}
    assert lb.writes.requests == 3  # bind, bind again, disable

    # unbinds of several moves: one POST ...?action=unbind; one unbound before (258) is unbound
    lb.writes.unbind_many(MEMBER_BINDING, [{"servicegroupname": "sg-w3", "ip": "10.31.0.4", "port": 80}])
    unbound = at_once({
        "w1": lambda: lb.unbind("sg-w1", ["10.31.0.1", "10.31.0.2"], current=current["sg-w1"], force=True),
        "w3": lambda: lb.writes.unbind_many(MEMBER_BINDING, [
            {"servicegroupname": "sg-w3", "ip": "10.31.0.4", "port": 80}])})
    assert [m.ip for m in unbound["w1"]] == ["10.31.0.1", "10.31.0.2"] and unbound["w3"] == [False]
    assert rows(lb.nitro, "sg-w1") == {} and lb.writes.requests == 5
    lb.close()


def test_a_request_failing_as_a_whole_fails_every_move_in_it(emu: NetScalerEmulator, tls: TlsFiles) -> None:
    n = Nitro(emu.url, "nsroot", PASSWORD, verify=str(tls.ca), auth="headers", timeout=10)
    groups(n, "sg-w4")
    bad = Nitro(emu.url, "nsroot", "not-" + PASSWORD, verify=str(tls.ca), auth="headers", timeout=10)
    writes = WriteCoalescer(bad, gather=SLOW)
    out = at_once({ip: (lambda ip=ip: writes.bind_many(MEMBER_BINDING, [
        {"servicegroupname": "sg-w4", "ip": ip, "port": 80}])) for ip in ("10.31.1.1", "10.31.1.2")})
    assert writes.requests == 1 and bad.calls == 1
    for err in out.values():
        assert isinstance(err, NitroError) and err.errorcode == 354 and not err.transient
    assert out["10.31.1.1"] is not out["10.31.1.2"]  # each thread raises its own copy
    assert rows(n, "sg-w4") == {}


def test_requests_of_a_kind_go_one_at_a_time(emu: NetScalerEmulator, tls: TlsFiles) -> None:
    """A request waits for the previous one of its kind; those asking meanwhile join it, and a
    request carries ``most`` objects at most."""
    n = Nitro(emu.url, "nsroot", PASSWORD, verify=str(tls.ca), auth="headers", timeout=10)
    groups(n, "sg-w5")
    writes = WriteCoalescer(n, most=3, gather=SLOW)
    out = at_once({f"10.31.2.{i}": (lambda i=i: writes.bind_many(MEMBER_BINDING, [
        {"servicegroupname": "sg-w5", "ip": f"10.31.2.{i}", "port": 80}])) for i in range(1, 8)})
    assert all(v == [True] for v in out.values()), out
    assert writes.objects == 7 and writes.requests == 3  # 3 + 3 + 1
    assert len(rows(n, "sg-w5")) == 7
    assert writes.bind_many(MEMBER_BINDING, []) == [] and writes.requests == 3  # nothing: no request


@pytest.mark.parametrize("kind", ["bind", "unbind"])
def test_a_step_alone_is_one_request(emu: NetScalerEmulator, tls: TlsFiles, kind: str) -> None:
    lb = connect(emu, tls, auth="headers")
    groups(lb.nitro, f"sg-w6-{kind}")
    lb.bind_members(f"sg-w6-{kind}", ["10.31.3.1", "10.31.3.2"], 80, current=[])
    if kind == "unbind":
        lb.unbind(f"sg-w6-{kind}", ["10.31.3.1", "10.31.3.2"], force=True)
    assert lb.writes.requests == (1 if kind == "bind" else 2)
    assert len(rows(lb.nitro, f"sg-w6-{kind}")) == (2 if kind == "bind" else 0)
