"""ironic-inspector's processed data, normalised to what the rack's checks read (pure)."""

from __future__ import annotations

import copy

import pytest

from lifecycle.baremetal import inventory_findings, node_spec
from lifecycle.baremetal.introspection import from_inspector
from lifecycle.model import load_site
from tests.baremetal.inspector_sample import PROCESSED


@pytest.fixture(scope="module")
def site():
    return load_site("examples/ie1")


def findings(site, data):
    server = next(s for s in site.servers if s.name == "c02-s01")
    spec = node_spec(site, server, redfish_address="https://10.1.3.11",
                     redfish_system_id="/redfish/v1/Systems/1", bmc_username="admin",
                     bmc_password="pw", bmc_ca_file=None, macs={})
    inventory, plugin_data = from_inspector(data)
    return inventory_findings("c02-s01", site.hardware_profiles[server.hardware_profile], spec.ports,
                              inventory, plugin_data)


def test_inspector_data_has_the_shape_of_ironics():
    inventory, plugin_data = from_inspector(PROCESSED)
    assert inventory == PROCESSED["inventory"]
    assert plugin_data["parsed_lldp"] == {
        "eno1": PROCESSED["all_interfaces"]["eno1"]["lldp_processed"],
        "eno2": PROCESSED["all_interfaces"]["eno2"]["lldp_processed"]}
    assert "inventory" not in plugin_data and plugin_data["macs"] == ["94:40:c9:03:01:01"]


def test_a_matching_server_has_no_findings(site):
    assert findings(site, PROCESSED) == []


def test_a_miscabled_nic_and_a_silent_one_are_named(site):
    data = copy.deepcopy(PROCESSED)
    data["all_interfaces"]["eno1"]["lldp_processed"]["switch_port_id"] = "Ethernet2"
    del data["all_interfaces"]["eno2"]["lldp_processed"]  # lldp_basic found no TLVs on it
    assert findings(site, data) == [
        "c02-s01 nic1 (94:40:c9:03:01:01): LLDP sees c02-leaf1 Ethernet2, the cabling plan says "
        "c02-leaf1 Ethernet1",
        "c02-s01 nic2 (94:40:c9:03:01:02): no LLDP neighbour seen, the cabling plan says c02-leaf2 Ethernet1"]


def test_no_data_is_no_inventory():
    assert from_inspector({}) == ({}, {"parsed_lldp": {}})
