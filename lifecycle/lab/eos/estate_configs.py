"""The in-service switches' configs as the network team typed them over the years (issue 15).

Written from the site model only (never from i2's renderer): what each spine and leaf must carry
for the fabric to work (addresses, MLAG, BGP, the servers' port-channels and VLANs, CVX, NTP, DNS),
typed at the CLI the way people do. With ``brownfield`` (the default, ``brownfield_switches`` in
lab.yaml) it is typed as an estate is found: sections in another order, ``!`` comments, a VLAN
list grown with ``switchport trunk allowed vlan add``, an older EOS's defaults typed out (``no
shutdown``, ``switchport``, ``bgp log-neighbor-changes``, ``maximum-routes 12000``, ``state
active``), plus real drift: descriptions nobody asked for, a VLAN the site does not have and a
shut spare port. :func:`saved` runs the typing through the switch's own CLI and returns the
startup-config ``write memory`` leaves, so flash holds EOS's canonical form.

>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> site = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")
>>> typed = typed_configs(site, password="pw", cvx_hosts=("10.0.0.5",))
>>> sorted(typed)  # c02 is planned: its leaves come up through ZTP
['c01-leaf1', 'c01-leaf2', 'ie1-spine1', 'ie1-spine2', 'r01-leaf1', 'r01-leaf2']
>>> "switchport trunk allowed vlan add" in typed["c01-leaf1"], "vlan 999" in typed["c01-leaf1"]
(True, True)
>>> "vlan 999" in typed_configs(site, password="pw", brownfield=False)["c01-leaf1"]
False
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from lifecycle.lab.eos.config import CliError, Config, Editor, commands_of
from lifecycle.lab.eos.crypt import sha512_crypt
from lifecycle.lab.eos.names import model_ports, sort_key
from lifecycle.model.schema import Site

EXTRA_VLAN = (999, "legacy-backup")  # a VLAN a team added once; not in the site
_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_PEER_CHANNEL = 1000  # the MLAG peer link's port-channel (the site's convention)


@dataclass
class Typed:
    """One switch's config as blocks of typed lines (a block: a header and its indented lines)."""

    top: list[str] = field(default_factory=list)
    blocks: list[list[str]] = field(default_factory=list)

    def block(self, header: str, *lines: str) -> None:
        self.blocks.append([header, *(f"   {x}" for x in lines if x)])


def _pair(net: ipaddress.IPv4Network) -> tuple[str, str]:
    """The two ends of a point-to-point subnet: both addresses of a /31, the first two hosts else."""
    hosts = list(net) if net.prefixlen == 31 else list(net.hosts())
    return str(hosts[0]), str(hosts[1])


def _split(end: str) -> tuple[str, str]:
    device, _, port = end.partition(":")
    return device, port


def _mgmt(model: str) -> str:
    return "Management1" if "Management1" in model_ports(model) else "Management1/1"


def _hash(password: str, switch: str) -> str:
    """The lab's own sha512-crypt, a salt of its own per switch (the team set each one by hand)."""
    digest = hashlib.sha256(f"netops:{switch}".encode()).digest()
    return sha512_crypt(password, salt="".join(_ITOA64[b % 64] for b in digest[:16]))


def _common(t: Typed, site: Site, name: str, username: str, password: str, old: bool) -> None:
    t.top += [f"hostname {name}", f"ip domain-name {site.site.domain}",
              f"username {username} privilege 15 role network-admin secret sha512 "
              f"{_hash(password, name)}", "spanning-tree mode mstp"]
    t.top += [f"ntp server {s}" for s in site.site.ntp_servers]
    t.top += [f"ip name-server {s}" for s in site.site.dns_servers]  # EOS adds "vrf default"
    t.top.append("ip routing")
    if old:
        t.top.append("lldp run")  # older EOS printed it; typed, it changes nothing


def _management(t: Typed, cvx_hosts: Sequence[str], old: bool) -> None:
    t.block("management api http-commands", "protocol https" if old else "", "no shutdown")
    if cvx_hosts:
        t.block("management cvx", *(f"server host {h}" for h in cvx_hosts), "no shutdown")


def _routed(t: Typed, port: str, peer: str, ip: str, old: bool) -> None:
    t.block(f"interface {port}", f"description to {peer}", "no switchport", "mtu 9214",
            f"ip address {ip}/31", "no shutdown" if old else "")


def spine_config(site: Site, name: str, *, username: str, password: str,
                 cvx_hosts: Sequence[str] = (), brownfield: bool = True) -> Typed:
    spine = next(s for s in site.spines if s.name == name)
    t = Typed()
    _common(t, site, name, username, password, brownfield)
    neighbors = []
    for rack in site.racks:  # planned racks too: their spine ports were configured ahead
        for leaf in rack.leaves.leaves:
            for up in leaf.uplinks:
                peer = site.peer_of(f"{leaf.name}:{up.port}")
                if peer is None or _split(peer)[0] != name:
                    continue
                leaf_ip, mine = _pair(up.subnet)
                _routed(t, _split(peer)[1], f"{leaf.name}:{up.port}", mine, brownfield)
                neighbors.append((leaf_ip, rack.leaves.asn, f"{leaf.name}:{up.port}"))
    t.block("interface Loopback0", "description router-id, do not change" if brownfield else "",
            f"ip address {spine.loopback}/32")
    t.block(f"interface {_mgmt(spine.model)}", f"ip address {spine.mgmt}")
    bgp = [f"router-id {spine.loopback}", "maximum-paths 4"]
    if brownfield:
        bgp.insert(0, "bgp log-neighbor-changes")
        bgp.append(f"network {spine.loopback}/32")  # typed before the neighbors, as it happened
    for ip, asn, desc in (reversed(neighbors) if brownfield else neighbors):
        bgp += [f"neighbor {ip} description {desc}", f"neighbor {ip} remote-as {asn}"]
        if brownfield:
            bgp.append(f"neighbor {ip} maximum-routes 12000")
    if not brownfield:
        bgp.append(f"network {spine.loopback}/32")
    t.block(f"router bgp {spine.asn}", *bgp)
    _management(t, cvx_hosts, brownfield)
    return t


def _servers(site: Site, rack: str, leaf: str) -> list[tuple[int, str, str, str, dict[int, str]]]:
    """(channel, port, server, nic, {vlan: name}) for each server NIC cabled to ``leaf``."""
    clouds = {c.name: c for c in site.clouds}
    out = []
    for srv in site.servers_in(rack):
        cloud = clouds.get(srv.cloud)
        vlans = {n.vlan: f"{srv.cloud}-{n.name}" for n in (cloud.networks if cloud else []) if n.vlan}
        for nic in srv.nics:
            peer = site.peer_of(f"{srv.name}:{nic.name}")
            if peer and _split(peer)[0] == leaf:
                port = _split(peer)[1]
                out.append((int(re.findall(r"\d+", port)[0]), port, srv.name, nic.name, vlans))
    return sorted(out)


def _spare_port(site: Site, leaf: str, model: str) -> str | None:
    """The highest front-panel port with no cable in the site."""
    used = {_split(end)[1] for c in site.cables for end in (c.a, c.b) if _split(end)[0] == leaf}
    free = [p for p in model_ports(model) if re.fullmatch(r"Ethernet\d+", p) and p not in used]
    return max(free, key=sort_key) if free else None


def leaf_config(site: Site, rack_name: str, index: int, *, username: str, password: str,
                cvx_hosts: Sequence[str] = (), brownfield: bool = True) -> Typed:
    rack = site.rack(rack_name)
    pair = rack.leaves
    leaf, mate = pair.leaves[index], pair.leaves[1 - index]
    mine, theirs = _pair(pair.peer_subnet) if index == 0 else _pair(pair.peer_subnet)[::-1]
    t = Typed()
    _common(t, site, leaf.name, username, password, brownfield)
    t.top.append(f"no spanning-tree vlan-id {pair.peer_vlan}")
    servers = _servers(site, rack_name, leaf.name)
    vlans = {v: n for *_, vs in servers for v, n in vs.items()}
    if brownfield:
        t.top.insert(0, f"! {leaf.name}: built by netops, see the rack's runbook in the wiki")
        vlans[EXTRA_VLAN[0]] = EXTRA_VLAN[1]
    for vid, vname in sorted(vlans.items(), reverse=brownfield):
        t.block(f"vlan {vid}", f"name {vname}", "state active" if brownfield else "")
    t.block(f"vlan {pair.peer_vlan}", "name mlag-peer", "trunk group mlagpeer")
    t.block(f"interface Port-Channel{_PEER_CHANNEL}", f"description MLAG peer link to {mate.name}",
            "switchport" if brownfield else "", "switchport mode trunk",
            "switchport trunk group mlagpeer")
    for port in pair.peer_link:
        t.block(f"interface {port}", f"description MLAG peer link to {mate.name}:{port}",
                f"channel-group {_PEER_CHANNEL} mode active")
    for up in leaf.uplinks:
        peer = site.peer_of(f"{leaf.name}:{up.port}")
        if peer is None:
            continue
        _routed(t, up.port, peer, _pair(up.subnet)[0], brownfield)
    for channel, port, server, nic, svl in servers:
        allowed = sorted(svl)
        lines = [f"description {server}", "switchport mode trunk"]
        if allowed and brownfield and len(allowed) > 1:  # the list grew one network at a time
            lines.append(f"switchport trunk allowed vlan {allowed[0]}")
            lines += [f"switchport trunk allowed vlan add {v}" for v in allowed[1:]]
        elif allowed:
            lines.append(f"switchport trunk allowed vlan {','.join(map(str, allowed))}")
        t.block(f"interface Port-Channel{channel}", *lines, f"mlag {channel}")
        t.block(f"interface {port}", f"description {server}:{nic}",
                f"channel-group {channel} mode active", "no shutdown" if brownfield else "")
    spare = _spare_port(site, leaf.name, leaf.model) if brownfield else None
    if spare:
        t.block(f"interface {spare}", "description spare - do not use (netops)", "shutdown")
    t.block("interface Loopback0", f"ip address {leaf.loopback}/32")
    t.block(f"interface {_mgmt(leaf.model)}", "description oob" if brownfield else "",
            f"ip address {leaf.mgmt}")
    t.block(f"interface Vlan{pair.peer_vlan}",
            "description mlag peering" if brownfield else "description MLAG peer",
            f"ip address {mine}/31")
    t.block("mlag configuration", f"domain-id {pair.mlag_domain}",
            f"local-interface Vlan{pair.peer_vlan}", f"peer-address {theirs}",
            f"peer-link Port-Channel{_PEER_CHANNEL}")
    bgp = [f"router-id {leaf.loopback}", "maximum-paths 4",
           f"neighbor {theirs} remote-as {pair.asn}", f"neighbor {theirs} next-hop-self",
           f"neighbor {theirs} description {mate.name}"]
    for up in leaf.uplinks:
        peer = site.peer_of(f"{leaf.name}:{up.port}")
        if peer is not None:
            ip = _pair(up.subnet)[1]
            bgp += [f"neighbor {ip} remote-as {_spine_asn(site, _split(peer)[0])}",
                    f"neighbor {ip} description {peer}"]
    bgp.append(f"network {leaf.loopback}/32")
    if brownfield:
        bgp = [bgp[-1], *reversed(bgp[:-1]), "bgp log-neighbor-changes"]
    t.block(f"router bgp {pair.asn}", *bgp)
    _management(t, cvx_hosts, brownfield)
    return t


def _spine_asn(site: Site, name: str) -> int:
    return next(s.asn for s in site.spines if s.name == name)


def text_of(t: Typed, *, brownfield: bool = True) -> str:
    """The typed lines; brownfield types the management and routing sections first, with
    comments between, as the order things were changed in over the years."""
    blocks = list(t.blocks)
    if brownfield:
        late = [b for b in blocks if not b[0].startswith(("interface", "vlan"))]
        blocks = late + [b for b in blocks if b not in late][::-1]
    out = [*t.top, "!"]
    for i, b in enumerate(blocks):
        out += b
        out.append(f"! changed {2016 + i % 8}-0{1 + i % 9} (netops)" if brownfield and i % 5 == 0
                   else "!")
    return "\n".join(out) + "\n"


def typed_configs(site: Site, *, password: str, username: str = "i2",
                  cvx_hosts: Sequence[str] = (), brownfield: bool = True) -> dict[str, str]:
    """Every in-service spine's and leaf's typed config text, by switch name."""
    kw = {"username": username, "password": password, "cvx_hosts": cvx_hosts,
          "brownfield": brownfield}
    out = {s.name: text_of(spine_config(site, s.name, **kw), brownfield=brownfield)
           for s in site.spines}
    for rack in site.racks:
        if rack.state != "in-service":
            continue
        for i, leaf in enumerate(rack.leaves.leaves):
            out[leaf.name] = text_of(leaf_config(site, rack.name, i, **kw), brownfield=brownfield)
    return out


def saved(model: str, typed: str, header: Sequence[str] = ()) -> str:
    """``typed`` entered at the switch's CLI (abbreviations allowed, comments dropped), then
    ``write memory``: the canonical startup-config EOS keeps."""
    cfg = Config(model)
    editor = Editor(cfg, abbrev=True)
    for line in commands_of(typed):
        if line == "exit":
            editor.exit()
            continue
        try:
            editor.execute(line)
        except CliError as err:  # the lab's own writer must type valid EOS
            raise ValueError(f"{line!r}: {err.message}") from None
    return cfg.text(list(header))
