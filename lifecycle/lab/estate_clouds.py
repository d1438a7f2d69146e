"""The clouds' side of the estate, with openstacksdk as an operator's scripts use it: projects,
users, roles, quotas, flavors and images in both clouds; on the old one its Nuage
net-partition, a network and VSD-managed subnet A per application environment, the VMs booted
in service and their volumes attached. Each object is listed before it is made: a second run
creates nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lifecycle.lab.site_rules import a_subnets
from lifecycle.model.schema import Site

# Server metadata the workloads' operators set while a VM takes traffic. Its key and value are a
# contract between the estate and whoever reads it (i2, the twin's probes): written here.
IN_SERVICE = "i2.in_service"

# name -> (vCPUs, RAM MB, root disk GB): the usual sizes, others get m1.medium's; small root
# disks, as data lives on the array's volumes
FLAVORS = {"m1.small": (1, 2048, 10), "m1.medium": (2, 4096, 10), "m1.large": (4, 8192, 20),
           "m1.xlarge": (8, 16384, 40)}


def connect(clouds_yaml: Path, name: str) -> Any:
    """An admin connection from the lab's own clouds.yaml entry ``name``."""
    import openstack
    from openstack.config import OpenStackConfig

    region = OpenStackConfig(config_files=[str(clouds_yaml)], load_envvars=False).get_one(cloud=name)
    return openstack.connection.Connection(config=region)


class Scoped:
    """Project-scoped connections (the team's objects belong to the team's project)."""

    def __init__(self, conn: Any):
        self.conn = conn
        self._by: dict[str, Any] = {}

    def __call__(self, project: str) -> Any:
        if project not in self._by:
            self._by[project] = self.conn.connect_as_project(project)
        return self._by[project]


def image_bytes(name: str) -> bytes:
    """The content of an image the estate uploads: the same in both clouds, so the same checksum."""
    return f"{name}: the platform team's golden image\n".encode() * 64


def drifted(size: tuple[int, int, int]) -> tuple[int, int, int]:
    """A flavor as the new cloud's builders re-made it: half the vCPUs and RAM, the same disk."""
    return max(1, size[0] // 2), size[1] // 2, size[2]


def seed_projects(conn: Any, site: Site, team_passwords: dict[str, str], *, flavor_drift: str = "",
                  drift_here: bool = False) -> int:
    """Projects, team users and roles, quotas, flavors and images the applications need.
    ``flavor_drift``: a flavor made here too, sized :func:`drifted` when ``drift_here`` (the
    brownfield's flavor with the same name and other properties in the new cloud)."""
    made = 0
    admin = conn.identity.find_user("admin")
    roles = {r.name: r for r in conn.identity.roles()}
    member = roles.get("member") or roles.get("_member_")
    # quotas sized to the project's applications, twice over (both sides run during a move)
    need: dict[str, list[int]] = {}
    for app in site.applications:
        user = conn.identity.find_user(app.team) or conn.identity.create_user(
            name=app.team, password=team_passwords[app.team], domain_id="default")
        for env in app.environments.values():
            project = conn.identity.find_project(env.project)
            if project is None:
                project = conn.identity.create_project(name=env.project, domain_id="default",
                                                       description=f"team {app.team}")
                made += 1
            conn.identity.assign_project_role_to_user(project, admin, roles["admin"])
            if member is not None:
                conn.identity.assign_project_role_to_user(project, user, member)
            n = need.setdefault(project.id, [0, 0, 0])
            for vm in env.vms:
                vcpus, ram, _ = FLAVORS.get(vm.flavor, FLAVORS["m1.medium"])
                n[0], n[1], n[2] = n[0] + 1, n[1] + vcpus, n[2] + ram
    for project_id, (instances, cores, ram) in need.items():
        conn.compute.update_quota_set(project_id, instances=max(10, 2 * instances), cores=max(20, 2 * cores),
                                      ram=max(51200, 2 * ram))
    vms = [vm for a in site.applications for e in a.environments.values() for vm in e.vms]
    flavors = {f.name for f in conn.compute.flavors()}
    for name in sorted(({vm.flavor for vm in vms} | ({flavor_drift} if flavor_drift else set())) - flavors):
        size = FLAVORS.get(name, FLAVORS["m1.medium"])
        vcpus, ram, disk = drifted(size) if drift_here and name == flavor_drift else size
        conn.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk)
    images = {i.name for i in conn.image.images()}
    for name in sorted({vm.image for vm in vms} - images):
        conn.image.create_image(name=name, data=image_bytes(name), disk_format="qcow2",
                                container_format="bare", visibility="public")
    return made


def seed_old_workloads(conn: Any, site: Site, cloud: str, vsd_subnet_ids: dict[str, str]) -> dict[str, int]:
    """Every application environment on the old cloud: network, VSD-managed subnet A (on the
    VSD subnet ``vsd_subnet_ids[name]``), its VMs in service and its volumes attached."""
    model = next(c for c in site.clouds if c.name == cloud)
    assert model.nuage is not None
    made = {"vms": 0, "volumes": 0}
    scoped = Scoped(conn)
    partition = _net_partition(conn, model.nuage.net_partition)
    projects = {p.name: p.id for p in conn.identity.projects()}
    spec = {(a.name, e): (env, a) for a in site.applications for e, env in a.environments.items()}
    networks = {(n.project_id, n.name): n for n in conn.network.networks()}
    subnets = {(s.network_id, s.name) for s in conn.network.subnets()}
    servers = {s.name for s in conn.compute.servers(all_projects=True)}
    flavors = {f.name: f.id for f in conn.compute.flavors()}
    images = {i.name: i.id for i in conn.image.images()}
    placed = a_subnets(site)
    for p in placed:
        env, _ = spec[(p.app, p.env)]
        project_id = projects[env.project]
        net = networks.get((project_id, p.subnet))
        if net is None:
            net = scoped(env.project).network.create_network(name=p.subnet)
        if (net.id, p.subnet) not in subnets:
            body = {"subnet": {"name": p.subnet, "network_id": net.id, "ip_version": 4, "cidr": p.cidr,
                               "gateway_ip": p.gateway, "net_partition": partition,
                               "nuagenet": vsd_subnet_ids[p.subnet]}}
            resp = scoped(env.project).network.post("/subnets", json=body, raise_exc=False)
            if resp.status_code >= 400:
                raise RuntimeError(f"{cloud}: create subnet {p.subnet}: HTTP {resp.status_code} "
                                   f"{resp.text[:300]}")
        for vm in env.vms:
            if vm.name in servers:
                continue
            scoped(env.project).compute.create_server(
                name=vm.name, flavor_id=flavors[vm.flavor], image_id=images[vm.image],
                networks=[{"uuid": net.id}], metadata={**vm.metadata, IN_SERVICE: "true"})
            made["vms"] += 1
    wanted = {vm.name for p in placed for vm in spec[(p.app, p.env)][0].vms}
    by_name = _until(conn, "servers ACTIVE", lambda: _servers_active(conn, wanted))
    with_volumes = [spec[(p.app, p.env)][0] for p in placed if spec[(p.app, p.env)][0].volumes]
    if not with_volumes:
        return made
    vols = {v.name: v for v in conn.block_storage.volumes(details=True, all_projects=True)}
    for env in with_volumes:
        for vol in env.volumes:
            if vol.name not in vols:
                scoped(env.project).block_storage.create_volume(name=vol.name, size=vol.size_gb)
                made["volumes"] += 1
    names = {vol.name for env in with_volumes for vol in env.volumes}
    vols = _until(conn, "volumes available", lambda: _volumes_in(conn, names, ("available", "in-use")))
    for env in with_volumes:
        for vm in env.vms:
            for name in vm.volumes:
                server = by_name[vm.name]
                if server.id not in {a.get("server_id") for a in vols[name].attachments or []}:
                    conn.compute.create_volume_attachment(server, volume=vols[name])
    _until(conn, "volumes attached", lambda: _volumes_in(conn, names, ("in-use",)))
    return made


def _net_partition(conn: Any, name: str) -> str:
    """The Nuage net-partition (a Neutron extension with no SDK resource: plain REST)."""
    got = conn.network.get("/net-partitions").json()["net_partitions"]
    if not any(p["name"] == name for p in got):
        conn.network.post("/net-partitions", json={"net_partition": {"name": name}})
    return name


def _servers_active(conn: Any, names: set[str]) -> dict[str, Any] | None:
    found = {s.name: s for s in conn.compute.servers(details=True, all_projects=True) if s.name in names}
    failed = [n for n, s in found.items() if s.status == "ERROR"]
    if failed:
        fault = (getattr(found[failed[0]], "fault", None) or {}).get("message", "")
        raise RuntimeError(f"{len(failed)} servers went to ERROR ({', '.join(sorted(failed)[:5])}): {fault}")
    ok = len(found) == len(names) and all(s.status == "ACTIVE" for s in found.values())
    return found if ok else None


def _volumes_in(conn: Any, names: set[str], statuses: tuple[str, ...]) -> dict[str, Any] | None:
    found = {v.name: v for v in conn.block_storage.volumes(details=True, all_projects=True)
             if v.name in names}
    bad = [n for n, v in found.items() if v.status.startswith("error")]
    if bad:
        raise RuntimeError(f"volumes in error: {', '.join(sorted(bad))}")
    ok = len(found) == len(names) and all(v.status in statuses for v in found.values())
    return found if ok else None


def _until(conn: Any, what: str, check: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    wait = 0.1
    while (got := check()) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not after {timeout:.0f} s")
        time.sleep(wait)
        wait = min(wait * 1.5, 1.0)
    return got


# -- brownfield: what teams did in the clouds before i2 (docs/twin.md "Brownfield") ------------

def image_alias(name: str) -> str:
    """The name the new cloud's builders gave a second upload of image ``name``."""
    return f"{name}-golden"


def _projects(site: Site) -> list[tuple[str, int]]:
    """Every application project with its VM count, in the site's order."""
    out: dict[str, int] = {}
    for app in site.applications:
        for env in app.environments.values():
            out[env.project] = out.get(env.project, 0) + len(env.vms)
    return list(out.items())


def foreign_project(site: Site) -> str:
    """Where a team runs things of its own beside its applications: the site's first project."""
    return _projects(site)[0][0]


def tight_project(site: Site) -> str:
    """The project whose quota the new cloud's builders set just large enough: the one with the
    fewest VMs (the last such in the site's order)."""
    fewest = min(n for _, n in _projects(site))
    return [p for p, n in _projects(site) if n == fewest][-1]


def seed_brownfield(old: Any, new: Any, site: Site, *, foreign: bool = True, image_aliases: bool = True,
                    tight_quota: bool = True) -> dict[str, int]:
    """What the teams did in the clouds before i2, each part switchable:

    - ``foreign``: in the new cloud, in :func:`foreign_project`, a network of the team's own
      (OpenStack-managed), a jump host on it with a scratch volume attached (once the new cloud
      has computes: the jump host is made by the first start that finds one), and an archive
      volume, unattached; in the old cloud, in the same project, a network without subnets (no
      server or volume there: the old computes and array volumes must empty for the upgrade to
      end, and a foreign one would rightly stop it);
    - ``image_aliases``: each application image uploaded again in the new cloud under
      :func:`image_alias` (the same bytes: the same checksum);
    - ``tight_quota``: :func:`tight_project`'s compute quota in the new cloud just large enough
      for its VMs (one instance, one vCPU and 1 GB to spare).
    Idempotent: each object is looked for by name first."""
    made = {"foreign": 0}
    project = foreign_project(site)
    vms = [vm for a in site.applications for e in a.environments.values() for vm in e.vms]
    if image_aliases:
        have = {i.name for i in new.image.images()}
        for name in sorted({vm.image for vm in vms}):
            if image_alias(name) not in have:
                new.image.create_image(name=image_alias(name), data=image_bytes(name), disk_format="qcow2",
                                       container_format="bare", visibility="public")
                made["foreign"] += 1
    if foreign:
        made["foreign"] += _foreign_new(new, site, project) + _foreign_old(old, project)
    if tight_quota:
        p = new.identity.find_project(tight_project(site))
        flavors = {f.name: f for f in new.compute.flavors()}
        mine = [vm for a in site.applications for e in a.environments.values() if e.project == p.name
                for vm in e.vms]
        new.compute.update_quota_set(p.id, instances=len(mine) + 1,
                                     cores=sum(int(flavors[v.flavor].vcpus) for v in mine) + 1,
                                     ram=sum(int(flavors[v.flavor].ram) for v in mine) + 1024)
    return made


def _foreign_new(conn: Any, site: Site, project: str) -> int:
    made = 0
    team = Scoped(conn)(project)
    pid = conn.identity.find_project(project).id
    net_name, vm_name, vol_name, archive = (f"{project}-tools", f"{project}-jump", f"{project}-scratch",
                                            f"{project}-archive")
    net = next((n for n in conn.network.networks(project_id=pid) if n.name == net_name), None)
    if net is None:
        net = team.network.create_network(name=net_name)
        team.network.create_subnet(name=net_name, network_id=net.id, ip_version=4, cidr="192.168.200.0/24")
        made += 2
    server = next((s for s in conn.compute.servers(all_projects=True, project_id=pid) if s.name == vm_name),
                  None)
    # a jump host needs a compute: none before the new cloud's first rack is in service
    computes = server is not None or any(True for _ in conn.compute.hypervisors())
    if server is None and computes:
        flavors = {f.name: f for f in conn.compute.flavors()}
        used = sorted({vm.flavor for a in site.applications for e in a.environments.values() for vm in e.vms},
                      key=lambda n: (int(flavors[n].vcpus), int(flavors[n].ram)))
        image = next(iter(sorted({vm.image for a in site.applications for e in a.environments.values()
                                  for vm in e.vms})))
        team.compute.create_server(name=vm_name, flavor_id=flavors[used[0]].id,
                                   image_id=conn.image.find_image(image).id, networks=[{"uuid": net.id}],
                                   metadata={"owner": "ops", "ticket": "CHG0040021"})
        made += 1
    vols = {v.name: v for v in conn.block_storage.volumes(details=True, all_projects=True, project_id=pid)}
    for name, size, what in ((vol_name, 10, "scratch space (ops)"), (archive, 50, "archive (ops)")):
        if name not in vols:
            team.block_storage.create_volume(name=name, size=size, description=what)
            made += 1
    if not computes:
        return made
    servers = _until(conn, "the jump host ACTIVE", lambda: _servers_active(conn, {vm_name}))
    vol = _until(conn, "the scratch volume", lambda: _volumes_in(conn, {vol_name}, ("available", "in-use")))
    if vol[vol_name].status == "available":
        conn.compute.create_volume_attachment(servers[vm_name], volume=vol[vol_name])
        _until(conn, "the scratch volume attached", lambda: _volumes_in(conn, {vol_name}, ("in-use",)))
    return made


def _foreign_old(conn: Any, project: str) -> int:
    made = 0
    team = Scoped(conn)(project)
    pid = conn.identity.find_project(project).id
    if not any(n.name == f"{project}-legacy" for n in conn.network.networks(project_id=pid)):
        team.network.create_network(name=f"{project}-legacy")
        made += 1
    return made
