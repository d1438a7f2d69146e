"""The lab's VSD estate writer against the VSD emulator, through vspk: it writes what the site's
rules mean (read back, by what each entry does), a second run makes nothing, VSD's own
reachability follows the rules, and i2's upgrade finds the team's entries naming subnet A
(they carry no externalID of i2's) and mirrors each for subnet B."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from vspk import v6 as vsdk

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.estate_vsd import enterprise, every, seed_vsd
from lifecycle.lab.nuage import VsdEmulator
from lifecycle.lab.site_rules import a_subnets, grants
from lifecycle.model import load_site
from tests.lab.nuage.conftest import session

ROOT = Path(__file__).resolve().parents[3]


def read_back(ent: Any, dom: Any) -> list[tuple[Any, ...]]:
    names = {z.id: ("ZONE", z.name) for z in every(dom.zones)}
    names |= {s.id: ("SUBNET", s.name) for s in every(dom.subnets)}
    names |= {m.id: ("ENTERPRISE_NETWORK", m.name) for m in every(ent.enterprise_networks)}
    out = []
    ingress, egress = dom.ingress_acl_templates.get_first(), dom.egress_acl_templates.get_first()
    for direction, entries in (("ingress", every(ingress.ingress_acl_entry_templates)),
                               ("egress", every(egress.egress_acl_entry_templates))):
        for e in entries:
            loc, net = names.get(e.location_id, ("ANY", "")), names.get(e.network_id, ("ANY", ""))
            does = (direction, loc, net, e.protocol, e.destination_port or "*", e.action, bool(e.stateful))
            out.append((does, e.description, e.priority, e.external_id))
    return out


def add_vm(me: Any, subnet: Any, ip: str) -> None:
    vport = vsdk.NUVPort(name=f"port-{ip}", type="VM", address_spoofing="INHERITED")
    subnet.create_child(vport)
    n = int(ipaddress.ip_address(ip)) & 0xFFFFFF
    me.create_child(vsdk.NUVM(name=f"vm-{ip}", uuid=f"00000000-0000-0000-0000-{n:012d}", interfaces=[
        {"MAC": f"fa:16:3e:{n >> 16:02x}:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}", "VPortID": vport.id,
         "IPAddress": ip}]))


def test_the_lab_writes_the_site_rules_once_and_i2_mirrors_them(vsd: VsdEmulator, tls: TlsFiles) -> None:
    site = load_site(ROOT / "examples/ie1")
    s = session(vsd, tls.ca)
    made = seed_vsd(s, site)
    assert made == {"subnets": len(a_subnets(site)),
                    "entries": len(grants(site, "prd")) + len(grants(site, "qa"))}
    ent = enterprise(s, "IE1")
    doms = {d.name: d for d in every(ent.domains)}
    assert set(doms) == {"ie1-prd", "ie1-qa"}
    for env in ("prd", "qa"):
        held = read_back(ent, doms[f"ie1-{env}"])
        want = {g.meaning: g for g in grants(site, env)}
        assert sorted(h[0] for h in held) == sorted(want)
        for meaning, description, priority, external_id in held:
            assert (description, priority) == (want[meaning].label, want[meaning].priority)
            assert not external_id  # set by nobody: a hand-made estate has none
    assert seed_vsd(s, site) == {"subnets": 0, "entries": 0}
    assert len(read_back(ent, doms["ie1-prd"])) == len(grants(site, "prd"))

    # VSD's reachability over what was written: the ledger rule (tcp 5432 only) holds
    dom = doms["ie1-prd"]
    subs = {x.name: x for x in every(dom.subnets)}
    host = {p.subnet: str(ipaddress.ip_network(p.cidr).network_address + 10) for p in a_subnets(site)}
    rep, led = host["reporting-prd-a"], host["billing-prd-a"]
    add_vm(s.user, subs["reporting-prd-a"], rep)
    add_vm(s.user, subs["billing-prd-a"], led)
    assert vsd.store.reachable(rep, led, 5432).allowed
    assert not vsd.store.reachable(rep, led, 22).allowed

    # i2's upgrade finds the team's entries naming A by the subnet's id, and mirrors them all
    from lifecycle.nuage import Nuage
    from lifecycle.nuage.policy import mirror_of
    from lifecycle.runbooks.upgrade.model import moves, unmirrored

    move = next(m for m in moves(site, apps=["billing"]) if m.env == "prd")
    b = site.application("billing").environments["prd"].subnets.b
    sub_b = vsdk.NUSubnet(name="billing-prd-b", address=str(b.network_address), netmask=str(b.netmask))
    next(z for z in every(dom.zones) if z.name == "billing").create_child(sub_b)
    nuage = Nuage(s)
    ids = {"billing-prd-a": subs["billing-prd-a"].id, "billing-prd-b": sub_b.id}
    naming_a = [g for g in grants(site, "prd") if ("SUBNET", "billing-prd-a") in (g.location, g.network)]
    found = unmirrored(move, nuage.entries_for(dom, ids))
    assert sorted((e.direction, e.rule, e.port) for e in found) == sorted(
        (g.direction, g.label, g.port) for g in naming_a) and naming_a
    for e in found:
        nuage.create_entry(dom, mirror_of(e, move.ref("a"), move.ref("b"), sub_b.id))
    assert unmirrored(move, nuage.entries_for(dom, ids)) == []
    on_b = str(b.network_address + 10)
    add_vm(s.user, sub_b, on_b)
    assert vsd.store.reachable(rep, on_b, 5432).allowed
    assert not vsd.store.reachable(rep, on_b, 22).allowed


def test_brownfield_foreign_objects_sit_where_i2_would_mirror_and_i2_works_around_them(
        vsd: VsdEmulator, tls: TlsFiles) -> None:
    """Other teams' entries at the priority right after the rule naming subnet A: i2's mirrors
    go around them (after the UDP one that cannot match, before the policy-group one that can)
    and leave them as they were; macros, policy groups, the legacy subnet and the stale CMS are
    there once, however often the estate is written."""
    from lifecycle.lab.estate_vsd import (
        SCANNER_ENTRY,
        SYSLOG_ENTRY,
        TEAM_MACROS,
        legacy_subnet,
        seed_brownfield,
        stale_cms_name,
    )

    site = load_site(ROOT / "examples/ie1")
    s = session(vsd, tls.ca)
    seed_vsd(s, site)
    made = seed_brownfield(s, site)["foreign"]
    # CMS, 2 macros, 2 PGs per domain, a legacy subnet per domain, a syslog and a scanner entry per domain
    assert made == 1 + 2 + 2 * 2 + 2 + 2 * 2
    assert seed_brownfield(s, site) == {"foreign": 0}
    ent = enterprise(s, "IE1")
    (cms,) = [c for c in every(s.user.cloud_mgmt_systems) if c.name == stale_cms_name(site)]
    assert set(TEAM_MACROS) <= {m.name for m in every(ent.enterprise_networks)}
    dom = next(d for d in every(ent.domains) if d.name == "ie1-prd")
    assert {pg.name for pg in every(dom.policy_groups)} == {"secops-scanners", "ops-quarantine"}
    last = a_subnets(site)[-1]
    legacy = next(x for x in every(dom.subnets) if x.name == legacy_subnet(last.zone, "prd"))
    assert legacy.external_id.endswith(f"@{cms.id}")
    assert ipaddress.ip_address(legacy.address) in ipaddress.ip_network("198.19.0.0/16")

    naming = {g.direction: g for g in grants(site, "prd")
              if ("SUBNET", "billing-prd-a") in (g.location, g.network)}
    held = {(d, pr): (desc, ext) for (d, *_), desc, pr, ext in
            [(h[0], h[1], h[2], h[3]) for h in read_back(ent, dom)]}
    p = naming["ingress"].priority
    assert held[("ingress", p + 1)][0] == SYSLOG_ENTRY
    assert held[("egress", p + 1)] == (SCANNER_ENTRY, "secops-scanner:ie1-prd")

    from lifecycle.nuage import Nuage
    from lifecycle.nuage.policy import mirror_of
    from lifecycle.runbooks.upgrade.model import moves, unmirrored

    move = next(m for m in moves(site, apps=["billing"]) if m.env == "prd")
    b = site.application("billing").environments["prd"].subnets.b
    sub_b = vsdk.NUSubnet(name="billing-prd-b", address=str(b.network_address), netmask=str(b.netmask))
    next(z for z in every(dom.zones) if z.name == "billing").create_child(sub_b)
    nuage = Nuage(s)
    subs = {x.name: x for x in every(dom.subnets)}
    ids = {"billing-prd-a": subs["billing-prd-a"].id, "billing-prd-b": sub_b.id}
    before = sorted(read_back(ent, dom))
    at = {e.direction: nuage.create_entry(dom, mirror_of(e, move.ref("a"), move.ref("b"), sub_b.id)).priority
          for e in unmirrored(move, nuage.entries_for(dom, ids))}
    assert at == {"ingress": p + 2, "egress": p - 1}
    after = sorted(read_back(ent, dom))
    assert [h for h in after if not (h[3] or "").startswith("i2-mirror:")] == before  # untouched


def test_clouds_that_predate_i2_get_their_cms_and_plugin_user_once(vsd: VsdEmulator, tls: TlsFiles) -> None:
    """Each cloud's Nuage plugin logs in as its own user of the net-partition's CMS group (never
    csproot); its CMS is registered; a second run makes nothing."""
    from lifecycle.lab.estate_vsd import seed_plugin_users

    site = load_site(ROOT / "examples/ie1")
    s = session(vsd, tls.ca)
    users = {c.name: (c.nuage.net_partition, c.nuage.cms_name, f"{c.name}-neutron", f"pw-{c.name}")
             for c in site.clouds if c.nuage is not None}
    assert len(users) == 2
    # the enterprise and its CMS group; per cloud its CMS, its user, the user's membership
    assert seed_plugin_users(s, site, users) == 1 + 1 + 2 * 3
    assert seed_plugin_users(s, site, users) == 0
    cms = {c.name for c in s.user.cloud_mgmt_systems.get()}
    for partition, cms_name, user, password in users.values():
        assert cms_name in cms
        me = session(vsd, tls.ca, user=user, password=password, enterprise=partition).user
        assert (me.role, me.enterprise_name) == ("CMS", partition)
