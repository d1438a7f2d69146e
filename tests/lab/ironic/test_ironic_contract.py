"""Contract: real Ironic 39 + real sushy-tools, driven by unmodified openstacksdk and ironicclient.

Nodes are polled with list calls (one per 0.5 s for all nodes), never per-node ``wait=True``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.lab.ironic.conftest import Stack, poll
from tests.lab.ironic.redfish import redfish_get

FIELDS = ["uuid", "name", "provision_state", "target_provision_state", "power_state",
          "target_power_state", "last_error"]
# openstacksdk's own deprecation notices about its internals: noise for this contract.
pytestmark = [pytest.mark.filterwarnings(r"ignore::PendingDeprecationWarning:openstack\."),
              pytest.mark.slow(50)]  # started first by the suite (tests/conftest.py)

BUSY = {"verifying", "cleaning", "clean wait", "deploying", "wait call-back"}


def sdk_nodes(sdk: Any, ids: set[str]) -> dict[str, Any]:
    return {n.id: n for n in sdk.baremetal.nodes(fields=FIELDS) if n.id in ids}


def cli_nodes(cli: Any, ids: set[str]) -> dict[str, Any]:
    return {n.uuid: n for n in cli.node.list(fields=FIELDS) if n.uuid in ids}


def settled(n: Any) -> bool:
    return n.target_provision_state is None and n.provision_state not in BUSY


def power_settled(n: Any) -> bool:
    return n.target_power_state is None


@pytest.fixture(scope="module", autouse=True)
def dead_node(stack: Stack, sdk: Any) -> str:
    """Enroll the dead-BMC server and ask to manage it before anything else.

    Its verify has to run out sushy's retries against a BMC that never answers (~45 s with the
    twin's timeouts): it runs while the other tests go on; the last test checks how it ended.
    """
    spec = stack.servers["dead-node"]
    node = sdk.baremetal.create_node(name=spec.name, driver="redfish",
                                     driver_info=stack.sushy.driver_info(spec))
    sdk.baremetal.set_node_provision_state(node, "manage")
    return node.id


def test_drivers_and_interface_defaults(sdk: Any, stack: Stack) -> None:
    assert {"fake-hardware", "redfish"} <= {d.name for d in sdk.baremetal.drivers()}
    assert stack.ironic.healthy() and stack.sushy.healthy()
    node = sdk.baremetal.get_node("dead-node")
    # What the fake systems support (wire-facts): virtual media boot, no BIOS/firmware via Redfish.
    assert (node.boot_interface, node.bios_interface, node.firmware_interface,
            node.network_interface) == ("redfish-virtual-media", "no-bios", "no-firmware", "noop")


def test_redfish_node_with_openstacksdk(sdk: Any, stack: Stack) -> None:
    spec = stack.servers["sdk-node"]
    node = sdk.baremetal.create_node(
        name=spec.name, driver="redfish", driver_info=stack.sushy.driver_info(spec),
        automated_clean=False,
        properties={"cpus": spec.cpus, "memory_mb": spec.memory_mb, "local_gb": spec.disks_gb[0]})
    assert node.provision_state == "enroll"
    for nic in spec.nics:
        sdk.baremetal.create_port(node_id=node.id, address=nic.mac)
    assert {p.address for p in sdk.baremetal.ports(node_id=node.id)} == {n.mac for n in spec.nics}
    ids = {node.id}

    sdk.baremetal.set_node_provision_state(node, "manage")  # verify: Ironic talks to the BMC
    n = poll(lambda: sdk_nodes(sdk, ids), settled)[node.id]
    assert (n.provision_state, n.power_state, n.last_error) == ("manageable", "power off", None)

    for target, redfish_state in (("power on", "On"), ("power off", "Off")):
        sdk.baremetal.set_node_power_state(node, target)
        n = poll(lambda: sdk_nodes(sdk, ids), power_settled)[node.id]
        assert (n.power_state, n.last_error) == (target, None)
        assert redfish_get(stack, stack.sushy.system_path(spec))["PowerState"] == redfish_state

    sdk.baremetal.set_node_provision_state(node, "provide")
    n = poll(lambda: sdk_nodes(sdk, ids), settled)[node.id]
    assert (n.provision_state, n.last_error) == ("available", None)


def test_redfish_node_with_ironicclient(ironic_cli: Any, stack: Stack) -> None:
    spec = stack.servers["cli-node"]
    node = ironic_cli.node.create(name=spec.name, driver="redfish",
                                  driver_info=stack.sushy.driver_info(spec), automated_clean=False)
    for nic in spec.nics:
        ironic_cli.port.create(node_uuid=node.uuid, address=nic.mac)
    ids = {node.uuid}

    ironic_cli.node.set_provision_state(node.uuid, "manage")
    n = poll(lambda: cli_nodes(ironic_cli, ids), settled)[node.uuid]
    assert (n.provision_state, n.power_state, n.last_error) == ("manageable", "power off", None)

    for target, redfish_state in (("on", "On"), ("off", "Off")):
        ironic_cli.node.set_power_state(node.uuid, target)
        n = poll(lambda: cli_nodes(ironic_cli, ids), power_settled)[node.uuid]
        assert (n.power_state, n.last_error) == (f"power {target}", None)
        assert redfish_get(stack, stack.sushy.system_path(spec))["PowerState"] == redfish_state

    ironic_cli.node.set_provision_state(node.uuid, "provide")
    n = poll(lambda: cli_nodes(ironic_cli, ids), settled)[node.uuid]
    assert (n.provision_state, n.last_error) == ("available", None)


def test_twenty_fake_nodes_phasewise(sdk: Any, record_property: Any) -> None:
    """enroll -> manageable -> available for 20 fake-hardware nodes, one phase at a time."""
    t0 = time.monotonic()
    nodes = [sdk.baremetal.create_node(name=f"fake-{i:02d}", driver="fake-hardware")
             for i in range(20)]
    for i, node in enumerate(nodes):
        sdk.baremetal.create_port(node_id=node.id, address=f"52:54:00:aa:00:{i:02x}")
    ids = {n.id for n in nodes}
    for phase, state in (("manage", "manageable"), ("provide", "available")):
        for node in nodes:
            sdk.baremetal.set_node_provision_state(node, phase)
        done = poll(lambda: sdk_nodes(sdk, ids), settled)
        assert {n.provision_state for n in done.values()} == {state}, \
            {n.name: n.last_error for n in done.values() if n.provision_state != state}
    elapsed = time.monotonic() - t0
    record_property("fake_enroll_to_available_nodes_per_s", round(len(nodes) / elapsed, 2))


def test_dead_bmc_fails_manage(sdk: Any, stack: Stack, dead_node: str) -> None:
    n = poll(lambda: sdk_nodes(sdk, {dead_node}), settled)[dead_node]
    assert n.provision_state == "enroll"  # verify failed: back where it started
    assert "Failed to get power state" in n.last_error
    assert stack.sushy.bmc_url(stack.servers["dead-node"]) in n.last_error
