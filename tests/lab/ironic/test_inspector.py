"""A Train undercloud's in-band inspection in the twin: the real ironic-inspector 12.5 reboots a
redfish node into PXE through the real Ironic and sushy-tools; the twin's ramdisk stand-in
POSTs the inspector collectors' payload; inspector's hooks (lldp_basic, local_link_connection,
extra_hardware, ...) process it. Driven by openstacksdk's ``baremetal_introspection`` proxy and
by the unmodified ``openstack baremetal introspection`` CLI."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lifecycle.lab.base.tls import make_ca
from lifecycle.lab.ironic import IronicService, RamdiskAgent, RedfishTiming, SushyService
from lifecycle.lab.ironic.agent import undercloud_lookup
from lifecycle.lab.ironic.inspector_service import InspectorService
from lifecycle.lab.ironic.ramdisk_data import inspector_payload
from lifecycle.lab.world import Link, ServerSpec, SwitchSpec, World, miswire
from lifecycle.model import load_site
from tests.lab.ironic.conftest import API_VERSION, DEADLINE, poll, require_venv, server
from tests.unavailable import unavailable

pytestmark = pytest.mark.slow(40)  # started first by the suite (tests/conftest.py)

LEAF = SwitchSpec("c08-leaf1", "DCS-7050SX3-48YC8", "JPE0008", "44:4c:a8:08:00:01", "10.0.0.81/24", "leaf")
REPO = Path(__file__).resolve().parents[3]


def _world(servers: list[ServerSpec]) -> World:
    links = [Link(s.name, n.name, LEAF.name, f"Ethernet{i * 2 + j + 1}")
             for i, s in enumerate(servers) for j, n in enumerate(s.nics)]
    # the two PXE NICs are swapped at the leaf: insp-01 nic1 lands on Ethernet3, insp-02's on 1
    return World(servers, [LEAF], miswire(links, "insp-01:nic1~insp-02:nic1"), links)


@dataclass
class Lab:
    sdk: Any
    agent: RamdiskAgent
    ironic: IronicService
    inspector: InspectorService
    nodes: dict[str, Any]
    work: Path
    states_seen: set[str] = field(default_factory=set)  # insp-01's provision states while inspected
    seconds: float = 0.0


def _enroll(sdk: Any, sushy: SushyService, s: ServerSpec) -> Any:
    node = sdk.baremetal.create_node(name=s.name, driver="redfish", driver_info=sushy.driver_info(s))
    for nic in s.nics:  # both NICs enrolled; keep_ports=all keeps both
        sdk.baremetal.create_port(node_id=node.id, address=nic.mac.lower())
    return node


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    import openstack

    require_venv()
    work: Path = tmp_path_factory.mktemp("inspector")
    tls = make_ca(work / "tls")
    servers = [server(i, f"insp-{i:02d}") for i in (1, 2)]
    agent = RamdiskAgent(_world(servers), {}, undercloud_of=lambda name: "uc-new").start()
    sushy = SushyService(work / "sushy", servers, tls=tls, username="twin", password="s3cret",
                         notification_url=agent.notification_url)
    ironic = IronicService(work / "ironic", redfish=RedfishTiming(connection_attempts=1))
    inspector = InspectorService(work / "inspector", ironic_url="")
    try:
        sushy.start()
        ironic.start()
        inspector.ironic_url = ironic.url
        inspector.start()
        agent.inspector_urls["uc-new"] = inspector.url
        sdk = openstack.connect(auth_type="none", baremetal_endpoint_override=ironic.url,
                                baremetal_api_version=API_VERSION,
                                baremetal_introspection_endpoint_override=inspector.url,
                                load_yaml_config=False, load_envvars=False)
        nodes = {s.name: _enroll(sdk, sushy, s) for s in servers}
        for node in nodes.values():
            sdk.baremetal.set_node_provision_state(node.id, "manage")
        poll(lambda: {n.id: n for n in sdk.baremetal.nodes(fields=["uuid", "provision_state",
                                                                   "target_provision_state"])},
             lambda n: n.provision_state == "manageable" and not n.target_provision_state)
        lab = Lab(sdk, agent, ironic, inspector, nodes, work)
        node_id = nodes["insp-01"].id
        t0 = time.monotonic()
        intro = sdk.baremetal_introspection.start_introspection(node_id)
        while not sdk.baremetal_introspection.get_introspection(intro).is_finished:
            lab.states_seen.add(sdk.baremetal.get_node(node_id).provision_state)
            assert time.monotonic() - t0 < DEADLINE, "introspection of insp-01 never finished"
            time.sleep(1)
        lab.seconds = time.monotonic() - t0
        yield lab
    finally:
        inspector.stop()
        ironic.stop()
        sushy.stop()
        agent.stop()


def test_introspection_finishes_and_updates_the_node(lab: Lab) -> None:
    node_id = lab.nodes["insp-01"].id
    intro = lab.sdk.baremetal_introspection.get_introspection(node_id)
    assert (intro.is_finished, intro.error, intro.state) == (True, None, "finished")
    assert lab.states_seen == {"manageable"}  # inspector never moves Ironic's state machine
    # inspector asked Ironic to power it off; Ironic's power change is asynchronous
    node = _powered_off(lab, node_id)
    assert node.provision_state == "manageable"
    props = node.properties
    # inspector writes strings (Ironic's own agent inspection writes integers)
    assert (props["cpus"], props["memory_mb"], props["cpu_arch"]) == ("32", "262144", "x86_64")
    assert props["local_gb"] == "479"  # root_disk_selection + scheduler: 480 GiB root, 1 GiB spared
    assert lab.agent.posted == {_uuid(lab, "insp-01"): 1}
    assert lab.agent.errors == [] and lab.agent.rejected == []
    rss = lab.inspector.rss() / 2**20
    print(f"\ninspector: start {lab.inspector.start_seconds:.1f} s, rss {rss:.0f} MiB,"
          f" introspection {lab.seconds:.1f} s")


def _powered_off(lab: Lab, node_id: str) -> Any:
    return poll(lambda: {node_id: lab.sdk.baremetal.get_node(node_id)},
                lambda n: n.power_state == "power off" and not n.target_power_state)[node_id]


def _uuid(lab: Lab, name: str) -> str:
    return next(s.uuid for s in lab.agent.world.servers if s.name == name)


def test_processed_data_has_the_inventory_and_the_actual_cabling(lab: Lab) -> None:
    data = lab.sdk.baremetal_introspection.get_introspection_data(lab.nodes["insp-01"].id)
    inv = data["inventory"]
    assert (inv["cpu"]["count"], inv["memory"]["physical_mb"]) == (32, 262144)
    assert [d["size"] // 1024**3 for d in inv["disks"]] == [480, 480]
    assert data["root_disk"]["name"] == "/dev/sda"
    lldp = {name: i["lldp_processed"] for name, i in data["all_interfaces"].items()}
    # planned: insp-01 nic1 -> Ethernet1; the miswire put it on Ethernet3
    assert lldp["eno1"] == {"switch_chassis_id": "44:4c:a8:08:00:01", "switch_port_id": "Ethernet3",
                            "switch_port_description": "insp-01:nic1", "switch_system_name": "c08-leaf1"}
    assert (lldp["eno2"]["switch_system_name"], lldp["eno2"]["switch_port_id"]) == ("c08-leaf1", "Ethernet2")
    assert data["extra"]["cpu"]["logical"]["number"] == 32  # extra_hardware's eDeploy conversion
    assert data["boot_interface"] == "01-94-18-82-00-01-01"


def test_ports_follow_train_keep_ports_and_get_the_switch_port(lab: Lab) -> None:
    ports = {p.address: p for p in lab.sdk.baremetal.ports(node_uuid=lab.nodes["insp-01"].id, details=True)}
    assert sorted(ports) == ["94:18:82:00:01:01", "94:18:82:00:01:02"]  # keep_ports=all
    # inspector's hook sets switch_id and port_id only (Ironic's own one adds switch_info)
    assert ports["94:18:82:00:01:01"].local_link_connection == {
        "switch_id": "44:4c:a8:08:00:01", "port_id": "Ethernet3"}
    assert ports["94:18:82:00:01:01"].is_pxe_enabled


@pytest.fixture(scope="module")  # module scope: set up before the lab, which is module-scoped
def openstack_cli() -> str:
    """The unmodified ``openstack`` CLI with the introspection plugin (python-ironic-inspector-client).

    Checked before the module's lab starts, so a missing plugin costs no twin.
    """
    cli = os.environ.get("I2_TEST_OPENSTACK_CLI")  # another venv's CLI, to try the plugin by hand
    if cli:
        return cli
    if importlib.util.find_spec("ironic_inspector_client") is None:
        unavailable("python-ironic-inspector-client is not installed in this venv ([lab] extra)")
    return str(Path(sys.executable).with_name("openstack"))


def test_unmodified_introspection_cli(openstack_cli: str, lab: Lab) -> None:
    node_id = lab.nodes["insp-02"].id
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    base = [openstack_cli, "--os-auth-type", "none", "--inspector-url", lab.inspector.url]

    def run(*args: str) -> str:
        res = subprocess.run([*base, *args], env=env, capture_output=True, text=True, timeout=DEADLINE)
        assert res.returncode == 0, f"openstack {' '.join(args)}: {res.stdout}{res.stderr}"
        return res.stdout

    run("baremetal", "introspection", "start", "--wait", node_id)
    status = json.loads(run("baremetal", "introspection", "status", node_id, "-f", "json"))
    assert (status["finished"], status["error"], status["state"]) == (True, None, "finished")
    out = lab.work / "insp-02.json"
    run("baremetal", "introspection", "data", "save", "--file", str(out), node_id)
    data = json.loads(out.read_text())
    # insp-02's PXE NIC took insp-01's planned port
    assert data["all_interfaces"]["eno1"]["lldp_processed"]["switch_port_id"] == "Ethernet1"
    assert _powered_off(lab, node_id).provision_state == "manageable"


def test_a_pxe_boot_outside_an_introspection_is_rejected_not_an_error(lab: Lab) -> None:
    # insp-01 is done: a new PXE boot finds no introspection waiting for it (noop PXE filter)
    node_id = lab.nodes["insp-01"].id
    lab.sdk.baremetal.set_node_power_state(node_id, "power on")
    t0 = time.monotonic()
    while not lab.agent.rejected and time.monotonic() - t0 < 60:
        time.sleep(0.5)
    assert [r.split(":", 1)[0] for r in lab.agent.rejected] == ["insp-01"]
    assert "look up" in lab.agent.rejected[0].lower()
    assert lab.agent.errors == []
    lab.sdk.baremetal.set_node_power_state(node_id, "power off")


def test_inspector_payload_is_the_collectors_format() -> None:
    s1, s2 = server(1, "insp-01"), server(2, "insp-02")
    data = inspector_payload(_world([s1, s2]), s2)
    assert data["boot_interface"] == data["inventory"]["boot"]["pxe_interface"] == "01-94-18-82-00-02-01"
    eno1, eno2 = data["inventory"]["interfaces"]
    assert (eno1["ipv4_address"], eno2["ipv4_address"]) == ("192.168.24.101", None)  # DHCP on PXE only
    assert eno1["lldp"][1] == [2, (b"\x05" + b"Ethernet1").hex()]  # the miswired port, as heard
    assert data["root_disk"]["name"] == "/dev/sda" and data["error"] is None
    assert all(len(item) == 4 and all(isinstance(x, str) for x in item) for item in data["data"])


def test_undercloud_lookup_follows_the_site() -> None:
    site = load_site(REPO / "examples" / "ie1")
    of = undercloud_lookup(site)
    clouds = {c.name: c.undercloud for c in site.clouds}
    assert {of(s.name) for s in site.servers} == {clouds[s.cloud] for s in site.servers}
    assert any(of(s.name) == "uc-new" for s in site.servers)
    assert of("no-such-server") is None
