"""Reachability over the VSD's policy: may traffic from S reach D on protocol/port P?

S and D are IPv4 addresses. A VM interface's address places it in its vport, subnet, zone and
domain (and the vport's policy groups); an address inside a VSD subnet that no VM interface
holds is nobody (denied: "no VM interface"); an address outside every VSD subnet is external.

A connection S -> D:P is allowed when, in order:

1. S's domain's **ingress** policy forwards S -> D (entry location = S, network = D);
2. D's domain's **egress** policy forwards S -> D (entry location = D, network = S);
3. the replies D -> S pass: D's ingress unless step 2 matched a *stateful* entry, and S's egress
   unless step 1 matched a stateful entry (a stateful entry lets its return traffic through).

External endpoints have no policy of their own (steps on their side are skipped). Each policy is
evaluated as the VSD does: active, non-draft ACL templates in order (TOP, then NONE, then BOTTOM;
then by template priority), each template's entries by priority; the first entry that matches
decides (FORWARD allows, DROP denies); a template with ``defaultAllowIP`` allows what reached its
end; otherwise the **implicit drop**. Entries match on location and network (ANY, ZONE, SUBNET,
POLICYGROUP, ENTERPRISE_NETWORK macros and NETWORK_MACRO_GROUPs by CIDR, ENDPOINT_DOMAIN/
ZONE/SUBNET), protocol (ANY or a number), source/destination ports (a client's source port is
``source_port``, 49152 unless given), etherType (``*`` or 0x0800) and DSCP (``*`` or 0). Other
endpoint types (PG expressions, public networks, SaaS groups) match nothing.

One domain, a VM in zone ``web`` and one in zone ``db``; nothing is allowed until both sides'
policies forward the traffic:

>>> from lifecycle.lab.nuage.store import VsdStore
>>> st = VsdStore()
>>> ent = st.create("enterprise", {"name": "ie1"})["ID"]
>>> tpl = st.create("domaintemplate", {"name": "l3"}, ent)["ID"]
>>> dom = st.create("domain", {"name": "prd", "templateID": tpl}, ent)["ID"]
>>> zone = {}
>>> for name, net, ip in (("web", "10.0.1.0", "10.0.1.5"), ("db", "10.0.2.0", "10.0.2.7")):
...     zone[name] = st.create("zone", {"name": name}, dom)["ID"]
...     sub = st.create("subnet", {"name": name, "address": net, "netmask": "255.255.255.0"}, zone[name])
...     port = st.create("vport", {"name": ip, "type": "VM", "addressSpoofing": "INHERITED"}, sub["ID"])
...     vm = st.create("vm", {"name": ip, "UUID": ip, "interfaces": [
...         {"MAC": f"fa:16:3e:00:00:0{ip[-1]}", "VPortID": port["ID"], "IPAddress": ip}]})
>>> d = st.reachable("10.0.1.5", "10.0.2.7", 443)
>>> d.allowed, d.entry, d.reason
(False, 'implicit drop', 'ingress ...: implicit drop')
>>> for side, loc, net in (("ingress", "web", "db"), ("egress", "db", "web")):
...     acl = st.create(f"{side}acltemplate", {"name": f"app-{side}", "active": True}, dom)["ID"]
...     entry = st.create(f"{side}aclentrytemplate", {
...         "action": "FORWARD", "priority": 100, "stateful": True, "locationType": "ZONE",
...         "locationID": zone[loc], "networkType": "ZONE", "networkID": zone[net], "protocol": "6",
...         "etherType": "0x0800", "DSCP": "*", "sourcePort": "*", "destinationPort": "443"}, acl)
>>> d = st.reachable("10.0.1.5", "10.0.2.7", 443)
>>> d.allowed, d.entry["priority"], d.reason
(True, 100, 'ingress ...: entry 100 FORWARD (policy app-ingress)')
>>> st.reachable("10.0.1.5", "10.0.2.7", 22).entry
'implicit drop'

Answers are cached until the store's ``generation`` changes (any change of subnets, vports, VMs,
policy groups, macros, ACL templates or entries); the index behind them maps each address to its
endpoint and each domain to its ordered entries.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lifecycle.lab.nuage.store import VsdStore

EPHEMERAL_PORT = 49152
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "any": None}
IMPLICIT_DROP = "implicit drop"
_RANK = {"TOP": 0, "TOP_FIREWALL": 0, "BOTTOM_FIREWALL": 2, "BOTTOM": 2}
_SUMMARY = ("ID", "priority", "action", "locationType", "locationID", "networkType", "networkID", "protocol",
            "sourcePort", "destinationPort", "stateful", "etherType", "description", "externalID",
            "ACLTemplateName")
_MEMO_MAX = 200_000


@dataclass(frozen=True)
class Endpoint:
    """Where an address is: a VM interface in a domain, a bare subnet address, or external."""

    ip: str
    addr: int
    domain: str | None = None
    zone: str | None = None
    subnet: str | None = None
    vport: str | None = None
    interface: str | None = None
    vm: str | None = None
    pgs: frozenset[str] = frozenset()

    @property
    def external(self) -> bool:
        return self.domain is None

    def describe(self) -> str:
        if self.external:
            return f"{self.ip} (external)"
        return f"{self.ip} (vm interface {self.interface})" if self.interface else f"{self.ip} (no VM)"


@dataclass(frozen=True)
class Verdict:
    """One policy's answer on the way: ``stage`` is ingress, egress, reply ingress or reply egress."""

    stage: str
    domain: str | None
    allowed: bool
    reason: str
    entry: dict[str, Any] | None = None
    acl: str | None = None
    stateful: bool = False


@dataclass(frozen=True)
class Decision:
    """The answer: ``allowed``, the ``entry`` that decided (a copy of the ACL entry's main
    attributes, or ``"implicit drop"``/another reason string), and every step for an explanation."""

    allowed: bool
    src: Endpoint
    dst: Endpoint
    protocol: int | None
    port: int | None
    steps: tuple[Verdict, ...] = field(default_factory=tuple)
    note: str | None = None  # why no policy was evaluated (e.g. no VM at the address)

    @property
    def verdict(self) -> Verdict | None:
        """The deciding step: the first that denied, else the first that allowed by an entry."""
        for v in self.steps:
            if not v.allowed:
                return v
        return next((v for v in self.steps if v.entry is not None), self.steps[0] if self.steps else None)

    @property
    def entry(self) -> dict[str, Any] | str:
        v = self.verdict
        if v is None:
            return self.note or "no policy applies (both ends external)"
        if v.entry is not None:
            return v.entry
        return v.reason.split(": ", 1)[-1]

    @property
    def reason(self) -> str:
        v = self.verdict
        if v is None:
            return self.note or "both ends are external: no VSD policy applies"
        return f"{v.stage} {v.domain}: {v.reason}"

    def explain(self) -> str:
        lines = [f"{self.src.describe()} -> {self.dst.describe()} proto {self.protocol or 'ANY'} "
                 f"port {self.port}: {'allowed' if self.allowed else 'denied'}"]
        lines += [f"  {v.stage:<13} {v.domain}: {'ok ' if v.allowed else 'NO '} {v.reason}"
                  for v in self.steps]
        if self.note:
            lines.append(f"  {self.note}")
        return "\n".join(lines)


def _ranges(spec: Any) -> tuple[tuple[int, int], ...] | None:
    """``*``/None: any port; ``80``, ``1000-2000``, ``80,443``: these ranges."""
    if spec in (None, "", "*"):
        return None
    out = []
    for part in str(spec).split(","):
        lo, _, hi = part.partition("-")
        out.append((int(lo), int(hi or lo)))
    return tuple(out)


@dataclass(frozen=True)
class _Entry:
    allow: bool
    stateful: bool
    loc: tuple[str, str | None]
    net: tuple[str, str | None]
    proto: int | None
    sport: tuple[tuple[int, int], ...] | None
    dport: tuple[tuple[int, int], ...] | None
    ipv4: bool
    summary: dict[str, Any]

    def label(self) -> str:
        return f"entry {self.summary['priority']} {self.summary['action']}"


@dataclass(frozen=True)
class _Policy:
    id: str
    name: str
    entries: tuple[_Entry, ...]
    default_allow: bool


def _port_ok(ranges: tuple[tuple[int, int], ...] | None, port: int | None) -> bool:
    if ranges is None:
        return True
    return port is not None and any(lo <= port <= hi for lo, hi in ranges)


class Index:
    """A snapshot of what reachability reads, built under the store's lock."""

    def __init__(self, store: VsdStore):
        self.generation = store.generation
        self.memo: dict[tuple[Any, ...], Decision] = {}
        self.by_ip: dict[str, list[Endpoint]] = {}
        self.subnets: list[tuple[ipaddress.IPv4Network, str, str | None, str]] = []
        self.macros: dict[str, list[ipaddress.IPv4Network]] = {}
        self.policies: dict[tuple[str, str], tuple[_Policy, ...]] = {}
        self._build(store)

    def _build(self, store: VsdStore) -> None:
        from lifecycle.lab.nuage.network import network_of

        docs = store.docs
        networks = [*store.by_kind.get("subnet", {}).items(), *store.by_kind.get("l2domain", {}).items()]
        for sid, sub in networks:
            net = network_of(sub)
            if net is None:
                continue
            zone = docs.get(sub.get("parentID") or "") if store.kinds[sid] == "subnet" else None
            domain = (zone or {}).get("parentID") if zone else sid
            if domain:
                self.subnets.append((net, sid, zone["ID"] if zone else None, domain))
        for iface in store.by_kind.get("vminterface", {}).values():
            ip, vport_id = iface.get("IPAddress"), iface.get("VPortID")
            if not ip or vport_id not in docs:
                continue
            vport = docs[vport_id]
            pgs = frozenset(e for e in store.edges.get(vport_id, ()) if store.kinds.get(e) == "policygroup")
            ep = Endpoint(ip, int(ipaddress.IPv4Address(ip)), vport.get("domainID"), vport.get("zoneID"),
                          vport.get("parentID"), vport_id, iface["ID"], iface.get("parentID"), pgs)
            self.by_ip.setdefault(ip, []).append(ep)
        for mid, macro in store.by_kind.get("enterprisenetwork", {}).items():
            net = network_of(macro)
            self.macros[mid] = [net] if net is not None else []
        for gid in store.by_kind.get("networkmacrogroup", {}):
            self.macros[gid] = [n for m in store.edges.get(gid, ()) for n in self.macros.get(m, [])]
        for direction in ("ingress", "egress"):
            acls = [a for a in store.by_kind.get(f"{direction}acltemplate", {}).values()
                    if a.get("active") is not False and a.get("policyState") != "DRAFT" and a.get("parentID")]
            acls.sort(key=lambda a: (_RANK.get(a.get("priorityType") or "NONE", 1),
                                     a.get("priority") if a.get("priority") is not None else 1 << 62,
                                     a.get("creationDate") or 0))
            grouped: dict[str, list[_Policy]] = {}
            for acl in acls:
                entries = [docs[c] for c in store.children.get(acl["ID"], ())
                           if store.kinds[c] == f"{direction}aclentrytemplate"]
                entries.sort(key=lambda e: (e.get("priority") if e.get("priority") is not None else 1 << 62,
                                            e.get("creationDate") or 0))
                compiled = tuple(_compile(e, direction) for e in entries)
                policy = _Policy(acl["ID"], acl.get("name") or acl["ID"], compiled,
                                 acl.get("defaultAllowIP") is True)
                grouped.setdefault(acl["parentID"], []).append(policy)
            for domain, pols in grouped.items():
                self.policies[(domain, direction)] = tuple(pols)

    def locate(self, ip: str, domain: str | None) -> Endpoint:
        addr = ipaddress.IPv4Address(ip)
        found = [e for e in self.by_ip.get(str(addr), ()) if domain is None or e.domain == domain]
        if len(found) > 1:
            raise ValueError(f"{ip} is held by VM interfaces in several domains "
                             f"({', '.join(sorted({e.domain or '' for e in found}))}): name the domain")
        if found:
            return found[0]
        for net, sid, zid, did in self.subnets:
            if addr in net and (domain is None or did == domain):
                return Endpoint(str(addr), int(addr), did, zid, sid)
        return Endpoint(str(addr), int(addr))

    def matches(self, side: tuple[str, str | None], ep: Endpoint, other: Endpoint) -> bool:
        typ, ref = side
        if typ == "ANY":
            return True
        if typ == "ZONE":
            return ep.zone == ref
        if typ == "SUBNET":
            return ep.subnet == ref
        if typ == "POLICYGROUP":
            return ref in ep.pgs
        if typ in ("ENTERPRISE_NETWORK", "NETWORK_MACRO_GROUP"):
            addr = ipaddress.IPv4Address(ep.addr)
            return any(addr in n for n in self.macros.get(ref or "", ()))
        if typ == "ENDPOINT_DOMAIN":
            return ep.domain is not None and ep.domain == other.domain
        if typ == "ENDPOINT_ZONE":
            return ep.zone is not None and ep.zone == other.zone
        if typ == "ENDPOINT_SUBNET":
            return ep.subnet is not None and ep.subnet == other.subnet
        return False

    def evaluate(self, stage: str, direction: str, loc: Endpoint, net: Endpoint, proto: int | None,
                 sport: int | None, dport: int | None) -> Verdict:
        domain = loc.domain or ""
        for pol in self.policies.get((domain, direction), ()):
            for e in pol.entries:
                if not e.ipv4 or (e.proto is not None and e.proto != proto):
                    continue
                if proto in (6, 17) and not (_port_ok(e.sport, sport) and _port_ok(e.dport, dport)):
                    continue
                if self.matches(e.loc, loc, net) and self.matches(e.net, net, loc):
                    return Verdict(stage, domain, e.allow, f"{e.label()} (policy {pol.name})", e.summary,
                                   pol.id, e.stateful and e.allow)
            if pol.default_allow:
                return Verdict(stage, domain, True, f"default allow IP of policy {pol.name}", None, pol.id)
        return Verdict(stage, domain, False, IMPLICIT_DROP)


def _compile(e: dict[str, Any], direction: str) -> _Entry:
    proto = e.get("protocol")
    ether = (e.get("etherType") or "*").lower()
    dscp = e.get("DSCP") or "*"
    summary = {k: e.get(k) for k in _SUMMARY}
    summary["direction"] = direction
    try:
        sport, dport = _ranges(e.get("sourcePort")), _ranges(e.get("destinationPort"))
    except ValueError:
        sport = dport = ((-1, -1),)  # unparseable ports match nothing
    return _Entry(allow=e.get("action") in ("FORWARD", "TRANSPARENT", "REDIRECT"),
                  stateful=bool(e.get("stateful")),
                  loc=(e.get("locationType") or "ANY", e.get("locationID")),
                  net=(e.get("networkType") or "ANY", e.get("networkID")),
                  proto=None if proto in (None, "ANY") else int(proto), sport=sport, dport=dport,
                  ipv4=ether in ("*", "0x0800", "0x800") and dscp in ("*", "0"), summary=summary)


class Reachability:
    """The store's reachability function, with its index and answer cache."""

    def __init__(self, store: VsdStore):
        self.store = store
        self._ix: Index | None = None

    def index(self) -> Index:
        ix = self._ix
        if ix is None or ix.generation != self.store.generation:
            with self.store.lock:
                ix = self._ix
                if ix is None or ix.generation != self.store.generation:
                    ix = self._ix = Index(self.store)
        return ix

    def decide(self, src: str, dst: str, port: int | None, protocol: str | int, *,
               source_port: int | None = None, src_domain: str | None = None,
               dst_domain: str | None = None) -> Decision:
        proto = PROTOCOLS[protocol.lower()] if isinstance(protocol, str) else protocol
        sport = EPHEMERAL_PORT if source_port is None else source_port
        ix = self.index()
        key = (src, dst, proto, port, sport, src_domain, dst_domain)
        hit = ix.memo.get(key)
        if hit is not None:
            return hit
        decision = _decide(ix, ix.locate(src, src_domain), ix.locate(dst, dst_domain), proto, port, sport)
        if len(ix.memo) >= _MEMO_MAX:
            ix.memo.clear()
        ix.memo[key] = decision
        return decision


def _decide(ix: Index, s: Endpoint, d: Endpoint, proto: int | None, port: int | None,
            sport: int) -> Decision:
    for ep, role in ((s, "source"), (d, "destination")):
        if not ep.external and ep.interface is None:
            return Decision(False, s, d, proto, port, (), f"no VM interface holds the {role} {ep.ip} "
                                                          f"(subnet {ep.subnet})")
    steps: list[Verdict] = []

    def run(v: Verdict) -> bool:
        steps.append(v)
        return v.allowed

    def done(ok: bool) -> Decision:
        return Decision(ok, s, d, proto, port, tuple(steps))

    ing = egr = None
    if not s.external:
        ing = ix.evaluate("ingress", "ingress", s, d, proto, sport, port)
        if not run(ing):
            return done(False)
    if not d.external:
        egr = ix.evaluate("egress", "egress", d, s, proto, sport, port)
        if not run(egr):
            return done(False)
    if egr is not None:  # replies leave D through D's ingress policy
        if egr.stateful:
            run(Verdict("reply ingress", d.domain, True, f"return traffic of stateful {egr.reason}"))
        elif not run(ix.evaluate("reply ingress", "ingress", d, s, proto, port, sport)):
            return done(False)
    if ing is not None:  # and reach S through S's egress policy
        if ing.stateful:
            run(Verdict("reply egress", s.domain, True, f"return traffic of stateful {ing.reason}"))
        elif not run(ix.evaluate("reply egress", "egress", s, d, proto, port, sport)):
            return done(False)
    return done(True)
