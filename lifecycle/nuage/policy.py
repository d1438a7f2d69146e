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
>>> str(m.network), m.network_id, m.rule, m.anchor, m.external_id
('SUBNET:billing-prd-b', 's-b', 'reporting-to-ledger@billing-prd-b', 1070, 'i2-mirror:e1:billing-prd-b')

The mirror's priority comes from what the ACL template holds (:func:`mirror_priority`): the
free one next to its original (after it if it can be) with nothing in between that could match
its traffic.

>>> drop = Entry("ingress", "x", Ref("ANY"), Ref("ANY"), action="DROP")
>>> held = {1070: e, 1071: replace(e, port="443", id="e2"), 1072: drop}
>>> mirror_priority(m, held)
1069
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
    anchor: int = 0  # a mirror: its original's priority, which it is placed next to

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
    base = 1000
    for rule in rules_for(site, env):
        # each rule owns a block of 10 priorities (one per port), a rule with more ports as many
        # blocks as it needs: the same priorities as ever for rules of up to 10 ports, and none
        # shared with the next rule's
        start, base = base, base + 10 * max(1, -(-len(rule.ports) // 10))
        src, dst = _ref(rule.src, env, site), _ref(rule.dst, env, site)
        if src is None or dst is None:
            continue
        # the "external" side is never a VM location: only the other side's entry exists
        src_inside = src.type in INSIDE and parse_endpoint(rule.src)[0] != "external"
        dst_inside = dst.type in INSIDE and parse_endpoint(rule.dst)[0] != "external"
        ports = [str(p) for p in rule.ports] or ["*"]
        action = "FORWARD" if rule.action == "allow" else "DROP"
        for j, port in enumerate(ports):
            prio = start + j
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
                   rule=f"{entry.rule}@{b.name}", priority=0, anchor=entry.priority,
                   description=f"i2 mirror of {entry.id or entry.rule} for {b.name}",
                   external_id=mirror_external_id(entry.id or entry.rule, b.name))


MIRROR_PREFIX = "i2-mirror:"


def mirror_external_id(original: str, subnet: str) -> str:
    """externalID of a mirrored entry: opaque to VSD, how i2 finds its own mirrors again."""
    return f"{MIRROR_PREFIX}{original}:{subnet}"


class PriorityError(ValueError):
    """No priority next to an entry's original is free without reordering the policy."""


def _ports(entry: Entry) -> list[tuple[int, int]] | None:
    """Destination port ranges of a TCP/UDP entry; None for any port."""
    if entry.protocol not in ("6", "17") or entry.port in ("", "*"):
        return None
    out = []
    try:
        for part in entry.port.split(","):
            lo, _, hi = part.partition("-")
            out.append((int(lo), int(hi or lo)))
    except ValueError:
        return None  # not understood: counts as any port (overlapping), never as disjoint
    return out


def _side(entry: Entry, side: str) -> tuple[str, str]:
    ref, id = (entry.location, entry.location_id) if side == "location" else (entry.network, entry.network_id)
    return ref.type, id or ref.name


def disjoint(x: Entry, y: Entry) -> bool:
    """True when no packet can match both entries (same direction, same template): another
    protocol, other ports, or another subnet on one side. Anything else (zones, policy groups,
    macros, ANY) might overlap, so it counts as overlapping."""
    if x.direction != y.direction:
        return True
    if "ANY" not in (x.protocol, y.protocol) and x.protocol != y.protocol:
        return True
    px, py = _ports(x), _ports(y)
    if px is not None and py is not None and not any(a <= d and c <= b for a, b in px for c, d in py):
        return True
    for side in ("location", "network"):
        (tx, ix), (ty, iy) = _side(x, side), _side(y, side)
        if tx == ty == "SUBNET" and ix != iy:
            return True
    return False


def mirror_priority(mirror: Entry, held: dict[int, Entry], *, lowest: int = 1) -> int:
    """The priority for ``mirror`` in an ACL template whose entries, by priority, are ``held``
    (i2's and anyone else's): a free priority next to its original's (``mirror.anchor``)
    such that every entry between the two is :func:`disjoint` from the mirror, so the mirror
    decides the destination subnet's traffic exactly where the original decides the source's.
    After the original (higher numbers) when it can be, else before it. Raises
    :class:`PriorityError` when both ways are blocked by an entry that could match the mirror's
    traffic."""
    blocked: list[Entry] = []
    found: list[int] = []
    for step in (1, -1):
        prio = mirror.anchor + step
        while prio >= lowest:
            other = held.get(prio)
            if other is None:
                found.append(prio)
                break
            if not disjoint(mirror, other):
                blocked.append(other)
                break
            prio += step
    if not found:
        raise PriorityError(
            f"no free priority next to {mirror.anchor} for {mirror.direction} {mirror.rule}: "
            + ", ".join(f"{b.priority} ({b.rule or b.id})" for b in blocked)
            + " would match its traffic in between; free a priority next to it")
    return found[0]  # after the original when it can be, else before it
