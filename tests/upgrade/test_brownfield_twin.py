"""Brownfield, as operators find it, on the twin of the example site: what other teams and tools
left in VSD and the clouds (docs/twin.md "Brownfield") is reported by ``i2 upgrade plan``
(``foreign``, ``drift``, ``adopt?``), blocks only the moves it would break, and is read back
unchanged after ``i2 upgrade apply``.

One estate, the tests in order:

1. the plan names every brownfield object, blocks nothing, and says where the ACL mirrors go
   around the other teams' entries;
2. a flavor the applications use, re-made in the new cloud with another size, blocks the moves
   that use it (and only those); apply refuses them; the operator puts it right;
3. a server nobody declared on subnet A's network blocks that move (its clean-up would delete
   the network under it); apply refuses; the operator moves it away;
4. the whole campaign, then every brownfield object is read back as it was, the mirrors sit
   where the plan said, and the plan still reports them (left alone, not adopted).
"""

from __future__ import annotations

from typing import Any

import pytest

from lifecycle.lab.estate_clouds import FLAVORS, drifted, foreign_project, image_alias, tight_project
from lifecycle.lab.estate_vsd import SCANNER_ENTRY, SYSLOG_ENTRY, TEAM_MACROS, stale_cms_name
from lifecycle.lab.site_rules import grants
from lifecycle.model import load_site
from lifecycle.nuage.policy import Ref
from tests.runbooks.twin import lab, wait_until
from tests.upgrade.test_upgrade_twin import NEW, OLD, Estate, estate_site

pytestmark = [pytest.mark.needs_root("the twin's ZTP mount namespaces need root"),
              pytest.mark.slow(400)]

SEEN: dict[str, Any] = {}  # what test 1 read back, compared by test 4


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("brownfield")
    site = estate_site(tmp)
    with lab(tmp / "lab", rack=None, site=site) as labdir:
        yield Estate(labdir, site)


def site_of(estate: Estate) -> Any:
    return load_site(estate.site)


def snapshot(estate: Estate) -> dict[str, Any]:
    """Every brownfield object with its id and the properties that make it what it is."""
    site = site_of(estate)
    vsd = estate.vsd()
    ent = vsd.enterprise("IE1")
    out: dict[str, Any] = {
        "cms": sorted((c.id, c.name) for c in vsd.all(vsd.me.cloud_mgmt_systems)
                      if c.name == stale_cms_name(site)),
        "macros": sorted((m.id, m.name, m.address, m.netmask) for m in vsd.all(ent.enterprise_networks)
                         if m.name in TEAM_MACROS),
    }
    for d in vsd.all(ent.domains):
        out[f"{d.name} pgs"] = sorted((pg.id, pg.name) for pg in vsd.all(d.policy_groups))
        out[f"{d.name} legacy"] = sorted((s.id, s.name, s.address, s.netmask, s.parent_id, s.external_id)
                                         for s in vsd.all(d.subnets) if s.name.endswith("-legacy"))
        out[f"{d.name} entries"] = sorted(
            (e.direction, e.id, e.priority, e.rule, str(e.location), str(e.network), e.protocol, e.port,
             e.external_id) for e in vsd.entries(d, ent) if e.rule in (SYSLOG_ENTRY, SCANNER_ENTRY))
    project = foreign_project(site)
    new, old = estate.cloud(NEW), estate.cloud(OLD)
    # the project's own (the applications' VMs and networks are named after them, not it)
    out["servers"] = sorted((s.id, s.name, s.status, sorted(s.addresses))
                            for s in new.servers(project=project) if s.name.startswith(project))
    out["volumes"] = sorted((v.id, v.name, v.status, v.size,
                             sorted(a["server_id"] for a in v.attachments or []))
                            for v in new.volumes(project=project) if v.name.startswith(project))
    out["networks"] = sorted((c.name, n.id, n.name) for c in (old, new)
                             for n in c.conn.network.networks(project_id=c.project(project).id)
                             if n.name.startswith(project))
    f = new.conn.compute.find_flavor("m1.xlarge")
    out["flavor"] = (f.id, f.vcpus, f.ram, f.disk)
    img = new.conn.image.find_image(image_alias("rhel-8.4"))
    out["image"] = (img.id, img.name, img.checksum)
    q = new.conn.compute.get_quota_set(new.project(tight_project(site)).id)
    out["quota"] = (q.instances, q.cores, q.ram)
    assert all(out.values()), {k: v for k, v in out.items() if not v}  # every object is there
    return out


def findings(estate: Estate, *args: str, ok: tuple[int, ...] = (0,)) -> list[dict[str, str]]:
    return list(estate.json("upgrade", "plan", *args, ok=ok)["findings"])


def test_1_the_plan_reports_brownfield_and_blocks_nothing(estate: Estate) -> None:
    site = site_of(estate)
    SEEN["before"] = snapshot(estate)
    got = findings(estate)
    assert not [f for f in got if f["level"] == "blocking"], got
    foreign = [f["detail"] for f in got if f["check"] == "foreign"]
    assert [d for d in foreign if d.startswith(f"VSD CMS {stale_cms_name(site)} ")]
    (macros,) = [d for d in foreign if d.startswith("network macros not in the site")]
    assert all(m in macros for m in TEAM_MACROS)
    for dom in ("ie1-prd", "ie1-qa"):
        (pgs,) = [d for d in foreign if d.startswith(f"{dom}: policy groups")]
        assert "secops-scanners" in pgs and "ops-quarantine" in pgs
        (legacy,) = [d for d in foreign if d.startswith(f"{dom}: zone") and "-legacy" in d]
        assert f"made by CMS {stale_cms_name(site)}" in legacy
        # the other teams' entries and only those: every entry the site's rules mean is i2's
        entries = [d for d in foreign if d.startswith(f"{dom}: ") and " entry '" in d]
        assert sorted(d.split("'")[1] for d in entries) == sorted([SCANNER_ENTRY, SYSLOG_ENTRY]), entries
    project = foreign_project(site)
    for what in (f"server {project}-jump ({NEW}", f"volume {project}-scratch ({NEW}",
                 f"volume {project}-archive ({NEW}", f"network {project}-tools ({NEW}",
                 f"network {project}-legacy ({OLD}"):
        assert len([d for d in foreign if d.startswith(what)]) == 1, (what, foreign)
    (drift,) = [f for f in got if f["check"] == "drift"]
    assert drift["level"] == "info" and drift["detail"].startswith("flavor m1.xlarge is ")
    assert "no application uses it" in drift["detail"]
    (adopt,) = [f for f in got if f["check"] == "adopt?"]
    assert adopt["detail"].startswith(
        f"image {image_alias('rhel-8.4')} in {NEW} has the checksum of rhel-8.4")
    tight = [f for f in got if f["check"] == "quota" and f["level"] == "warning"]
    assert tight and all("nearly exhausted" in f["detail"] for f in tight), tight
    assert {f["app"] for f in tight} == {f"{a.name}/{env}" for a in site.applications for env, e in
                                         a.environments.items() if e.project == tight_project(site)}
    # where the mirrors of the entries naming subnet A go: around the other teams' entries
    p = next(g.priority for g in grants(site, "prd") if g.label == "reporting-to-ledger")
    acl = {f["detail"].split()[0]: f["detail"] for f in got
           if f["check"] == "acl" and f["app"] == "billing/prd"}
    assert acl["ingress"].endswith(f"to mirror for B at priority {p + 2} ({p + 1} holds '{SYSLOG_ENTRY}')")
    assert acl["egress"].endswith(f"to mirror for B at priority {p - 1} ({p + 1} holds '{SCANNER_ENTRY}')")
    SEEN["priorities"] = {"ingress": p + 2, "egress": p - 1}


def test_2_a_drifted_flavor_blocks_the_moves_that_use_it(estate: Estate) -> None:
    new = estate.cloud(NEW).conn
    was = new.compute.find_flavor("m1.large")
    new.compute.delete_flavor(was)  # someone re-made it, smaller
    small = drifted(FLAVORS["m1.large"])
    new.compute.create_flavor(name="m1.large", vcpus=small[0], ram=small[1], disk=small[2])
    try:
        got = findings(estate, "--app", "billing", "--app", "web-portal", ok=(1,))
        blocking = [f for f in got if f["level"] == "blocking"]
        assert {(f["app"], f["check"]) for f in blocking} == {("billing/prd", "drift"),
                                                              ("billing/qa", "drift")}
        assert all("flavor m1.large is " in f["detail"] and "would be sized wrong" in f["detail"]
                   for f in blocking), blocking
        res = estate.i2("upgrade", "apply", "--app", "billing", "--yes")
        assert res.returncode == 1 and "blocking finding(s)" in res.stderr, res.stderr
        assert "billing-prd-b" not in estate.vsd_subnets()  # nothing was changed
    finally:  # the operator puts it right
        new.compute.delete_flavor(new.compute.find_flavor("m1.large"))
        new.compute.create_flavor(name="m1.large", vcpus=was.vcpus, ram=was.ram, disk=was.disk)
    assert not [f for f in findings(estate, "--app", "billing") if f["level"] == "blocking"]


def test_3_a_foreign_server_on_subnet_a_refuses_its_move(estate: Estate) -> None:
    old = estate.cloud(OLD)
    conn = old.scoped("finance-prd")
    net = next(n for n in conn.network.networks() if n.name == "reporting-prd-a")
    server = conn.compute.create_server(name="finance-batch-01", flavor_id=old.flavor("m1.medium").id,
                                        image_id=old.image("rhel-8.4").id, networks=[{"uuid": net.id}])
    conn.compute.wait_for_server(server, wait=120)
    try:
        got = findings(estate, "--app", "reporting", "--app", "billing", ok=(1,))
        (blocking,) = [f for f in got if f["level"] == "blocking"]
        assert (blocking["app"], blocking["check"]) == ("reporting/prd", "foreign")
        assert blocking["detail"].startswith("server finance-batch-01 (ie1-old, project finance-prd) is not "
                                             "in the site and has an address on reporting-prd-a")
        assert "Refused: move finance-batch-01 off reporting-prd-a" in blocking["detail"]
        res = estate.i2("upgrade", "apply", "--app", "reporting", "--yes")
        assert res.returncode == 1 and "finance-batch-01" in res.stderr, res.stderr
        assert "reporting-prd-b" not in estate.vsd_subnets()
        assert conn.compute.get_server(server.id).status == "ACTIVE"  # i2 left it alone
    finally:  # the team retires its server
        conn.compute.delete_server(server)
        wait_until(lambda: conn.compute.find_server(server.id) is None, 60, "finance-batch-01 gone")
    assert not [f for f in findings(estate, "--app", "reporting") if f["level"] == "blocking"]


def test_4_the_campaign_leaves_brownfield_as_it_was(estate: Estate) -> None:
    res = estate.json("upgrade", "apply", "--yes")
    assert res["status"] == "succeeded", res
    assert snapshot(estate) == SEEN["before"]
    # the mirrors sit where the plan said, beside the other teams' entries
    vsd = estate.vsd()
    ent = vsd.enterprise("IE1")
    dom = vsd.domain(ent, "ie1-prd")
    mirrors = {e.direction: e.priority for e in vsd.entries(dom, ent)  # only reporting-to-ledger names it
               if e.external_id.startswith("i2-mirror:") and e.names(Ref("SUBNET", "billing-prd-b"))}
    assert mirrors == SEEN["priorities"]
    estate.check_nothing_doubled()
    estate.check_no_downtime()
    # still reported, never adopted
    after = findings(estate)
    assert not [f for f in after if f["level"] == "blocking"], after
    assert len([f for f in after if f["check"] == "foreign" and " entry '" in f["detail"]]) == 4
    assert [f for f in after if f["check"] == "adopt?"]
    # the old rack's leaves after the recommission, read back through pyeapi: every line of the
    # site's config is there, and so are the network team's own settings; nothing left to push
    import threading

    from lifecycle.engine import ActionContext, StepView
    from lifecycle.fabric.drift import running_config
    from lifecycle.fabric.eapi import connect, diff
    from lifecycle.lab.eos.estate_configs import EXTRA_VLAN
    from lifecycle.runbooks.common import Services
    from lifecycle.runbooks.recommission import Fabric, recommissioned

    svc = Services(site_dir=estate.site, endpoints_file=estate.dir / "endpoints.yaml")
    svc.override_site(recommissioned(svc.site))
    for leaf in ("c01-leaf1", "c01-leaf2"):
        node = connect(svc.endpoints, svc.secrets, leaf)
        running = running_config(node)
        assert f"vlan {EXTRA_VLAN[0]}\n   name {EXTRA_VLAN[1]}\n" in running, (leaf, running)
        assert "   description spare - do not use (netops)\n   shutdown\n" in running, (leaf, running)
        assert "   description oob\n" in running and "vlan 110\n" not in running, (leaf, running)
        added = [x for x in diff(node, svc.intended_configs()[leaf]).splitlines() if x[:1] == "+"
                 and x[:3] != "+++" and x[1:].strip() != "!" and "username " not in x]
        assert added == [], (leaf, added)
        assert [f for f in after if f["check"] == "foreign" and f["level"] == "info"
                and f["detail"].startswith(f"{leaf}: 4 setting(s) only on the switch")], after
    step = StepView(key="rec/c01/fabric", target="rack:c01", action=Fabric.name,
                    params=Fabric.Params(rack="c01"), attempt=1, dep_outputs={}, run_id="check")
    again = Fabric(svc).observe(step, ActionContext("check", step.key, cancelled=threading.Event()))
    assert again is not None and again.changed == {} and again.kept == {"c01-leaf1": 4, "c01-leaf2": 4}

