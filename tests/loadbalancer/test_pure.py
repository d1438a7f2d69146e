"""The adapter's pure parts: intent from the site model, diff, the drain guard, the endpoint
model, and the layering rule that an adapter imports no other adapter."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import ValidationError

from lifecycle.loadbalancer import LbIntent, Member, Observed, WouldStopServing, diff, intents, who_serves
from lifecycle.loadbalancer.layers import layers
from lifecycle.loadbalancer.members import drain_targets, enable_targets
from lifecycle.model import load_site
from lifecycle.model.endpoints_lb import NetScaler
from tests.source import imports, modules

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def layered() -> LbIntent:
    return intents(load_site(ROOT / "examples/ie1"), "web-portal", "prd")[0]


@pytest.fixture(scope="module")
def web(layered: LbIntent) -> LbIntent:
    return replace(layered, cs=None, gslb=None)  # the vserver alone; its layers: test_layers_*


def nitro_view(intent: LbIntent) -> Observed:
    """What a NetScaler answers for objects made from ``intent``: strings for numbers, its own
    read-only fields besides."""
    return Observed(
        intent.key,
        vserver={**{k: str(v) for k, v in intent.vserver.items()}, "curstate": "UP", "effectivestate": "UP"},
        vserver_groups=[intent.sg],
        servicegroup={**intent.servicegroup, "servicegroupeffectivestate": "UP"},
        monitors=[intent.monitorname, "tcp-default"],
        monitor={**{k: str(v) if not isinstance(v, list) else v for k, v in intent.monitor.items()},
                 "lrtm": "DISABLED", "units3": "SEC"})


def test_intents_come_from_the_site(web: LbIntent) -> None:
    assert (web.name, web.sg, web.monitorname, web.port, web.drain_delay, web.device) == (
        "lb_web-portal_prd", "sg_web-portal_prd", "mon_web-portal", 8080, 2, "ie1-adc1")
    assert web.monitor == {"monitorname": "mon_web-portal", "type": "HTTP", "interval": 2, "resptimeout": 1,
                           "downtime": 10, "retries": 3, "secure": "NO", "httprequest": "GET /health",
                           "respcode": ["200"]}
    assert (web.side_of("10.20.1.5"), web.side_of("10.20.1.70"), web.side_of("10.9.9.9")) == ("a", "b", None)
    site = load_site(ROOT / "examples/ie1")
    assert len(intents(site)) == sum(1 for a in site.applications for e in a.environments.values() if e.lb)
    with pytest.raises(KeyError, match="no environment 'dev'"):
        intents(site, "web-portal", "dev")
    with pytest.raises(KeyError, match="no application"):
        intents(site, "nope")


def test_nothing_there_means_everything_in_order(web: LbIntent) -> None:
    changes = diff(web, Observed(web.key))
    assert [(c.op, c.rtype, c.name) for c in changes] == [
        ("add", "lbmonitor", "mon_web-portal"), ("add", "servicegroup", "sg_web-portal_prd"),
        ("add", "lbvserver", "lb_web-portal_prd"),
        ("bind", "servicegroup_lbmonitor_binding", "sg_web-portal_prd"),
        ("bind", "lbvserver_servicegroup_binding", "lb_web-portal_prd")]
    assert changes[3].fields == {"servicegroupname": "sg_web-portal_prd", "monitor_name": "mon_web-portal"}


def test_layers_come_from_the_site(layered: LbIntent) -> None:
    assert layered.cs == {"name": "cs_ie1_www_prd", "policyname": "csp_web-portal_prd", "priority": 100}
    assert layered.gslb == {"name": "gslb_web-portal_prd", "servicename": "gs_web-portal_prd_ie1"}


def _layered_view(intent: LbIntent, target: str, svc: dict[str, object] | None) -> Observed:
    obs = nitro_view(intent)
    obs.cs_bound = [{"name": "cs_ie1_www_prd", "policyname": "csp_other", "targetlbvserver": "lb_x"},
                    {"name": "cs_ie1_www_prd", "policyname": "csp_web-portal_prd", "targetlbvserver": target,
                     "priority": 100}]
    row = {"name": "gslb_web-portal_prd", "servicename": "gs_web-portal_prd_ie1"}
    obs.gslb_bound = [] if svc is None else [{**row, **svc}]
    return obs


def test_layers_in_order_are_no_change_and_others_are_named(layered: LbIntent) -> None:
    up = {"ipaddress": "10.50.1.10", "port": 443, "curstate": "UP", "svreffgslbstate": "UP"}
    assert diff(layered, _layered_view(layered, "lb_web-portal_prd", up)) == []
    elsewhere = diff(layered, _layered_view(layered, "lb_legacy", up))
    assert [(c.op, c.rtype) for c in elsewhere] == [("conflict", "csvserver_cspolicy_binding")]
    assert "targets lbvserver lb_legacy, not lb_web-portal_prd" in elsewhere[0].detail
    moved = diff(layered, _layered_view(layered, "lb_web-portal_prd", {**up, "ipaddress": "10.60.0.1"}))
    assert [c.detail for c in moved] == [
        "gslbservice gs_web-portal_prd_ie1 points at 10.60.0.1:443, not this site's VIP 10.50.1.10:443 "
        "(lb_web-portal_prd)"]
    # the effective state of the service decides, not the binding's curstate
    down = _layered_view(layered, "lb_web-portal_prd", {**up, "svreffgslbstate": "DOWN"})
    assert diff(layered, down) == [] and [x.status for x in layers(layered, down)] == ["ok", "down"]
    # not bound, and the service (read apart) is the VIP: bound by lb-ensure
    unbound = _layered_view(layered, "lb_web-portal_prd", None)
    unbound.gslbservice = {"servicename": "gs_web-portal_prd_ie1", "ipaddress": "10.50.1.10", "port": 443,
                           "svrstate": "UP"}
    assert [(c.op, c.fields) for c in diff(layered, unbound)] == [
        ("bind", {"name": "gslb_web-portal_prd", "servicename": "gs_web-portal_prd_ie1"})]
    unbound.gslbservice = None
    assert "gslbservice gs_web-portal_prd_ie1 does not exist" in diff(layered, unbound)[0].detail


def test_what_matches_is_no_change(web: LbIntent) -> None:
    assert diff(web, nitro_view(web)) == []


def test_a_changed_field_is_updated_alone(web: LbIntent) -> None:
    obs = nitro_view(web)
    assert obs.vserver is not None and obs.monitor is not None
    obs.vserver["lbmethod"] = "ROUNDROBIN"
    obs.monitor["interval"] = "5"
    obs.monitors = []
    changes = diff(web, obs)
    assert [(c.op, c.rtype, c.fields) for c in changes] == [
        ("update", "lbmonitor", {"monitorname": "mon_web-portal", "type": "HTTP", "interval": 2}),
        ("update", "lbvserver", {"name": "lb_web-portal_prd", "lbmethod": "LEASTCONNECTION"}),
        ("bind", "servicegroup_lbmonitor_binding", {"servicegroupname": "sg_web-portal_prd",
                                                    "monitor_name": "mon_web-portal"})]
    assert changes[1].detail == "lbmethod 'ROUNDROBIN' -> 'LEASTCONNECTION'"


def test_an_immutable_field_is_a_conflict(web: LbIntent) -> None:
    obs = nitro_view(web)
    assert obs.vserver is not None
    obs.vserver["servicetype"] = "HTTP"
    [c] = diff(web, obs)
    assert (c.op, c.rtype) == ("conflict", "lbvserver") and "servicetype HTTP (site: SSL)" in c.detail


def members(*spec: tuple[str, str, str]) -> list[Member]:
    return [Member(ip, 8080, state, health) for ip, state, health in spec]


def test_drain_guard() -> None:
    a_up_b_down = members(("10.20.1.5", "ENABLED", "UP"), ("10.20.1.70", "ENABLED", "DOWN"))
    with pytest.raises(WouldStopServing, match="no enabled, UP member"):
        drain_targets("sg", a_up_b_down, ["10.20.1.5"], 8080)
    assert [m.ip for m in drain_targets("sg", a_up_b_down, ["10.20.1.5"], 8080, force=True)] == ["10.20.1.5"]
    both_up = members(("10.20.1.5", "ENABLED", "UP"), ("10.20.1.70", "ENABLED", "UP"))
    assert [m.ip for m in drain_targets("sg", both_up, ["10.20.1.5"], 8080)] == ["10.20.1.5"]
    drained = members(("10.20.1.5", "DISABLED", "OUT OF SERVICE"), ("10.20.1.70", "ENABLED", "UP"))
    assert drain_targets("sg", drained, ["10.20.1.5"], 8080) == []  # already drained: nothing to do
    assert [m.ip for m in enable_targets(drained, ["10.20.1.5"], 8080)] == ["10.20.1.5"]
    assert drain_targets("sg", both_up, ["10.20.1.5"], 9999) == []  # another port: not these members


def test_who_serves_by_side(web: LbIntent) -> None:
    obs = nitro_view(web)
    obs.members = members(("10.20.1.5", "DISABLED", "TROFS"), ("10.20.1.70", "ENABLED", "UP"),
                          ("10.20.1.71", "ENABLED", "DOWN"))
    s = who_serves(web, obs)
    assert s["serving_sides"] == ["b"] and s["state"] == "UP" and s["vip"] == "10.50.1.10:443"
    assert s["sides"] == {"a": {"serving": [], "disabled": ["10.20.1.5:8080"], "down": []},
                          "b": {"serving": ["10.20.1.70:8080"], "disabled": [], "down": ["10.20.1.71:8080"]}}


@pytest.mark.parametrize(("extra", "error"), [
    ({"verify": False}, "insecure_acknowledged"),
    ({"verify": False, "insecure_acknowledged": "ok"}, "insecure_acknowledged"),
    ({"url": "https://ns1/nitro/v1"}, "adds /nitro"),
    ({"url": "ns1.example.net"}, "not an http"),
    ({"password": "inline"}, "inline secrets are not allowed"),
    ({"auth": "basic"}, "session"),
    ({"connections": 0}, "greater than or equal to 1"),
])
def test_endpoint_refusals(extra: dict[str, object], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        NetScaler.model_validate({"url": "https://ns1", "username": "i2", "password": {"env": "P"}, **extra})


ADAPTERS = ("baremetal", "clouds", "fabric", "nuage", "oneview", "probes", "tripleo")


def test_the_adapter_imports_no_other_adapter_nor_the_layers_above() -> None:
    mine = [m for name, m in modules().items() if name.startswith("lifecycle.loadbalancer")]
    assert len(mine) >= 5
    bad = [f"{m.rel}: {i.target}" for m in mine for i in imports(m) if i.target and i.target.startswith(
        tuple(f"lifecycle.{p}" for p in (*ADAPTERS, "engine", "runbooks", "report", "cli", "lab")))]
    assert bad == []
