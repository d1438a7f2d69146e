"""The lab's clouds estate writer against a twin cloud and VSD, through openstacksdk: every
application environment runs on the old cloud on its VSD-managed subnet A, in service, its
volumes attached; a second run (a restarted lab) makes nothing."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from lifecycle.lab.array import PureArray
from lifecycle.lab.estate_clouds import IN_SERVICE, connect, seed_old_workloads, seed_projects
from lifecycle.lab.estate_vsd import enterprise, every, seed_vsd, vsd_session
from lifecycle.model import load_site
from tests.lab.openstack.conftest import VSD_PASSWORD, Clouds, vsd_access

ROOT = Path(__file__).resolve().parents[3]


def test_the_old_cloud_runs_the_site_and_a_second_run_makes_nothing(clouds: Clouds, vsd: Any) -> None:
    site = load_site(ROOT / "examples/ie1")
    old_model = site.cloud(site.upgrade.from_cloud)  # type: ignore[union-attr]
    session = vsd_session(vsd.url, "csproot", VSD_PASSWORD, "csp", vsd.tls.ca)
    seed_vsd(session, site)
    ent = enterprise(session, "IE1")
    ids = {s.name: s.id for d in every(ent.domains) for s in every(d.subnets)}
    old = clouds.start(old_model.name, "newton", array=PureArray("pure-ie1"), vsd=vsd_access(vsd),
                       hypervisors=6)
    conn = connect(clouds.clouds_yaml(old), old_model.name)
    teams = {a.team: f"pw-{a.team}" for a in site.applications}
    vms = {vm.name: (a, env) for a in site.applications for env, e in a.environments.items() for vm in e.vms}
    volumes = {v.name for a in site.applications for e in a.environments.values() for v in e.volumes}

    assert seed_projects(conn, site, teams) == len({e.project for a in site.applications
                                                   for e in a.environments.values()})
    assert seed_old_workloads(conn, site, old_model.name, ids) == {"vms": len(vms), "volumes": len(volumes)}

    servers = {s.name: s for s in conn.compute.servers(details=True, all_projects=True)}
    assert set(servers) == set(vms)
    for name, s in servers.items():
        app, env = vms[name]
        assert s.status == "ACTIVE" and s.metadata[IN_SERVICE] == "true"
        (ip,) = [a["addr"] for net in s.addresses.values() for a in net]
        assert ipaddress.ip_address(ip) in app.environments[env].subnets.a, (name, ip)
    subnets = {s.name: s for s in conn.network.subnets()}
    assert {n for n in subnets if n.endswith("-a")} == set(ids)
    vols = {v.name: v for v in conn.block_storage.volumes(details=True, all_projects=True)}
    assert {n: v.status for n, v in vols.items()} == {n: "in-use" for n in volumes}

    # restarted: everything found, nothing made, nothing doubled
    assert seed_projects(conn, site, teams) == 0
    assert seed_old_workloads(conn, site, old_model.name, ids) == {"vms": 0, "volumes": 0}
    assert len(list(conn.compute.servers(all_projects=True))) == len(vms)
    assert len(list(conn.network.networks())) == len(ids)


def test_brownfield_in_the_clouds_is_written_once_as_teams_left_it(clouds: Clouds) -> None:
    from lifecycle.lab.estate_clouds import (
        FLAVORS,
        drifted,
        foreign_project,
        image_alias,
        seed_brownfield,
        tight_project,
    )

    site = load_site(ROOT / "examples/ie1")
    old_c = clouds.start("ie1-old", "newton", array=PureArray("pure-ie1"))
    new_c = clouds.start("ie1-new", "train", array=old_c.array)
    path = clouds.clouds_yaml(old_c, new_c)
    old, new = connect(path, "ie1-old"), connect(path, "ie1-new")
    teams = {a.team: f"pw-{a.team}" for a in site.applications}
    seed_projects(old, site, teams, flavor_drift="m1.xlarge")
    seed_projects(new, site, teams, flavor_drift="m1.xlarge", drift_here=True)
    made = seed_brownfield(old, new, site)["foreign"]
    # an alias per image (ie1 boots one); tools network and subnet, jump, scratch; legacy, archive
    assert made == 1 + 4 + 2
    assert seed_brownfield(old, new, site) == {"foreign": 0}

    size = {c: {f.name: (f.vcpus, f.ram, f.disk) for f in conn.compute.flavors()} for c, conn in
            (("old", old), ("new", new))}
    assert size["old"]["m1.xlarge"] == FLAVORS["m1.xlarge"] and size["new"]["m1.xlarge"] == drifted(
        FLAVORS["m1.xlarge"]) != FLAVORS["m1.xlarge"]
    assert size["old"]["m1.large"] == size["new"]["m1.large"]  # what the applications use: the same
    sums = {c: {i.name: i.checksum for i in conn.image.images()} for c, conn in (("old", old), ("new", new))}
    assert sums["old"]["rhel-8.4"] is not None
    assert sums["new"][image_alias("rhel-8.4")] == sums["new"]["rhel-8.4"] == sums["old"]["rhel-8.4"]

    project = foreign_project(site)
    pid = new.identity.find_project(project).id
    (jump,) = [s for s in new.compute.servers(details=True, all_projects=True) if s.project_id == pid]
    assert (jump.name, jump.status, list(jump.addresses)) == (
        f"{project}-jump", "ACTIVE", [f"{project}-tools"])
    vols = {v.name: v for v in new.block_storage.volumes(details=True, all_projects=True)}
    assert {n: v.status for n, v in vols.items()} == {f"{project}-scratch": "in-use",
                                                     f"{project}-archive": "available"}
    assert vols[f"{project}-scratch"].attachments[0]["server_id"] == jump.id
    assert not list(old.block_storage.volumes(all_projects=True))
    assert f"{project}-legacy" in {n.name for n in old.network.networks()}

    tight = new.identity.find_project(tight_project(site))
    vms = [vm for a in site.applications for e in a.environments.values() if e.project == tight.name
           for vm in e.vms]
    q = new.compute.get_quota_set(tight.id)
    assert (q.instances, q.cores) == (len(vms) + 1, sum(FLAVORS[v.flavor][0] for v in vms) + 1)
