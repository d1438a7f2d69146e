"""The upgrade's pure logic: site rules as VSD entries, mirrors, the plan's shape, team entries."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from lifecycle.model import load_site
from lifecycle.model.endpoints import parse_endpoints
from lifecycle.nuage.policy import Entry, PriorityError, Ref, intended_entries, mirror_of, mirror_priority
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.upgrade import build_plan, build_rollback_plan
from lifecycle.runbooks.upgrade.model import UpgradeModelError, moves
from lifecycle.runbooks.upgrade.model import unmirrored as _unmirrored
from lifecycle.runbooks.upgrade.teams import TeamsError, switch_team_entry, team_entry_cloud

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site():
    return load_site(ROOT / "examples/ie1")


@pytest.fixture()
def svc(site, tmp_path):
    ep = tmp_path / "endpoints.yaml"
    ep.write_text("{}\n")
    return Services(site_dir=ROOT / "examples/ie1", endpoints_file=ep, site=site,
                    endpoints=parse_endpoints({}, str(ep), tmp_path))


def by_rule(entries: list[Entry]) -> dict[tuple[str, str], Entry]:
    return {(e.direction, e.rule): e for e in entries}


def test_rules_become_ingress_at_the_source_and_egress_at_the_destination(site):
    prd = by_rule(intended_entries(site, "prd"))
    talk = prd[("ingress", "web-portal-to-api-gateway")]
    assert (talk.location, talk.network, talk.protocol, talk.port) == (
        Ref("ZONE", "web-portal"), Ref("ZONE", "api-gateway"), "6", "8443")
    back = prd[("egress", "web-portal-to-api-gateway")]
    assert (back.location, back.network) == (Ref("ZONE", "api-gateway"), Ref("ZONE", "web-portal"))
    # from outside the domain (external, a macro): only the destination's egress entry
    assert ("ingress", "external-to-web-portal") not in prd
    assert prd[("egress", "external-to-web-portal")].network == Ref("ANY")
    assert prd[("egress", "corp-users-to-reporting")].network == Ref("ENTERPRISE_NETWORK", "corp-users")
    # to a macro: only the source's ingress entry
    assert prd[("ingress", "allow-dns")].network == Ref("ENTERPRISE_NETWORK", "dns-servers")
    assert ("egress", "allow-dns") not in prd


def test_a_subnet_rule_exists_only_in_its_environment(site):
    prd = by_rule(intended_entries(site, "prd"))
    qa = by_rule(intended_entries(site, "qa"))
    assert prd[("egress", "reporting-to-ledger")].location == Ref("SUBNET", "billing-prd-a")
    assert ("egress", "reporting-to-ledger") not in qa
    assert len({e.key for e in intended_entries(site, "prd")}) == len(intended_entries(site, "prd"))


def test_mirror_replaces_subnet_a_and_is_found_again(site):
    e = Entry("egress", "reporting-to-ledger", Ref("SUBNET", "billing-prd-a"), Ref("ZONE", "reporting"),
              id="e1", location_id="sA", network_id="zR")
    m = mirror_of(e, Ref("SUBNET", "billing-prd-a"), Ref("SUBNET", "billing-prd-b"), "sB")
    assert (m.location, m.location_id, m.network, m.network_id) == (
        Ref("SUBNET", "billing-prd-b"), "sB", Ref("ZONE", "reporting"), "zR")
    assert m.id == "" and m.external_id == "i2-mirror:e1:billing-prd-b"
    move = next(x for x in moves(site, apps=["billing"]) if x.env == "prd")
    assert _unmirrored(move, [e]) == [e]
    assert _unmirrored(move, [e, m]) == []
    # a rollback leaves B: the mirror is fine while its original exists, not once it is gone
    back = next(x for x in moves(site, apps=["billing"], reverse=True) if x.env == "prd")
    assert _unmirrored(back, [e, m]) == []
    assert _unmirrored(back, [m]) == [m]


def test_moves_follow_waves_and_refuse_unknown_names(site):
    keys = [m.key for m in moves(site)]
    assert keys[:2] == ["notifications/prd", "notifications/qa"] and len(keys) == 12
    assert {m.wave for m in moves(site, wave="wave2")} == {"wave2"}
    with pytest.raises(UpgradeModelError, match="no wave 'wave9'"):
        moves(site, wave="wave9")
    with pytest.raises(UpgradeModelError, match="no application nope"):
        moves(site, apps=["nope"])
    with pytest.raises(UpgradeModelError, match="billing: in no wave wave1"):
        moves(site, wave="wave1", apps=["billing"])


def test_plan_is_make_before_break(svc):
    plan = build_plan(svc, recommission=False)
    steps = {s.key: s for s in plan.steps}
    prd = "billing/prd"
    # B is booted before any volume moves, and A leaves only after B is in service and soaked
    assert f"{prd}/boot" in steps[f"{prd}/freeze"].deps
    assert steps[f"{prd}/volume/billing-prd-ledger/manage"].deps == [
        f"{prd}/volume/billing-prd-ledger/unmanage", f"{prd}/volume/billing-prd-ledger/detach"]
    assert f"{prd}/acl-mirror" in steps[f"{prd}/in-service"].deps
    # the drain reads the addresses the in-service step bound
    assert steps[f"{prd}/retire"].deps == [f"{prd}/soak", f"{prd}/in-service"]
    assert steps[f"{prd}/delete-vsd-a"].deps == [f"{prd}/delete-a-network"]
    # stateless moves have no volume steps; wave 2 starts after wave 1 ends
    assert not any(k.startswith("web-portal/prd/volume") for k in steps)
    assert "web-portal/prd/evidence" in steps["billing/prd/vsd-subnet"].after
    # a project shared by two applications switches once both have moved
    assert sorted(steps["endpoint/finance-prd"].deps) == ["billing/prd/in-service",
                                                           "reporting/prd/in-service"]


def test_a_shared_project_names_the_applications_the_run_moves(svc):
    # the endpoint step decides when it runs: billing, in the same project, may still be on A
    steps = {s.key: s for s in build_plan(svc, apps=["reporting"]).steps}
    assert steps["endpoint/finance-prd"].params["apps"] == ["reporting"]
    assert steps["endpoint/finance-prd"].deps == ["reporting/prd/in-service"]


def test_rollback_moves_volumes_back_before_b_leaves(svc):
    steps = {s.key: s for s in build_rollback_plan(svc, "orders").steps}
    k = "orders/prd/rollback"
    assert steps[f"{k}/check"].deps == []
    assert steps[f"{k}/volume/orders-prd-db/manage"].params["reverse"] is True
    assert steps[f"{k}/retire"].deps == [f"{k}/in-service"]
    assert steps[f"{k}/delete-vsd-b"].action == "upgrade.delete_source_vsd"


def _clouds(tmp_path: Path) -> Path:
    (tmp_path / "clouds.yaml").write_text(yaml.safe_dump({"clouds": {
        "old-admin": {"auth": {"auth_url": "https://old:5000/v3", "username": "i2",
                               "password": "x", "project_name": "admin"}, "cacert": "ca.pem"},
        "new-admin": {"auth": {"auth_url": "https://new:5000/v3", "username": "i2",
                               "password": "y", "project_name": "admin"}, "region_name": "ie1",
                      "cacert": "ca.pem"}}}))
    teams = tmp_path / "teams.yaml"
    teams.write_text(yaml.safe_dump({"clouds": {"finance-prd": {
        "auth": {"auth_url": "https://old:5000/v3", "username": "finance", "project_name": "finance-prd"},
        "cacert": str(tmp_path / "ca.pem")}}}))
    return teams


def test_team_entry_switches_where_it_points_never_who_it_is(tmp_path):
    teams = _clouds(tmp_path)
    ep = parse_endpoints({"clouds": {"ie1-old": {"cloud": "old-admin", "clouds_yaml": "clouds.yaml"},
                                     "ie1-new": {"cloud": "new-admin", "clouds_yaml": "clouds.yaml"}},
                          "teams": {"clouds_yaml": "teams.yaml"}}, "ep", tmp_path)
    assert team_entry_cloud(ep, "finance-prd") == "ie1-old"
    assert switch_team_entry(ep, "finance-prd", "ie1-new") == "ie1-old"
    entry = yaml.safe_load(teams.read_text())["clouds"]["finance-prd"]
    assert entry["auth"] == {"auth_url": "https://new:5000/v3", "username": "finance",
                             "project_name": "finance-prd"}  # no password copied in
    assert entry["region_name"] == "ie1" and entry["cacert"] == str(tmp_path / "ca.pem")
    assert team_entry_cloud(ep, "finance-prd") == "ie1-new"
    assert stat.S_IMODE(os.stat(teams).st_mode) == 0o600
    with pytest.raises(TeamsError, match="no entry for project nope"):
        switch_team_entry(ep, "nope", "ie1-new")


def test_a_vsd_outage_relayed_by_neutron_is_transient_a_refusal_is_not() -> None:
    from lifecycle.clouds.cloud import vsd_busy

    assert vsd_busy("Bad request: Error in REST call to VSD: The VSD is temporarily unavailable "
                    "(injected fault). Retry later.")
    assert vsd_busy("Bad request: Error in REST call to VSD: HTTP 503")
    assert not vsd_busy("Bad request: Error in REST call to VSD: Subnet 10.0.0.0/24 overlaps")
    assert not vsd_busy("Invalid input for cidr: temporarily unavailable")  # not a VSD relay


# -- hazard 6: ACL priorities that collide ------------------------------------------------------

A, B = Ref("SUBNET", "billing-prd-a"), Ref("SUBNET", "billing-prd-b")
REP = Ref("ZONE", "reporting")


def ledger(port: str, prio: int, id: str) -> Entry:
    return Entry("ingress", "reporting-to-ledger", REP, A, port=port, priority=prio, id=id,
                 location_id="zR", network_id="sA")


def test_hazard6_mirror_priority_is_free_and_keeps_the_order():
    e80, e443 = ledger("80", 1000, "e80"), ledger("443", 1001, "e443")
    other = Entry("ingress", "not-i2", REP, Ref("SUBNET", "legacy"), port="443", priority=1002,
                  location_id="zR", network_id="sL")
    drop = Entry("ingress", "drop-all", Ref("ANY"), Ref("ANY"), protocol="ANY", action="DROP", priority=1004)
    held = {x.priority: x for x in (e80, e443, other, drop)}
    m80 = mirror_of(e80, A, B, "sB")
    # old code: 1001, the next port's entry; now the first free one past entries B's traffic never meets
    assert mirror_priority(m80, held) == 1003
    held[1003] = m80
    # the 443 mirror: 1004 drops everything, so the mirror goes just before its original instead
    assert mirror_priority(mirror_of(e443, A, B, "sB"), held) == 999
    # an entry that could match B's traffic on both sides: refused, naming both, rather than reordered
    held[999] = Entry("ingress", "zone-drop", REP, Ref("ZONE", "billing"), action="DROP", priority=999)
    refused = r"no free priority next to 1001.*1004 \(drop-all\).*999 \(zone-drop\)"
    with pytest.raises(PriorityError, match=refused):
        mirror_priority(mirror_of(e443, A, B, "sB"), held)


def test_hazard6_mirror_priority_is_stable_for_the_same_template():
    held = {1000: ledger("80", 1000, "e80"), 1001: ledger("443", 1001, "e443")}
    m = mirror_of(held[1000], A, B, "sB")
    assert mirror_priority(m, held) == mirror_priority(m, dict(held)) == 1002
    assert m.priority == 0 and m.anchor == 1000  # the adapter allocates, from what VSD holds


def test_hazard6_a_rule_with_more_than_ten_ports_keeps_its_own_priorities(site, tmp_path):
    import shutil

    before = {(e.direction, e.key): e.priority for e in intended_entries(site, "prd")}
    copy = tmp_path / "site"
    shutil.copytree(ROOT / "examples/ie1", copy)
    cfg = copy / "site.yaml"
    cfg.write_text(cfg.read_text().replace("../../hardware-profiles", str(ROOT / "hardware-profiles")))
    apps = copy / "applications.yaml"
    doc = yaml.safe_load(apps.read_text())
    billing = next(a for a in doc["applications"] if a["name"] == "billing")
    billing["rules"][0]["ports"] = list(range(6000, 6012))
    apps.write_text(yaml.safe_dump(doc, sort_keys=False))
    entries = intended_entries(load_site(copy), "prd")
    for direction in ("ingress", "egress"):
        prios = [e.priority for e in entries if e.direction == direction]
        assert len(prios) == len(set(prios)), sorted(prios)
    bulk = sorted(e.priority for e in entries if e.rule == "reporting-to-ledger" and e.direction == "egress")
    assert bulk == list(range(1100, 1112))
    after = {(e.direction, e.key): e.priority for e in entries}
    # the rules before it keep the priorities they always had (the estate holds them)
    assert all(after[k] == p for k, p in before.items() if p < 1100)
    # the rules after it start past its second block: billing's next rule, then reporting's
    assert after[("egress", "egress:adc-to-billing:8080")] == 1120
    assert after[("egress", "egress:corp-users-to-reporting:443")] == 1130


def test_hazard6_unmirrored_entries_come_in_priority_order(site):
    move = next(x for x in moves(site, apps=["billing"]) if x.env == "prd")
    es = [ledger("443", 1001, "e443"), ledger("80", 1000, "e80")]
    assert [e.id for e in _unmirrored(move, es)] == ["e80", "e443"]


class OfflineIronic(Services):
    """An Ironic without tagged nodes: planning the recommission's rack steps reads indices."""

    def baremetal(self, undercloud: str) -> object:
        from types import SimpleNamespace

        return SimpleNamespace(used_indices=lambda prefix: {})


def test_hazard7_recommission_deletes_through_the_old_director_before_the_old_ironic(svc, site):
    """Issue 12, hazard 7: the emptied old computes leave the old overcloud's stack through its
    director (``openstack overcloud node delete``) before the old Ironic forgets them."""
    svc = OfflineIronic(site_dir=svc.site_dir, endpoints_file=svc.endpoints_file, site=site,
                        endpoints=svc.endpoints)
    plan = build_plan(svc)
    steps = {s.key: s for s in plan.steps}
    assert site.upgrade is not None
    old = site.cloud(site.upgrade.from_cloud)
    deletes = [s for s in steps.values() if s.action == "upgrade.rec_node_delete"]
    assert deletes, "no node delete on the old director"
    moving = {n for e in site.upgrade.recommission for n in e.servers}
    assert sorted(n for d in deletes for n in d.params["servers"]) == sorted(moving)
    for d in deletes:
        assert d.target == f"overcloud:{old.name}" and d.params["cloud"] == old.name
        assert d.system == f"undercloud:{old.undercloud}"
        # once each server is drained and disabled, and before its node leaves the old Ironic
        assert sorted(d.deps) == sorted(f"rec/{n}/disable" for n in d.params["servers"])
        for n in d.params["servers"]:
            assert d.key in steps[f"rec/{n}/undeploy"].deps
    assert f"stack:{old.name}" in plan.resources and f"undercloud:{old.undercloud}" in plan.resources
