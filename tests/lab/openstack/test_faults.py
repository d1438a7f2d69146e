"""Injected faults and latency profiles, per component, as the other emulators of the twin take them."""

from __future__ import annotations

import pytest
import requests
from openstack import exceptions

from lifecycle.lab.array import PureArray
from lifecycle.lab.base import LatencyProfile, parse_faults
from tests.lab.openstack.conftest import Clouds, boot, connect, seed


def test_http5xx_hits_only_its_component(clouds: Clouds) -> None:
    cloud = clouds.start(faults=parse_faults("nova.http5xx=1"))
    conn = connect(cloud)
    assert list(conn.network.networks()) == []  # Keystone and Neutron answer
    with pytest.raises(exceptions.HttpException) as exc:
        list(conn.compute.flavors())
    assert exc.value.status_code == 503
    assert cloud.faults.injected[("nova", "http5xx")] >= 1


def test_reset_and_timeout(clouds: Clouds) -> None:
    cloud = clouds.start(faults=parse_faults("neutron.reset=1,glance.timeout=1"), timeout_seconds=0.2)
    token = connect(cloud).auth_token
    for url in (f"{cloud.neutron.svc.url}/v2.0/networks", f"{cloud.glance.svc.url}/v2/images"):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, headers={"X-Auth-Token": token}, verify=str(cloud.tls.ca), timeout=5)


def test_boot_task_error_leaves_server_in_error(clouds: Clouds) -> None:
    cloud = clouds.start(faults=parse_faults("nova.task_error=1"))
    conn = connect(cloud)
    flavor, image, net, _ = seed(conn)
    server = boot(conn, "web-1", flavor, image, net)
    assert server.status == "ERROR" and "injected fault" in server.fault["message"]


def test_manage_task_error(clouds: Clouds) -> None:
    array = PureArray()
    array.create("legacy-db", 5)
    cloud = clouds.start(array=array, faults=parse_faults("cinder.task_error=1"))
    conn = connect(cloud)
    resp = conn.block_storage.post(
        "/manageable_volumes",
        microversion="3.8",
        json={"volume": {"host": "hostgroup@pure-ie1#pure-ie1", "ref": {"name": "legacy-db"}}},
    )
    vid = resp.json()["volume"]["id"]
    conn.block_storage.wait_for_status(
        conn.block_storage.get_volume(vid), "error", interval=0.02, wait=5, failures=[]
    )
    assert array.view("legacy-db").owner is None  # nothing renamed


def test_realistic_latency_keeps_a_server_building(clouds: Clouds) -> None:
    cloud = clouds.start(latency=LatencyProfile("realistic"))
    conn = connect(cloud)
    flavor, image, net, _ = seed(conn)
    server = conn.compute.create_server(
        name="slow", flavor_id=flavor.id, image_id=image.id, networks=[{"uuid": net.id}]
    )
    assert conn.compute.get_server(server.id).status == "BUILD"  # nova.boot takes seconds there
