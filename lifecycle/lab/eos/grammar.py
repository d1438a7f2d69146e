"""The configuration commands the emulator understands, mode by mode.

Each :class:`Rule` is a command template plus what the running-config does with it: ``key``
names the setting a line sets (a later line with the same key replaces it; no key = a list
item), ``submode`` makes it a section, ``stored_no`` marks commands whose *negation* is what
the running-config shows (``no shutdown`` under ``management api http-commands``, ``no lldp
run``), ``default`` is the line ``show running-config all`` prints while the setting is unset,
and ``hook`` names special handling in :mod:`lifecycle.lab.eos.config`. Anything not listed
here fails the way EOS fails: ``% Invalid input``.

>>> rule, match = find_rule("interface", "channel-group 1000 mode active")
>>> rule.key_of(match), rule.hook
('channel-group', 'channel_group')
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lifecycle.lab.eos.tokens import Match, Template, tokenize


@dataclass(frozen=True)
class Rule:
    spec: str
    key: int | str | None = None  # int: first N words; str: format over the values; None: whole line
    order: int = 50
    submode: str | None = None
    stored_no: bool = False
    tristate: bool = False  # both "X" and "no X" are shown (bgp neighbor activate)
    default: str | None = None
    hook: str | None = None
    types: tuple[str, ...] = ()  # interface types the command applies to (interface mode)
    no_only: bool = False  # only valid as "no X"/"default X" (removes every "X ..." line)
    template: Template = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "template", Template(self.spec))

    def key_of(self, m: Match) -> str:
        if self.key is None:
            return m.text
        if isinstance(self.key, int):
            return " ".join(m.words[: self.key])
        return self.key.format(**m.values)


R = Rule
_ETH_PO = ("Ethernet", "Port-Channel")
_L3 = ("Ethernet", "Port-Channel", "Vlan", "Loopback", "Management")

MODES: dict[str, list[Rule]] = {
    "config": [
        R("transceiver qsfp default-mode 4x10G", 1, order=2),
        R("service routing protocols model (ribd|multi-agent)", 4, order=3),
        R("aaa root", 2, order=4, stored_no=True),
        R("aaa authorization exec default local", 4, order=5),
        R("aaa authentication login default local", 4, order=5),
        R(
            "username <word:user> [privilege <int0-15:priv>] [role <word:role>] (secret|password) "
            "[(0|5|7|sha512):enc] <word:secret>",
            "username {user}",
            order=6,
            hook="username",
        ),
        R(
            "username <word:user> [privilege <int0-15:priv>] [role <word:role>] nopassword",
            "username {user}",
            order=6,
            hook="username",
        ),
        R("username <word:user>", "username {user}", order=6, no_only=True),
        R("enable (secret|password) [(0|5|sha512):enc] <word:secret>", 1, order=7),
        R("hostname <word:name>", 1, order=10),
        R("ip domain-name <word:name>", 2, order=11),
        R("dns domain <word:name>", 2, order=11),
        R("ip name-server [vrf <word:vrf>] <ip:addr>", "ip name-server {addr}", order=12, hook="name_server"),
        R(
            "ntp server [vrf <word:vrf>] <word:host> [prefer] [iburst] [source <intf:src>]",
            "ntp server {host}",
            order=13,
        ),
        R("clock timezone <word:tz>", 2, order=14),
        R("lldp run", 2, order=16, stored_no=True),
        R("lldp timer <int5-32768:secs>", 2, order=16),
        R("logging buffered <int:size> [<word:level>]", 2, order=17),
        R("logging host <word:host>", order=17),
        R("spanning-tree mode (mstp|rstp|rapid-pvst|none)", 2, order=20),
        R("spanning-tree vlan-id <vlans:v>", order=21, stored_no=True),
        R("spanning-tree mst <int:inst> priority <int:prio>", "spanning-tree mst {inst} priority", order=21),
        R("vlan <vlans:ids>", submode="vlan", order=30, hook="vlan"),
        R("vrf instance <word:name>", "vrf instance {name}", submode="vrf", order=32),
        R("management api http-commands", 3, submode="api", order=34),
        R("management cvx", 2, submode="mcvx", order=35),
        R("management ssh", 2, submode="ssh", order=36),
        R("daemon <word:name>", 2, submode="daemon", order=38),
        R("interface <intfs:names>", submode="interface", order=40, hook="interface"),
        R("ip virtual-router mac-address <mac:mac>", 3, order=50),
        R("ip routing [vrf <word:vrf>]", order=52, default="no ip routing"),
        R(
            "ip route [vrf <word:vrf>] <network:prefix> <word:via> [<int1-255:distance>] [name <word:name>]",
            order=54,
        ),
        R("mlag configuration", 2, submode="mlag", order=58),
        R("router bgp <asn:asn>", 2, submode="bgp", order=60, hook="router_bgp"),
        R("router multicast", 2, submode="multicast", order=62),
        R("cvx", 1, submode="cvx", order=70),
    ],
    "interface": [
        R("description <line:text>", 1, order=1, default="no description"),
        R("shutdown", 1, order=2, default="no shutdown"),
        R("load-interval <int0-600:secs>", 1, order=3),
        R("mtu <int68-9214:mtu>", 1, order=4),
        R("speed <word:speed>", 1, order=5, types=_ETH_PO),
        R("mac address <mac:mac>", 2, order=6),
        R("flowcontrol (send|receive):dir (on|off)", "flowcontrol {dir}", order=7, types=("Ethernet",)),
        R("lldp (transmit|receive):dir", "lldp {dir}", order=8, stored_no=True, types=("Ethernet",)),
        R("switchport", 1, order=10, stored_no=True, types=_ETH_PO),
        R("switchport mode (access|trunk|dot1q-tunnel)", 2, order=11, types=_ETH_PO),
        R("switchport access vlan <int1-4094:vlan>", 3, order=12, types=_ETH_PO),
        R("switchport trunk native vlan <int1-4094:vlan>", 4, order=13, types=_ETH_PO),
        R(
            "switchport trunk allowed vlan [(add|remove|except):op] <vlans:v>",
            4,
            order=14,
            types=_ETH_PO,
            hook="allowed_vlan",
        ),
        R("switchport trunk group <word:group>", order=15, types=_ETH_PO),
        R(
            "channel-group <int1-2000:id> mode (active|passive|on)",
            1,
            order=20,
            types=("Ethernet",),
            hook="channel_group",
        ),
        R("port-channel min-links <int0-32:n>", 2, order=21, types=("Port-Channel",)),
        R("port-channel lacp fallback (static|individual)", 3, order=21, types=("Port-Channel",)),
        R("port-channel lacp fallback timeout <int:secs>", 4, order=21, types=("Port-Channel",)),
        R("mlag <int1-2000:id>", 1, order=22, types=("Port-Channel",)),
        R("vrf <word:vrf>", 1, order=30, types=_L3),
        R("autostate", 1, order=31, stored_no=True, types=("Vlan",)),
        R("ip address <prefix:addr>", 2, order=32, types=_L3),
        R("ip address <prefix:addr> secondary", order=33, types=_L3),
        R("ipv6 enable", 2, order=34, types=_L3),
        R("ipv6 address <word:addr>", order=35, types=_L3),
        R("ip virtual-router address <ip:addr>", order=36, types=("Vlan",)),
        R("ip helper-address <ip:addr>", order=37, types=_L3),
        R("spanning-tree portfast", 2, order=40, types=_ETH_PO),
        R("spanning-tree bpduguard (enable|disable)", 2, order=41, types=_ETH_PO),
        R("spanning-tree link-type (point-to-point|shared)", 2, order=42, types=_ETH_PO),
    ],
    "vlan": [
        R("name <line:name>", 1, order=1, default="name VLAN{vid:04d}"),
        R("state (active|suspend):state", 1, order=2, default="state active", hook="vlan_state"),
        R("trunk group <word:group>", order=3),
    ],
    "vrf": [R("description <line:text>", 1)],
    "mlag": [
        R("domain-id <word:id>", 1, order=1),
        R("heartbeat-interval <int:ms>", 1, order=2),
        R("local-interface <intf:intf>", 1, order=3),
        R("peer-address <ip:addr>", 1, order=4),
        R("peer-address heartbeat <ip:addr> [vrf <word:vrf>]", 2, order=5),
        R("peer-link <intf:intf>", 1, order=6),
        R("reload-delay mlag <int:secs>", 2, order=7),
        R("reload-delay non-mlag <int:secs>", 2, order=8),
        R("reload-delay <int:secs>", 1, order=7),
        R("dual-primary detection delay <int:secs> action errdisable all-interfaces", 2, order=9),
        R("shutdown", 1, order=10, default="no shutdown"),
    ],
    "bgp": [
        R("shutdown", 1, order=1, default="no shutdown"),
        R("router-id <ip:id>", 1, order=2),
        R("bgp log-neighbor-changes", 2, order=3, stored_no=True),
        R("bgp default ipv4-unicast", 3, order=4, stored_no=True),
        R("bgp bestpath as-path multipath-relax", 4, order=5),
        R("distance bgp <int1-255:ext> <int1-255:int> <int1-255:loc>", 2, order=6),
        R("timers bgp <int:keepalive> <int:hold>", 2, order=7),
        R("maximum-paths <int1-600:paths> [ecmp <int1-600:ecmp>]", 1, order=8),
        R("neighbor <peer:n> peer group", "neighbor {n} peer group", order=10),
        R("neighbor <peer:n> peer group <word:group>", "neighbor {n} peer group", order=11),
        R(
            "neighbor <peer:n> peer-group [<word:group>]",
            "neighbor {n} peer group",
            order=11,
            hook="peer_group_old",
        ),
        R("neighbor <peer:n> remote-as <asn:asn>", "neighbor {n} remote-as", order=12),
        R("neighbor <peer:n> next-hop-self", "neighbor {n} next-hop-self", order=12),
        R("neighbor <peer:n> update-source <intf:intf>", "neighbor {n} update-source", order=12),
        R("neighbor <peer:n> ebgp-multihop [<int1-255:hops>]", "neighbor {n} ebgp-multihop", order=12),
        R("neighbor <peer:n> allowas-in [<int1-10:count>]", "neighbor {n} allowas-in", order=12),
        R("neighbor <peer:n> description <line:text>", "neighbor {n} description", order=12),
        R("neighbor <peer:n> shutdown", "neighbor {n} shutdown", order=12),
        R("neighbor <peer:n> bfd", "neighbor {n} bfd", order=12),
        R("neighbor <peer:n> password [(0|7):enc] <word:secret>", "neighbor {n} password", order=12),
        R("neighbor <peer:n> route-map <word:rm> (in|out):dir", "neighbor {n} route-map {dir}", order=12),
        R(
            "neighbor <peer:n> send-community [(standard|extended|large)]",
            "neighbor {n} send-community",
            order=12,
        ),
        R(
            "neighbor <peer:n> maximum-routes <int:max> [(warning-only):warn]",
            "neighbor {n} maximum-routes",
            order=12,
            hook="max_routes",
        ),
        R("neighbor <peer:n>", "neighbor {n}", order=12, no_only=True),
        R("network <network:prefix> [route-map <word:rm>]", "network {prefix}", order=20),
        R("redistribute (connected|static):proto [route-map <word:rm>]", "redistribute {proto}", order=21),
        R("address-family (ipv4|ipv6):af [unicast]", "address-family {af}", submode="bgp-af", order=30),
        R("vrf <word:vrf>", "vrf {vrf}", submode="bgp-vrf", order=40),
    ],
    "bgp-af": [
        R("neighbor <peer:n> activate", "neighbor {n} activate", order=10, tristate=True),
        R("neighbor <peer:n> route-map <word:rm> (in|out):dir", "neighbor {n} route-map {dir}", order=11),
        R("network <network:prefix> [route-map <word:rm>]", "network {prefix}", order=20),
        R("redistribute (connected|static):proto [route-map <word:rm>]", "redistribute {proto}", order=21),
    ],
    "bgp-vrf": [
        R("rd <word:rd>", 1, order=1),
        R("route-target (import|export|both):dir <word:rt>", order=2),
        R("router-id <ip:id>", 1, order=3),
        R("neighbor <peer:n> remote-as <asn:asn>", "neighbor {n} remote-as", order=12),
        R("neighbor <peer:n> peer group <word:group>", "neighbor {n} peer group", order=11),
        R("neighbor <peer:n>", "neighbor {n}", order=12, no_only=True),
        R("redistribute (connected|static):proto [route-map <word:rm>]", "redistribute {proto}", order=21),
    ],
    "api": [
        R("shutdown", 1, order=1, stored_no=True, default="shutdown"),
        R(
            "protocol (https|http|unix-socket):proto [port <int1-65535:port>]",
            "protocol {proto}",
            order=2,
            hook="api_protocol",
        ),
        R("vrf <word:vrf>", "vrf {vrf}", submode="api-vrf", order=10),
    ],
    "api-vrf": [R("shutdown", 1, stored_no=True, default="shutdown")],
    "mcvx": [
        R("shutdown", 1, order=1, stored_no=True, default="shutdown"),
        R("server host <word:host>", order=2),
        R("source-interface <intf:intf>", 1, order=3),
        R("heartbeat-interval <int:secs>", 1, order=4),
        R("heartbeat-timeout <int:secs>", 1, order=5),
        R("vrf <word:vrf>", 1, order=6),
    ],
    "cvx": [
        R("shutdown", 1, order=1, stored_no=True, default="shutdown"),
        R("peer host <word:host>", order=2),
        R("source-interface <intf:intf>", 1, order=3),
        R("heartbeat-interval <int:secs>", 1, order=4),
        R("heartbeat-timeout <int:secs>", 1, order=5),
        R("service <word:name>", "service {name}", submode="cvx-service", order=10),
    ],
    "cvx-service": [R("shutdown", 1, order=1, stored_no=True, default="shutdown")],
    "ssh": [
        R("idle-timeout <int:mins>", 1, order=1),
        R("shutdown", 1, order=2),
    ],
    "daemon": [
        R("exec <line:cmd>", 1, order=1),
        R("shutdown", 1, order=2, stored_no=True),
    ],
    "multicast": [R("ipv4", 1, submode="multicast-ipv4")],
    "multicast-ipv4": [
        R("routing", 1, order=1),
        R("software-forwarding (kernel|sfe)", 1, order=2),
    ],
}


def find_rule(
    mode: str, line: str, *, partial: bool = False, abbrev: bool = False
) -> tuple[Rule, Match] | tuple[None, None]:
    """The first rule of ``mode`` that ``line`` matches (in full, or as a prefix)."""
    toks = tokenize(line)
    if not toks:
        return None, None
    for rule in MODES[mode]:
        if rule.no_only and not partial:
            continue
        m = rule.template.match(toks, partial=partial, abbrev=abbrev)
        if m is not None:
            return rule, m
    return None, None
