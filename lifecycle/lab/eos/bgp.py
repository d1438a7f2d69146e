"""BGP sessions and routes, derived from every switch's ``router bgp`` and the L3 adjacency.

A session is ``Established`` when the neighbor address sits on a directly adjacent switch whose
``router bgp`` has the ASN we expect and a neighbor statement for our address with our ASN, both
sides enabled; otherwise ``Active`` (or ``Idle`` when shut). Routes then propagate as path
vectors over established sessions: ``network`` statements that match a connected or static route
and ``redistribute connected`` are originated, eBGP prepends the ASN and drops paths that
already contain ours, iBGP-learned routes are not re-advertised to iBGP peers, best path is the
shortest AS path (eBGP over iBGP, then lowest peer address). Multihop sessions are not modelled.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from lifecycle.lab.eos.state import FabricOper, Memory, SwitchOper, resolve
from lifecycle.lab.eos.view import BgpConf, NeighborConf

Net = ipaddress.IPv4Network


@dataclass(frozen=True)
class Route:
    prefix: Net
    path: tuple[str, ...]
    next_hop: str  # "" when originated here
    peer: str | None = None  # the neighbor address it was learned from
    peer_switch: str | None = None
    ibgp: bool = False
    interface: str = ""

    def rank(self) -> tuple[int, int, int, tuple[int, ...]]:
        local = 0 if self.peer is None else 1
        return (
            local,
            len(self.path),
            1 if self.ibgp else 0,
            tuple(int(x) for x in (self.peer or "0.0.0.0").split(".")),
        )


@dataclass
class PeerOper:
    address: str
    conf: NeighborConf
    state: str = "Active"
    idle_reason: str = ""
    local_ip: str = ""
    local_intf: str = ""
    peer_switch: str | None = None
    peer_router_id: str = "0.0.0.0"
    ibgp: bool = False
    ipv4: bool = True  # address family activated locally
    since: float = 0.0
    transitions: int = 0
    received: int = 0
    accepted: int = 0
    advertised: int = 0

    @property
    def established(self) -> bool:
        return self.state == "Established"


@dataclass
class BgpOper:
    conf: BgpConf
    router_id: str
    peers: dict[str, PeerOper] = field(default_factory=dict)
    rib: dict[Net, Route] = field(default_factory=dict)  # best path per prefix

    @property
    def asn(self) -> str:
        return self.conf.asn


def router_id(op: SwitchOper) -> str:
    """Configured, else the highest loopback address, else the highest interface address."""
    bgp = op.view.bgp
    if bgp and bgp.router_id:
        return bgp.router_id
    loops = [a.ip for n, a in op.l3() if n.startswith("Loopback")]
    addrs = loops or [a.ip for n, a in op.l3() if not n.startswith("Management")]
    return str(max(addrs)) if addrs else "0.0.0.0"


def connected(op: SwitchOper) -> dict[Net, str]:
    """Connected subnets of up, non-management interfaces -> interface."""
    return {a.network: n for n, a in op.l3() if not n.startswith("Management")}


def derive_bgp(fabric: FabricOper, memory: Memory) -> None:
    for op in fabric.switches.values():
        if op.view.bgp is not None:
            op.bgp = BgpOper(op.view.bgp, router_id(op))
    for name, op in fabric.switches.items():
        if op.bgp is not None:
            _sessions(fabric, name, op, memory)
    _routes(fabric)


def _sessions(fabric: FabricOper, me: str, op: SwitchOper, memory: Memory) -> None:
    assert op.bgp is not None
    conf = op.bgp.conf
    for addr, n in conf.neighbors.items():
        if n.remote_as is None:
            continue
        p = PeerOper(addr, n, ibgp=n.remote_as == conf.asn, ipv4=conf.ipv4_active(n))
        found = resolve(fabric, me, addr)
        if found:
            p.local_intf, p.peer_switch, _ = found
            p.local_ip = next(
                str(a.ip)
                for i, a in op.l3()
                if i == p.local_intf and ipaddress.IPv4Address(addr) in a.network
            )
        if conf.shutdown or n.shutdown:
            p.state, p.idle_reason = "Idle", "Admin"
        elif found and _agrees(fabric, p, conf.asn, n.remote_as):
            p.state = "Established"
            peer_bgp = fabric[p.peer_switch or ""].bgp
            p.peer_router_id = peer_bgp.router_id if peer_bgp else "0.0.0.0"
        p.since, p.transitions = memory.track(f"{me}:bgp:{addr}", p.state == "Established", fabric.at)
        op.bgp.peers[addr] = p


def _agrees(fabric: FabricOper, p: PeerOper, my_asn: str, remote_as: str) -> bool:
    """The far side runs BGP as ``remote_as`` and has us as a neighbor with our ASN, enabled."""
    other = fabric[p.peer_switch or ""].view.bgp
    if other is None or other.shutdown or other.asn != remote_as:
        return False
    back = other.neighbors.get(p.local_ip)
    return back is not None and back.remote_as == my_asn and not back.shutdown


def _originated(op: SwitchOper) -> dict[Net, Route]:
    assert op.bgp is not None
    conn = connected(op)
    statics = {net for net, _ in op.view.static_routes}
    out: dict[Net, Route] = {}
    for net in op.bgp.conf.networks:
        if net in conn or net in statics:
            out[net] = Route(net, (), "", interface=conn.get(net, ""))
    if "connected" in op.bgp.conf.redistribute:
        for net, intf in conn.items():
            out.setdefault(net, Route(net, (), "", interface=intf))
    if "static" in op.bgp.conf.redistribute:
        for net in statics:
            out.setdefault(net, Route(net, (), ""))
    return out


def _offers(fabric: FabricOper, tables: dict[str, dict[Net, Route]], me: str, p: PeerOper) -> list[Route]:
    """What the peer behind session ``p`` of switch ``me`` sends us (before loop checks)."""
    peer = p.peer_switch
    peer_op = fabric[peer or ""]
    if peer is None or peer_op.bgp is None:
        return []
    back = peer_op.bgp.peers.get(p.local_ip)
    if back is None or not back.ipv4 or not p.ipv4:
        return []
    out = []
    for route in tables.get(peer, {}).values():
        if route.peer_switch == me:
            continue  # not sent back to where it came from
        if p.ibgp and route.ibgp:
            continue  # iBGP split horizon
        path = route.path if p.ibgp else (peer_op.bgp.asn, *route.path)
        out.append(Route(route.prefix, path, p.address, p.address, peer, p.ibgp, p.local_intf))
    return out


def _routes(fabric: FabricOper) -> None:
    speakers = {n: op for n, op in fabric.switches.items() if op.bgp is not None}
    origin = {n: _originated(op) for n, op in speakers.items()}
    tables = {n: dict(origin[n]) for n in speakers}
    for _ in range(32):  # path vectors converge in at most the fabric's diameter
        new: dict[str, dict[Net, Route]] = {}
        for name, op in speakers.items():
            assert op.bgp is not None
            best = dict(origin[name])
            for p in op.bgp.peers.values():
                if not p.established:
                    continue
                for route in _offers(fabric, tables, name, p):
                    if op.bgp.asn in route.path[1:] or (not p.ibgp and op.bgp.asn in route.path):
                        continue
                    if route.prefix not in best or route.rank() < best[route.prefix].rank():
                        best[route.prefix] = route
            new[name] = best
        if new == tables:
            break
        tables = new
    for name, op in speakers.items():
        assert op.bgp is not None
        op.bgp.rib = tables[name]
        for p in op.bgp.peers.values():
            if not p.established:
                continue
            offers = _offers(fabric, tables, name, p)
            ok = [r for r in offers if op.bgp.asn not in (r.path if not p.ibgp else r.path[1:])]
            p.received = p.accepted = len(ok)
            peer_op = fabric[p.peer_switch or ""]
            back = peer_op.bgp.peers.get(p.local_ip) if peer_op.bgp else None
            if back is not None:
                back.advertised = len(ok)
