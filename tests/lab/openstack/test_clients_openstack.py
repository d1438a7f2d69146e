"""What stock clients ask of a cloud that i2 itself never asks: the endpoint and service lists
behind ``openstack endpoint list``, Neutron's agents, Cinder's limits and Nova's tenant usage,
through unmodified openstacksdk and python-openstackclient, on both releases the twin plays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openstack import exceptions

from tests.lab.openstack.conftest import Clouds, boot, connect, osc, seed, wait_for


@pytest.mark.parametrize("release", ["newton", "train"])
def test_endpoint_list_joins_services_and_catalog(clouds: Clouds, release: str, tmp_path: Path) -> None:
    cloud = clouds.start(release=release, hypervisors=0)
    conn = connect(cloud)
    services = {s.id: s for s in conn.identity.services()}
    endpoints = list(conn.identity.endpoints())
    assert {e.service_id for e in endpoints} == set(services)  # every endpoint's service exists
    assert {e.interface for e in endpoints} == {"public", "internal", "admin"}
    # the same ids on every request, and in the token's catalog
    assert {s.id for s in conn.identity.services()} == set(services)
    catalog = conn.session.auth.get_access(conn.session).service_catalog.catalog
    assert {c["id"] for c in catalog} <= set(services)
    compute = next(s for s in services.values() if s.type == "compute")
    assert [s.id for s in conn.identity.services(name="nova")] == [compute.id]
    assert [s.id for s in conn.identity.services(type="compute")] == [compute.id]
    public = list(conn.identity.endpoints(service_id=compute.id, interface="public"))
    assert len(public) == 1 and public[0].url == f"{cloud.nova.svc.url}/v2.1"
    assert list(conn.identity.endpoints(region_id="elsewhere")) == []
    # the registered template, not a project's URL
    volume = next(s for s in services.values() if s.type == "volumev3")
    assert all("%(tenant_id)s" in e.url for e in conn.identity.endpoints(service_id=volume.id))
    assert conn.identity.get_service(compute.id).name == "nova"

    config = clouds.clouds_yaml(cloud)
    listed = osc(config, cloud.name, "endpoint", "list")
    assert len(listed) == len(endpoints)
    assert {r["Service Name"] for r in listed} == {s.name for s in services.values()}
    assert [r["Service Type"] for r in osc(config, cloud.name, "endpoint", "list", "--service", "nova")] == [
        "compute"
    ] * 3
    assert {r["Name"] for r in osc(config, cloud.name, "service", "list")} == {
        s.name for s in services.values()
    }


def test_service_and_endpoint_lists_are_admin_only(clouds: Clouds) -> None:
    cloud = clouds.start(hypervisors=0)
    ks = cloud.keystone
    proj = ks.create_project("digital-prd")
    user = ks.create_user("alice", "alice-pw", default_project_id=proj["id"])
    ks.grant(ks.create_role("member")["id"], user["id"], project_id=proj["id"])
    import openstack

    conn = openstack.connect(
        auth={"auth_url": cloud.auth_url, "username": "alice", "password": "alice-pw",
              "project_name": "digital-prd", "user_domain_name": "Default", "project_domain_name": "Default"},
        cacert=str(cloud.tls.ca), region_name=cloud.region, identity_api_version="3",
    )
    with pytest.raises(exceptions.ForbiddenException):
        list(conn.identity.endpoints())
    assert conn.compute.get("/flavors").status_code == 200  # the catalog still serves the member


@pytest.mark.parametrize("release", ["newton", "train"])
def test_neutron_agents_of_a_nuage_deployment(clouds: Clouds, release: str) -> None:
    cloud = clouds.start(release=release, hypervisors=0)
    conn = connect(cloud)
    assert conn.network.find_extension("agent") is not None  # ML2 serves the extension ...
    assert list(conn.network.agents()) == []  # ... and Nuage deploys no Neutron agents
    assert osc(clouds.clouds_yaml(cloud), cloud.name, "network", "agent", "list") == []
    with pytest.raises(exceptions.NotFoundException, match=r"Agent .* could not be found"):
        conn.network.get_agent("0f3b1c5e-6a4a-4d0e-9d0a-3b1f2d9f8e11")


@pytest.mark.parametrize("release", ["newton", "train"])
def test_cinder_limits_count_the_projects_volumes(clouds: Clouds, release: str) -> None:
    cloud = clouds.start(release=release, hypervisors=0)
    conn = connect(cloud)
    before = conn.block_storage.get_limits().absolute
    assert before.max_total_volumes == 10 and before.total_volumes_used == 0
    vol = conn.block_storage.create_volume(size=3, name="data")
    wait_for(lambda: conn.block_storage.get_volume(vol.id).status == "available", what="available")
    raw = conn.block_storage.get("/limits").json()["limits"]
    assert raw["rate"] == []
    assert raw["absolute"]["totalVolumesUsed"] == 1 and raw["absolute"]["totalGigabytesUsed"] == 3
    assert raw["absolute"]["maxTotalVolumeGigabytes"] == 1000
    assert set(raw["absolute"]) == {
        "maxTotalVolumes", "maxTotalVolumeGigabytes", "maxTotalSnapshots", "maxTotalBackups",
        "maxTotalBackupGigabytes", "totalVolumesUsed", "totalGigabytesUsed", "totalSnapshotsUsed",
        "totalBackupsUsed", "totalBackupGigabytesUsed",
    }
    listed = osc(clouds.clouds_yaml(cloud), cloud.name, "limits", "show", "--absolute")
    values = {r["Name"]: r["Value"] for r in listed}
    assert values["max_total_volumes"] == 10 and values["max_total_instances"] == 10  # Cinder's, Nova's
    assert values["total_gigabytes_used"] == 3


@pytest.mark.parametrize("release", ["newton", "train"])
def test_nova_tenant_usage_over_a_period(clouds: Clouds, release: str) -> None:
    cloud = clouds.start(release=release)
    conn = connect(cloud)
    flavor, image, net, _ = seed(conn)
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    kept = boot(conn, "web-1", flavor, image, net)
    gone = boot(conn, "web-2", flavor, image, net)
    conn.compute.delete_server(gone.id)
    wait_for(lambda: conn.compute.find_server(gone.id) is None, what="web-2 deleted")
    end = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    resp = conn.compute.get(f"/os-simple-tenant-usage?start={start}&end={end}&detailed=1")
    assert resp.status_code == 200
    [usage] = resp.json()["tenant_usages"]
    assert usage["tenant_id"] == cloud.admin_project_id
    by_id = {u["instance_id"]: u for u in usage["server_usages"]}
    assert by_id[kept.id]["state"] == "active" and by_id[kept.id]["ended_at"] is None
    assert by_id[gone.id]["state"] == "terminated" and by_id[gone.id]["ended_at"]
    assert by_id[kept.id]["vcpus"] == 2 and by_id[kept.id]["flavor"] == "m1.medium"
    assert usage["total_vcpus_usage"] == pytest.approx(sum(2 * u["hours"] for u in by_id.values()))
    own = conn.compute.get(f"/os-simple-tenant-usage/{cloud.admin_project_id}?start={start}&end={end}")
    assert {u["instance_id"] for u in own.json()["tenant_usage"]["server_usages"]} == set(by_id)
    bad = conn.compute.get(f"/os-simple-tenant-usage?start={end}&end={start}")
    assert bad.status_code == 400
    config_free = conn.compute.get("/os-simple-tenant-usage/0123456789abcdef0123456789abcdef")
    assert config_free.json() == {"tenant_usage": {}}
    config = clouds.clouds_yaml(cloud)
    today = dt.datetime.now(dt.UTC).date()
    days = [str(today - dt.timedelta(days=1)), str(today + dt.timedelta(days=1))]
    period = conn.compute.get(f"/os-simple-tenant-usage?start={days[0]}T00:00:00&end={days[1]}T00:00:00")
    [total] = period.json()["tenant_usages"]
    assert "server_usages" not in total  # only ?detailed=1 lists them
    [row] = osc(config, cloud.name, "usage", "list", "--start", days[0], "--end", days[1])
    assert row["Project"] == cloud.admin_project_id  # -f json shows the id
    assert row["CPU Hours"] == pytest.approx(total["total_vcpus_usage"])
    # The SDK asks ?detailed=True, which Nova reads as not detailed ('1' only): no server count,
    # as against a real Nova.
    assert row["Servers"] is None
    shown = osc(config, cloud.name, "usage", "show", "--project", "admin", "--start", days[0],
                "--end", days[1])
    # one project's usage always lists its servers (-f json shows the list)
    assert sorted(u["name"] for u in shown["Servers"]) == ["web-1", "web-2"]


def test_an_admin_s_volume_listing_narrowed_to_one_project(clouds: Clouds) -> None:
    """``all_tenants=1&project_id=X`` lists X's volumes only, as Cinder's project_id filter does."""
    cloud = clouds.start(hypervisors=0)
    conn = connect(cloud)
    other = cloud.keystone.create_project("digital-prd")["id"]
    mine = conn.block_storage.create_volume(size=1, name="admin-data")
    theirs = conn.block_storage.get(f"/volumes/detail?all_tenants=1&project_id={other}").json()["volumes"]
    assert theirs == []
    every = conn.block_storage.get("/volumes/detail?all_tenants=1").json()["volumes"]
    assert [v["id"] for v in every] == [mine.id]
    narrowed = conn.block_storage.get(
        f"/volumes/detail?all_tenants=1&project_id={cloud.admin_project_id}").json()["volumes"]
    assert [v["os-vol-tenant-attr:tenant_id"] for v in narrowed] == [cloud.admin_project_id]
    # without all_tenants the filter is not the admin's to widen: the scoped project's only
    assert [v["id"] for v in conn.block_storage.get(
        f"/volumes/detail?project_id={other}").json()["volumes"]] == [mine.id]
