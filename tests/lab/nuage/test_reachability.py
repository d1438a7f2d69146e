"""The reachability function over the store (in process, as workload probes call it)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lifecycle.lab.nuage import VsdStore

TCP_PG = 5432


class Site:
    """One enterprise, an L3 domain from a template with zones web and db (implicit drop at both
    ingress and egress), subnets web-a/web-b in zone web and db-a in zone db."""

    def __init__(self) -> None:
        st = self.store = VsdStore()
        self.ent = st.create("enterprise", {"name": "ie1"})["ID"]
        tpl = st.create("domaintemplate", {"name": "l3"}, self.ent)["ID"]
        for z in ("web", "db"):
            st.create("zonetemplate", {"name": z}, tpl)
        st.create("ingressacltemplate", {"name": "in", "active": True, "defaultAllowIP": False}, tpl)
        st.create("egressacltemplate", {"name": "out", "active": True, "defaultAllowIP": False}, tpl)
        self.domain = st.create("domain", {"name": "prod", "templateID": tpl}, self.ent)["ID"]
        self.zone = {z["name"]: z["ID"] for z in st.list("zone", self.domain)}
        self.ingress = st.list("ingressacltemplate", self.domain)[0]["ID"]
        self.egress = st.list("egressacltemplate", self.domain)[0]["ID"]
        self.subnet = {}
        for name, zone, cidr in (("web-a", "web", "10.1.1.0"), ("web-b", "web", "10.1.2.0"),
                                 ("db-a", "db", "10.2.1.0")):
            body = {"name": name, "address": cidr, "netmask": "255.255.255.0"}
            self.subnet[name] = st.create("subnet", body, self.zone[zone])["ID"]
        self.vms: dict[str, str] = {}

    def vm(self, subnet: str, ip: str) -> str:
        body = {"name": f"port-{ip}", "type": "VM", "addressSpoofing": "INHERITED"}
        vport = self.store.create("vport", body, self.subnet[subnet])
        vm = self.store.create("vm", {"name": f"vm-{ip}", "UUID": f"uuid-{ip}", "interfaces": [
            {"MAC": f"fa:16:3e:00:{ip.split('.')[2]:0>2}:{ip.split('.')[3]:0>2}", "VPortID": vport["ID"],
             "IPAddress": ip}]})
        self.vms[ip] = vm["ID"]
        return vport["ID"]

    def rule(self, direction: str, loc: tuple[str, str | None], net: tuple[str, str | None], *,
             port: str | None = str(TCP_PG), protocol: str = "6", action: str = "FORWARD",
             stateful: bool = True, priority: int | None = None, acl: str | None = None) -> dict[str, Any]:
        body = {"action": action, "locationType": loc[0], "locationID": loc[1], "networkType": net[0],
                "networkID": net[1], "protocol": protocol, "etherType": "0x0800", "DSCP": "*",
                "stateful": stateful, "priority": priority}
        if protocol in ("6", "17"):
            body.update({"sourcePort": "*", "destinationPort": port or "*"})
        parent = acl or (self.ingress if direction == "ingress" else self.egress)
        return self.store.create(f"{direction}aclentrytemplate", body, parent)

    def allow_zone_to_zone(self, src: str, dst: str, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return (self.rule("ingress", ("ZONE", self.zone[src]), ("ZONE", self.zone[dst]), **kw),
                self.rule("egress", ("ZONE", self.zone[dst]), ("ZONE", self.zone[src]), **kw))


@pytest.fixture
def site() -> Site:
    s = Site()
    s.vm("web-a", "10.1.1.10")
    s.vm("web-b", "10.1.2.10")
    s.vm("db-a", "10.2.1.10")
    return s


def test_implicit_drop(site: Site) -> None:
    d = site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG)
    assert not d.allowed and d.entry == "implicit drop"
    assert d.verdict is not None and d.verdict.stage == "ingress" and "implicit drop" in d.reason


def test_zone_rules_cover_subnets_a_and_b(site: Site) -> None:
    ing, _ = site.allow_zone_to_zone("web", "db")
    for src in ("10.1.1.10", "10.1.2.10"):
        d = site.store.reachable(src, "10.2.1.10", TCP_PG)
        assert d.allowed, d.explain()
        assert d.entry["ID"] == ing["ID"] and d.entry["direction"] == "ingress"
    assert not site.store.reachable("10.1.1.10", "10.2.1.10", 22).allowed  # other port
    assert not site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG, "udp").allowed
    assert not site.store.reachable("10.2.1.10", "10.1.1.10", TCP_PG).allowed  # other direction


def test_subnet_rule_for_a_does_not_cover_b(site: Site) -> None:
    site.rule("ingress", ("SUBNET", site.subnet["web-a"]), ("ZONE", site.zone["db"]))
    site.rule("egress", ("ZONE", site.zone["db"]), ("SUBNET", site.subnet["web-a"]))
    assert site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG).allowed
    d = site.store.reachable("10.1.2.10", "10.2.1.10", TCP_PG)
    assert not d.allowed and d.entry == "implicit drop"
    # Copying the subnet-level entries for B is what a cutover has to do.
    site.rule("ingress", ("SUBNET", site.subnet["web-b"]), ("ZONE", site.zone["db"]))
    site.rule("egress", ("ZONE", site.zone["db"]), ("SUBNET", site.subnet["web-b"]))
    assert site.store.reachable("10.1.2.10", "10.2.1.10", TCP_PG).allowed


def test_acl_removed_denies_and_restored_allows(site: Site) -> None:
    ing, egr = site.allow_zone_to_zone("web", "db")
    assert site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG).allowed
    site.store.delete(egr["ID"])
    d = site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG)
    assert not d.allowed and d.verdict.stage == "egress" and d.entry == "implicit drop"
    site.rule("egress", ("ZONE", site.zone["db"]), ("ZONE", site.zone["web"]))
    assert site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG).allowed
    site.store.update(ing["ID"], {"destinationPort": "6000"})
    assert not site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG).allowed


def test_stateful_entries_allow_the_return_path(site: Site) -> None:
    site.allow_zone_to_zone("web", "db", stateful=False)
    d = site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG)
    assert not d.allowed and d.verdict.stage == "reply ingress", d.explain()
    # Stateless: the replies need rules of their own (source port 5432 back to the client).
    site.rule("ingress", ("ZONE", site.zone["db"]), ("ZONE", site.zone["web"]), port="*", stateful=False)
    site.rule("egress", ("ZONE", site.zone["web"]), ("ZONE", site.zone["db"]), port="*", stateful=False)
    assert site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG).allowed
    # Or the forward entries are stateful and nothing else is needed.
    other = Site()
    other.vm("web-a", "10.1.1.10")
    other.vm("db-a", "10.2.1.10")
    other.allow_zone_to_zone("web", "db", stateful=True)
    d = other.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG)
    assert d.allowed and [v.stage for v in d.steps] == ["ingress", "egress", "reply ingress", "reply egress"]
    assert "stateful" in d.steps[2].reason


def test_network_macros_for_external_clients(site: Site) -> None:
    lb = site.store.create("enterprisenetwork", {"name": "lb", "address": "203.0.113.0",
                                                  "netmask": "255.255.255.0"}, site.ent)
    site.rule("egress", ("ZONE", site.zone["web"]), ("ENTERPRISE_NETWORK", lb["ID"]), port="443")
    d = site.store.reachable("203.0.113.9", "10.1.2.10", 443)
    assert d.allowed and d.src.external and d.entry["networkType"] == "ENTERPRISE_NETWORK"
    assert [v.stage for v in d.steps] == ["egress", "reply ingress"]
    assert not site.store.reachable("198.51.100.1", "10.1.2.10", 443).allowed
    group = site.store.create("networkmacrogroup", {"name": "partners"}, site.ent)
    partner = site.store.create("enterprisenetwork", {"name": "p1", "address": "198.51.100.0",
                                                       "netmask": "255.255.255.0"}, site.ent)
    site.store.assign(group["ID"], "enterprisenetwork", [partner["ID"]])
    site.rule("egress", ("ZONE", site.zone["web"]), ("NETWORK_MACRO_GROUP", group["ID"]), port="443")
    assert site.store.reachable("198.51.100.1", "10.1.2.10", 443).allowed
    # The VM reaching out to the macro is the ingress side.
    assert not site.store.reachable("10.1.2.10", "203.0.113.9", 443).allowed
    site.rule("ingress", ("ANY", None), ("ENTERPRISE_NETWORK", lb["ID"]), port="443")
    assert site.store.reachable("10.1.2.10", "203.0.113.9", 443).allowed


def test_priority_order_and_drop(site: Site) -> None:
    site.rule("ingress", ("ANY", None), ("ANY", None), protocol="ANY", action="DROP", priority=10)
    site.allow_zone_to_zone("web", "db", priority=20)
    d = site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG)
    assert not d.allowed and d.entry["action"] == "DROP" and d.entry["priority"] == 10
    drop = next(e for e in site.store.list("ingressaclentrytemplate", site.ingress) if e["action"] == "DROP")
    site.store.update(drop["ID"], {"priority": 30})
    assert site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG).allowed


def test_policy_templates_order_defaults_and_inactive(site: Site) -> None:
    st = site.store
    top = st.create("ingressacltemplate", {"name": "top", "priorityType": "TOP", "defaultAllowIP": False},
                    site.domain)
    site.rule("ingress", ("ANY", None), ("ANY", None), protocol="ANY", action="DROP", acl=top["ID"])
    site.allow_zone_to_zone("web", "db")
    assert not site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG).allowed  # TOP first
    st.update(top["ID"], {"active": False})
    assert site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG).allowed
    st.update(site.egress, {"defaultAllowIP": True})
    d = site.store.reachable("10.2.1.10", "10.1.1.10", 80)
    assert not d.allowed and d.verdict.stage == "ingress"  # db's ingress still drops
    st.update(site.ingress, {"defaultAllowIP": True})
    d = site.store.reachable("10.2.1.10", "10.1.1.10", 80)
    assert d.allowed and d.entry == "default allow IP of policy in"


def test_policy_groups(site: Site) -> None:
    vport = site.vm("web-a", "10.1.1.11")
    pg = site.store.create("policygroup", {"name": "sg-app", "type": "SOFTWARE"}, site.domain)
    site.rule("ingress", ("POLICYGROUP", pg["ID"]), ("ZONE", site.zone["db"]))
    site.rule("egress", ("ZONE", site.zone["db"]), ("POLICYGROUP", pg["ID"]))
    assert not site.store.reachable("10.1.1.11", "10.2.1.10", TCP_PG).allowed
    site.store.assign(vport, "policygroup", [pg["ID"]])
    assert site.store.reachable("10.1.1.11", "10.2.1.10", TCP_PG).allowed
    assert not site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG).allowed  # not in the group


def test_addresses_without_vms(site: Site) -> None:
    site.allow_zone_to_zone("web", "db")
    d = site.store.reachable("10.1.1.10", "10.2.1.99", TCP_PG)
    assert not d.allowed and "no VM interface" in d.reason and d.dst.subnet == site.subnet["db-a"]
    assert site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG).allowed
    site.store.delete(site.vms["10.2.1.10"])  # the VM is gone from the VSD
    assert not site.store.reachable("10.1.1.10", "10.2.1.10", TCP_PG).allowed


def test_same_address_in_two_domains_needs_a_hint(site: Site) -> None:
    st = site.store
    tpl = st.list("domaintemplate", site.ent)[0]["ID"]
    staging = st.create("domain", {"name": "staging", "templateID": tpl}, site.ent)["ID"]
    zone = st.list("zone", staging)[0]["ID"]
    sub = st.create("subnet", {"name": "dup", "address": "10.2.1.0", "netmask": "255.255.255.0"}, zone)
    vport = st.create("vport", {"name": "p", "type": "VM", "addressSpoofing": "INHERITED"}, sub["ID"])
    st.create("vm", {"name": "v", "UUID": "u-dup", "interfaces": [
        {"MAC": "fa:16:3e:ff:00:01", "VPortID": vport["ID"], "IPAddress": "10.2.1.10"}]})
    with pytest.raises(ValueError, match="several domains"):
        st.reachable("10.1.1.10", "10.2.1.10", TCP_PG)
    d = st.reachable("10.1.1.10", "10.2.1.10", TCP_PG, dst_domain=site.domain)
    assert d.dst.domain == site.domain


def test_fast_and_cached_until_something_changes(site: Site) -> None:
    site.allow_zone_to_zone("web", "db")
    for i in range(20, 70):
        site.vm("web-a", f"10.1.1.{i}")
        site.vm("db-a", f"10.2.1.{i}")
    pairs = [(f"10.1.1.{i}", f"10.2.1.{j}") for i in range(20, 30) for j in range(20, 30)]  # 100 probes
    st = site.store
    t0 = time.perf_counter()
    cold = [st.reachable(s, d, TCP_PG) for s, d in pairs]
    t1 = time.perf_counter()
    for _ in range(20):
        warm = [st.reachable(s, d, TCP_PG) for s, d in pairs]
    t2 = time.perf_counter()
    assert all(d.allowed for d in cold) and warm[0] is cold[0]  # the same cached answer
    assert (t1 - t0) < 0.05, f"100 uncached decisions took {t1 - t0:.3f}s"
    assert 2000 / (t2 - t1) > 20_000, f"{2000 / (t2 - t1):.0f} cached calls/s"
    site.store.delete(site.store.list("egressaclentrytemplate", site.egress)[0]["ID"])
    assert not st.reachable(*pairs[0], TCP_PG).allowed  # a change invalidates the cache
