"""Render every switch's EOS configuration from the site model (templates in ``lifecycle/fabric/templates``).

Addressing conventions (the site gives the subnets, these pick the ends):

- a leaf uplink /31: the leaf takes the lower address, the spine the upper;
- the MLAG peer /31 (or /30): the first leaf of the pair takes the first usable address, the
  second leaf the next; iBGP between them runs over that VLAN interface;
- a dual-homed server gets ``Port-Channel<N>`` with ``mlag <N>`` on both leaves, N being the
  leaf port number its NICs land on (the Nuage VRS bond of a compute node).

Credentials never come from the site: the caller passes a ``sha512`` crypt hash, or (as i2
does, :func:`lifecycle.fabric.eapi.switch_hashes`) a function of the switch name giving each
switch its own salt.

>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> site = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")  # the repository's
>>> cfg = render_switches(site, secret_hash="$6$x$y")
>>> list(cfg)[:3], cfg["c02-leaf1"].splitlines()[0]
(['ie1-spine1', 'ie1-spine2', 'c01-leaf1'], 'hostname c02-leaf1')
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2

from lifecycle.model.catalog import SWITCH_MODELS
from lifecycle.model.schema import Cable, Leaf, Rack, Site, Spine

# one hash for every switch, or switch name -> that switch's hash
SecretHash = str | Callable[[str], str]
PEER_CHANNEL = 1000  # the MLAG peer link's port-channel; server channels use port numbers


def templates_dir() -> Path:
    """The EOS templates, package data beside this module (so an installed i2 has them too)."""
    return Path(__file__).resolve().with_name("templates")


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              autoescape=False)  # EOS config text, not HTML


@dataclass(frozen=True)
class P2P:
    port: str
    peer: str  # device:port at the other end
    ip: str
    peer_ip: str
    peer_asn: int


def ends(subnet: ipaddress.IPv4Network) -> tuple[str, str]:
    hosts = [subnet.network_address, subnet.network_address + 1] if subnet.prefixlen == 31 \
        else list(subnet.hosts())[:2]
    return str(hosts[0]), str(hosts[1])


def _port_number(port: str) -> int:
    return int(re.findall(r"\d+", port)[0])


def leaf_uplinks(site: Site, rack: Rack, leaf: Leaf) -> list[P2P]:
    spines = {s.name: s for s in site.spines}
    out = []
    for up in leaf.uplinks:
        peer = site.peer_of(f"{leaf.name}:{up.port}")
        if peer is None:
            raise ValueError(f"uplink {leaf.name}:{up.port} has no cable")
        spine = spines[Cable.split(peer)[0]]
        mine, theirs = ends(up.subnet)
        out.append(P2P(up.port, peer, mine, theirs, spine.asn))
    return out


def spine_downlinks(site: Site, spine: Spine) -> list[P2P]:
    out = []
    for rack in site.racks:
        for leaf in rack.leaves.leaves:
            for up in leaf.uplinks:
                peer = site.peer_of(f"{leaf.name}:{up.port}")
                if peer is None or Cable.split(peer)[0] != spine.name:
                    continue
                leaf_ip, spine_ip = ends(up.subnet)
                out.append(P2P(Cable.split(peer)[1], f"{leaf.name}:{up.port}", spine_ip, leaf_ip,
                               rack.leaves.asn))
    return sorted(out, key=lambda p: [int(n) for n in re.findall(r"\d+", p.port)])


def render_leaf(site: Site, rack: Rack, index: int, *, username: str = "i2",
                secret_hash: SecretHash, cvx_hosts: Sequence[str] = ()) -> str:
    pair = rack.leaves
    leaf, mate = pair.leaves[index], pair.leaves[1 - index]
    ips = ends(pair.peer_subnet)
    servers = []
    vlans: dict[int, str] = {}
    clouds = {c.name: c for c in site.clouds}
    for srv in site.servers_in(rack.name):
        # a server's port-channel carries its cloud's isolated networks (recommissioning a
        # server into another cloud changes them)
        cloud = clouds.get(srv.cloud)
        mine = {n.vlan: f"{srv.cloud}-{n.name}" for n in (cloud.networks if cloud else []) if n.vlan}
        for nic in srv.nics:
            peer = site.peer_of(f"{srv.name}:{nic.name}")
            if peer and Cable.split(peer)[0] == leaf.name:
                port = Cable.split(peer)[1]
                vlans.update(mine)
                servers.append({"server": srv.name, "nic": nic.name, "port": port,
                                "channel": _port_number(port),
                                "vlans": ",".join(str(v) for v in sorted(mine))})
    return _env().get_template("eos/leaf.j2").render(
        leaf=leaf, mate=mate, mgmt_intf=mgmt_interface(leaf.model), pair=pair,
        domain=site.site.domain, username=username, **_services(site),
        secret_hash=hash_for(secret_hash, leaf.name), peer_channel=PEER_CHANNEL, peer_ip=ips[index],
        mate_peer_ip=ips[1 - index], uplinks=leaf_uplinks(site, rack, leaf),
        servers=sorted(servers, key=lambda s: s["channel"]), cvx_hosts=list(cvx_hosts),
        vlans=sorted(vlans.items()))


def _services(site: Site) -> dict[str, list[str]]:
    """The site's NTP and DNS servers, which every switch uses (a push must not drop them)."""
    return {"ntp_servers": [str(s) for s in site.site.ntp_servers],
            "dns_servers": [str(s) for s in site.site.dns_servers]}


def hash_for(secret_hash: SecretHash, switch: str) -> str:
    """The password hash for ``switch``: each its own salt (see eapi.switch_hashes); a plain
    string (tests, examples) is used for every switch."""
    return secret_hash if isinstance(secret_hash, str) else secret_hash(switch)


def mgmt_interface(model: str) -> str:
    """Fixed switches have Management1; modular ones a port per supervisor (Management1/1)."""
    return "Management1" if "Management1" in SWITCH_MODELS.get(model, {"Management1"}) \
        else "Management1/1"


def render_spine(site: Site, spine: Spine, *, username: str = "i2", secret_hash: SecretHash,
                 cvx_hosts: Sequence[str] = ()) -> str:
    return _env().get_template("eos/spine.j2").render(
        spine=spine, mgmt_intf=mgmt_interface(spine.model), domain=site.site.domain, **_services(site),
        username=username, secret_hash=hash_for(secret_hash, spine.name),
        downlinks=spine_downlinks(site, spine), cvx_hosts=list(cvx_hosts))


def render_switches(site: Site, *, username: str = "i2", secret_hash: SecretHash,
                    cvx_hosts: Sequence[str] = ()) -> dict[str, str]:
    """Every spine's and leaf's full startup-config, by switch name (deterministic)."""
    out = {s.name: render_spine(site, s, username=username, secret_hash=secret_hash,
                                cvx_hosts=cvx_hosts) for s in site.spines}
    for rack in site.racks:
        for i, leaf in enumerate(rack.leaves.leaves):
            out[leaf.name] = render_leaf(site, rack, i, username=username,
                                         secret_hash=secret_hash, cvx_hosts=cvx_hosts)
    return out
