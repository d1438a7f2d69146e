"""What a configuration means, read out of the tree once: interfaces, VLANs, BGP, MLAG, CVX, eAPI.

The derived (operational) state is computed from these views, never from raw text.

>>> from lifecycle.lab.eos.config import Config, Editor
>>> cfg = Config("DCS-7050SX3-48YC8")
>>> ed = Editor(cfg)
>>> for line in ["interface Ethernet49/1", "no switchport", "ip address 10.254.0.8/31"]:
...     ed.execute(line)
>>> v = SwitchView.of(cfg)
>>> v.intfs["Ethernet49/1"].routed, str(v.intfs["Ethernet49/1"].addrs[0])
(True, '10.254.0.8/31')
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from lifecycle.lab.eos.config import Config, Node
from lifecycle.lab.eos.names import vlan_set

IPv4If = ipaddress.IPv4Interface


@dataclass
class IntfConf:
    name: str
    kind: str
    shutdown: bool = False
    description: str = ""
    switchport: bool = True  # Ethernet and Port-Channel only; other kinds are routed
    mode: str = "access"
    access_vlan: int = 1
    native_vlan: int = 1
    allowed: set[int] = field(default_factory=lambda: set(range(1, 4095)))
    trunk_groups: set[str] = field(default_factory=set)
    channel_group: tuple[int, str] | None = None  # (id, lacp mode)
    mlag: int | None = None
    addrs: list[IPv4If] = field(default_factory=list)  # primary first
    vrf: str = "default"
    mtu: int | None = None
    autostate: bool = True
    lldp_tx: bool = True
    lldp_rx: bool = True

    @property
    def routed(self) -> bool:
        return self.kind not in ("Ethernet", "Port-Channel") or not self.switchport

    @property
    def number(self) -> str:
        return self.name[len(self.kind) :]


@dataclass
class VlanConf:
    vid: int
    name: str
    state: str = "active"
    trunk_groups: set[str] = field(default_factory=set)


@dataclass
class NeighborConf:
    peer: str  # address (or group name for a peer group definition)
    remote_as: str | None = None
    peer_group: str | None = None
    description: str = ""
    shutdown: bool = False
    maximum_routes: int = 12000
    update_source: str | None = None
    activate: bool | None = None  # address-family ipv4 "neighbor X activate" / "no ... activate"


@dataclass
class BgpConf:
    asn: str
    router_id: str | None = None
    shutdown: bool = False
    default_ipv4: bool = True
    neighbors: dict[str, NeighborConf] = field(default_factory=dict)  # by address, groups resolved
    groups: dict[str, NeighborConf] = field(default_factory=dict)
    networks: list[ipaddress.IPv4Network] = field(default_factory=list)
    redistribute: set[str] = field(default_factory=set)

    def ipv4_active(self, n: NeighborConf) -> bool:
        if n.activate is not None:
            return n.activate
        group = self.groups.get(n.peer_group or "")
        if group and group.activate is not None:
            return group.activate
        return self.default_ipv4


@dataclass
class MlagConf:
    domain_id: str | None = None
    local_interface: str | None = None
    peer_address: str | None = None
    peer_link: str | None = None
    shutdown: bool = False
    reload_delay: int = 300
    reload_delay_non_mlag: int = 300

    @property
    def complete(self) -> bool:
        return bool(self.domain_id and self.local_interface and self.peer_address and self.peer_link)


@dataclass
class ApiConf:
    enabled: bool = False
    https: bool = True
    https_port: int = 443
    http: bool = False
    http_port: int = 80
    unix: bool = False


@dataclass
class CvxClientConf:
    enabled: bool = False
    servers: list[str] = field(default_factory=list)
    source_interface: str | None = None
    heartbeat_interval: int = 20
    heartbeat_timeout: int = 60


@dataclass
class CvxServerConf:
    enabled: bool = False
    peers: list[str] = field(default_factory=list)
    services: dict[str, bool] = field(default_factory=dict)
    heartbeat_interval: int = 20
    heartbeat_timeout: int = 60


@dataclass
class SwitchView:
    hostname: str
    domain: str | None
    lldp_run: bool
    ip_routing: bool
    intfs: dict[str, IntfConf]
    vlans: dict[int, VlanConf]
    bgp: BgpConf | None
    mlag: MlagConf | None
    api: ApiConf
    mgmt_cvx: CvxClientConf | None
    cvx: CvxServerConf | None
    static_routes: list[tuple[ipaddress.IPv4Network, str]]
    ntp_servers: list[str]

    @property
    def fqdn(self) -> str:
        return f"{self.hostname}.{self.domain}" if self.domain else self.hostname

    @classmethod
    def of(cls, cfg: Config) -> SwitchView:
        root = cfg.root
        domain = _arg(root.line("ip domain-name"), 2) or _arg(root.line("dns domain"), 2)
        vlans = {1: VlanConf(1, "default")}
        for vid, node in cfg.vlans().items():
            vlans[vid] = VlanConf(
                vid,
                _rest(node.line("name"), 1) or f"VLAN{vid:04d}",
                _arg(node.line("state"), 1) or "active",
                {c.words[2] for c in node.lines("trunk group")},
            )
        static = []
        for node in root.lines("ip route"):
            w = node.words
            if w[2] != "vrf":
                static.append((ipaddress.IPv4Network(w[2]), w[3]))
        return cls(
            hostname=cfg.hostname,
            domain=domain,
            lldp_run=not root.has("no lldp run"),
            ip_routing=any(c.words == ["ip", "routing"] for c in root.lines("ip routing")),
            intfs={name: _intf(name, node) for name, node in cfg.interfaces().items()},
            vlans=vlans,
            bgp=_bgp(root.child("router bgp")),
            mlag=_mlag(root.child("mlag configuration")),
            api=_api(root.child("management api http-commands")),
            mgmt_cvx=_mgmt_cvx(root.child("management cvx")),
            cvx=_cvx(root.child("cvx")),
            static_routes=static,
            ntp_servers=[c.words[4] if c.words[2] == "vrf" else c.words[2] for c in root.lines("ntp server")],
        )


def _arg(line: str | None, i: int) -> str | None:
    if not line:
        return None
    words = line.split()
    return words[i] if i < len(words) else None


def _rest(line: str | None, i: int) -> str | None:
    if not line:
        return None
    return line.split(None, i)[i] if len(line.split()) > i else ""


def _intf(name: str, node: Node) -> IntfConf:
    kind = name.rstrip("0123456789/")
    ic = IntfConf(name, kind)
    ic.shutdown = node.line("shutdown") is not None
    ic.description = _rest(node.line("description"), 1) or ""
    ic.switchport = not node.has("no switchport")
    ic.mode = _arg(node.line("switchport mode"), 2) or "access"
    ic.access_vlan = int(_arg(node.line("switchport access vlan"), 3) or 1)
    ic.native_vlan = int(_arg(node.line("switchport trunk native vlan"), 4) or 1)
    allowed = _arg(node.line("switchport trunk allowed vlan"), 4)
    if allowed:
        ic.allowed = vlan_set(allowed)
    ic.trunk_groups = {c.words[3] for c in node.lines("switchport trunk group")}
    if cg := node.line("channel-group"):
        w = cg.split()
        ic.channel_group = (int(w[1]), w[3])
    if ml := node.line("mlag"):
        ic.mlag = int(ml.split()[1])
    primary = _arg(node.line("ip address"), 2)
    if primary:
        ic.addrs.append(IPv4If(primary))
    ic.addrs += [IPv4If(c.words[2]) for c in node.lines("ip address") if c.words[-1] == "secondary"]
    ic.vrf = _arg(node.line("vrf"), 1) or "default"
    ic.mtu = int(m) if (m := _arg(node.line("mtu"), 1)) else None
    ic.autostate = not node.has("no autostate")
    ic.lldp_tx = not node.has("no lldp transmit")
    ic.lldp_rx = not node.has("no lldp receive")
    return ic


def _neighbor_lines(node: Node, into: dict[str, NeighborConf]) -> None:
    for c in node.children:
        w = c.words
        if w[:1] != ["neighbor"] or len(w) < 3:
            continue
        n = into.setdefault(w[1], NeighborConf(w[1]))
        if c.negated:
            if w[2] == "activate":
                n.activate = False
            continue
        match w[2:]:
            case ["remote-as", asn]:
                n.remote_as = asn
            case ["peer", "group", group]:
                n.peer_group = group
            case ["description", *text]:
                n.description = c.text.split(None, 3)[3] if text else ""
            case ["shutdown"]:
                n.shutdown = True
            case ["maximum-routes", count, *_]:
                n.maximum_routes = int(count)
            case ["update-source", intf]:
                n.update_source = intf
            case ["activate"]:
                n.activate = True


def _bgp(node: Node | None) -> BgpConf | None:
    if node is None:
        return None
    bgp = BgpConf(node.words[2])
    bgp.router_id = _arg(node.line("router-id"), 1)
    bgp.shutdown = node.line("shutdown") is not None
    bgp.default_ipv4 = not node.has("no bgp default ipv4-unicast")
    entries: dict[str, NeighborConf] = {}
    _neighbor_lines(node, entries)
    for sub in (node.child("address-family ipv4"),):
        if sub is not None:
            _neighbor_lines(sub, entries)
    groups = {k: v for k, v in entries.items() if _is_group(k)}
    for addr, n in entries.items():
        if _is_group(addr):
            continue
        group = groups.get(n.peer_group or "")
        if group:  # a peer inherits what it does not set itself
            n.remote_as = n.remote_as or group.remote_as
            n.description = n.description or group.description
            n.shutdown = n.shutdown or group.shutdown
            n.update_source = n.update_source or group.update_source
        bgp.neighbors[addr] = n
    bgp.groups = groups
    for sec in (node, node.child("address-family ipv4")):
        if sec is None:
            continue
        bgp.networks += [ipaddress.IPv4Network(c.words[1]) for c in sec.lines("network")]
        bgp.redistribute |= {c.words[1] for c in sec.lines("redistribute")}
    return bgp


def _is_group(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return False
    except ValueError:
        return True


def _mlag(node: Node | None) -> MlagConf | None:
    if node is None:
        return None
    return MlagConf(
        domain_id=_arg(node.line("domain-id"), 1),
        local_interface=_arg(node.line("local-interface"), 1),
        peer_address=_arg(node.line("peer-address"), 1),
        peer_link=_arg(node.line("peer-link"), 1),
        shutdown=node.line("shutdown") is not None,
        reload_delay=int(
            _arg(node.line("reload-delay mlag"), 2) or _arg(node.line("reload-delay"), 1) or 300
        ),
        reload_delay_non_mlag=int(_arg(node.line("reload-delay non-mlag"), 2) or 300),
    )


def _api(node: Node | None) -> ApiConf:
    api = ApiConf()
    if node is None:
        return api
    api.enabled = node.has("no shutdown")
    api.https = not node.has("no protocol https")
    if port := _arg(node.line("protocol https"), 3):
        api.https_port = int(port)
    if line := node.line("protocol http"):
        api.http = True
        api.http_port = int(_arg(line, 3) or 80)
    api.unix = node.line("protocol unix-socket") is not None
    return api


def _mgmt_cvx(node: Node | None) -> CvxClientConf | None:
    if node is None:
        return None
    return CvxClientConf(
        enabled=node.has("no shutdown"),
        servers=[c.words[2] for c in node.lines("server host")],
        source_interface=_arg(node.line("source-interface"), 1),
        heartbeat_interval=int(_arg(node.line("heartbeat-interval"), 1) or 20),
        heartbeat_timeout=int(_arg(node.line("heartbeat-timeout"), 1) or 60),
    )


def _cvx(node: Node | None) -> CvxServerConf | None:
    if node is None:
        return None
    return CvxServerConf(
        enabled=node.has("no shutdown"),
        peers=[c.words[2] for c in node.lines("peer host")],
        services={c.words[1]: c.has("no shutdown") for c in node.sections("service")},
        heartbeat_interval=int(_arg(node.line("heartbeat-interval"), 1) or 20),
        heartbeat_timeout=int(_arg(node.line("heartbeat-timeout"), 1) or 60),
    )
