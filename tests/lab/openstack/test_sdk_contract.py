"""openstacksdk, unmodified, against both releases: Keystone, Nova (lifecycle, capacity,
disabled computes, metadata, actions, microversions), Glance and Cinder basics."""

from __future__ import annotations

import pytest
import requests
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from openstack import exceptions

from tests.lab.openstack.conftest import PASSWORD, Clouds, boot, connect, seed, wait_for

MAX = {"newton": "2.38", "train": "2.79"}
CINDER_MAX = {"newton": "3.15", "train": "3.59"}


@pytest.mark.parametrize("release", ["newton", "train"])
def test_keystone_tokens_catalog_and_401(clouds: Clouds, release: str) -> None:
    cloud = clouds.start(release=release)
    auth = v3.Password(
        auth_url=cloud.auth_url,
        username="admin",
        password=PASSWORD,
        project_name="admin",
        user_domain_name="Default",
        project_domain_name="Default",
    )
    sess = ks_session.Session(auth=auth, verify=str(cloud.tls.ca))
    types = {e["type"] for e in sess.auth.get_access(sess).service_catalog.catalog}
    assert {"identity", "compute", "network", "volumev3", "image"} <= types
    domain = v3.Password(
        auth_url=cloud.auth_url,
        username="admin",
        password=PASSWORD,
        domain_name="Default",
        user_domain_name="Default",
    )
    access = domain.get_access(ks_session.Session(verify=str(cloud.tls.ca)))
    assert access.domain_name == "Default" and access.project_id is None
    # keystonemiddleware's answer to a bad token, then Keystone's to a bad password
    r = requests.get(
        f"{cloud.nova.svc.url}/v2.1/servers", headers={"X-Auth-Token": "nope"}, verify=str(cloud.tls.ca)
    )
    assert r.status_code == 401 and r.json()["error"]["title"] == "Unauthorized"
    assert r.headers["WWW-Authenticate"] == f'Keystone uri="{cloud.keystone.url}"'
    bad = v3.Password(
        auth_url=cloud.auth_url,
        username="admin",
        password="wrong",
        project_name="admin",
        user_domain_name="Default",
        project_domain_name="Default",
    )
    with pytest.raises(Exception, match="401"):
        bad.get_access(ks_session.Session(verify=str(cloud.tls.ca)))
    # token validation (X-Subject-Token), as keystonemiddleware does it
    token = sess.get_token()
    r = requests.get(
        f"{cloud.auth_url}/auth/tokens",
        headers={"X-Auth-Token": token, "X-Subject-Token": token},
        verify=str(cloud.tls.ca),
    )
    assert r.status_code == 200 and r.json()["token"]["project"]["name"] == "admin"


def test_identity_projects_users_roles(clouds: Clouds) -> None:
    cloud = clouds.start()
    conn = connect(cloud)
    proj = conn.identity.create_project(name="digital-prd", domain_id="default")
    user = conn.identity.create_user(name="ops", password="ops-pw", domain_id="default")
    member = conn.identity.find_role("member")
    conn.identity.assign_project_role_to_user(proj, user, member)
    assert conn.identity.validate_user_has_project_role(proj, user, member)
    got = [(a.role["id"], a.user["id"]) for a in conn.identity.role_assignments(scope_project_id=proj.id)]
    assert got == [(member.id, user.id)]
    # the new user can log in to its project and sees only its project's servers
    ops = connect(cloud, project="digital-prd", auth_url=cloud.auth_url)
    ops_conn = type(ops)(
        auth={
            "auth_url": cloud.auth_url,
            "username": "ops",
            "password": "ops-pw",
            "project_name": "digital-prd",
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        cacert=str(cloud.tls.ca),
        region_name="regionOne",
    )
    assert list(ops_conn.compute.servers()) == []
    with pytest.raises(exceptions.ForbiddenException):
        list(ops_conn.compute.hypervisors())


@pytest.mark.parametrize("release", ["newton", "train"])
def test_microversions_differ_by_release(clouds: Clouds, release: str) -> None:
    cloud = clouds.start(release=release)
    conn = connect(cloud)
    compute = conn.compute.get_endpoint_data()
    assert f"{compute.max_microversion[0]}.{compute.max_microversion[1]}" == MAX[release]
    volume = conn.block_storage.get_endpoint_data()
    assert f"{volume.max_microversion[0]}.{volume.max_microversion[1]}" == CINDER_MAX[release]
    ok = conn.compute.get("/flavors", microversion=MAX[release])
    assert ok.headers["OpenStack-API-Version"] == f"compute {MAX[release]}"
    beyond = conn.compute.get("/flavors", microversion="2.80" if release == "train" else "2.39")
    assert beyond.status_code == 406
    assert f"maximum is {MAX[release]}" in beyond.json()["computeFault"]["message"]
    # hypervisor ids: integers before 2.53, UUIDs after, as Nova gives them
    hv = next(iter(conn.compute.hypervisors()))
    assert (len(str(hv.id)) == 36) is (release == "train")


@pytest.mark.parametrize("release", ["newton", "train"])
def test_server_lifecycle_metadata_actions(clouds: Clouds, release: str) -> None:
    cloud = clouds.start(release=release)
    conn = connect(cloud)
    flavor, image, net, subnet = seed(conn)
    server = boot(conn, "web-1", flavor, image, net)
    assert server.status == "ACTIVE" and server.compute_host == cloud.name + "-cmp-0"
    addr = server.addresses["net-a"][0]
    assert addr["addr"] == "10.20.1.2" and addr["OS-EXT-IPS-MAC:mac_addr"].startswith("fa:16:3e:")
    # the upgrade's in-service switch
    conn.compute.set_server_metadata(server, **{"i2.in_service": "false"})
    view = next(v for v in cloud.servers() if v.id == server.id)
    assert not view.in_service and view.addresses[0][1] == subnet.id and view.status == "ACTIVE"
    conn.compute.delete_server_metadata(server, ["i2.in_service"])
    assert conn.compute.fetch_server_metadata(server).metadata == {}
    conn.compute.stop_server(server)
    wait_for(lambda: conn.compute.get_server(server.id).status == "SHUTOFF", what="SHUTOFF")
    with pytest.raises(exceptions.ConflictException, match="vm_state stopped"):
        conn.compute.stop_server(server)
    conn.compute.start_server(server)
    wait_for(lambda: conn.compute.get_server(server.id).status == "ACTIVE", what="ACTIVE again")
    actions = [a.action for a in conn.compute.server_actions(server)]
    assert actions == ["start", "stop", "create"]
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.05, wait=10)
    assert list(conn.network.ports(device_id=server.id)) == []


def test_capacity_and_disabled_computes(clouds: Clouds) -> None:
    cloud = clouds.start(hypervisors=2)
    conn = connect(cloud)
    big = conn.compute.create_flavor(name="m1.xxl", ram=16384, vcpus=4, disk=40)
    _, image, net, _ = seed(conn)
    service = next(s for s in conn.compute.services(binary="nova-compute") if s.host == f"{cloud.name}-cmp-1")
    conn.compute.disable_service(service, disabled_reason="draining for the upgrade")
    first = boot(conn, "big-1", big, image, net)
    assert first.status == "ACTIVE" and first.compute_host == f"{cloud.name}-cmp-0"
    second = boot(conn, "big-2", big, image, net)  # cmp-0 is full, cmp-1 disabled
    assert second.status == "ERROR" and second.fault["message"] == (
        "No valid host was found. There are not enough hosts available."
    )
    conn.compute.enable_service(service)
    third = boot(conn, "big-3", big, image, net)
    assert third.compute_host == f"{cloud.name}-cmp-1"
    stats = {h.name: h for h in conn.compute.hypervisors(details=True)}
    assert (
        stats[f"{cloud.name}-cmp-0"].memory_used == 16384 + 512
        and stats[f"{cloud.name}-cmp-1"].running_vms == 1
    )
    quota = conn.compute.get_quota_set(conn.current_project_id, usage=True)
    assert quota.usage["instances"] == 3 and quota.instances == 10


def test_hypervisors_join_and_leave(clouds: Clouds) -> None:
    cloud = clouds.start(release="train", hypervisors=0)
    conn = connect(cloud)
    assert list(conn.compute.hypervisors()) == []
    cloud.add_hypervisor("ie1-cmp-0", vcpus=56, memory_mb=393216, local_gb=447)
    hv = next(iter(conn.compute.hypervisors(details=True)))
    assert (hv.name, hv.vcpus, hv.memory_size) == ("ie1-cmp-0", 56, 393216)
    cloud.remove_hypervisor("ie1-cmp-0")
    assert list(conn.compute.hypervisors()) == []


def test_keypairs_images_volumes_attach(clouds: Clouds) -> None:
    cloud = clouds.start()
    conn = connect(cloud)
    flavor, image, net, _ = seed(conn)
    kp = conn.compute.create_keypair(name="ops")
    assert kp.private_key and conn.compute.get_keypair("ops").fingerprint == kp.fingerprint
    assert conn.image.get_image(image.id).name == "rhel-8.4"
    server = boot(conn, "db-1", flavor, image, net)
    vol = conn.block_storage.create_volume(size=10, name="db")
    conn.block_storage.wait_for_status(vol, "available", interval=0.02, wait=5)
    conn.compute.create_volume_attachment(server, volume_id=vol.id)
    vol = wait_for(
        lambda: (v := conn.block_storage.get_volume(vol.id)).status == "in-use" and v, what="in-use"
    )
    assert vol.attachments[0]["server_id"] == server.id
    name = f"volume-{vol.id}-cinder"
    assert cloud.array.view(name).hosts == (server.compute_host,)
    conn.compute.delete_volume_attachment(vol.id, server)
    wait_for(lambda: conn.block_storage.get_volume(vol.id).status == "available", what="available")
    assert cloud.array.view(name).hosts == ()
