"""The upgrade through the load balancer: the plan's LB steps (order, dependencies, params), and
the steps themselves against the twin's NITRO emulator started in-process (the adapter and the
emulator agree only through the wire): the unbind of A is refused while B's monitor says DOWN,
and goes through once B is UP, with the LB's state and the both-served window in its outputs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lifecycle.engine import ActionContext, PermanentError, StepView
from lifecycle.lab.base import TlsFiles, make_ca
from lifecycle.lab.netscaler import NetScalerEmulator
from lifecycle.model import load_site
from lifecycle.model.endpoints import parse_endpoints
from lifecycle.model.schema import Site
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.upgrade import build_plan, build_rollback_plan
from lifecycle.runbooks.upgrade.actions import LbDrain, LbEnsure, LbInService, LbUnbind
from tests.loadbalancer.conftest import platform_team

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "twin-nitro-upgrade-s3cret"
A_IP, B_IP = "10.20.3.5", "10.20.3.70"  # orders/prd: subnets a 10.20.3.0/26, b 10.20.3.64/26


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(ROOT / "examples/ie1")


def plan_svc(site: Site, tmp: Path) -> Services:
    ep = tmp / "endpoints.yaml"
    ep.write_text("{}\n")
    return Services(site_dir=ROOT / "examples/ie1", endpoints_file=ep, site=site,
                    endpoints=parse_endpoints({}, str(ep), tmp))


def steps_of(plan: Any, prefix: str) -> dict[str, Any]:
    return {s.key[len(prefix):]: s for s in plan.steps if s.key.startswith(prefix)}


# -- the plan ---------------------------------------------------------------------------------------

def test_the_plan_moves_traffic_through_the_load_balancer(site: Site, tmp_path: Path) -> None:
    steps = steps_of(build_plan(plan_svc(site, tmp_path), apps=["orders"]), "orders/prd/")
    assert steps["lb-ensure"].action == LbEnsure.name and steps["lb-ensure"].deps == ["orders/prd/vsd-subnet"]
    ins = steps["in-service"]
    assert ins.action == LbInService.name
    assert set(ins.deps) == {"orders/prd/healthy", "orders/prd/acl-mirror", "orders/prd/lb-ensure"}
    assert steps["soak"].deps == ["orders/prd/in-service"]
    assert steps["retire"].action == LbDrain.name
    # the drain reads the addresses in-service bound (its outputs), after the soak
    assert steps["retire"].deps == ["orders/prd/soak", "orders/prd/in-service"]
    assert steps["retire"].params["in_service_step"] == "orders/prd/in-service"
    unbind = steps["unbind-a"]
    assert unbind.action == LbUnbind.name
    assert set(unbind.deps) == {"orders/prd/retire", "orders/prd/in-service"}
    assert unbind.params["drain_step"] == "orders/prd/retire"
    assert unbind.params["in_service_step"] == "orders/prd/in-service"
    assert steps["delete-a-vms"].deps == ["orders/prd/unbind-a"]
    keys = list(steps)
    order = ["healthy", "lb-ensure", "in-service", "soak", "retire", "unbind-a", "delete-a-vms"]
    assert [k for k in keys if k in order] == order
    assert "(2 s graceful)" in steps["retire"].description  # the environment's drain_delay


def test_the_rollback_binds_a_back_before_draining_b(site: Site, tmp_path: Path) -> None:
    steps = steps_of(build_rollback_plan(plan_svc(site, tmp_path), "orders"), "orders/prd/rollback/")
    assert steps["in-service"].action == LbInService.name and steps["in-service"].params["reverse"] is True
    assert steps["retire"].action == LbDrain.name
    assert steps["retire"].deps == ["orders/prd/rollback/in-service"]
    assert steps["unbind-b"].action == LbUnbind.name
    assert steps["delete-b-vms"].deps == ["orders/prd/rollback/unbind-b"]


def test_an_application_without_lb_keeps_the_metadata_switch(site: Site, tmp_path: Path) -> None:
    plain = site.model_copy(deep=True)
    for env in plain.application("reporting").environments.values():
        object.__setattr__(env, "lb", None)
    steps = steps_of(build_plan(plan_svc(plain, tmp_path), apps=["reporting"]), "reporting/prd/")
    assert steps["in-service"].action == "upgrade.in_service"
    assert steps["retire"].action == "upgrade.retire"
    assert "lb-ensure" not in steps and "unbind-a" not in steps
    assert steps["delete-a-vms"].deps == ["reporting/prd/retire"]


# -- the steps against the emulator --------------------------------------------------------------------

class World:
    """Which members answer their monitor."""

    def __init__(self) -> None:
        self.up: set[str] = set()

    def probe(self, ip: str, port: int, monitor: dict[str, Any]) -> tuple[bool, str]:
        return (ip in self.up, "answers" if ip in self.up else "no answer")


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_ca(tmp_path_factory.mktemp("ns-ca"))


@pytest.fixture(scope="module")
def svc(site: Site, tls: TlsFiles, world: World, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[Services]:
    emu = NetScalerEmulator(tls=tls, password=PASSWORD, probe=world.probe).start()
    tmp = tmp_path_factory.mktemp("ep")
    (tmp / "ns-password").write_text(PASSWORD)
    data = {"netscaler": {"ie1-adc1": {"url": emu.url, "username": "nsroot",
                                       "password": {"file": "ns-password"}, "ca_file": str(tls.ca)}}}
    ep = tmp / "endpoints.yaml"
    ep.write_text("{}\n")
    s = Services(site_dir=ROOT / "examples/ie1", endpoints_file=ep, site=site,
                 endpoints=parse_endpoints(data, str(ep), tmp))
    yield s
    s.lb("ie1-adc1").close()
    emu.stop()


def view(action: Any, key: str, dep_outputs: dict[str, Any] | None = None, app: str = "orders",
         **params: Any) -> StepView:
    return StepView(key=key, target=f"app:{app}", action=action.name,
                    params=action.Params(app=app, env="prd", **params), attempt=1,
                    dep_outputs=dep_outputs or {}, run_id="r")


def ctx(key: str) -> ActionContext:
    return ActionContext("r", key, cancelled=threading.Event())


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def serving(svc: Services) -> set[str]:
    return {m.ip for m in svc.lb("ie1-adc1").members("sg_orders_prd") if m.serving}


def test_ensure_creates_the_objects_then_observes_them_done(svc: Services) -> None:
    ensure = LbEnsure(svc)
    step = view(LbEnsure, "orders/prd/lb-ensure")
    assert ensure.observe(step, ctx(step.key)) is None
    made = ensure.apply(step, ctx(step.key))
    assert any(c.startswith("add lbvserver lb_orders_prd") for c in made.changes), made.changes
    assert made.lb["vserver"] == "lb_orders_prd" and made.lb["monitor_bound"] is True
    again = ensure.observe(step, ctx(step.key))
    assert again is not None and again.changes == []


def test_unbinding_a_is_refused_while_b_is_down_then_done_once_b_is_up(svc: Services, world: World) -> None:
    lb = svc.lb("ie1-adc1")
    LbEnsure(svc).apply(view(LbEnsure, "e"), ctx("e"))
    world.up.add(A_IP)
    lb.bind_members("sg_orders_prd", [A_IP], 8080)
    wait_for(lambda: serving(svc) == {A_IP})
    lb.bind_members("sg_orders_prd", [B_IP], 8080)  # B answers nothing: its monitor says DOWN
    t0 = time.time()
    deps = {"ins": LbInService.Outputs(vms=["orders-prd-1"], members={"orders-prd-1": B_IP},
                                       at=t0).stored(),
            "drain": LbDrain.Outputs(drained=[f"{A_IP}:8080"], delay=0, at=t0 + 0.5).stored()}
    unbind = LbUnbind(svc)
    step = view(LbUnbind, "orders/prd/unbind-a", deps, drain_step="drain", in_service_step="ins")
    assert unbind.observe(step, ctx(step.key)) is None
    with pytest.raises(PermanentError, match=r"refused: unbinding 10\.20\.3\.5:8080 would leave service "
                                             r"group sg_orders_prd with no enabled, UP member"):
        unbind.apply(step, ctx(step.key))
    assert {m.ip for m in lb.members("sg_orders_prd")} == {A_IP, B_IP}  # nothing was unbound
    assert serving(svc) == {A_IP}

    lb.unbind("sg_orders_prd", [B_IP])  # A still serves; bound again once it answers: probed at once
    world.up.add(B_IP)
    lb.bind_members("sg_orders_prd", [B_IP], 8080)
    wait_for(lambda: serving(svc) == {A_IP, B_IP})
    calls = lb.nitro.calls
    done = unbind.apply(step, ctx(step.key))
    # the guard's read, the unbind, then who serves (the vserver, the monitors; the members are the
    # guard's read less the unbound, as the DELETE's answer said): none read again for the record
    assert lb.nitro.calls - calls == 4
    assert done.unbound == [f"{A_IP}:8080"]
    assert [(m["ip"], m["side"], m["serving"]) for m in done.lb["members"]] == [(B_IP, "b", True)]
    assert done.both_served == {"from": t0, "to": t0 + 0.5, "drained_by": t0 + 0.5, "seconds": 0.5}
    again = unbind.observe(step, ctx(step.key))
    assert again is not None and again.unbound == []


def test_the_move_leaves_the_load_balancers_own_account_in_the_evidence(svc: Services, world: World) -> None:
    """B bound DOWN -> UP, A drained UP -> GOING OUT OF SERVICE -> OUT OF SERVICE -> unbound: each
    transition dated by NetScaler's own change time, in the order it made them, in the unbind's
    outputs and, through it, in the evidence step's; with both sides' members at the end."""
    from lifecycle.loadbalancer.evidence import MemberWatch
    from lifecycle.runbooks.upgrade.actions import Evidence
    from lifecycle.runbooks.upgrade.actions.lb import lb_intent, lb_state, on_side
    from lifecycle.runbooks.upgrade.model import moves

    lb, sg = svc.lb("ie1-adc1"), "sg_orders_prd"
    m = next(x for x in moves(svc.site, apps=["orders"]) if x.env == "prd")
    intent = lb_intent(svc, m)
    LbEnsure(svc).apply(view(LbEnsure, "e"), ctx("e"))
    lb.unbind(sg, [x.ip for x in lb.members(sg)], force=True)
    world.up = {A_IP}
    lb.bind_members(sg, [A_IP], 8080)
    wait_for(lambda: serving(svc) == {A_IP})

    # what in-service does: bind B, watch until its monitor says UP
    bound_at = time.time()
    lb.bind_members(sg, [B_IP], 8080)
    watch = MemberWatch(intent.side_of)
    watch.bound([(B_IP, 8080)], bound_at)
    assert not watch.see([x for x in lb.members(sg) if x.ip == B_IP], time.time())  # DOWN, as bound
    world.up.add(B_IP)
    wait_for(lambda: bool(watch.see([x for x in lb.members(sg) if x.ip == B_IP], time.time()))
             and serving(svc) == {A_IP, B_IP})
    up_at = time.time()
    assert [(t["from"], t["to"]) for t in watch.transitions] == [(None, "DOWN"), ("DOWN", "UP")]
    assert bound_at - 0.05 <= watch.transitions[0]["at"] <= watch.transitions[1]["at"] <= up_at
    ins = LbInService.Outputs(vms=["orders-prd-1"], members={"orders-prd-1": B_IP}, at=up_at,
                              up_after_s=round(up_at - bound_at, 3), transitions=watch.transitions)

    # what retire does: drain A gracefully; the state right after it is stored
    drain_at = time.time()
    lb.drain(sg, [A_IP], 1, port=8080)
    after = lb_state(intent, lb.observe(intent))
    a_row = next(r for r in after["members"] if r["ip"] == A_IP)
    assert (a_row["state"], a_row["svrstate"]) == ("DISABLED", "GOING OUT OF SERVICE")
    drain = LbDrain.Outputs(drained=[f"{A_IP}:8080"], delay=1, at=drain_at, lb=after,
                            transitions=[{"ip": A_IP, "port": 8080, "side": "a", "from": "UP",
                                          "to": "GOING OUT OF SERVICE", "state": "DISABLED",
                                          "at": a_row["since"], "seen_at": after["at"]}])
    wait_for(lambda: [x.svrstate for x in on_side(intent, lb.members(sg), "a")] == ["OUT OF SERVICE"])

    deps = {"ins": ins.stored(), "drain": drain.stored()}
    step = view(LbUnbind, "orders/prd/unbind-a", deps, drain_step="drain", in_service_step="ins")
    done = LbUnbind(svc).apply(step, ctx(step.key))
    ev = done.evidence
    assert done.unbound == [f"{A_IP}:8080"] and ev["vserver"] == "lb_orders_prd" and ev["state"] == "UP"
    assert [(m["ip"], m["svrstate"], m["serving"]) for m in ev["sides"]["b"]] == [(B_IP, "UP", True)]
    assert "a" not in ev["sides"]
    moves_seen = [(t["side"], t["from"], t["to"]) for t in ev["transitions"]]
    assert moves_seen == [("b", None, "DOWN"), ("b", "DOWN", "UP"), ("a", "UP", "GOING OUT OF SERVICE"),
                          ("a", "GOING OUT OF SERVICE", "OUT OF SERVICE"), ("a", "OUT OF SERVICE", None)]
    # the drain delay is NetScaler's: OUT OF SERVICE came about a second after GOING OUT OF SERVICE
    going, out = ev["transitions"][2]["at"], ev["transitions"][3]["at"]
    assert 0.9 <= out - going <= 5.0
    assert ev["both_served"]["seconds"] == round(drain_at - up_at, 3) and ev["drain_delay"] == 1
    assert ev["observed"] is False

    # the evidence step carries it when the unbind is one of its dependencies ...
    start = {"id": "s", "name": "orders-prd-b", "created": True, "at": bound_at}
    ev_step = StepView(key="orders/prd/evidence", target="app:orders", action=Evidence.name,
                       params=Evidence.Params(app="orders", env="prd", start_step="sub"), attempt=1,
                       dep_outputs={"sub": start, "orders/prd/unbind-a": done.stored()}, run_id="r")
    got = Evidence(svc).apply(ev_step, ctx(ev_step.key))
    assert got.probes is False and got.lb == ev
    # ... and reads the end state itself when it is not
    alone = StepView(key="orders/prd/evidence", target="app:orders", action=Evidence.name,
                     params=Evidence.Params(app="orders", env="prd", start_step="sub"), attempt=1,
                     dep_outputs={"sub": start}, run_id="r")
    now_ = Evidence(svc).apply(alone, ctx(alone.key)).lb
    assert now_ is not None and now_["state"] == "UP" and "unbind-a" in now_["note"]
    assert [(x["ip"], x["svrstate"]) for x in now_["sides"]["b"]] == [(B_IP, "UP")]


def test_the_report_shows_the_load_balancers_account() -> None:
    from types import SimpleNamespace as Step

    from lifecycle.report.upgrade import lb_cell, report

    ev = {"vserver": "lb_orders_prd", "state": "UP", "up_after_s": 3.5,
          "sides": {"b": [{"ip": B_IP, "state": "ENABLED", "svrstate": "UP"}]},
          "transitions": [{"ip": A_IP, "side": "a", "from": "OUT OF SERVICE", "to": None}],
          "both_served": {"from": 1.0, "to": 13.0, "drained_by": 15.0, "seconds": 12.0}}
    p = {"app": "orders", "env": "prd"}
    steps = [Step(seq=1, target="app:orders", key="orders/prd/unbind-a", params=p, status="done",
                  outputs={"evidence": ev}, last_error=None),
             Step(seq=2, target="app:orders", key="orders/prd/evidence", params=p, status="done",
                  outputs={"downtime_ms": 0, "lb": {"vserver": "lb_orders_prd", "state": "UP",
                                                     "note": "read at the end"}}, last_error=None)]
    # a later run finds the move done: its steps observe, they did not see it happen
    later = [Step(seq=1, target="app:orders", key="orders/prd/unbind-a", params=p, status="done",
                  outputs={"evidence": {**ev, "transitions": [], "observed": True, "state": "DOWN",
                                        "both_served": {"seconds": 0.001}}}, last_error=None)]
    runs = {"r": steps, "r2": later}
    store = type("S", (), {"get_steps": lambda self, run_id: runs[run_id]})()
    row = report(store, ["r"])[0]
    assert row["state"] == "moved" and row["both_served_s"] == 12.0
    assert row["lb"]["transitions"] == ev["transitions"] and "note" not in row["lb"]
    again = report(store, ["r", "r2"])[0]
    assert again["both_served_s"] == 12.0 and again["lb"]["transitions"] == ev["transitions"]
    assert again["lb"]["state"] == "DOWN"  # the state at the end is the latest read's
    assert lb_cell(row["lb"]) == "vserver UP; b: 1/1 UP (after 3.5 s); both served 12.0 s; 1 transition; " \
                                 "unbound: a 1"


# -- readiness: the SNIPs' reach to B, from the ACL entries as VSD holds them ------------------------

def test_readiness_names_the_ports_the_snips_cannot_reach_on_b(site: Site, tmp_path: Path) -> None:
    from lifecycle.nuage.policy import intended_entries
    from lifecycle.runbooks.upgrade.model import moves
    from lifecycle.runbooks.upgrade.readiness_lb import snip_gaps

    svc = plan_svc(site, tmp_path)
    billing = next(m for m in moves(site, apps=["billing"]) if m.env == "prd")
    entries = intended_entries(site, "prd")
    assert snip_gaps(svc, billing, entries) == []
    only_service = [e for e in entries if not (e.rule == "adc-to-billing" and e.port == "8081")]
    assert snip_gaps(svc, billing, only_service) == ["tcp/8081 for monitor mon_billing"]
    without = [e for e in entries if e.rule != "adc-to-billing"]
    assert snip_gaps(svc, billing, without) == ["tcp/8080 to serve", "tcp/8081 for monitor mon_billing"]


# -- NITRO requests of one application move -----------------------------------------------------------

WP_A, WP_B = ["10.20.1.5", "10.20.1.6"], ["10.20.1.70", "10.20.1.71"]  # web-portal/prd: 2 VMs a side


def move_requests(svc: Services, world: World) -> dict[str, int]:
    """NITRO requests per LB step of one move of web-portal/prd (two VMs a side), as the steps make
    them: ``lb-ensure`` and ``unbind-a`` run themselves; ``in-service`` and ``retire`` need a cloud
    (the VMs' addresses) and VSD (the mirror guard), so their NITRO part is replayed here in the
    steps' order (one read of the members, then the writes; the drain reads the members after).
    The monitor's polls while B comes UP are left out: their number depends on the monitor."""
    from lifecycle.runbooks.upgrade.actions.lb import lb_intent, members
    from lifecycle.runbooks.upgrade.model import moves

    lb, sg = svc.lb("ie1-adc1"), "sg_web-portal_prd"
    m = next(x for x in moves(svc.site, apps=["web-portal"]) if x.env == "prd")
    intent = lb_intent(svc, m)
    platform_team(lb, intent)
    LbEnsure(svc).apply(view(LbEnsure, "e", app="web-portal"), ctx("e"))  # objects made beforehand
    world.up |= set(WP_A + WP_B)
    lb.bind_members(sg, WP_A, 8080)
    wait_for(lambda: {x.ip for x in lb.members(sg) if x.serving} == set(WP_A))
    lb.nitro.login()
    counts: dict[str, int] = {}

    def count(step: str, run: Callable[[], Any]) -> Any:
        before = lb.nitro.calls
        out = run()
        counts[step] = lb.nitro.calls - before
        return out

    ensure = LbEnsure(svc)
    step = view(LbEnsure, "web-portal/prd/lb-ensure", app="web-portal")
    count("lb-ensure", lambda: ensure.observe(step, ctx(step.key)) or ensure.apply(step, ctx(step.key)))

    def in_service() -> None:
        current = members(lb, intent.sg)
        lb.bind_members(intent.sg, WP_B, intent.port, current=current)
        lb.enable(intent.sg, WP_B, port=intent.port, current=current)
    count("in-service", in_service)
    wait_for(lambda: {x.ip for x in lb.members(sg) if x.serving} == set(WP_A + WP_B))

    def retire() -> None:
        current = members(lb, intent.sg)
        lb.drain(intent.sg, WP_A, 0, port=intent.port, current=current)
        members(lb, intent.sg)
    count("retire", retire)
    t0 = time.time()
    vms = ["web-portal-prd-1", "web-portal-prd-2"]
    deps = {"ins": LbInService.Outputs(vms=vms, members=dict(zip(vms, WP_B, strict=True)),
                                       at=t0).stored(),
            "drain": LbDrain.Outputs(drained=[f"{ip}:8080" for ip in WP_A], delay=0, at=t0).stored()}
    unbind = LbUnbind(svc)
    ustep = view(LbUnbind, "web-portal/prd/unbind-a", deps, drain_step="drain", in_service_step="ins",
                 app="web-portal")
    done = count("unbind-a", lambda: unbind.apply(ustep, ctx(ustep.key)))
    assert sorted(done.unbound) == [f"{ip}:8080" for ip in WP_A]
    return counts


def test_one_move_costs_few_nitro_requests(svc: Services, world: World) -> None:
    """A side's binds, its drain and its unbinds are one request each whatever the number of VMs
    (bulk); lb-ensure reads the content switching and GSLB bindings besides (every
    csvserver's and gslbvserver's at once, shared by the moves of a wave). Before bulk writes
    and layers, with two VMs a side: 6 + 3 + 4 + 6 = 19."""
    counts = move_requests(svc, world)
    print("NITRO requests per LB step of one move (2 VMs a side):", counts, "total", sum(counts.values()))
    assert counts["in-service"] == 2, "one read of the members, one bulk bind of both VMs"
    assert counts["retire"] == 3, "the members read, one bulk drain of both VMs, the members read again"
    assert counts["unbind-a"] == 4, "the members read, one bulk unbind of both VMs, vserver and monitors"
    assert counts["lb-ensure"] == 8, "the five objects' reads, the members, and one per layer"


def test_the_soak_watches_the_destinations_members_on_the_load_balancer(svc: Services) -> None:
    """After the move above, web-portal/prd's B serves: the soak reads B's members on the NetScaler
    (no Nova, no VSD) and fails, naming the member, when one stops serving; its observe finds
    nothing done while A is not drained."""
    from lifecycle.runbooks.upgrade.actions import Soak
    from lifecycle.runbooks.upgrade.actions.lb import source_left

    lb, sg = svc.lb("ie1-adc1"), "sg_web-portal_prd"
    deps = {"ins": LbInService.Outputs(vms=[], members={}, at=time.time()).stored()}
    step = view(Soak, "web-portal/prd/soak", deps, app="web-portal", in_service_step="ins", soak_seconds=0)
    soak = Soak(svc)
    assert soak.apply(step, ctx(step.key)).soaked_s >= 0
    from lifecycle.runbooks.upgrade.model import moves
    m = next(x for x in moves(svc.site, apps=["web-portal"]) if x.env == "prd")
    assert source_left(svc, m) is None  # A unbound: the soak's observe asks the cloud instead
    lb.drain(sg, WP_B[:1], 0, port=8080)  # one B member stops taking clients
    try:
        with pytest.raises(PermanentError, match=rf"stopped being healthy during the soak: {WP_B[0]}:8080 "
                                                 r"DISABLED/"):
            soak.apply(step, ctx(step.key))
    finally:
        lb.enable(sg, WP_B[:1], port=8080)
    wait_for(lambda: {x.ip for x in lb.members(sg) if x.serving} == set(WP_B))


def test_readiness_refuses_a_policy_pointing_elsewhere_and_a_gslb_service_down(
        svc: Services, site: Site) -> None:
    """After the move above, web-portal/prd is served by B behind its policy and GSLB service.
    A hand-made change points the policy at another vserver: the readiness refuses, naming both,
    and lb-ensure does not rebind it; a disabled GSLB service is refused too."""
    from lifecycle.nuage.policy import intended_entries
    from lifecycle.runbooks.upgrade.model import moves
    from lifecycle.runbooks.upgrade.readiness_lb import lb_findings

    lb = svc.lb("ie1-adc1")
    m = next(x for x in moves(site, apps=["web-portal"]) if x.env == "prd")
    entries = intended_entries(site, "prd")

    def findings() -> dict[str, tuple[str, str]]:
        return {check: (level, detail) for check, level, detail in lb_findings(svc, m, entries)
                if check in ("lb-cs", "lb-gslb")}

    assert findings() == {
        "lb-cs": ("ok", "cs_ie1_www_prd -> csp_web-portal_prd -> lb_web-portal_prd"),
        "lb-gslb": ("ok", "gslb_web-portal_prd -> gs_web-portal_prd_ie1 (10.50.1.10:443) UP")}
    lb.nitro.add("lbvserver", {"name": "lb_legacy_www", "servicetype": "SSL", "ipv46": "10.50.1.99",
                               "port": 443})
    cb = "csvserver_cspolicy_binding"
    lb.nitro.unbind(cb, "cs_ie1_www_prd", {"policyname": "csp_web-portal_prd"})
    lb.nitro.bind(cb, {"name": "cs_ie1_www_prd", "policyname": "csp_web-portal_prd",
                       "targetlbvserver": "lb_legacy_www", "priority": 100})
    lb.nitro.action("gslbservice", "disable", {"servicename": "gs_web-portal_prd_ie1"})
    found = findings()
    assert found["lb-cs"] == (
        "blocking", "cspolicy csp_web-portal_prd on csvserver cs_ie1_www_prd targets lbvserver "
                    "lb_legacy_www, not lb_web-portal_prd: i2 does not rebind it")
    assert found["lb-gslb"][0] == "blocking" and "is OUT OF SERVICE" in found["lb-gslb"][1]
    step = view(LbEnsure, "web-portal/prd/lb-ensure", app="web-portal")
    with pytest.raises(PermanentError, match="targets lbvserver lb_legacy_www, not lb_web-portal_prd"):
        LbEnsure(svc).apply(step, ctx(step.key))
    assert [r["targetlbvserver"] for r in lb.nitro.get(cb, "cs_ie1_www_prd")] == ["lb_legacy_www"]


def test_in_service_binds_the_addresses_healthy_recorded_without_listing_the_cloud(svc: Services) -> None:
    """B's addresses come from the healthy step's outputs (the listing it judged healthy): the
    endpoints file here names no cloud, so a Nova listing would fail."""
    from lifecycle.runbooks.upgrade.model import moves

    vms = ["web-portal-prd-1", "web-portal-prd-2"]
    healthy = {"vms": vms, "at": time.time(), "ips": dict(zip(vms, WP_B, strict=True))}
    step = view(LbInService, "web-portal/prd/in-service", {"healthy": healthy}, app="web-portal",
                healthy_step="healthy")
    m = next(x for x in moves(svc.site, apps=["web-portal"]) if x.env == "prd")
    assert LbInService(svc).addresses(step, m) == dict(zip(vms, WP_B, strict=True))
