"""In-band inspection in the twin: real Ironic (agent inspect interface) boots the IPA ISO on
real sushy-tools BMCs; the twin's ramdisk agent reports each server's inventory and LLDP, and
Ironic's own lookup and hooks process it. Read back with unmodified openstacksdk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lifecycle.lab.base.tls import make_ca
from lifecycle.lab.ironic import IronicService, RamdiskAgent, RedfishTiming, SushyService
from lifecycle.lab.ironic.agent import inventory
from lifecycle.lab.world import Link, ServerSpec, SwitchSpec, World, miswire
from tests.lab.ironic.conftest import API_VERSION, poll, require_venv, server

pytestmark = pytest.mark.slow(35)  # started first by the suite (tests/conftest.py)

LEAF = SwitchSpec("c09-leaf1", "DCS-7050SX3-48YC8", "JPE0001", "44:4c:a8:09:00:01", "10.0.0.91/24", "leaf")


@dataclass
class Inspected:
    sdk: Any
    agent: RamdiskAgent
    servers: dict[str, ServerSpec]
    nodes: dict[str, Any]


def _world(servers: list[ServerSpec]) -> World:
    links = [Link(s.name, n.name, LEAF.name, f"Ethernet{i * 2 + j + 1}")
             for i, s in enumerate(servers) for j, n in enumerate(s.nics)]
    # ins-01's and ins-02's first NICs are swapped at the leaf
    return World(servers, [LEAF], miswire(links, "ins-01:nic1~ins-02:nic1"), links)


@pytest.fixture(scope="module")
def inspected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Inspected]:
    import openstack

    require_venv()
    work: Path = tmp_path_factory.mktemp("inspection")
    tls = make_ca(work / "tls")
    servers = [server(i, f"ins-{i:02d}") for i in range(1, 4)]
    # ins-03 has a BMC but no ramdisk: it never calls back
    agent = RamdiskAgent(_world(servers[:2]), {}).start()
    sushy = SushyService(work / "sushy", servers, tls=tls, username="twin", password="s3cret",
                         notification_url=agent.notification_url)
    ironic = IronicService(work / "ironic", redfish=RedfishTiming(connection_attempts=1))
    try:
        sushy.start()
        ironic.start()
        agent.ironic_urls["uc-test"] = ironic.url
        sdk = openstack.connect(auth_type="none", baremetal_endpoint_override=ironic.url,
                                baremetal_api_version=API_VERSION, load_yaml_config=False,
                                load_envvars=False)
        nodes = {}
        for s in servers:
            info = {**sushy.driver_info(s), "deploy_iso": agent.iso_url("uc-test")}
            node = sdk.baremetal.create_node(name=s.name, driver="redfish", driver_info=info,
                                             boot_interface="redfish-virtual-media",
                                             inspect_interface="agent")
            for nic in s.nics:
                sdk.baremetal.create_port(node_id=node.id, address=nic.mac.lower())
            nodes[s.name] = node
        for node in nodes.values():
            sdk.baremetal.set_node_provision_state(node.id, "manage")
        poll(lambda: {n.id: n for n in sdk.baremetal.nodes(fields=["uuid", "provision_state",
                                                                   "target_provision_state"])},
             lambda n: n.provision_state == "manageable" and not n.target_provision_state)
        for node in nodes.values():
            sdk.baremetal.set_node_provision_state(node.id, "inspect")
        done = {nodes["ins-01"].id, nodes["ins-02"].id}
        poll(lambda: {n.id: n for n in sdk.baremetal.nodes(fields=["uuid", "provision_state",
                                                                   "target_provision_state"])
                      if n.id in done},
             lambda n: n.provision_state in ("manageable", "inspect failed"))
        yield Inspected(sdk, agent, {s.name: s for s in servers}, nodes)
    finally:
        ironic.stop()
        sushy.stop()
        agent.stop()


def test_inspection_sets_properties_from_the_reported_inventory(inspected: Inspected) -> None:
    node = inspected.sdk.baremetal.get_node(inspected.nodes["ins-01"].id)
    assert node.provision_state == "manageable", node.last_error
    assert node.power_state == "power off"  # Ironic powers the server off after inspection
    props = node.properties
    assert (props["cpus"], props["memory_mb"], props["cpu_arch"]) == (32, 262144, "x86_64")
    assert props["local_gb"] == 479  # the root-device hook: the first 480 GiB disk, minus 1
    assert "cpu_vt:true" in props["capabilities"]
    assert inspected.agent.posted == {s.uuid: 1 for s in list(inspected.servers.values())[:2]}
    assert inspected.agent.errors == []


def test_stored_inventory_and_lldp_follow_the_actual_cabling(inspected: Inspected) -> None:
    data = inspected.sdk.baremetal.get_node_inventory(inspected.nodes["ins-01"].id)
    inv, plugin = data["inventory"], data["plugin_data"]
    assert [d["size"] // 1024**3 for d in inv["disks"]] == [480, 480]
    assert [i["mac_address"] for i in inv["interfaces"]] == ["94:18:82:00:01:01", "94:18:82:00:01:02"]
    lldp = plugin["parsed_lldp"]
    # planned: ins-01 nic1 -> Ethernet1; the miswire swapped it with ins-02 nic1 (Ethernet3)
    assert lldp["eno1"] == {"switch_chassis_id": "44:4c:a8:09:00:01", "switch_port_id": "Ethernet3",
                            "switch_port_description": "ins-01:nic1", "switch_system_name": "c09-leaf1"}
    assert lldp["eno2"]["switch_port_id"] == "Ethernet2"
    ports = {p.address: p.local_link_connection
             for p in inspected.sdk.baremetal.ports(node_uuid=inspected.nodes["ins-02"].id, details=True)}
    assert ports["94:18:82:00:02:01"] == {"switch_id": "44:4c:a8:09:00:01", "port_id": "Ethernet1",
                                          "switch_info": "c09-leaf1"}


def test_a_server_without_ramdisk_stays_in_inspect_wait_and_can_be_aborted(inspected: Inspected) -> None:
    sdk = inspected.sdk
    node_id = inspected.nodes["ins-03"].id
    poll(lambda: {node_id: sdk.baremetal.get_node(node_id)},
         lambda n: n.provision_state == "inspect wait")
    sdk.baremetal.set_node_provision_state(node_id, "abort")
    n = poll(lambda: {node_id: sdk.baremetal.get_node(node_id)},
             lambda n: n.provision_state == "inspect failed")[node_id]
    assert "abort" in (n.last_error or "").lower()


def test_inventory_is_ipa_shaped() -> None:
    s = server(7, "ins-07")
    world = World([s], [LEAF], [Link("ins-07", "nic2", LEAF.name, "Ethernet14")], [])
    data = inventory(world, s)
    eno2 = data["inventory"]["interfaces"][1]
    assert eno2["lldp"] == data["lldp_raw"]["eno2"]
    assert eno2["lldp"][1] == [2, (b"\x05" + b"Ethernet14").hex()]  # port id, interface-name subtype
    assert "lldp" not in data["inventory"]["interfaces"][0]  # nic1 is not cabled
    assert data["inventory"]["bmc_address"] == s.ilo
    assert data["inventory"]["memory"]["physical_mb"] == 262144
