"""Pure logic of the bare-metal adapter: node specs from the site, inspection findings, exports."""

from __future__ import annotations

import json

import pytest

from lifecycle.baremetal import (
    baremetal_deployment,
    inventory_findings,
    node_spec,
    parse_capabilities,
)
from lifecycle.baremetal import instackenv as make_instackenv
from lifecycle.baremetal.inspection import GiB
from lifecycle.baremetal.spec import capabilities_text
from lifecycle.model import load_site


@pytest.fixture(scope="module")
def site():
    return load_site("examples/ie1")


def spec(site, name="c02-s01", **kw):
    server = next(s for s in site.servers if s.name == name)
    return node_spec(site, server, redfish_address="https://10.1.3.11",
                     redfish_system_id="/redfish/v1/Systems/1", bmc_username="admin",
                     bmc_password="pw", bmc_ca_file=None, macs={}, **kw)


def inventory_of(spec, *, cpus=56, mem=393216, disks=(447,), lldp=None):
    lldp = lldp or {p.nic: (p.switch, p.switch_port) for p in spec.ports}
    ifaces = [{"name": f"eno{i}", "mac_address": p.mac} for i, p in enumerate(spec.ports, 1)]
    parsed = {f"eno{i}": {"switch_system_name": f"{lldp[p.nic][0]}.ie1.example.net",
                          "switch_port_id": lldp[p.nic][1]}
              for i, p in enumerate(spec.ports, 1) if lldp.get(p.nic)}
    inv = {"cpu": {"count": cpus, "architecture": "x86_64"}, "memory": {"physical_mb": mem},
           "disks": [{"name": "/dev/sda", "size": d * GiB, "rotational": False} for d in disks],
           "interfaces": ifaces}
    return inv, {"parsed_lldp": parsed}


def test_node_spec_from_the_site(site):
    s = spec(site, deploy_iso="http://x/ipa.iso", automated_clean=False)
    assert s.driver == "redfish" and s.driver_info["deploy_iso"] == "http://x/ipa.iso"
    assert [(p.nic, p.mac, p.pxe, p.switch, p.switch_port) for p in s.ports] == [
        ("nic1", "94:40:c9:03:01:01", True, "c02-leaf1", "Ethernet1"),
        ("nic2", "94:40:c9:03:01:02", False, "c02-leaf2", "Ethernet1")]
    assert s.capabilities == {"boot_mode": "uefi", "profile": "compute", "cpu_vt": "true",
                              "cpu_hugepages_1g": "true"}
    assert s.root_device == {"size": 447, "rotational": False}
    assert "redfish_password" not in json.dumps(s.public())


def test_matching_inventory_has_no_findings(site):
    s = spec(site)
    inv, pd = inventory_of(s)
    assert inventory_findings("c02-s01", site.hardware_profiles["dl360g9-compute"], s.ports, inv, pd) == []


def test_each_mismatch_is_named(site):
    s = spec(site)
    inv, pd = inventory_of(s, cpus=28, mem=262144, disks=(447, 447),
                           lldp={"nic1": ("c02-leaf1", "Ethernet2"), "nic2": None})
    found = inventory_findings("c02-s01", site.hardware_profiles["dl360g9-compute"], s.ports, inv, pd)
    assert found == [
        "c02-s01: 28 CPUs found, profile dl360g9-compute says 56",
        "c02-s01: 262144 MB memory found, profile dl360g9-compute says 393216 MB",
        "c02-s01: disks found [447 GiB SSD, 447 GiB SSD], profile dl360g9-compute says [447 GiB SSD]",
        "c02-s01 nic1 (94:40:c9:03:01:01): LLDP sees c02-leaf1 Ethernet2, the cabling plan says "
        "c02-leaf1 Ethernet1",
        "c02-s01 nic2 (94:40:c9:03:01:02): no LLDP neighbour seen, the cabling plan says c02-leaf2 Ethernet1",
    ]


def test_missing_mac_is_named(site):
    s = spec(site)
    inv, pd = inventory_of(s)
    inv["interfaces"] = inv["interfaces"][:1]
    found = inventory_findings("c02-s01", site.hardware_profiles["dl360g9-compute"], s.ports, inv, pd)
    assert found == ["c02-s01 nic2 (94:40:c9:03:01:02): no interface with this MAC was inspected"]


def test_capabilities_round_trip():
    text = capabilities_text({"profile": "compute", "node": "computenuage-3", "boot_mode": "uefi"})
    assert text == "profile:compute,node:computenuage-3,boot_mode:uefi"
    assert parse_capabilities(text) == {"profile": "compute", "node": "computenuage-3", "boot_mode": "uefi"}
    assert parse_capabilities(None) == {} and parse_capabilities({"a": 1}) == {"a": "1"}


def test_instackenv_and_deployment(site):
    env = make_instackenv([spec(site)], node_indices={"c02-s01": "computenuage-0"})
    node = env["nodes"][0]
    assert node["pm_type"] == "redfish" and node["pm_password"] == "pw"
    assert node["ports"] == [{"address": "94:40:c9:03:01:01", "physical_network": "ctlplane"}]
    assert "node:computenuage-0" in node["capabilities"].split(",")
    redacted = make_instackenv([spec(site)], include_secrets=False)
    assert redacted["nodes"][0]["pm_password"] == "<secret>"
    dep = baremetal_deployment({"ComputeNuage": [("c02-s01", "ie1-cmp-0")]},
                               {"ComputeNuage": "ie1-cmp-%index%"})
    assert dep == [{"name": "ComputeNuage", "count": 1, "hostname_format": "ie1-cmp-%index%",
                    "instances": [{"hostname": "ie1-cmp-0", "name": "c02-s01"}]}]
