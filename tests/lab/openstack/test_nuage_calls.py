"""The VSD requests the twin's Nuage plugin sends per operation, one for one with
nuage-openstack-neutron 20.5/train (file and function of each step below), so that the calls
issue 14 counts are the ones a real cloud's plugin would send. The plugin logs in as the cloud's
own user (an enterprise user in the net-partition's CMS group), never as csproot; a wrong
password or a user outside the CMS group fails as the real plugin fails.

Citations (nuage_neutron/...):
- subnet create: base_plugin.py _create_vsd_managed_subnet -> _validate_net_partition
  (netpartition.get_netpartition_by_name), l2domain.check_if_l2_dom_in_correct_ent,
  _get_nuage_subnet (vsdclientimpl.get_nuage_subnet_by_id), l2domain.attach_nuage_group_to_nuagenet
  (helper.create_usergroup, create_permission);
- Nova's bare port (nova 20.6.0 network/neutronv2/api.py _create_port_minimal: network, project,
  device id; no owner, no host): mech_nuage.py _create_port (_find_vsd_subnet, vm.create_vport);
- Nova's update with the host: mech_nuage.py update_port_precommit (_find_vport ->
  helper.get_nuage_vport_by_neutron_id, _port_device_change -> get_net_partition_name_by_id,
  _find_vsd_subnet, _create_nuage_vm -> vm._create_nuage_vm: _attach_reqd_perm_for_vm_boot,
  POST /vms); then ML2's _commit_port_binding (neutron 15.3.4 plugins/ml2/plugin.py) runs
  update_port_precommit again (_find_vport);
- port delete: mech_nuage.py _delete_port (_get_nuage_vport, get_net_partition_name_by_id,
  _delete_nuage_vm -> helper.get_nuage_vm_interface_by_neutron_id, vm._delete_nuage_vm:
  _get_nuage_vm + DELETE /vms, delete_nuage_vport);
- subnet delete: mech_nuage.py delete_subnet_postcommit -> _cleanup_group ->
  l2domain.detach_nuage_group_to_nuagenet.
"""

from __future__ import annotations

from typing import Any

import pytest
from openstack import exceptions

from lifecycle.lab.openstack import OpenStackCloud, VsdAccess
from tests.lab.openstack.conftest import Clouds, boot, connect, vsd_client, wait_for

PLUGIN = "ie1-new-neutron"
PLUGIN_PW = "plugin-secret"


@pytest.fixture(scope="module")
def estate(vsd: Any) -> dict[str, Any]:
    """IE1 with a domain, a zone, subnets A and B; the enterprise's CMS group."""
    c = vsd_client(vsd)
    ent = c.post("/enterprises", {"name": "IE1"})
    tpl = c.post(f"/enterprises/{ent['ID']}/domaintemplates", {"name": "ie1-l3-template"})
    dom = c.post(f"/enterprises/{ent['ID']}/domains", {"name": "ie1-prd", "templateID": tpl["ID"]})
    zone = c.post(f"/domains/{dom['ID']}/zones", {"name": "web-portal"})
    subnets = {
        n: c.post(
            f"/zones/{zone['ID']}/subnets",
            {"name": f"web-{n}", "address": f"10.20.1.{o}", "netmask": "255.255.255.192",
             "gateway": f"10.20.1.{o + 1}"},
        )
        for n, o in (("a", 0), ("b", 64))
    }
    group = c.post(f"/enterprises/{ent['ID']}/groups", {"name": "CMS Group", "role": "CMS"})
    return {"client": c, "ent": ent, "dom": dom, "zone": zone, "group": group, **subnets}


def plugin_user(estate: dict[str, Any], name: str, password: str, *, cms: bool = True) -> str:
    c = estate["client"]
    user = c.post(f"/enterprises/{estate['ent']['ID']}/users", {
        "userName": name, "password": password, "firstName": "f", "lastName": "l",
        "email": f"{name}@x.invalid"})
    if cms:
        members = [u["ID"] for u in c.get(f"/groups/{estate['group']['ID']}/users")]
        c.put(f"/groups/{estate['group']['ID']}/users", [*members, user["ID"]])
    return str(user["ID"])


def access(vsd: Any, user: str = PLUGIN, password: str = PLUGIN_PW) -> VsdAccess:
    return VsdAccess(vsd.url, user, password, "IE1", ca=vsd.tls.ca)


def sent(cloud: OpenStackCloud, mark: int) -> list[tuple[str, str, str | None]]:
    """The plugin's requests since ``mark``, logins (GET /me) left out."""
    vsd = cloud.neutron.nuage.vsd
    assert vsd is not None
    return [c for c in list(vsd.sent)[mark:] if c[1] != "/me"]


def mark(cloud: OpenStackCloud) -> int:
    vsd = cloud.neutron.nuage.vsd
    assert vsd is not None
    return len(vsd.sent)


def test_each_operation_sends_what_the_plugin_sends(clouds: Clouds, vsd: Any, estate: dict[str, Any]) -> None:
    plugin_user(estate, PLUGIN, PLUGIN_PW)
    cloud = clouds.start("ie1-new", "train", vsd=access(vsd))
    conn = connect(cloud)
    project = conn.current_project_id
    ent, zone, dom, a, b = (estate[k]["ID"] for k in ("ent", "zone", "dom", "a", "b"))
    ext = f"'{project}'"

    net = conn.network.create_network(name="web-a")
    m = mark(cloud)
    conn.network.create_subnet(network_id=net.id, cidr="10.20.1.0/26", gateway_ip="10.20.1.1", ip_version=4,
                               net_partition="IE1", nuagenet=a)
    got = sent(cloud, m)
    group = next(g for g in estate["client"].get(f"/enterprises/{ent}/groups") if g["name"] == project)
    assert got == [
        ("GET", "/enterprises", "name IS 'IE1'"),
        ("GET", f"/subnets/{a}", None), ("GET", f"/zones/{zone}", None), ("GET", f"/domains/{dom}", None),
        ("GET", f"/l2domains/{a}", None), ("GET", f"/subnets/{a}", None),
        ("GET", f"/enterprises/{ent}/groups", f"name IS {ext}"),
        ("POST", f"/enterprises/{ent}/users", None), ("POST", f"/enterprises/{ent}/groups", None),
        ("PUT", f"/groups/{group['ID']}/users", None),
        ("GET", f"/subnets/{a}", None), ("POST", f"/zones/{zone}/permissions", None),
    ]
    # the second subnet of the project: its group and user are found (the permission's 409 ignored)
    net_b = conn.network.create_network(name="web-b")
    m = mark(cloud)
    conn.network.create_subnet(network_id=net_b.id, cidr="10.20.1.64/26", gateway_ip="10.20.1.65",
                               ip_version=4, net_partition="IE1", nuagenet=b)
    assert sent(cloud, m) == [
        ("GET", "/enterprises", "name IS 'IE1'"),
        ("GET", f"/subnets/{b}", None), ("GET", f"/zones/{zone}", None), ("GET", f"/domains/{dom}", None),
        ("GET", f"/l2domains/{b}", None), ("GET", f"/subnets/{b}", None),
        ("GET", f"/enterprises/{ent}/groups", f"name IS {ext}"),
        ("GET", f"/groups/{group['ID']}/users", f"userName IS {ext}"),
        ("GET", f"/subnets/{b}", None), ("POST", f"/zones/{zone}/permissions", None),
    ]

    flavor = conn.compute.create_flavor(name="m1.small", ram=2048, vcpus=1, disk=20)
    image = conn.image.create_image(name="rhel-8.4", disk_format="qcow2", container_format="bare")
    m = mark(cloud)
    server = boot(conn, "web-1", flavor, image, net)
    assert server.status == "ACTIVE"
    port = next(iter(conn.network.ports(device_id=server.id)))
    port_ext = f"externalID IS '{port.id}@{cloud.cms_id}'"
    vport = estate["client"].get(f"/subnets/{a}/vports", filter=port_ext)[0]
    assert sent(cloud, m) == [
        ("GET", f"/subnets/{a}", None), ("POST", f"/subnets/{a}/vports", None),  # Nova's bare port
        ("GET", f"/subnets/{a}/vports", port_ext), ("GET", f"/enterprises/{ent}", None),  # its update
        ("GET", f"/subnets/{a}", None), ("GET", f"/zones/{zone}/permissions", None), ("POST", "/vms", None),
        ("GET", f"/subnets/{a}/vports", port_ext),  # the binding committed
    ]
    vm = estate["client"].get("/vms", filter=f"UUID IS '{server.id}'")[0]

    m = mark(cloud)
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.05, wait=10)
    wait_for(lambda: len(sent(cloud, m)) >= 6, what="the port's VSD objects removed")
    assert sent(cloud, m) == [
        ("GET", f"/subnets/{a}/vports", port_ext), ("GET", f"/enterprises/{ent}", None),
        ("GET", "/vminterfaces", port_ext), ("GET", "/vms", f"UUID IS '{server.id}'"),
        ("DELETE", f"/vms/{vm['ID']}?responseChoice=1", None),
        ("DELETE", f"/vports/{vport['ID']}?responseChoice=1", None),
    ]

    perm = next(p for p in estate["client"].get(f"/zones/{zone}/permissions")
                if p["permittedEntityName"] == project)
    m = mark(cloud)
    conn.network.delete_network(net)  # its subnet goes with it
    assert sent(cloud, m) == [
        ("GET", f"/subnets/{a}", None), ("GET", f"/zones/{zone}", None), ("GET", f"/domains/{dom}", None),
        ("GET", f"/zones/{zone}/permissions", None),
        ("DELETE", f"/permissions/{perm['ID']}?responseChoice=1", None),
    ]


def test_the_plugin_logs_in_as_the_clouds_own_user_once_it_exists(
    clouds: Clouds, vsd: Any, estate: dict[str, Any]
) -> None:
    cloud = clouds.start("ie1-late", "train", vsd=access(vsd, "ie1-late-neutron", "late-pw"))
    conn = connect(cloud)
    net = conn.network.create_network(name="late")

    def subnet() -> Any:
        return conn.network.create_subnet(network_id=net.id, cidr="10.20.1.0/26", gateway_ip="10.20.1.1",
                                          ip_version=4, net_partition="IE1", nuagenet=estate["a"]["ID"])

    with pytest.raises(exceptions.HttpException) as exc:  # the deploy has not made the user yet
        subnet()
    assert exc.value.status_code == 500
    assert exc.value.details == ("Nuage API: Error in REST call to VSD: Could not authenticate with the "
                                 "VSD. Please check the credentials in the plugin config")
    plugin_user(estate, "ie1-late-neutron", "late-pw")
    assert subnet()["vsd_managed"] is True  # logged in on the next call, as the plugin retries
    me = cloud.neutron.nuage.vsd
    assert me is not None and (me.username, me.organization) == ("ie1-late-neutron", "IE1")
    assert not any(c[1] == "/me" for c in list(me.sent)[-12:])  # one login, kept


def test_a_wrong_password_fails_every_vsd_call(clouds: Clouds, vsd: Any, estate: dict[str, Any]) -> None:
    plugin_user(estate, "ie1-wrong-neutron", "right-pw")
    cloud = clouds.start("ie1-wrong", "train", vsd=access(vsd, "ie1-wrong-neutron", "wrong-pw"))
    conn = connect(cloud)
    net = conn.network.create_network(name="wrong")
    with pytest.raises(exceptions.HttpException) as exc:
        conn.network.create_subnet(network_id=net.id, cidr="10.20.1.0/26", gateway_ip="10.20.1.1",
                                   ip_version=4, net_partition="IE1", nuagenet=estate["a"]["ID"])
    assert exc.value.status_code == 500 and "Could not authenticate with the VSD" in str(exc.value.details)
    assert conn.network.get_network(net.id).subnet_ids == []


def test_a_user_outside_the_cms_group_cannot_work_for_neutron(
    clouds: Clouds, vsd: Any, estate: dict[str, Any]
) -> None:
    plugin_user(estate, "ie1-plain-neutron", "plain-pw", cms=False)
    cloud = clouds.start("ie1-plain", "train", vsd=access(vsd, "ie1-plain-neutron", "plain-pw"))
    conn = connect(cloud)
    net = conn.network.create_network(name="plain")
    with pytest.raises(exceptions.BadRequestException) as exc:  # VSD 403 -> NuageBadRequest
        conn.network.create_subnet(network_id=net.id, cidr="10.20.1.0/26", gateway_ip="10.20.1.1",
                                   ip_version=4, net_partition="IE1", nuagenet=estate["a"]["ID"])
    assert str(exc.value.details).startswith("Bad request: Error in REST call to VSD: User ie1-plain-neutron")
    # the VM request acts for the project (X-Nuage-ProxyUser): CMS users only, else 401
    raw = cloud.neutron.nuage.vsd
    assert raw is not None
    resp = raw.request("GET", "/vms", None, {"X-Nuage-ProxyUser": "p@IE1"})
    assert resp.status_code == 401
