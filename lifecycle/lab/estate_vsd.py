"""The VSD side of the estate, written with vspk as the platform team's scripts did: the
enterprise, its network macros, the L3 domain template (implicit drop both ways, a zone
template per application), a domain per environment, subnet A of every application
environment and the ACL entries the site's rules mean (:mod:`lifecycle.lab.site_rules`).

The team's entries carry the rule's name as their description and no externalID (nobody sets
one by hand). Everything is looked up before it is made: a second run creates nothing.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from lifecycle.lab.site_rules import Grant, Placement, a_subnets, grants
from lifecycle.model.schema import Site

PAGE = 500


class _CaAdapter(HTTPAdapter):
    """bambou passes verify=False on every request; the lab still checks the twin's CA."""

    def __init__(self, ca: str):
        super().__init__()
        self.ca = ca

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["verify"] = self.ca
        return super().send(request, **kwargs)


def vsd_session(url: str, username: str, password: str, organisation: str, ca: Path | str) -> Any:
    from vspk.v6 import NUVSDSession

    s = NUVSDSession(username=username, password=password, enterprise=organisation, api_url=url)
    s.requests_session.mount("https://", _CaAdapter(str(ca)))
    return s.start()


def _q(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


def every(fetcher: Any, filter: str | None = None) -> list[Any]:
    """All objects of a vspk fetcher, page by page (VSD's pages are at most 500)."""
    out: list[Any] = []
    page = 0
    while True:
        got = fetcher.get(filter=filter, page=page, page_size=PAGE) or []
        out += got
        if len(got) < PAGE:
            return out
        page += 1


def _named(fetcher: Any, name: str) -> Any | None:
    return fetcher.get_first(filter=f"name == {_q(name)}")


def enterprise(session: Any, name: str) -> Any | None:
    return _named(session.user.enterprises, name)


def seed_vsd(session: Any, site: Site) -> dict[str, int]:
    """Write the VSD estate through ``session`` (a started NUVSDSession); returns what it made."""
    from vspk.v6 import NUDomain, NUEnterprise, NUEnterpriseNetwork

    assert site.nuage is not None
    nu = site.nuage
    made = {"subnets": 0, "entries": 0}
    ent = enterprise(session, nu.organisation)
    if ent is None:
        ent = NUEnterprise(name=nu.organisation, description=f"{site.site.name} tenants")
        session.user.create_child(ent)
    macros = {m.name: m for m in every(ent.enterprise_networks)}
    for m in nu.network_macros:
        if m.name not in macros:
            obj = NUEnterpriseNetwork(name=m.name, address=str(m.cidr.network_address),
                                      netmask=str(m.cidr.netmask))
            ent.create_child(obj)
            macros[m.name] = obj
    tpl = _template(ent, nu.domain_template, sorted({a.zone or a.name for a in site.applications}))
    placed = a_subnets(site)
    for d in nu.domains:
        dom = _named(ent.domains, d.name)
        if dom is None:
            dom = NUDomain(name=d.name, template_id=tpl.id, description=f"{d.environment} workloads")
            ent.create_child(dom)
        made["subnets"] += _subnets(dom, [p for p in placed if p.domain == d.name])
        made["entries"] += _entries(dom, grants(site, d.environment), macros)
    return made


def _template(ent: Any, name: str, zones: list[str]) -> Any:
    from vspk.v6 import NUDomainTemplate, NUEgressACLTemplate, NUIngressACLTemplate, NUZoneTemplate

    tpl = _named(ent.domain_templates, name)
    if tpl is not None:
        return tpl
    tpl = NUDomainTemplate(name=name, description="L3 template: nothing passes unless an entry says so")
    ent.create_child(tpl)
    for cls, side in ((NUIngressACLTemplate, "from-vms"), (NUEgressACLTemplate, "to-vms")):
        tpl.create_child(cls(name=f"{name} {side}", default_allow_ip=False, default_allow_non_ip=False,
                             active=True, priority_type="NONE"))
    for z in zones:
        tpl.create_child(NUZoneTemplate(name=z))
    return tpl


def _subnets(dom: Any, places: list[Placement]) -> int:
    """Subnet A of each application environment of the domain, in its zone (one read each)."""
    from vspk.v6 import NUSubnet

    zones = {z.name: z for z in every(dom.zones)}
    have = {s.name: s for s in every(dom.subnets)}
    made = 0
    for p in places:
        net = ipaddress.ip_network(p.cidr)
        found = have.get(p.subnet)
        if found is not None:
            if (found.address, found.netmask) != (str(net.network_address), str(net.netmask)):
                raise RuntimeError(f"VSD subnet {p.subnet} is {found.address}/{found.netmask}, "
                                   f"the site says {net}")
            continue
        if p.zone not in zones:
            raise RuntimeError(f"domain {dom.name} has no zone {p.zone} after instantiation")
        zones[p.zone].create_child(NUSubnet(name=p.subnet, address=str(net.network_address),
                                            netmask=str(net.netmask), gateway=p.gateway,
                                            description=f"{p.app} {p.env}, old cloud"))
        made += 1
    return made


def _entries(dom: Any, wanted: list[Grant], macros: dict[str, Any]) -> int:
    """The grants of one domain, each made unless an entry doing the same is there already."""
    from vspk.v6 import NUEgressACLEntryTemplate, NUIngressACLEntryTemplate

    ids: dict[tuple[str, str], str] = {("ZONE", z.name): z.id for z in every(dom.zones)}
    ids |= {("SUBNET", s.name): s.id for s in every(dom.subnets)}
    ids |= {("ENTERPRISE_NETWORK", n): m.id for n, m in macros.items()}
    if any(g.location[0] == "POLICYGROUP" or g.network[0] == "POLICYGROUP" for g in wanted):
        ids |= {("POLICYGROUP", pg.name): pg.id for pg in every(dom.policy_groups)}
    sides = {"ingress": (dom.ingress_acl_templates.get_first(), "ingress_acl_entry_templates",
                         NUIngressACLEntryTemplate),
             "egress": (dom.egress_acl_templates.get_first(), "egress_acl_entry_templates",
                        NUEgressACLEntryTemplate)}
    held = {d: {_doing(e) for e in every(getattr(tpl, attr))} for d, (tpl, attr, _) in sides.items()}
    made = 0
    for g in wanted:
        loc, net = _id(g.location, ids), _id(g.network, ids)
        doing = (g.location[0], loc, g.network[0], net, g.protocol, g.port, g.action)
        if doing in held[g.direction]:
            continue
        tpl, _, cls = sides[g.direction]
        l4 = g.protocol in ("6", "17")
        tpl.create_child(cls(description=g.label, action=g.action, priority=g.priority,
                             location_type=g.location[0], location_id=loc, network_type=g.network[0],
                             network_id=net, protocol=g.protocol, ether_type="0x0800", dscp="*",
                             stateful=g.stateful and l4,
                             **({"source_port": "*", "destination_port": g.port} if l4 else {})))
        held[g.direction].add(doing)
        made += 1
    return made


def _id(side: tuple[str, str], ids: dict[tuple[str, str], str]) -> str | None:
    if side[0] == "ANY":
        return None
    if side not in ids:
        raise RuntimeError(f"the site's rules name {side[0]} {side[1]}, which VSD does not hold")
    return ids[side]


def _doing(e: Any) -> tuple[Any, ...]:
    """An entry read back, by what it does (see :func:`_entries`)."""
    l4 = str(e.protocol) in ("6", "17")
    return (e.location_type or "ANY", e.location_id or None, e.network_type or "ANY", e.network_id or None,
            str(e.protocol or "ANY"), str(e.destination_port or "*") if l4 else "*", e.action or "FORWARD")


# -- brownfield: what other teams and tools left in VSD (docs/twin.md "Brownfield") -------------

# Other teams' objects, named and addressed as those teams did (198.18.0.0/15: never a site range)
TEAM_MACROS = {"netops-syslog": "198.18.0.10/32", "backup-vault": "198.18.1.0/24"}
SCANNERS_PG, QUARANTINE_PG = "secops-scanners", "ops-quarantine"
SYSLOG_ENTRY = "netops: syslog to the collectors (CHG0042117)"
SCANNER_ENTRY = "secops: scanner reach (INC0815)"


def stale_cms_name(site: Site) -> str:
    """The CMS a decommissioned cloud (the estate's OSP 8, long gone) registered in VSD."""
    taken = {c.nuage.cms_name for c in site.clouds if c.nuage is not None}
    name = f"{site.site.name}-osp8"
    return name if name not in taken else f"{name}-retired"


def seed_brownfield(session: Any, site: Site, *, foreign_entries: bool = True, team_objects: bool = True,
                    extra_subnets: bool = True, stale_cms: bool = True) -> dict[str, int]:
    """What other teams and tools left in VSD before i2, each part switchable:

    - ``foreign_entries``: in every domain a syslog entry (UDP, from any VM) right after a rule's
      block in the ingress template and a scanner entry (TCP, to a policy group) likewise in the
      egress one. Where a rule names subnet A, that is the priority a copy for B would take
      first: the syslog entry cannot match B's traffic, the scanner entry can;
    - ``team_objects``: network macros and a policy group per domain nobody's rules use;
    - ``extra_subnets``: a subnet per domain, in a zone of the site, that the site does not know;
    - ``stale_cms``: the CMS of a cloud that no longer exists, whose id the extra subnets carry
      in their externalID as its Nuage plugin wrote them.
    Idempotent, like the rest of the estate."""
    from vspk.v6 import NUCloudMgmtSystem, NUEnterpriseNetwork, NUPolicyGroup

    assert site.nuage is not None
    made = {"foreign": 0}
    ent = enterprise(session, site.nuage.organisation)
    cms_id = ""
    if stale_cms:
        cms = _named(session.user.cloud_mgmt_systems, stale_cms_name(site))
        if cms is None:
            cms = NUCloudMgmtSystem(name=stale_cms_name(site))
            session.user.create_child(cms)
            made["foreign"] += 1
        cms_id = cms.id
    macros = {m.name for m in every(ent.enterprise_networks)}
    for name, cidr in TEAM_MACROS.items():
        if (team_objects or (name == "netops-syslog" and foreign_entries)) and name not in macros:
            net = ipaddress.ip_network(cidr)
            ent.create_child(NUEnterpriseNetwork(name=name, address=str(net.network_address),
                                                 netmask=str(net.netmask), description="netops"))
            made["foreign"] += 1
    placed = a_subnets(site)
    for n, d in enumerate(site.nuage.domains):
        dom = _named(ent.domains, d.name)
        pgs = {pg.name for pg in every(dom.policy_groups)}
        for pg, wanted in ((QUARANTINE_PG, team_objects), (SCANNERS_PG, foreign_entries)):
            if wanted and pg not in pgs:
                dom.create_child(NUPolicyGroup(name=pg, type="SOFTWARE", description="secops"))
                made["foreign"] += 1
        here = [p for p in placed if p.domain == d.name]
        if extra_subnets and here:
            made["foreign"] += _legacy_subnet(dom, here, d.environment, n, cms_id)
        if foreign_entries:
            made["foreign"] += _foreign_entries(dom, ent, grants(site, d.environment),
                                                {p.subnet for p in here})
    return made


def legacy_subnet(zone: str, env: str) -> str:
    return f"{zone}-{env}-legacy"


def _legacy_subnet(dom: Any, here: list[Placement], env: str, n: int, cms_id: str) -> int:
    import uuid

    from vspk.v6 import NUSubnet

    p = here[-1]  # the domain's last application: its zone holds what an older cloud left
    name = legacy_subnet(p.zone, env)
    if _named(dom.subnets, name) is not None:
        return 0
    zone = _named(dom.zones, p.zone)
    net = ipaddress.ip_network(f"198.19.{n}.0/28")
    ext = f"{uuid.uuid5(uuid.NAMESPACE_URL, name)}@{cms_id}" if cms_id else None
    zone.create_child(NUSubnet(name=name, address=str(net.network_address), netmask=str(net.netmask),
                               gateway=str(net.network_address + 1), description="batch hosts (OSP 8)",
                               external_id=ext))
    return 1


def _foreign_entries(dom: Any, ent: Any, wanted: list[Grant], a_names: set[str]) -> int:
    """The syslog (ingress) and scanner (egress) entries, each right after the block of the first
    rule naming a subnet A on that side (else the domain's first rule)."""
    from vspk.v6 import NUEgressACLEntryTemplate, NUIngressACLEntryTemplate

    made = 0
    for direction, cls, attr, tpls in (
            ("ingress", NUIngressACLEntryTemplate, "ingress_acl_entry_templates", dom.ingress_acl_templates),
            ("egress", NUEgressACLEntryTemplate, "egress_acl_entry_templates", dom.egress_acl_templates)):
        side = [g for g in wanted if g.direction == direction]
        if not side:
            continue
        naming = [g for g in side if {g.location, g.network} & {("SUBNET", s) for s in a_names}]
        first = (naming or side)[0]
        at = max(g.priority for g in side if g.label == first.label) + 1
        tpl = tpls.get_first()
        label = SYSLOG_ENTRY if direction == "ingress" else SCANNER_ENTRY
        if any(e.description == label for e in every(getattr(tpl, attr))):
            continue
        if direction == "ingress":  # UDP: it can never match a copy of a TCP rule's entry
            net = _named(ent.enterprise_networks, "netops-syslog")
            obj = cls(description=label, action="FORWARD", priority=at, location_type="ANY",
                      network_type="ENTERPRISE_NETWORK", network_id=net.id, protocol="17",
                      ether_type="0x0800", dscp="*", stateful=False, source_port="*", destination_port="514")
        else:  # a policy group: VSD cannot say it holds no VM of subnet B, so it may match
            pg = _named(dom.policy_groups, SCANNERS_PG)
            obj = cls(description=label, action="FORWARD", priority=at, location_type="POLICYGROUP",
                      location_id=pg.id, network_type="ANY", protocol="6", ether_type="0x0800", dscp="*",
                      stateful=True, source_port="*", destination_port=first.port,
                      external_id=f"secops-scanner:{dom.name}")
        tpl.create_child(obj)
        made += 1
    return made


PLUGIN_GROUP = "CMS Group"


def seed_plugin_users(session: Any, site: Site, clouds: dict[str, tuple[str, str, str, str]]) -> int:
    """The clouds that predate i2, as their builders left the VSD: each cloud's CMS registration
    (generate_cms_id.py) and its Nuage plugin's user in the cloud's net-partition, a member of
    the enterprise's CMS group. ``clouds``: name -> (net-partition, CMS name, user, password).
    Idempotent; returns what it made."""
    import hashlib

    from vspk.v6 import NUCloudMgmtSystem, NUEnterprise, NUGroup, NUUser

    assert site.nuage is not None
    made = 0
    for cloud, (partition, cms_name, username, password) in clouds.items():
        if _named(session.user.cloud_mgmt_systems, cms_name) is None:
            session.user.create_child(NUCloudMgmtSystem(name=cms_name))
            made += 1
        ent = enterprise(session, partition)
        if ent is None:  # made as seed_vsd makes the site's
            desc = f"{site.site.name} tenants" if partition == site.nuage.organisation else None
            ent = NUEnterprise(name=partition, description=desc)
            session.user.create_child(ent)
            made += 1
        group = ent.groups.get_first(filter='role == "CMS"')
        if group is None:
            group = NUGroup(name=PLUGIN_GROUP, role="CMS", description="CMS users (Nuage plugins)")
            ent.create_child(group)
            made += 1
        user = ent.users.get_first(filter=f"userName == {_q(username)}")
        if user is None:  # the password as VSD's UI sends it: SHA-1 hex
            user = NUUser(user_name=username, password=hashlib.sha1(password.encode()).hexdigest(),
                          first_name=cloud, last_name="Nuage plugin", email=f"{username}@{cloud}.invalid")
            ent.create_child(user)
            made += 1
        members = every(group.users)
        if all(m.id != user.id for m in members):
            group.assign([*members, user], NUUser)
            made += 1
    return made
