"""The content switching and GSLB layers above an application's vserver, adapter against the
twin's NITRO emulator (they agree only through the wire): read in observe/diff, the missing
bindings made idempotently, a policy that targets another vserver reported (naming both) and
never rebound, and ``i2 lb status`` showing both layers. web-portal/prd sits behind
cs_ie1_www_prd and gslb_web-portal_prd in the example site."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from lifecycle.cli.main import cli
from lifecycle.lab.base import TlsFiles
from lifecycle.lab.netscaler import NetScalerEmulator
from lifecycle.loadbalancer import Conflict, LbIntent, LoadBalancer
from lifecycle.loadbalancer.layers import CS_BINDING, GSLB_BINDING, layers
from tests.loadbalancer.conftest import PASSWORD, ROOT, World, platform_team, wait_for

A = ["10.20.1.5", "10.20.1.6"]


def test_missing_layers_are_conflicts_and_nothing_changes(lb: LoadBalancer, intent: LbIntent) -> None:
    changes = lb.diff(intent)
    conflicts = {c.rtype: c.detail for c in changes if c.op == "conflict"}
    # i2 would create the csvserver and gslbvserver (test_layers_create), not the platform team's
    # policy (its rule) and GSLB service (its site)
    assert "cspolicy csp_web-portal_prd does not exist on ie1-adc1" in conflicts[CS_BINDING]
    assert "gslbservice gs_web-portal_prd_ie1 does not exist" in conflicts[GSLB_BINDING]
    with pytest.raises(Conflict, match="csp_web-portal_prd"):
        lb.apply(intent)
    assert lb.nitro.get_one("lbvserver", intent.name) is None  # refused before any change


def test_ensure_binds_the_missing_layers_once(lb: LoadBalancer, intent: LbIntent, world: World) -> None:
    platform_team(lb, intent)
    made = lb.apply(intent)
    binds = [(c.rtype, c.fields) for c in made if c.op == "bind" and c.rtype in (CS_BINDING, GSLB_BINDING)]
    assert binds == [
        (CS_BINDING, {"name": "cs_ie1_www_prd", "policyname": "csp_web-portal_prd",
                      "targetlbvserver": "lb_web-portal_prd", "priority": 100}),
        (GSLB_BINDING, {"name": "gslb_web-portal_prd", "servicename": "gs_web-portal_prd_ie1"})]
    calls = lb.nitro.calls
    assert lb.apply(intent) == []
    assert lb.nitro.calls - calls == 7, "observing is the five GETs and one per layer"
    obs = lb.observe(intent)
    found = {x.kind: x for x in layers(intent, obs)}
    assert (found["cs"].status, found["cs"].target) == ("ok", "lb_web-portal_prd")
    # nobody serves through the VIP yet: NetScaler marks this site's GSLB service DOWN
    assert (found["gslb"].status, found["gslb"].state, found["gslb"].endpoint) == ("down", "DOWN",
                                                                                     "10.50.1.10:443")
    world.up |= {(ip, intent.port) for ip in A}
    lb.bind_members(intent.sg, A, intent.port)
    wait_for(lambda: layers(intent, lb.observe(intent))[1].state == "UP")
    assert layers(intent, lb.observe(intent))[1].status == "ok"
    # the shared reads (every csvserver's and gslbvserver's bindings at once) find the same
    shared = lb.observe_shared(intent)
    assert [x.status for x in layers(intent, shared)] == ["ok", "ok"]


def test_a_policy_targeting_another_vserver_is_never_rebound(lb: LoadBalancer, intent: LbIntent) -> None:
    lb.nitro.add("lbvserver", {"name": "lb_legacy_www", "servicetype": "SSL", "ipv46": "10.50.1.99",
                               "port": 443})
    assert lb.nitro.unbind(CS_BINDING, "cs_ie1_www_prd", {"policyname": "csp_web-portal_prd"})
    lb.nitro.bind(CS_BINDING, {"name": "cs_ie1_www_prd", "policyname": "csp_web-portal_prd",
                               "targetlbvserver": "lb_legacy_www", "priority": 100})
    with pytest.raises(Conflict) as caught:
        lb.apply(intent)
    assert ("cspolicy csp_web-portal_prd on csvserver cs_ie1_www_prd targets lbvserver lb_legacy_www, "
            "not lb_web-portal_prd") in str(caught.value)
    rows = lb.nitro.get(CS_BINDING, "cs_ie1_www_prd")
    assert [r["targetlbvserver"] for r in rows] == ["lb_legacy_www"]  # left as it was


def test_status_shows_both_layers(emu: NetScalerEmulator, tls: TlsFiles, intent: LbIntent, tmp_path: Path,
                                  lb: LoadBalancer, monkeypatch: pytest.MonkeyPatch) -> None:
    lb.nitro.unbind(CS_BINDING, "cs_ie1_www_prd", {"policyname": "csp_web-portal_prd"})
    lb.apply(intent)  # the policy bound again, targeting web-portal's vserver
    (tmp_path / "ns-password").write_text(PASSWORD)
    ep = tmp_path / "endpoints.yaml"
    ep.write_text(json.dumps({"netscaler": {"ie1-adc1": {
        "url": emu.url, "username": "nsroot", "password": {"file": "ns-password"}, "ca_file": str(tls.ca)}}}))

    def status(*extra: str) -> tuple[int, str]:
        r = CliRunner().invoke(cli, ["--site", str(ROOT / "examples/ie1"), "--endpoints", str(ep), *extra,
                                     "lb", "status", "web-portal", "--env", "prd"],
                               env={"COLUMNS": "400"})  # a row per line: the layers cell unwrapped
        return r.exit_code, r.output

    code, out = status("-o", "json")
    row = json.loads(out)[0]
    assert code == 0 and row["serving_sides"] == ["a"]
    assert (row["cs"]["vserver"], row["cs"]["member"], row["cs"]["target"], row["cs"]["status"]) == (
        "cs_ie1_www_prd", "csp_web-portal_prd", "lb_web-portal_prd", "ok")
    assert (row["gslb"]["member"], row["gslb"]["endpoint"], row["gslb"]["state"]) == (
        "gs_web-portal_prd_ie1", "10.50.1.10:443", "UP")
    from lifecycle.cli.output import console

    # one row per line: rich sizes its console once (80 columns without a terminal, as under xdist)
    monkeypatch.setattr(console, "_width", 400)
    code, out = status("-o", "table")
    assert "cs cs_ie1_www_prd -> csp_web-portal_prd -> lb_web-portal_prd" in " ".join(out.split())
    # the qa environment declares no layer: none shown
    plain = replace(intent, cs=None, gslb=None)
    assert layers(plain, lb.observe(plain)) == []
