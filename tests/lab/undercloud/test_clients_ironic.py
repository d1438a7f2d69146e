"""The in-service nodes the twin seeds, as python-ironicclient (unmodified) sees them: enrolled,
inspected and deployed long ago, so each has its ports (the site's MACs, PXE on the boot NIC,
the switch port it is cabled to) and is ``active``, with an instance, and ``power on``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ironicclient import client as ironic_client

from lifecycle.lab.ironic import IronicService, venv_ready
from lifecycle.lab.undercloud import RecordingSink, UndercloudHost
from lifecycle.lab.undercloud.keys import ensure_key
from lifecycle.lab.undercloud.seed import seed_cloud
from lifecycle.lab.world import build_world
from lifecycle.model import load_site
from tests.lab.undercloud.conftest import SITE


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, dict[str, list[str]]]]:
    if not venv_ready():
        pytest.fail("the Ironic venv is missing (scripts/lib/ironic-venv.sh)")
    work: Path = tmp_path_factory.mktemp("seeded")
    site = load_site(SITE)
    cloud = site.cloud("ie1-old")
    world = build_world(site)
    ironic = IronicService(work / "ironic").start()
    host = None
    try:
        host = UndercloudHost(cloud.undercloud, work / "uc", ironic_url=ironic.url,
                              sink=RecordingSink(work / "hv.json"), clouds={cloud.stack: cloud.name},
                              authorized=[ensure_key(work / "id_ed25519")]).start()
        roles = seed_cloud(host, site, cloud, world)
        client = ironic_client.get_client(1, auth_type="none", endpoint=ironic.url,
                                          os_ironic_api_version="1.80")
        yield client, world, roles
    finally:
        if host is not None:
            host.stop()
        ironic.stop()


def test_in_service_nodes_have_their_ports(seeded: tuple[Any, Any, dict[str, list[str]]]) -> None:
    client, world, roles = seeded
    names = [n for members in roles.values() for n in members]
    assert names  # the old cloud has racked servers
    for name in names:
        node = client.node.get(name)
        ports = client.port.list(node=node.uuid, detail=True)
        spec = world.server(name)
        assert sorted(p.address for p in ports) == sorted(n.mac.lower() for n in spec.nics)
        boot_nic = spec.nics[0].mac.lower()
        assert [p.address for p in ports if p.pxe_enabled] == [boot_nic]
        cabled = [p for p in ports if p.local_link_connection]
        assert cabled, f"{name}: no port knows its switch port"
        for p in cabled:
            llc = p.local_link_connection
            assert world.switch(llc["switch_info"]).system_mac.lower() == llc["switch_id"]
        assert client.port.get_by_address(boot_nic).node_uuid == node.uuid


def test_in_service_nodes_are_deployed_and_powered_on(seeded: tuple[Any, Any, dict[str, list[str]]]) -> None:
    client, _, roles = seeded
    for name in (n for members in roles.values() for n in members):
        node = client.node.get(name)
        assert node.provision_state == "active" and node.instance_uuid, name
        assert node.power_state == "power on", name
        assert client.node.states(node.uuid).power_state == "power on"
