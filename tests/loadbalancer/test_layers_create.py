"""The layers above web-portal/prd's vserver when the platform team made only its policy and GSLB
service: i2 creates the csvserver and gslbvserver the site names, binds them, and a second
apply changes nothing (one created meanwhile, NITRO's 273, is taken as made); a policy bound at
another priority than the site's, and a member bound at another weight than i2's, are drift:
reported by ``diff``, ``i2 lb status`` and the readiness' layer finding, never changed."""

from __future__ import annotations

from lifecycle.loadbalancer import LbIntent, LoadBalancer
from lifecycle.loadbalancer.layers import CS_BINDING, GSLB_BINDING, layers
from lifecycle.loadbalancer.members import MEMBER_BINDING
from lifecycle.runbooks.upgrade.readiness_lb import layer_finding


def _platform_policy_and_service(lb: LoadBalancer, intent: LbIntent) -> None:
    """The platform team's part: the policy (its rule), the GSLB site and this site's service."""
    vs = intent.vserver
    assert intent.cs is not None and intent.gslb is not None
    lb.nitro.add("cspolicy", {"policyname": intent.cs["policyname"], "rule": 'HTTP.REQ.HOSTNAME.EQ("www")'})
    lb.nitro.add("gslbsite", {"sitename": "ie1", "siteipaddress": "10.0.0.41"})
    lb.nitro.add("gslbservice", {"servicename": intent.gslb["servicename"], "ip": vs["ipv46"],
                                 "port": vs["port"], "servicetype": vs["servicetype"], "sitename": "ie1"})


def test_missing_csvserver_and_gslbvserver_are_created_then_bound(lb: LoadBalancer, intent: LbIntent) -> None:
    assert intent.cs is not None and intent.gslb is not None
    _platform_policy_and_service(lb, intent)
    found = {x.kind: x for x in layers(intent, lb.observe(intent))}
    assert (found["cs"].status, found["gslb"].status) == ("create", "create")
    made = lb.apply(intent)
    adds = [(c.rtype, c.name) for c in made if c.op == "add" and c.rtype in ("csvserver", "gslbvserver")]
    assert adds == [("csvserver", intent.cs["name"]), ("gslbvserver", intent.gslb["name"])]
    assert {c.rtype for c in made if c.op == "bind"} >= {CS_BINDING, GSLB_BINDING}
    cs = lb.nitro.get_one("csvserver", intent.cs["name"])
    assert cs is not None and cs["servicetype"] == intent.vserver["servicetype"]
    rows = lb.nitro.get(CS_BINDING, intent.cs["name"])
    assert [(r["policyname"], r["targetlbvserver"]) for r in rows] == [(intent.cs["policyname"], intent.name)]
    assert [r["servicename"] for r in lb.nitro.get(GSLB_BINDING, intent.gslb["name"])] == [
        intent.gslb["servicename"]]
    assert lb.apply(intent) == []  # idempotent
    assert [x.status for x in layers(intent, lb.observe_shared(intent))] == ["ok", "down"]  # nobody UP yet


def test_a_csvserver_created_meanwhile_is_taken_as_made(lb: LoadBalancer, intent: LbIntent) -> None:
    assert intent.cs is not None
    lb.nitro.unbind(CS_BINDING, intent.cs["name"], {"policyname": intent.cs["policyname"]})
    lb.nitro.delete("csvserver", intent.cs["name"])
    stale = lb.observe(intent)  # saw no csvserver
    lb.nitro.add("csvserver", {"name": intent.cs["name"], "servicetype": intent.vserver["servicetype"]})
    made = lb.apply(intent, obs=stale)  # its add answers 273: what exists matches, the bind goes on
    assert not [c for c in made if c.op == "add"]
    assert [c.rtype for c in made if c.op == "bind"] == [CS_BINDING]
    assert lb.apply(intent) == []


def test_priority_and_weight_drift_is_reported_never_changed(lb: LoadBalancer, intent: LbIntent) -> None:
    assert intent.cs is not None
    lb.nitro.unbind(CS_BINDING, intent.cs["name"], {"policyname": intent.cs["policyname"]})
    lb.nitro.bind(CS_BINDING, {"name": intent.cs["name"], "policyname": intent.cs["policyname"],
                               "targetlbvserver": intent.name, "priority": 250})
    lb.nitro.bind(MEMBER_BINDING, {"servicegroupname": intent.sg, "ip": "10.20.1.5", "port": intent.port,
                                   "weight": 4})
    obs = lb.observe(intent)
    cs = layers(intent, obs)[0]
    assert cs.status == "drift" and f"at priority 250, the site says {intent.cs['priority']}" in cs.detail
    assert layer_finding(cs) == ("lb-cs", "warning", cs.detail)
    drift = [str(c) for c in lb.diff(intent, obs) if c.op == "drift"]
    assert drift == [f"drift {CS_BINDING} {intent.cs['name']}: {cs.detail}",
                     f"drift {MEMBER_BINDING} {intent.sg}: member 10.20.1.5:{intent.port} weight 4, "
                     "i2 binds at 1"]
    assert lb.apply(intent) == []  # reported, not changed
    rows = lb.nitro.get(CS_BINDING, intent.cs["name"])
    assert [str(r.get("priority")) for r in rows] == ["250"]
