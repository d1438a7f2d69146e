"""The site's access rules as VSD ACL entries (pure logic, no VSD needed).

A rule ``from -> to`` becomes up to two entries in the environment's L3 domain, as VSD reads
them (the domain template carries an implicit drop on both sides):

- an **ingress** entry (traffic leaving VMs): *location* = the source, *network* = the
  destination; only when the source is inside the domain (any VM, a zone, a subnet, a
  policy group);
- an **egress** entry (traffic reaching VMs): *location* = the destination, *network* = the
  source; only when the destination is inside the domain.

Zone and policy-group entries cover every subnet of the zone, so subnet B (in the
application's zone, like A) is covered by them at once; an entry that names subnet A by its
SUBNET location or network does not cover B and must be mirrored (:func:`mirror_of`).

>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> site = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")  # the repository's
>>> [e.key for e in intended_entries(site, "prd")][:2]
['ingress:allow-dns:53', 'egress:allow-node-exporter:9100']

>>> a, b = Ref("SUBNET", subnet_name("billing", "prd", "a")), Ref("SUBNET", "billing-prd-b")
>>> e = Entry("ingress", "reporting-to-ledger", Ref("ZONE", "reporting"), a, port="5432",
...           priority=1070, id="e1")
>>> m = mirror_of(e, a, b, b_id="s-b")
>>> str(m.network), m.network_id, m.rule, m.priority, m.external_id
('SUBNET:billing-prd-b', 's-b', 'reporting-to-ledger@billing-prd-b', 1071, 'i2-mirror:e1:billing-prd-b')
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lifecycle.model.schema import AclRule, Application, Site, parse_endpoint

PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "any": "ANY"}
INSIDE = {"ANY", "ZONE", "SUBNET", "POLICYGROUP"}  # what a VM can be located in


def subnet_name(app: str, env: str, side: str) -> str:
    """The VSD name of one side of an application's subnet pair: ``billing-prd-a``."""
    return f"{app}-{env}-{side}"


@dataclass(frozen=True)
class Ref:
    """One side of an entry: ``type`` as VSD spells it, ``name`` of the zone/subnet/macro/PG."""

    type: str  # ANY | ZONE | SUBNET | ENTERPRISE_NETWORK | POLICYGROUP
    name: str = ""

    def __str__(self) -> str:
        return self.type if self.type == "ANY" else f"{self.type}:{self.name}"


@dataclass(frozen=True)
class Entry:
    """An ACL entry i2 intends (or read back from VSD, with ``id`` and ``vsd_*`` ids set)."""

    direction: str  # ingress | egress
    rule: str  # the site rule it comes from
    location: Ref
    network: Ref
    protocol: str = "6"
    port: str = "*"  # destination port
    action: str = "FORWARD"
    stateful: bool = True
    priority: int = 0
    id: str = ""
    location_id: str = ""
    network_id: str = ""
    description: str = ""
    external_id: str = ""

    @property
    def key(self) -> str:
        """Identity within a domain: direction, rule and port (a rule with ports [80, 443]
        gives one entry per port)."""
        return f"{self.direction}:{self.rule}:{self.port}"

    def names(self, ref: Ref) -> bool:
        return ref in (self.location, self.network)


def _app_rules(app: Application, env: str, site: Site) -> list[AclRule]:
    """talks_to and exposed_to as plain rules (explicit ``rules`` follow them)."""
    apps = {a.name: a for a in site.applications}
    out: list[AclRule] = []
    for t in app.talks_to:
        if env in apps[t.app].environments:
            out.append(AclRule.model_validate({"name": f"{app.name}-to-{t.app}", "from": f"app:{app.name}",
                                               "to": f"app:{t.app}", "protocol": t.protocol,
                                               "ports": t.ports}))
    for x in app.exposed_to:
        kind, ref = parse_endpoint(x.src)
        label = ref or kind
        out.append(AclRule.model_validate({"name": f"{label}-to-{app.name}", "from": x.src,
                                           "to": f"app:{app.name}", "protocol": x.protocol,
                                           "ports": x.ports}))
    return out + list(app.rules)


def _ref(text: str, env: str, site: Site) -> Ref | None:
    """An endpoint in the domain of ``env``; None when it does not exist there."""
    kind, ref = parse_endpoint(text)
    apps = {a.name: a for a in site.applications}
    if kind in ("any", "external"):
        return Ref("ANY")
    if kind == "app":
        app = apps.get(ref)
        return Ref("ZONE", app.zone_name) if app and env in app.environments else None
    if kind == "zone":
        return Ref("ZONE", ref)
    if kind == "subnet":
        name, e, side = ref.split("/")
        return Ref("SUBNET", subnet_name(name, e, side)) if e == env else None
    if kind == "macro":
        return Ref("ENTERPRISE_NETWORK", ref)
    return Ref("POLICYGROUP", ref)


def rules_for(site: Site, env: str) -> list[AclRule]:
    """Every rule that applies in the domain of ``env``: common ones first, then per app."""
    rules = list(site.nuage.acl.common) if site.nuage else []
    for app in site.applications:
        if env in app.environments:
            rules += _app_rules(app, env, site)
    return rules


def intended_entries(site: Site, env: str) -> list[Entry]:
    """The ingress and egress entries the site's rules need in the domain of ``env``."""
    out: list[Entry] = []
    for i, rule in enumerate(rules_for(site, env)):
        src, dst = _ref(rule.src, env, site), _ref(rule.dst, env, site)
        if src is None or dst is None:
            continue
        # the "external" side is never a VM location: only the other side's entry exists
        src_inside = src.type in INSIDE and parse_endpoint(rule.src)[0] != "external"
        dst_inside = dst.type in INSIDE and parse_endpoint(rule.dst)[0] != "external"
        ports = [str(p) for p in rule.ports] or ["*"]
        action = "FORWARD" if rule.action == "allow" else "DROP"
        for j, port in enumerate(ports):
            prio = 1000 + i * 10 + j
            common = {"rule": rule.name, "protocol": PROTOCOLS[rule.protocol], "port": port,
                      "action": action, "stateful": rule.stateful, "priority": prio}
            if src_inside:
                out.append(Entry("ingress", location=src, network=dst, **common))
            if dst_inside:
                out.append(Entry("egress", location=dst, network=src, **common))
    return out


def mirror_of(entry: Entry, a: Ref, b: Ref, b_id: str) -> Entry:
    """The copy of ``entry`` with subnet A replaced by subnet B (ids included)."""
    loc, net = entry.location, entry.network
    loc_id, net_id = entry.location_id, entry.network_id
    if loc == a:
        loc, loc_id = b, b_id
    if net == a:
        net, net_id = b, b_id
    return replace(entry, location=loc, network=net, location_id=loc_id, network_id=net_id, id="",
                   rule=f"{entry.rule}@{b.name}", priority=entry.priority + 1,
                   description=f"i2 mirror of {entry.id or entry.rule} for {b.name}",
                   external_id=mirror_external_id(entry.id or entry.rule, b.name))


MIRROR_PREFIX = "i2-mirror:"


def mirror_external_id(original: str, subnet: str) -> str:
    """externalID of a mirrored entry: opaque to VSD, how i2 finds its own mirrors again."""
    return f"{MIRROR_PREFIX}{original}:{subnet}"
