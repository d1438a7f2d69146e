"""A synthetic site's site, fabric and rack files: DC, spines, leaf pairs, servers, cables."""

from __future__ import annotations

import ipaddress
from typing import Any

from lifecycle.model.generate_layout import (
    ILO_BASE,
    LEAF_ASN_BASE,
    LEAF_LOOPBACKS,
    LEAF_MODEL,
    MGMT,
    PEER_LINK,
    PEER_SUBNETS,
    PORTS_PER_CARD,
    SPINE_ASN,
    SPINE_LOOPBACKS,
    UPLINKS,
    Layout,
    RackPlan,
)
from lifecycle.model.generate_yaml import Flow, FlowList, SiteFile


def site_file(lay: Layout) -> SiteFile:
    s = lay.spec
    return SiteFile(
        f"{s.name}: synthetic site ({s.racks} compute racks x {s.servers_per_rack} servers, "
        f"{s.apps} applications, seed {s.seed}).\nWritten by lifecycle.model.generate.",
        {
            "site": {
                "name": s.name,
                "description": "Synthetic site for benchmarks and scale tests",
                "domain": f"{s.name}.example.net",
                "hardware_profiles": "hardware-profiles",
                "ntp_servers": FlowList(["10.40.0.1", "10.40.0.2"]),
                "dns_servers": FlowList(["10.40.0.3", "10.40.0.4"]),
            },
            "dcs": [{"name": f"{s.name}-dc1", "location": "Synthetic hall 1"}],
        })


def fabric_file(lay: Layout) -> SiteFile:
    spines = []
    for k, name in enumerate(lay.spine_names, start=1):
        spines.append({
            "name": name,
            "dc": f"{lay.spec.name}-dc1",
            "model": lay.spine_model,
            "serial": f"JPE8011{k:04d}",
            "system_mac": f"28:99:3a:80:00:{k:02x}",
            "asn": SPINE_ASN,
            "loopback": str(SPINE_LOOPBACKS + k),
            "mgmt": f"{MGMT[10 + k]}/{MGMT.prefixlen}",
        })
    return SiteFile(f"Spine layer: {len(spines)} x {lay.spine_model}, one ASN; leaves live in "
                    "racks/*.yaml.", {"spines": spines})


def spine_port(lay: Layout, rack: RackPlan, leaf: int) -> str:
    i = lay.leaf_index(rack, leaf)
    return f"Ethernet{3 + i // PORTS_PER_CARD}/{i % PORTS_PER_CARD + 1}"


def leaf(lay: Layout, rack: RackPlan, n: int) -> dict[str, Any]:
    i = lay.leaf_index(rack, n)
    uplinks = []
    for k in range(len(lay.spine_names)):
        subnet = ipaddress.IPv4Network((UPLINKS + 2 * (i * len(lay.spine_names) + k), 31))
        uplinks.append(Flow(port=f"Ethernet{49 + k}/1", subnet=str(subnet)))
    return {
        "name": f"{rack.name}-leaf{n}",
        "model": LEAF_MODEL,
        "serial": f"JPE8033{rack.no:03d}{n}",
        "system_mac": f"44:4c:a8:80:{rack.no:02x}:{n:02x}",
        "loopback": str(LEAF_LOOPBACKS + i + 1),
        "mgmt": f"{MGMT[256 + i]}/{MGMT.prefixlen}",
        "uplinks": uplinks,
    }


def server(lay: Layout, rack: RackPlan, slot: int) -> dict[str, Any]:
    name = rack.servers[slot - 1]
    count = len(rack.servers)
    if rack.kind == "control":
        profile = "dl360g9-controller"
    else:  # like c02 of ie1: the last sixth of a rack are large-memory nodes
        profile = "dl380g9-compute-large" if slot > count - count // 6 else "dl360g9-compute"
    step = 2 if count <= 25 else 1
    return {
        "name": name,
        "rack": rack.name,
        "u": 2 + (slot - 1) * step,
        "serial": f"CZJ8{rack.no:03d}{slot:03d}",
        "oneview_name": f"ilo-{name}.{lay.spec.name}.example.net",
        "hardware_profile": profile,
        "cloud": rack.cloud,
        "role": rack.role,
        "ilo": str(ILO_BASE + 256 * rack.no + 10 + slot),
        "nics": [Flow(name=f"nic{n}", mac=f"94:40:c9:{rack.no:02x}:{slot:02x}:{n:02x}")
                 for n in (1, 2)],
    }


def cables(lay: Layout, rack: RackPlan) -> list[Flow]:
    out = []
    for n in (1, 2):
        for k, spine in enumerate(lay.spine_names):
            out.append(Flow(a=f"{rack.name}-leaf{n}:Ethernet{49 + k}/1",
                            b=f"{spine}:{spine_port(lay, rack, n)}"))
    for port in PEER_LINK:
        out.append(Flow(a=f"{rack.name}-leaf1:{port}", b=f"{rack.name}-leaf2:{port}"))
    for slot, name in enumerate(rack.servers, start=1):
        for n in (1, 2):
            out.append(Flow(a=f"{name}:nic{n}", b=f"{rack.name}-leaf{n}:Ethernet{slot}"))
    return out


def rack_file(lay: Layout, rack: RackPlan) -> SiteFile:
    what = ("Control rack: the controllers of the new cloud." if rack.kind == "control" else
            f"Compute rack, {rack.state}, {rack.cloud} ({rack.role}).")
    return SiteFile(what, {
        "racks": [{
            "name": rack.name,
            "dc": f"{lay.spec.name}-dc1",
            "kind": rack.kind,
            "state": rack.state,
            "leaves": {
                "mlag_domain": f"{rack.name}-mlag",
                "asn": LEAF_ASN_BASE + rack.no,
                "peer_link": FlowList(PEER_LINK),
                "peer_vlan": 4094,
                "peer_subnet": str(ipaddress.IPv4Network((PEER_SUBNETS + 2 * rack.no, 31))),
                "leaves": [leaf(lay, rack, 1), leaf(lay, rack, 2)],
            },
        }],
        "servers": [server(lay, rack, slot) for slot in range(1, len(rack.servers) + 1)],
        "cables": cables(lay, rack),
    })
