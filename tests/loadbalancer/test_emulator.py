"""The adapter against the twin's NITRO emulator (lifecycle/lab/netscaler, written apart from
the adapter from the NITRO reference): they agree only through the wire.

One emulator for the module; each test uses its own application environment."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from lifecycle.lab.base import TlsFiles, make_ca
from lifecycle.lab.netscaler import NetScalerEmulator
from lifecycle.loadbalancer import LbIntent, Nitro, NitroError, WouldStopServing, intents
from lifecycle.model import load_site
from tests.loadbalancer.conftest import PASSWORD, ROOT, World, connect, wait_for

A = ["10.20.1.5", "10.20.1.6"]
B = ["10.20.1.70", "10.20.1.71"]


@pytest.fixture(scope="module")
def site_intents() -> list[LbIntent]:
    # the vserver and its members; the content switching and GSLB layers: test_layers.py
    return [replace(i, cs=None, gslb=None) for i in intents(load_site(ROOT / "examples/ie1"))]


def test_apply_twice_changes_nothing_the_second_time(emu: NetScalerEmulator, tls: TlsFiles,
                                                     site_intents: list[LbIntent]) -> None:
    lb = connect(emu, tls)
    intent = site_intents[0]
    first = lb.apply(intent)
    assert [(c.op, c.rtype) for c in first] == [
        ("add", "lbmonitor"), ("add", "servicegroup"), ("add", "lbvserver"),
        ("bind", "servicegroup_lbmonitor_binding"), ("bind", "lbvserver_servicegroup_binding")]
    calls = lb.nitro.calls
    assert lb.apply(intent) == []
    assert lb.nitro.calls - calls == 5, "observing is five GETs, and nothing else was sent"
    obs = lb.observe(intent)
    assert obs.vserver is not None and obs.vserver["ipv46"] == "10.50.1.10"
    assert intent.monitorname in obs.monitors and obs.vserver_groups == [intent.sg]
    # a drifted field is put back, alone
    lb.nitro.update("lbvserver", {"name": intent.name, "lbmethod": "ROUNDROBIN"})
    assert [(c.op, c.fields) for c in lb.apply(intent)] == [
        ("update", {"name": intent.name, "lbmethod": "LEASTCONNECTION"})]
    assert lb.diff(intent) == []
    lb.close()


def test_the_upgrade_moves_through_members(emu: NetScalerEmulator, tls: TlsFiles, world: World,
                                           site_intents: list[LbIntent]) -> None:
    intent = replace(site_intents[0], drain_delay=1)
    lb = connect(emu, tls)
    lb.apply(intent)
    world.up |= {(ip, intent.port) for ip in A}
    assert lb.bind_members(intent.sg, A, intent.port) == A
    wait_for(lambda: lb.members_up(intent.sg, A))
    assert lb.bind_members(intent.sg, A + B, intent.port) == B  # idempotent: only B is new
    assert not lb.members_up(intent.sg, B)  # a new member is DOWN until its monitor passes
    with pytest.raises(WouldStopServing):
        lb.drain(intent.sg, A, intent.drain_delay)  # B is not UP: draining A would stop the app
    world.up |= {(ip, intent.port) for ip in B}
    wait_for(lambda: lb.members_up(intent.sg, B))
    assert lb.who_serves(intent)["serving_sides"] == ["a", "b"]
    drained = lb.drain(intent.sg, A, intent.drain_delay)
    assert sorted(m.ip for m in drained) == A
    assert lb.drain(intent.sg, A, intent.drain_delay) == []  # already drained
    state = {m.ip: m for m in lb.members(intent.sg)}
    assert all(state[ip].state == "DISABLED" and not state[ip].serving for ip in A)
    assert lb.who_serves(intent)["serving_sides"] == ["b"]
    assert [m.ip for m in lb.enable(intent.sg, A[:1])] == A[:1]  # a rollback's first step
    wait_for(lambda: lb.members_up(intent.sg, A[:1]))
    lb.drain(intent.sg, A[:1], 0)
    assert sorted(m.ip for m in lb.unbind(intent.sg, A)) == A
    assert {m.ip for m in lb.members(intent.sg)} == set(B)
    with pytest.raises(WouldStopServing):
        lb.unbind(intent.sg, B)
    lb.close()


def test_an_expired_session_is_logged_in_again_once(tls: TlsFiles) -> None:
    short = NetScalerEmulator(tls=tls, password=PASSWORD, session_timeout=0.3).start()
    try:
        n = Nitro(short.url, "nsroot", PASSWORD, verify=str(tls.ca))
        n.get("lbvserver")
        time.sleep(0.5)
        n.get("lbvserver")  # 401/444, login, again
        assert n.calls == 5  # login, GET; GET (401 444), login, GET
        n.close()
        assert n.calls == 6  # the logout
    finally:
        short.stop()


def test_header_credentials_and_a_wrong_password(emu: NetScalerEmulator, tls: TlsFiles) -> None:
    lb = connect(emu, tls, auth="headers")
    assert isinstance(lb.nitro.get("lbvserver"), list) and lb.nitro.calls == 1
    bad = Nitro(emu.url, "nsroot", "not-the-password", verify=str(tls.ca))
    with pytest.raises(NitroError) as caught:
        bad.get("lbvserver")
    assert caught.value.errorcode == 354 and not caught.value.transient
    assert "not-the-password" not in str(caught.value)


def test_wrong_hostname_is_refused(tmp_path: Path) -> None:
    wrong = make_ca(tmp_path, hosts=("wrong.example",))
    e = NetScalerEmulator(tls=wrong, password=PASSWORD).start()
    try:
        with pytest.raises(NitroError, match=r"TLS to .* refused") as caught:
            Nitro(e.url, "nsroot", PASSWORD, verify=str(wrong.ca)).get("lbvserver")
        assert not caught.value.transient
    finally:
        e.stop()
