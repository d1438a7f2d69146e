"""Operational state, derived from every switch's running-config and the physical cabling.

Nothing here is stored: :func:`derive` recomputes links, interfaces, LLDP, L3 adjacency, MLAG,
BGP and CVX whenever a config, a cable or a power state changed (the fabric caches it per
change), so what ``show`` commands report always follows from configuration plus wiring — a
miswired cable shows up in LLDP, a shut peer-link takes MLAG down, a removed neighbor drops BGP.

Rules, as on a real fabric (simplified where noted in docs/twin.md):

* a cable is up when both ends are booted switches (or a host) and neither port is shut;
* a Port-Channel is up when a member's cable is up and the far end bundles too (LACP modes agree);
* a VLAN interface is up when an up switchport carries its VLAN (trunk groups honoured);
* two L3 interfaces are adjacent when a cable joins them (for SVIs: through ports carrying the VLAN)
  and they share a subnet; Management interfaces share one out-of-band LAN.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lifecycle.lab.eos.view import IntfConf, SwitchView

if TYPE_CHECKING:
    from lifecycle.lab.eos.bgp import BgpOper
    from lifecycle.lab.eos.mlag import MlagOper
    from lifecycle.lab.eos.switch import Switch

End = tuple[str, str]  # (device name, port)

SPEEDS = {
    "Ethernet": 25_000_000_000,
    "Management": 1_000_000_000,
    "Port-Channel": 0,
    "Vlan": 0,
    "Loopback": 0,
}


@dataclass
class LldpNeighbor:
    system_name: str
    port: str
    port_description: str
    chassis_mac: str
    mgmt_ip: str | None
    system_description: str
    since: float


@dataclass
class IntfOper:
    name: str
    conf: IntfConf
    up: bool = False
    status: str = "notconnect"  # show interfaces status: connected | notconnect | disabled
    proto: str = "down"  # up | down | lowerLayerDown | notPresent
    far: End | None = None
    member_of: str | None = None
    members: list[str] = field(default_factory=list)
    active_members: list[str] = field(default_factory=list)
    bandwidth: int = 0
    since: float = 0.0
    lldp: list[LldpNeighbor] = field(default_factory=list)

    @property
    def admin_status(self) -> str:
        """``show interfaces description`` status: up | down | adminDown."""
        if self.conf.shutdown:
            return "adminDown"
        return "up" if self.up else "down"


@dataclass
class CvxConnection:
    switch: str  # fabric name of the client
    hostname: str
    system_mac: str
    server_ip: str
    since: float


@dataclass
class SwitchOper:
    switch: Switch
    view: SwitchView
    intfs: dict[str, IntfOper] = field(default_factory=dict)
    mlag: MlagOper | None = None
    bgp: BgpOper | None = None
    cvx_servers: dict[str, CvxConnection | None] = field(default_factory=dict)  # client side
    cvx_clients: list[CvxConnection] = field(default_factory=list)  # server side
    lldp_changes: int = 0
    lldp_since: float = 0.0

    def l3(self) -> list[tuple[str, ipaddress.IPv4Interface]]:
        """Up interfaces with their addresses (primary first)."""
        return [(i.name, a) for i in self.intfs.values() if i.up for a in i.conf.addrs]

    def owns(self, ip: str) -> str | None:
        """The up interface carrying address ``ip``, if any."""
        addr = ipaddress.IPv4Address(ip)
        return next((name for name, a in self.l3() if a.ip == addr), None)


@dataclass
class FabricOper:
    switches: dict[str, SwitchOper]
    at: float

    def __getitem__(self, name: str) -> SwitchOper:
        return self.switches[name]


class Memory:
    """Remembers when each derived value last changed, so timestamps survive recomputation."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[object, float, int]] = {}

    def since(self, key: str, value: object, now: float) -> float:
        return self.track(key, value, now)[0]

    def track(self, key: str, value: object, now: float) -> tuple[float, int]:
        """(time of the last change, number of changes) of ``value`` under ``key``."""
        old = self._seen.get(key)
        if old is None:
            self._seen[key] = (value, now, 0)
            return now, 0
        if old[0] != value:
            self._seen[key] = (value, now, old[2] + 1)
            return now, old[2] + 1
        return old[1], old[2]


def derive(
    switches: dict[str, Switch],
    cables: dict[End, End],
    memory: Memory,
    host_up: Callable[[str, str], bool] | None = None,
) -> FabricOper:
    """The whole fabric's operational state."""
    from lifecycle.lab.eos.bgp import derive_bgp
    from lifecycle.lab.eos.mlag import derive_mlag

    now = time.time()
    opers = {name: SwitchOper(sw, SwitchView.of(sw.running)) for name, sw in switches.items() if sw.booted}
    for name, op in opers.items():
        _physical(op, name, opers, set(switches), cables, host_up, now, memory)
    for name, op in opers.items():
        _port_channels(op, name, opers, now, memory)
    for name, op in opers.items():
        _virtual(op, name, now, memory)
    for name, op in opers.items():
        _lldp(op, name, opers, now, memory)
    fabric = FabricOper(opers, now)
    for name, op in opers.items():
        op.mlag = derive_mlag(fabric, name, memory)
    derive_bgp(fabric, memory)
    _cvx(fabric, memory)
    return fabric


# -- interfaces -------------------------------------------------------------------------------


def _physical(
    op: SwitchOper,
    name: str,
    opers: dict[str, SwitchOper],
    known: set[str],
    cables: dict[End, End],
    host_up: Callable[[str, str], bool] | None,
    now: float,
    memory: Memory,
) -> None:
    for ic in op.view.intfs.values():
        if ic.kind not in ("Ethernet", "Management"):
            continue
        io = IntfOper(ic.name, ic, bandwidth=SPEEDS[ic.kind])
        far = cables.get((name, ic.name))
        io.far = far
        if ic.kind == "Management":
            io.up = not ic.shutdown  # the out-of-band network is always there
        elif far is not None and not ic.shutdown:
            dev, port = far
            if dev in opers:
                fic = opers[dev].view.intfs.get(port)
                io.up = fic is not None and not fic.shutdown
            elif dev not in known:  # a server NIC: up unless the lab says otherwise
                io.up = host_up is None or host_up(dev, port)
        if ic.kind == "Ethernet" and "/" in ic.name:  # QSFP28 ports (and 7500R3 line-card ports)
            io.bandwidth = 100_000_000_000
        if ic.shutdown:
            io.status, io.proto = "disabled", "down" if far else "notPresent"
        elif io.up:
            io.status, io.proto = "connected", "up"
        else:
            io.status, io.proto = "notconnect", "down" if far else "notPresent"
        io.since = memory.since(f"{name}:if:{ic.name}", io.up, now)
        op.intfs[ic.name] = io


def _lacp_ok(mine: str, theirs: str) -> bool:
    if "on" in (mine, theirs):
        return mine == theirs
    return "active" in (mine, theirs)


def _port_channels(
    op: SwitchOper, name: str, opers: dict[str, SwitchOper], now: float, memory: Memory
) -> None:
    for ic in op.view.intfs.values():
        if ic.kind != "Port-Channel":
            continue
        io = IntfOper(ic.name, ic)
        for member in op.intfs.values():
            cg = member.conf.channel_group
            if not cg or f"Port-Channel{cg[0]}" != ic.name:
                continue
            member.member_of = ic.name
            io.members.append(member.name)
            if not member.up or member.far is None:
                continue
            dev, port = member.far
            if dev in opers:  # the far end must bundle too, with a port-channel that is not shut
                fintfs = opers[dev].view.intfs
                fic = fintfs.get(port)
                if fic is None or fic.channel_group is None or not _lacp_ok(cg[1], fic.channel_group[1]):
                    continue
                fpo = fintfs.get(f"Port-Channel{fic.channel_group[0]}")
                if fpo is None or fpo.shutdown:
                    continue
            io.active_members.append(member.name)
            io.bandwidth += member.bandwidth
        io.up = not ic.shutdown and bool(io.active_members)
        if ic.shutdown:
            io.status, io.proto = "disabled", "down"
        elif io.up:
            io.status, io.proto = "connected", "up"
        else:
            io.status, io.proto = "notconnect", "lowerLayerDown"
        io.since = memory.since(f"{name}:if:{ic.name}", io.up, now)
        op.intfs[ic.name] = io


def logical(op: SwitchOper, port: str) -> IntfOper | None:
    """The interface that forwards for physical ``port`` (its Port-Channel when bundled)."""
    io = op.intfs.get(port)
    if io is None:
        return None
    if io.conf.channel_group:
        return op.intfs.get(io.member_of or "")
    return io


def carries(op: SwitchOper, io: IntfOper, vid: int) -> bool:
    """True when up switchport ``io`` forwards VLAN ``vid``."""
    ic = io.conf
    vlan = op.view.vlans.get(vid)
    if not io.up or ic.routed or vlan is None or vlan.state != "active":
        return False
    if ic.mode == "trunk":
        if vid not in ic.allowed:
            return False
        return not vlan.trunk_groups or bool(vlan.trunk_groups & ic.trunk_groups)
    return ic.access_vlan == vid


def _virtual(op: SwitchOper, name: str, now: float, memory: Memory) -> None:
    for ic in op.view.intfs.values():
        if ic.kind in ("Ethernet", "Management", "Port-Channel"):
            continue
        io = IntfOper(ic.name, ic)
        if ic.kind == "Vlan":
            vid = int(ic.number)
            active = any(carries(op, p, vid) for p in op.intfs.values() if p.conf.kind != "Vlan")
            io.up = not ic.shutdown and vid in op.view.vlans and (active or not ic.autostate)
        else:
            io.up = not ic.shutdown
        if ic.shutdown:
            io.status, io.proto = "disabled", "down"
        elif io.up:
            io.status, io.proto = "connected", "up"
        else:
            io.status, io.proto = "notconnect", "lowerLayerDown"
        io.since = memory.since(f"{name}:if:{ic.name}", io.up, now)
        op.intfs[ic.name] = io


def attachments(op: SwitchOper, intf: str) -> set[str]:
    """Physical ports through which L3 interface ``intf`` reaches the wire."""
    io = op.intfs.get(intf)
    if io is None or not io.up:
        return set()
    kind = io.conf.kind
    if kind == "Ethernet":
        return {intf}
    if kind == "Port-Channel":
        return set(io.active_members)
    if kind == "Vlan":
        vid = int(io.conf.number)
        ports = set()
        for p in op.intfs.values():
            if p.conf.kind != "Ethernet" or not p.up:
                continue
            lg = logical(op, p.name)
            if lg is not None and carries(op, lg, vid):
                ports.add(p.name)
        return ports
    return set()


def adjacent(fabric: FabricOper, a: str, a_intf: str, b: str, b_intf: str) -> bool:
    """True when L3 interfaces ``a:a_intf`` and ``b:b_intf`` share a wire (or the mgmt LAN)."""
    oa, ob = fabric[a], fabric[b]
    ia, ib = oa.intfs.get(a_intf), ob.intfs.get(b_intf)
    if ia is None or ib is None or not ia.up or not ib.up:
        return False
    if ia.conf.kind == "Management" and ib.conf.kind == "Management":
        return True
    if ia.conf.kind == "Vlan" and ib.conf.kind == "Vlan" and ia.conf.number != ib.conf.number:
        return False
    bports = attachments(ob, b_intf)
    for port in attachments(oa, a_intf):
        far = oa.intfs[port].far
        if far and far[0] == b and far[1] in bports:
            return True
    return False


def resolve(fabric: FabricOper, me: str, ip: str) -> tuple[str, str, str] | None:
    """(local interface, peer switch, peer interface) when ``ip`` is directly reachable from ``me``."""
    addr = ipaddress.IPv4Address(ip)
    op = fabric[me]
    for intf, local in op.l3():
        if addr not in local.network or addr == local.ip:
            continue
        for other, oop in fabric.switches.items():
            if other == me:
                continue
            peer_intf = oop.owns(ip)
            if peer_intf and adjacent(fabric, me, intf, other, peer_intf):
                return intf, other, peer_intf
    return None


# -- LLDP -------------------------------------------------------------------------------------


def _lldp(op: SwitchOper, name: str, opers: dict[str, SwitchOper], now: float, memory: Memory) -> None:
    seen = []
    for io in op.intfs.values():
        if io.conf.kind != "Ethernet" or io.far is None or not op.view.lldp_run or not io.conf.lldp_rx:
            continue
        dev, port = io.far
        peer = opers.get(dev)
        if peer is None or not io.up or not peer.view.lldp_run:
            continue
        pic = peer.intfs.get(port)
        if pic is None or not pic.conf.lldp_tx:
            continue
        sw = peer.switch
        mgmt = next((str(a.ip) for n, a in peer.l3() if n.startswith("Management")), None)
        ident = (peer.view.fqdn, port)
        since = memory.since(f"{name}:lldp:{io.name}", ident, now)
        io.lldp.append(
            LldpNeighbor(
                peer.view.fqdn,
                port,
                pic.conf.description,
                sw.system_mac,
                mgmt,
                f"Arista Networks EOS version {sw.version} running on an Arista Networks {sw.model}",
                since,
            )
        )
        seen.append((io.name, ident))
    op.lldp_since, op.lldp_changes = memory.track(f"{name}:lldp", tuple(sorted(seen)), now)


# -- CVX --------------------------------------------------------------------------------------


def _cvx(fabric: FabricOper, memory: Memory) -> None:
    servers = {}
    for name, op in fabric.switches.items():
        cvx = op.view.cvx
        if cvx is None or not cvx.enabled:
            continue
        ips = {str(a.ip) for _, a in op.l3()}
        if op.switch.mgmt_ip:
            ips.add(op.switch.mgmt_ip.split("/")[0])
        for ip in ips:
            servers[ip] = name
    for name, op in fabric.switches.items():
        client = op.view.mgmt_cvx
        if client is None:
            continue
        for ip in client.servers:
            server = servers.get(ip) if client.enabled else None
            if server is None or server == name:
                op.cvx_servers[ip] = None
                memory.since(f"{name}:cvx:{ip}", False, fabric.at)
                continue
            since = memory.since(f"{name}:cvx:{ip}", True, fabric.at)
            conn = CvxConnection(name, op.view.hostname, op.switch.system_mac, ip, since)
            op.cvx_servers[ip] = conn
            fabric[server].cvx_clients.append(conn)
