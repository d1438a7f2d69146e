"""Build-out sites of N identical compute racks, generated from ``examples/ie2-buildout``.

The spines, the DC, the VSD intent, the NetScaler and the cloud are the example's; the racks
are copies of its compute rack ``c01`` (its hardware profile, leaf model, ports and cabling
shape) with new names, serials, MACs, addresses, ASNs, leaf pairs and spine ports, and
``servers`` servers each. There is no control rack: every case is "N racks alone", the same
work per rack, so the ratios compare racks and nothing else (the cloud's Controller role
has count 0; its ComputeNuage count is every server). The site model validates the result.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "ie2-buildout"
TEMPLATE = "c01"
SPINE_PORTS = 36  # per line card of the example's DCS-7504R3 (cards 3-6: lifecycle.model.catalog)


def spine_port(k: int) -> str:
    """The k-th (0-based) spine port a leaf uplink takes: Ethernet3/1, ... Ethernet3/36, Ethernet4/1."""
    return f"Ethernet{3 + k // SPINE_PORTS}/{k % SPINE_PORTS + 1}"


def rack_doc(template: dict[str, Any], i: int, servers: int) -> dict[str, Any]:
    """Rack number ``i`` (0-based), named c01.., from the template rack's document."""
    name = f"c{i + 1:02d}"
    rack = copy.deepcopy(template["racks"][0])
    rack.update(name=name)
    pair = rack["leaves"]
    pair.update(mlag_domain=f"{name}-mlag", asn=65201 + i, peer_subnet=f"10.254.255.{2 * i}/31")
    leaf_names = []
    for j, leaf in enumerate(pair["leaves"]):
        n = 2 * i + j  # leaf number across the DC
        leaf.update(name=f"{name}-leaf{j + 1}", serial=f"JPE2140{i:02d}{j + 1:02d}",
                    system_mac=f"44:4c:a8:{0x40 + i:02x}:00:{j + 1:02x}", loopback=f"10.255.1.{n + 1}",
                    mgmt=f"10.0.0.{21 + n}/24")
        for k, up in enumerate(leaf["uplinks"]):
            up["subnet"] = f"10.254.{(8 * i + 4 * j + 2 * k) // 256}.{(8 * i + 4 * j + 2 * k) % 256}/31"
        leaf_names.append(leaf["name"])
    proto = template["servers"][0]
    srv = []
    for s in range(servers):
        d = copy.deepcopy(proto)
        d.update(name=f"{name}-s{s + 1:02d}", rack=name, u=2 + 2 * s, serial=f"CZJ74{i:02d}{s + 1:04d}",
                 oneview_name=f"ilo-{name}-s{s + 1:02d}.ie2.example.net", ilo=f"10.3.{i}.{11 + s}")
        d["nics"] = [{"name": nic["name"], "mac": f"94:40:c9:{0x40 + i:02x}:{s + 1:02x}:{q + 1:02x}"}
                     for q, nic in enumerate(proto["nics"])]
        srv.append(d)
    cables = []
    for j, leaf in enumerate(pair["leaves"]):
        for k, up in enumerate(leaf["uplinks"]):
            cables.append({"a": f"{leaf['name']}:{up['port']}",
                           "b": f"ie2-spine{k + 1}:{spine_port(2 * i + j)}"})
    for port in pair["peer_link"]:
        cables.append({"a": f"{leaf_names[0]}:{port}", "b": f"{leaf_names[1]}:{port}"})
    for s, d in enumerate(srv):
        for q, nic in enumerate(d["nics"]):
            cables.append({"a": f"{d['name']}:{nic['name']}", "b": f"{leaf_names[q % 2]}:Ethernet{s + 1}"})
    return {"racks": [rack], "servers": srv, "cables": cables}


def make_site(dest: Path, racks: int, servers: int) -> Path:
    """Write the site (``dest``, replaced) and return it; SiteInvalid (every problem named) if
    the model rejects it."""
    from lifecycle.model import load_site  # validates: raises with every problem named

    if dest.exists():
        shutil.rmtree(dest)
    (dest / "racks").mkdir(parents=True)
    for f in ("fabric.yaml", "nuage.yaml", "loadbalancer.yaml"):
        shutil.copy(EXAMPLE / f, dest / f)
    site = (EXAMPLE / "site.yaml").read_text().replace(
        "hardware_profiles: ../../hardware-profiles", f"hardware_profiles: {ROOT / 'hardware-profiles'}")
    (dest / "site.yaml").write_text(site)
    cloud = yaml.safe_load((EXAMPLE / "openstack.yaml").read_text())
    for role in cloud["clouds"][0]["roles"]:
        role["count"] = racks * servers if role["name"].startswith("Compute") else 0
    (dest / "openstack.yaml").write_text(yaml.safe_dump(cloud, sort_keys=False))
    template = yaml.safe_load((EXAMPLE / "racks" / f"{TEMPLATE}.yaml").read_text())
    for i in range(racks):
        doc = rack_doc(template, i, servers)
        (dest / "racks" / f"{doc['racks'][0]['name']}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    load_site(dest)
    return dest
