"""Workload probes through a VIP of the twin's NetScaler, in process: a drain with a delay lets
requests in flight finish (no downtime), a disable without one cuts them (downtime), a drain
delay of 0 followed by the unbind (what the upgrade does with ``drain_delay: 0``) cuts long
requests while a delay that outlasts them does not, and writers quiesced by their hook make a
stateful application unwritable."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lifecycle.lab.base import make_ca
from lifecycle.lab.netscaler import NetScalerEmulator
from lifecycle.lab.netscaler import members as mb
from lifecycle.lab.probes import Probe, ProbeEngine

VIP, SG = "10.50.1.10", "sg_web"


class Cloud:
    def __init__(self) -> None:
        self.vms = [SimpleNamespace(id=f"id-{i}", name=f"web-{i}", status="ACTIVE", metadata={},
                                    addresses=(("net", "sub", f"10.20.1.{i}", "mac", "port"),),
                                    volumes=(), in_service=True) for i in (1, 2)]

    def servers(self) -> list[Any]:
        return list(self.vms)


class Allow:
    def reachable(self, *args: Any, **kw: Any) -> Any:
        return SimpleNamespace(allowed=True, reason="allowed")


class Frozen:
    def __init__(self) -> None:
        self.ids: set[str] = set()

    def frozen(self, server_id: str) -> bool:
        return server_id in self.ids

    def listens(self, vm: str, port: int | None) -> bool:
        return True


@pytest.fixture
def emu(tmp_path: Path) -> Any:
    e = NetScalerEmulator(tls=make_ca(tmp_path), probe=lambda ip, port, mon: (True, "ok")).start()

    def build() -> None:
        st = e.runtime.store
        st.add("lbvserver", {"name": "lb_web", "servicetype": "HTTP", "ipv46": VIP, "port": 80})
        st.add("servicegroup", {"servicegroupname": SG, "servicetype": "HTTP"})
        st.bind("lbvserver_servicegroup_binding", {"name": "lb_web", "servicegroupname": SG})
        for i in (1, 2):
            mb.bind_member(e.runtime, {"servicegroupname": SG, "ip": f"10.20.1.{i}", "port": 8080})

    e.mutate(build)
    deadline = time.monotonic() + 3
    while set(e.member_states().values()) != {"UP"}:
        assert time.monotonic() < deadline, e.member_states()
        time.sleep(0.01)
    yield e
    e.stop()


def engine(emu: Any, request_seconds: float, vms: Any = None) -> ProbeEngine:
    eng = ProbeEngine([Probe("external", "web", "prd", "tcp", 80, "203.0.113.10")], Allow(), [Cloud()],
                      {"web/prd": {"web-1", "web-2"}}, {"web/prd": {"web-1": 0, "web-2": 0}})
    eng.request_seconds = request_seconds
    eng.use_lb({"web/prd": (emu, VIP, 80, 8080)}, vms or Frozen())
    return eng


def run(eng: ProbeEngine, seconds: float) -> None:
    end = time.time() + seconds
    while time.time() < end:
        eng.tick()
        time.sleep(0.02)


def test_a_drain_with_a_delay_lets_requests_finish(emu: Any) -> None:
    eng = engine(emu, request_seconds=0.1)
    run(eng, 0.3)
    t0 = time.time()
    emu.mutate(lambda: mb.set_state(emu.runtime, "servicegroup", {
        "servicegroupname": SG, "servername": "10.20.1.1", "port": 8080, "graceful": "YES", "delay": 1},
        enable=False))
    run(eng, 1.3)
    assert emu.member_states()[f"{SG}/10.20.1.1:8080"] == "OUT OF SERVICE"
    assert eng.downtime(since=t0)["web/prd"]["downtime_ms"] == 0


def test_a_disable_without_delay_cuts_requests_in_flight(emu: Any) -> None:
    eng = engine(emu, request_seconds=5.0)  # long requests
    run(eng, 0.3)
    t0 = time.time()
    emu.mutate(lambda: mb.set_state(emu.runtime, "servicegroup", {
        "servicegroupname": SG, "servername": "10.20.1.1", "port": 8080}, enable=False))
    run(eng, 0.2)
    down = eng.downtime(since=t0)["web/prd"]
    assert down["downtime_ms"] > 0 and "cut in flight" in down["windows"][0]["why"], down
    assert eng.status()[0]["ok"]  # the other member serves new requests


def drain_then_unbind(emu: Any, eng: ProbeEngine, ip: str, delay: int) -> None:
    """The upgrade's retire and unbind-a on one member: graceful disable with ``delay``, then
    the unbind once the delay has passed."""
    emu.mutate(lambda: mb.set_state(emu.runtime, "servicegroup", {
        "servicegroupname": SG, "servername": ip, "port": 8080, "graceful": "YES", "delay": delay},
        enable=False))
    run(eng, delay)
    emu.mutate(lambda: emu.runtime.remove(mb.find_member(emu.runtime, SG, {"ip": ip, "port": 8080})))


def test_a_drain_delay_of_0_cuts_long_requests_and_a_delay_that_outlasts_them_does_not(emu: Any) -> None:
    eng = engine(emu, request_seconds=0.6)  # long requests: one opened every tick, held 0.6 s
    run(eng, 0.3)
    t0 = time.time()
    drain_then_unbind(emu, eng, "10.20.1.1", delay=0)
    run(eng, 0.1)
    down = eng.downtime(since=t0)["web/prd"]
    assert down["downtime_ms"] > 0, down
    assert "cut in flight (member 10.20.1.1:8080)" in down["windows"][0]["why"], down
    # the same on the other member, now with a delay longer than the requests: nothing cut
    emu.mutate(lambda: mb.bind_member(emu.runtime, {"servicegroupname": SG, "ip": "10.20.1.1", "port": 8080}))
    deadline = time.monotonic() + 3
    while emu.member_states().get(f"{SG}/10.20.1.1:8080") != "UP":
        assert time.monotonic() < deadline, emu.member_states()
        eng.tick()
        time.sleep(0.02)
    run(eng, 0.7)  # requests in flight on both members again
    t1 = time.time()
    drain_then_unbind(emu, eng, "10.20.1.2", delay=1)
    run(eng, 0.1)
    assert list(emu.member_states()) == [f"{SG}/10.20.1.1:8080"]
    assert eng.downtime(since=t1)["web/prd"]["downtime_ms"] == 0


def test_no_member_up_is_downtime_and_hooks_freeze_writers(emu: Any) -> None:
    vms = Frozen()
    eng = engine(emu, request_seconds=0.05, vms=vms)
    run(eng, 0.1)
    t0 = time.time()
    vms.ids |= {"id-1", "id-2"}
    run(eng, 0.1)
    vms.ids.clear()
    t1 = time.time()
    run(eng, 0.1)
    t2 = time.time()
    assert eng.downtime(since=t0, until=t1)["web/prd"]["write_freeze_ms"] > 0  # the hooks froze them
    assert eng.downtime(since=t1 + 0.05, until=t2)["web/prd"]["write_freeze_ms"] == 0
    for i in (1, 2):
        emu.mutate(lambda i=i: emu.runtime.remove(mb.find_member(emu.runtime, SG, {
            "ip": f"10.20.1.{i}", "port": 8080})))
    run(eng, 0.1)
    down = eng.downtime(since=t2)["web/prd"]
    assert down["downtime_ms"] > 0 and "serves nobody" in down["windows"][0]["why"], down
