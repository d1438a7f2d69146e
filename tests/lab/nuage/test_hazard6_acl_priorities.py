"""Hazard 6 (issue 12): ACL priorities that collide.

The upgrade mirrors every ACL entry naming subnet A for subnet B. A mirror used to take its
original's priority + 1: the next port's entry of a multi-port rule, or someone else's entry, so
VSD refused it (409, duplicate priority); and a rule with more than ten ports ran into the next
rule's priorities. Here the VSD emulator holds a site's entries (a two-port and a twelve-port
rule naming billing's subnet A) plus entries i2 did not make, created with vspk at the
priorities i2 used to pick; i2's Nuage adapter mirrors them through vspk, as the upgrade's
``acl_mirror`` step does. The twin's reachability over the resulting policy is the oracle:
subnet B must be reachable exactly as A is.
"""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from vspk import v6 as vsdk

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.nuage import VsdEmulator
from lifecycle.model import load_site
from lifecycle.model.schema import Site
from lifecycle.nuage import Nuage, NuageError
from lifecycle.nuage.policy import MIRROR_PREFIX, Entry, Ref, intended_entries, mirror_of
from lifecycle.nuage.vsd import resolve
from lifecycle.runbooks.upgrade.model import moves, unmirrored
from tests.lab.nuage.conftest import build_domain, session

ROOT = Path(__file__).resolve().parents[3]
BULK = list(range(6000, 6012))  # twelve ports: more than one block of ten


def hazard_site(tmp_path: Path) -> Site:
    """examples/ie1 with reporting-to-ledger on two ports and a twelve-port rule to subnet A
    (billing's other rules kept after them: the site validates only with the ADC's)."""
    site_dir = tmp_path / "site"
    shutil.copytree(ROOT / "examples/ie1", site_dir)
    cfg = site_dir / "site.yaml"  # the profiles sit beside examples/, not beside the copy
    cfg.write_text(cfg.read_text().replace("../../hardware-profiles", str(ROOT / "hardware-profiles")))
    apps_file = site_dir / "applications.yaml"
    doc = yaml.safe_load(apps_file.read_text())
    billing = next(a for a in doc["applications"] if a["name"] == "billing")
    billing["rules"] = [
        {"name": "reporting-to-ledger", "from": "app:reporting", "to": "subnet:billing/prd/a",
         "protocol": "tcp", "ports": [5432, 5433]},
        {"name": "reporting-to-ledger-bulk", "from": "app:reporting", "to": "subnet:billing/prd/a",
         "protocol": "tcp", "ports": BULK},
        *(r for r in billing["rules"] if r["name"] != "reporting-to-ledger"),
    ]
    apps_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_site(site_dir)


def entry_doc(cls: Any, action: str, loc: tuple[str, str | None], net: tuple[str, str | None], *,
              protocol: str, port: str | None, priority: int) -> Any:
    """An entry someone else made (vspk directly, no externalID)."""
    ports = {"source_port": "*", "destination_port": port} if protocol in ("6", "17") else {}
    return cls(action=action, location_type=loc[0], location_id=loc[1], network_type=net[0],
               network_id=net[1], protocol=protocol, ether_type="0x0800", dscp="*", priority=priority,
               stateful=protocol in ("6", "17"), description="not i2's", **ports)


def add_vm(me: vsdk.NUMe, subnet: vsdk.NUSubnet, ip: str) -> None:
    """A VM with one interface on the subnet (the reachability oracle places addresses by them)."""
    vport = vsdk.NUVPort(name=f"port-{ip}", type="VM", address_spoofing="INHERITED")
    subnet.create_child(vport)
    n = int(ipaddress.ip_address(ip)) & 0xFFFFFF
    me.create_child(vsdk.NUVM(name=f"vm-{ip}", uuid=f"00000000-0000-0000-0000-{n:012d}", interfaces=[
        {"MAC": f"fa:16:3e:{n >> 16:02x}:{n >> 8 & 0xFF:02x}:{n & 0xFF:02x}", "VPortID": vport.id,
         "IPAddress": ip}]))


def all_entries(tpl: Any, direction: str) -> list[Any]:
    fetcher = tpl.ingress_acl_entry_templates if direction == "ingress" else tpl.egress_acl_entry_templates
    return fetcher.get(page_size=500) or []  # every entry: one page holds them all here


def test_hazard6_acl_mirror_priorities_never_collide(vsd: VsdEmulator, tls: TlsFiles,
                                                     tmp_path: Path) -> None:
    site = hazard_site(tmp_path)
    move = next(m for m in moves(site, apps=["billing"]) if m.env == "prd")
    s = session(vsd, tls.ca)
    zones = tuple(sorted({a.zone_name for a in site.applications}))
    ent, _, dom = build_domain(s.user, enterprise="IE1", zones=zones)
    for i, macro in enumerate(("dns-servers", "monitoring", "corp-users", "adc-snips")):
        ent.create_child(vsdk.NUEnterpriseNetwork(name=macro, address=f"198.51.{100 + i}.0",
                                                  netmask="255.255.255.0"))
    zone = {z.name: z for z in dom.zones.get()}
    subnets: dict[str, Any] = {}
    for name, zone_name, cidr in (("billing-prd-a", "billing", "10.20.4.0"),
                                  ("billing-prd-b", "billing", "10.20.4.64"),
                                  ("legacy-db", "billing", "10.20.9.0"),
                                  ("reporting-prd-a", "reporting", "10.20.6.0")):
        sub = vsdk.NUSubnet(name=name, address=cidr, netmask="255.255.255.192")
        zone[zone_name].create_child(sub)
        subnets[name] = sub
    for sub, ip in ((subnets["billing-prd-a"], "10.20.4.10"), (subnets["billing-prd-b"], "10.20.4.70"),
                    (subnets["reporting-prd-a"], "10.20.6.10")):
        add_vm(s.user, sub, ip)

    # i2's entries for the site, as the site's policy puts them (every priority distinct: the
    # twelve-port rule used to take the next rule's priorities, and VSD refused them)
    nuage = Nuage(s)
    by_name = {ref: id for id, ref in nuage.names(dom, ent).items()}
    intended = intended_entries(site, "prd")
    for e in intended:
        nuage.create_entry(dom, resolve(e, lambda ref: by_name[ref]))

    # someone else's entries at the priorities i2's mirrors used to take (original + 1): the
    # ledger rule's 5433 sits at 1101, the twelve-port rule's last port at 1121, the next rule at 1130
    prio = {(e.rule, e.port): e.priority for e in intended}
    assert (prio["reporting-to-ledger", "5433"], prio["reporting-to-ledger-bulk", str(BULK[-1])],
            prio["adc-to-billing", "8080"]) == (1101, 1121, 1130)
    ingress, egress = dom.ingress_acl_templates.get_first(), dom.egress_acl_templates.get_first()
    legacy, rep = ("SUBNET", subnets["legacy-db"].id), ("ZONE", zone["reporting"].id)
    foreign = [
        (ingress, entry_doc(vsdk.NUIngressACLEntryTemplate, "FORWARD", rep, legacy, protocol="6", port="5433",
                            priority=1102)),
        (egress, entry_doc(vsdk.NUEgressACLEntryTemplate, "FORWARD", legacy, rep, protocol="6", port="5433",
                           priority=1102)),
        (ingress, entry_doc(vsdk.NUIngressACLEntryTemplate, "FORWARD", ("ANY", None), ("ANY", None),
                            protocol="17", port="*", priority=1122)),
        # a DROP of everything right after the twelve-port rule: B's mirrors must come before it
        (egress, entry_doc(vsdk.NUEgressACLEntryTemplate, "DROP", ("ANY", None), ("ANY", None),
                           protocol="ANY", port=None, priority=1125)),
    ]
    for tpl, doc in foreign:
        tpl.create_child(doc)
    foreign_prio = {doc.id: doc.priority for _, doc in foreign}

    # the acl_mirror step, as the upgrade runs it
    a, b = move.ref("a"), move.ref("b")
    ids = {"billing-prd-a": subnets["billing-prd-a"].id, "billing-prd-b": subnets["billing-prd-b"].id}
    originals = [e for e in nuage.entries_for(dom, ids) if e.names(a)]
    assert len(originals) == 2 * (2 + len(BULK))  # ingress and egress, per port
    made = [nuage.create_entry(dom, mirror_of(e, a, b, ids["billing-prd-b"]))
            for e in unmirrored(move, nuage.entries_for(dom, ids))]
    assert len(made) == len(originals)
    assert unmirrored(move, nuage.entries_for(dom, ids)) == []

    # every priority distinct within each template; the foreign entries untouched
    for direction, tpl in (("ingress", ingress), ("egress", egress)):
        prios = [x.priority for x in all_entries(tpl, direction)]
        assert len(prios) == len(set(prios)), sorted(prios)
    held = {x.id: x.priority for tpl, d in ((ingress, "ingress"), (egress, "egress"))
            for x in all_entries(tpl, d)}
    assert {i: held[i] for i in foreign_prio} == foreign_prio

    # B answers exactly as A does: each mirror decides where its original does
    rep_vm, vm_a, vm_b = "10.20.6.10", "10.20.4.10", "10.20.4.70"
    for port in [5432, 5433, *BULK, 22, 8080]:
        to_a, to_b = vsd.store.reachable(rep_vm, vm_a, port), vsd.store.reachable(rep_vm, vm_b, port)
        assert to_a.allowed == to_b.allowed == (port not in (22, 8080)), (port, to_a.reason, to_b.reason)

    # a resumed step repeating the creates finds each mirror by externalID: none made twice, none moved
    count = len(held)
    again = [nuage.create_entry(dom, mirror_of(e, a, b, ids["billing-prd-b"])) for e in originals]
    assert sorted((m.id, m.priority) for m in again) == sorted((m.id, m.priority) for m in made)
    assert sum(len(all_entries(t, d)) for t, d in ((ingress, "ingress"), (egress, "egress"))) == count
    assert all(m.external_id.startswith(MIRROR_PREFIX) for m in again)


def test_hazard6_mirror_refused_when_no_priority_keeps_the_order(vsd: VsdEmulator, tls: TlsFiles) -> None:
    """Entries that could match B's traffic on both sides of the original, with no free
    priority in between: i2 refuses, naming them, rather than reorder the policy."""
    s = session(vsd, tls.ca)
    _, _, dom = build_domain(s.user, enterprise="IE1", zones=("billing", "reporting"))
    zone = {z.name: z for z in dom.zones.get()}
    sub_a = vsdk.NUSubnet(name="billing-prd-a", address="10.20.4.0", netmask="255.255.255.192")
    sub_b = vsdk.NUSubnet(name="billing-prd-b", address="10.20.4.64", netmask="255.255.255.192")
    zone["billing"].create_child(sub_a)
    zone["billing"].create_child(sub_b)
    ingress = dom.ingress_acl_templates.get_first()
    rep, bil = ("ZONE", zone["reporting"].id), ("ZONE", zone["billing"].id)
    for prio in (999, 1001):
        ingress.create_child(entry_doc(vsdk.NUIngressACLEntryTemplate, "DROP", rep, bil, protocol="6",
                                       port="*", priority=prio))
    nuage = Nuage(s)
    original = nuage.create_entry(dom, Entry("ingress", "reporting-to-ledger", Ref("ZONE", "reporting"),
                                             Ref("SUBNET", "billing-prd-a"), port="5432", priority=1000,
                                             location_id=zone["reporting"].id, network_id=sub_a.id))
    with pytest.raises(NuageError) as exc:
        nuage.create_entry(dom, mirror_of(original, Ref("SUBNET", "billing-prd-a"),
                                          Ref("SUBNET", "billing-prd-b"), sub_b.id))
    assert "no free priority next to 1000" in str(exc.value), exc.value
    assert "999" in str(exc.value) and "1001" in str(exc.value)
    assert len(ingress.ingress_acl_entry_templates.get()) == 3
