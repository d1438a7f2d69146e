"""The Nuage extensions against the real twin VSD emulator over verified HTTPS: net-partitions
link to the existing enterprise, VSD-managed subnets are checked as the plugin checks them, and
booting a VM creates its vport and VM in the VSD with ``externalID ...@<cms_id>``."""

from __future__ import annotations

from typing import Any

import pytest
from openstack import exceptions

from tests.lab.openstack.conftest import Clouds, boot, connect, osc, vsd_access, vsd_client, wait_for


@pytest.fixture(scope="module")
def estate(vsd: Any) -> dict[str, Any]:
    """IE1 with a domain, a zone and subnets A (10.20.1.0/26) and B (10.20.1.64/26); another enterprise."""
    c = vsd_client(vsd)
    ent = c.post("/enterprises", {"name": "IE1"})
    tpl = c.post(f"/enterprises/{ent['ID']}/domaintemplates", {"name": "ie1-l3-template"})
    dom = c.post(f"/enterprises/{ent['ID']}/domains", {"name": "ie1-prd", "templateID": tpl["ID"]})
    zone = c.post(f"/domains/{dom['ID']}/zones", {"name": "web-portal"})
    a = c.post(
        f"/zones/{zone['ID']}/subnets",
        {
            "name": "web-portal-prd-a",
            "address": "10.20.1.0",
            "netmask": "255.255.255.192",
            "gateway": "10.20.1.1",
        },
    )
    b = c.post(
        f"/zones/{zone['ID']}/subnets",
        {
            "name": "web-portal-prd-b",
            "address": "10.20.1.64",
            "netmask": "255.255.255.192",
            "gateway": "10.20.1.65",
        },
    )
    other = c.post("/enterprises", {"name": "OTHER"})
    otpl = c.post(f"/enterprises/{other['ID']}/domaintemplates", {"name": "t"})
    odom = c.post(f"/enterprises/{other['ID']}/domains", {"name": "d", "templateID": otpl["ID"]})
    ozone = c.post(f"/domains/{odom['ID']}/zones", {"name": "z"})
    foreign = c.post(
        f"/zones/{ozone['ID']}/subnets",
        {"name": "x", "address": "10.99.0.0", "netmask": "255.255.255.192", "gateway": "10.99.0.1"},
    )
    return {"client": c, "enterprise": ent, "zone": zone, "a": a, "b": b, "foreign": foreign}


def test_two_clouds_join_one_enterprise_with_their_own_cms(
    clouds: Clouds, vsd: Any, estate: dict[str, Any]
) -> None:
    old = clouds.start("ie1-old", "newton", vsd=vsd_access(vsd))
    new = clouds.start("ie1-new", "train", vsd=vsd_access(vsd))
    assert old.cms_id and new.cms_id and old.cms_id != new.cms_id
    cms = {c["ID"] for c in estate["client"].get("/cms")}
    assert {old.cms_id, new.cms_id} <= cms
    for cloud in (old, new):
        np = connect(cloud).network.post("/net-partitions", json={"net_partition": {"name": "IE1"}})
        assert np.status_code == 201 and np.json()["net_partition"]["id"] == estate["enterprise"]["ID"]
    again = connect(new).network.post("/net-partitions", json={"net_partition": {"name": "IE1"}})
    assert again.status_code == 400
    assert again.json()["NeutronError"]["message"] == (
        "Bad net_partition request: Net-partition IE1 already exists in Neutron and VSD with same id."
    )
    assert [e["name"] for e in estate["client"].get("/enterprises", filter="name IS 'IE1'")] == ["IE1"]


def test_vsd_managed_subnet_checks(clouds: Clouds, vsd: Any, estate: dict[str, Any]) -> None:
    cloud = clouds.start("ie1-new", "train", vsd=vsd_access(vsd))
    conn = connect(cloud)
    conn.network.post("/net-partitions", json={"net_partition": {"name": "IE1"}})

    def subnet(cidr: str, gateway: str, nuagenet: str) -> Any:
        net = conn.network.create_network(name=f"n-{cidr}-{gateway}")
        return conn.network.create_subnet(
            network_id=net.id,
            cidr=cidr,
            gateway_ip=gateway,
            ip_version=4,
            net_partition="IE1",
            nuagenet=nuagenet,
        )

    good = subnet("10.20.1.64/26", "10.20.1.65", estate["b"]["ID"])
    assert (good["vsd_managed"], good["vsd_id"], good["nuage_net_partition_id"]) == (
        True,
        estate["b"]["ID"],
        estate["enterprise"]["ID"],
    )
    assert conn.network.get_subnet(good.id)["vsd_managed"] is True
    refusals = {
        (
            "10.99.0.0/26",
            "10.99.0.1",
            estate["foreign"]["ID"],
        ): "Bad request: Provided Nuage subnet not in the provided Nuage net-partition",
        (
            "10.20.1.128/26",
            "10.20.1.129",
            estate["b"]["ID"],
        ): "Bad request: OSP cidr 10.20.1.128/26 and NuageVsd cidr 10.20.1.64/26 do not match",
        (
            "10.20.1.64/26",
            "10.20.1.70",
            estate["b"]["ID"],
        ): "Bad request: The specified gateway 10.20.1.70 does not match with gateway on VSD 10.20.1.65",
    }
    for args, message in refusals.items():
        with pytest.raises(exceptions.BadRequestException) as exc:
            subnet(*args)
        assert exc.value.details == message
    # the project's group may use the zone (the plugin's attach_nuage_group_to_nuagenet)
    perms = estate["client"].get(f"/zones/{estate['zone']['ID']}/permissions")
    assert any(p["externalID"] == f"{conn.current_project_id}@{cloud.cms_id}" for p in perms)


def test_boot_creates_vport_and_vm_in_vsd(clouds: Clouds, vsd: Any, estate: dict[str, Any]) -> None:
    cloud = clouds.start("ie1-old", "newton", vsd=vsd_access(vsd))
    conn = connect(cloud)
    conn.network.post("/net-partitions", json={"net_partition": {"name": "IE1"}})
    flavor = conn.compute.create_flavor(name="m1.medium", ram=4096, vcpus=2, disk=40)
    image = conn.image.create_image(name="rhel-8.4", disk_format="qcow2", container_format="bare")
    net = conn.network.create_network(name="web-portal-prd-a")
    conn.network.create_subnet(
        network_id=net.id,
        cidr="10.20.1.0/26",
        gateway_ip="10.20.1.1",
        ip_version=4,
        net_partition="IE1",
        nuagenet=estate["a"]["ID"],
    )
    server = boot(conn, "web-portal-prd-1", flavor, image, net)
    assert server.status == "ACTIVE"
    port = next(iter(conn.network.ports(device_id=server.id)))
    c = estate["client"]
    vports = [
        v
        for v in c.get(f"/subnets/{estate['a']['ID']}/vports")
        if v["externalID"] == f"{port.id}@{cloud.cms_id}"
    ]
    assert len(vports) == 1 and vports[0]["type"] == "VM"
    vms = c.get("/vms", filter=f"externalID IS '{server.id}@{cloud.cms_id}'")
    assert len(vms) == 1 and vms[0]["UUID"] == server.id
    vif = c.get(f"/vms/{vms[0]['ID']}/vminterfaces")[0]
    assert (vif["MAC"], vif["IPAddress"], vif["VPortID"]) == (
        port.mac_address,
        port.fixed_ips[0]["ip_address"],
        vports[0]["ID"],
    )
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.05, wait=10)
    wait_for(
        lambda: not c.get("/vms", filter=f"externalID IS '{server.id}@{cloud.cms_id}'"), what="VM removed"
    )
    assert not [
        v for v in c.get(f"/subnets/{estate['a']['ID']}/vports") if v["externalID"].endswith(cloud.cms_id)
    ]


def test_openstackclient_subnet_create_with_nuage_attributes(
    clouds: Clouds, vsd: Any, estate: dict[str, Any]
) -> None:
    """Stock openstackclient has no --nuagenet (nuage-openstackclient is not on PyPI); its generic
    --extra-property sends the plugin's attributes unchanged."""
    cloud = clouds.start("ie1-new", "train", vsd=vsd_access(vsd))
    connect(cloud).network.post("/net-partitions", json={"net_partition": {"name": "IE1"}})
    config = clouds.clouds_yaml(cloud)
    osc(config, cloud.name, "network", "create", "web-portal-prd-b")
    out = osc(
        config,
        cloud.name,
        "subnet",
        "create",
        "--network",
        "web-portal-prd-b",
        "--subnet-range",
        "10.20.1.64/26",
        "--gateway",
        "10.20.1.65",
        "--extra-property",
        "name=net_partition,value=IE1",
        "--extra-property",
        f"name=nuagenet,value={estate['b']['ID']}",
        "web-portal-prd-b",
    )
    assert (out["vsd_managed"], out["vsd_id"]) == (True, estate["b"]["ID"])
