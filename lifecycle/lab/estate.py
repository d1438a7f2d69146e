"""The estate as it runs before the upgrade, built over the wire with the real SDKs (vspk and
openstacksdk, through i2's adapters where they fit), as a platform team built it long ago:

- VSD: the enterprise, network macros, the L3 domain template (ingress and egress ACL
  templates with implicit drop, a zone template per application), a domain per environment
  instantiated from it, subnet A of every application environment in its zone, and the ACL
  entries the site's rules give (:func:`lifecycle.nuage.policy.intended_entries`);
- both clouds: a project per application environment (i2's admin user holds ``admin`` there,
  the team's user ``member``), the flavors and images the applications use;
- the old cloud: its net-partition, a network and VSD-managed subnet A per application
  environment, the VMs booted on it (``i2.in_service=true``) and their volumes attached;
- the teams' clouds.yaml (one entry per project, pointing at the old cloud) and secure.yaml.

Idempotent: a lab restarted on the same directory finds everything and creates nothing.
"""

from __future__ import annotations

import secrets as pysecrets
import time
from typing import TYPE_CHECKING, Any

import yaml

from lifecycle.lab.config import write_private

if TYPE_CHECKING:
    from lifecycle.lab.daemon import Lab

# name -> (vCPUs, RAM MB, root disk GB): the usual sizes, others get m1.medium's; small root
# disks, as data lives on the array's volumes
FLAVORS = {"m1.small": (1, 2048, 10), "m1.medium": (2, 4096, 10), "m1.large": (4, 8192, 20),
           "m1.xlarge": (8, 16384, 40)}
TEAMS_FILE = "teams-clouds.yaml"


def _vsd(lab: Lab) -> Any:
    from lifecycle.model.endpoints import SecretStore, load_endpoints
    from lifecycle.nuage import Nuage

    ep = load_endpoints(lab.dir / "endpoints.yaml")
    return Nuage.connect(ep, SecretStore(ep))


def seed_vsd(lab: Lab) -> dict[str, int]:
    """Enterprise, macros, domain template, domains, zones, A subnets and ACL entries."""
    from vspk.v6 import (
        NUDomain,
        NUDomainTemplate,
        NUEgressACLTemplate,
        NUEnterprise,
        NUEnterpriseNetwork,
        NUIngressACLTemplate,
        NUZoneTemplate,
    )

    from lifecycle.nuage.policy import intended_entries
    from lifecycle.nuage.vsd import quote, resolve
    from lifecycle.runbooks.upgrade.model import moves

    site = lab.site
    assert site.nuage is not None
    nu = site.nuage
    vsd = _vsd(lab)
    counts = {"subnets": 0, "entries": 0}
    ent = vsd.enterprise(nu.organisation)
    if ent is None:
        ent = NUEnterprise(name=nu.organisation, description=f"{site.site.name}: both clouds' net-partition")
        vsd.me.create_child(ent)
    have = {m.name for m in vsd.all(ent.enterprise_networks)}
    for m in nu.network_macros:
        if m.name not in have:
            ent.create_child(NUEnterpriseNetwork(name=m.name, address=str(m.cidr.network_address),
                                                 netmask=str(m.cidr.netmask)))
    zones = sorted({a.zone_name for a in site.applications})
    tpl = vsd.first(ent.domain_templates, f"name == {quote(nu.domain_template)}")
    if tpl is None:
        tpl = NUDomainTemplate(name=nu.domain_template, description="L3, implicit drop both ways")
        ent.create_child(tpl)
        for cls, name in ((NUIngressACLTemplate, "ingress"), (NUEgressACLTemplate, "egress")):
            tpl.create_child(cls(name=f"{nu.domain_template}-{name}", default_allow_ip=False,
                                 default_allow_non_ip=False, active=True, priority_type="NONE"))
        for z in zones:
            tpl.create_child(NUZoneTemplate(name=z))
    for d in nu.domains:
        dom = vsd.domain(ent, d.name)
        if dom is None:
            dom = NUDomain(name=d.name, template_id=tpl.id, description=f"environment {d.environment}")
            ent.create_child(dom)
        for m in (x for x in moves(site) if x.env == d.environment):
            zone = vsd.zone(dom, m.zone)
            if zone is None:
                raise RuntimeError(f"domain {d.name} has no zone {m.zone} after instantiation")
            _, created = vsd.ensure_subnet(zone, m.subnet("a"), m.cidr("a"),
                                           description=f"{m.app.name} {m.env} on the old cloud")
            counts["subnets"] += created
        ids = {("ZONE", z.name): z.id for z in vsd.all(dom.zones)}
        ids |= {("SUBNET", s.name): s.id for s in vsd.all(dom.subnets)}
        ids |= {("ENTERPRISE_NETWORK", m.name): m.id for m in vsd.all(ent.enterprise_networks)}
        existing = {(e.direction, e.description) for e in vsd.entries(dom, ent)}
        for e in intended_entries(site, d.environment):
            if (e.direction, e.rule) in existing:
                continue
            vsd.create_entry(dom, resolve(e, lambda r, ids=ids: ids[(r.type, r.name)]))
            counts["entries"] += 1
    return counts


def _conn(lab: Lab, name: str) -> Any:
    from lifecycle.clouds import Cloud
    from lifecycle.model.endpoints import load_endpoints

    return Cloud.connect(load_endpoints(lab.dir / "endpoints.yaml"), name)


def seed_projects(lab: Lab, cloud: Any, team_passwords: dict[str, str]) -> int:
    """Projects, team users and roles, flavors and images the applications need."""
    conn = cloud.conn
    site = lab.site
    made = 0
    admin = conn.identity.find_user("admin")
    roles = {r.name: r for r in conn.identity.roles()}
    member = roles.get("member") or roles.get("_member_")
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
    # quotas sized to the project's applications, twice over (both sides run during a move)
    need: dict[str, list[int]] = {}
    for a in site.applications:
        for env in a.environments.values():
            n = need.setdefault(env.project, [0, 0, 0])
            for vm in env.vms:
                vcpus, ram, _ = FLAVORS.get(vm.flavor, FLAVORS["m1.medium"])
                n[0], n[1], n[2] = n[0] + 1, n[1] + vcpus, n[2] + ram
    for project_name, (instances, cores, ram) in need.items():
        project = conn.identity.find_project(project_name)
        conn.compute.update_quota_set(project.id, instances=max(10, 2 * instances), cores=max(20, 2 * cores),
                                      ram=max(51200, 2 * ram))
    wanted_flavors = {vm.flavor for a in site.applications for e in a.environments.values() for vm in e.vms}
    for name in sorted(wanted_flavors):
        if conn.compute.find_flavor(name, ignore_missing=True) is None:
            vcpus, ram, disk = FLAVORS.get(name, FLAVORS["m1.medium"])
            conn.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk)
    wanted_images = {vm.image for a in site.applications for e in a.environments.values() for vm in e.vms}
    for name in sorted(wanted_images):
        if conn.image.find_image(name, ignore_missing=True) is None:
            conn.image.create_image(name=name, disk_format="qcow2", container_format="bare",
                                    visibility="public")
    return made


def seed_old_workloads(lab: Lab, cloud: Any) -> dict[str, int]:
    """The old cloud's side of every application: network, subnet A, VMs, volumes."""
    from lifecycle.clouds import IN_SERVICE
    from lifecycle.runbooks.upgrade.model import moves

    site = lab.site
    model = site.cloud(cloud.name)
    assert model.nuage is not None
    counts = {"vms": 0, "volumes": 0}
    _wait_hypervisors(lab, cloud)
    vsd = _vsd(lab)
    np, _ = cloud.ensure_net_partition(model.nuage.net_partition)
    assert site.nuage is not None
    ent = vsd.enterprise(site.nuage.organisation)
    booting: dict[str, list[str]] = {}
    for m in moves(site):
        dom = vsd.domain(ent, m.domain)
        sub = vsd.subnet(dom, m.subnet("a"))
        net, _ = cloud.ensure_network(m.project, m.subnet("a"))
        cloud.ensure_vsd_subnet(m.project, net.id, m.subnet("a"), m.cidr("a"), m.gateway("a"),
                                np["name"], sub.id)
        for vm in m.spec.vms:
            meta = {**vm.metadata, IN_SERVICE: "true"}
            _, made = cloud.boot(m.project, vm.name, flavor=vm.flavor, image=vm.image,
                                 network_id=net.id, metadata=meta)
            counts["vms"] += made
        booting.setdefault(m.project, []).extend(m.vms)
    for project, names in booting.items():
        cloud.wait_servers(project, names, timeout=120)
    for m in moves(site):
        if not m.spec.volumes:
            continue
        conn = cloud.scoped(m.project)
        for vol in m.spec.volumes:
            if cloud.volume(m.project, vol.name) is None:
                conn.block_storage.create_volume(name=vol.name, size=vol.size_gb)
                counts["volumes"] += 1
            cloud.wait_volume(m.project, vol.name, ("available", "in-use"), timeout=120)
        servers = {s.name: s for s in cloud.servers(project=m.project, names=m.vms)}
        for vm in m.spec.vms:
            for name in vm.volumes:
                vol = cloud.volume(m.project, name)
                if cloud.attach(servers[vm.name], vol):
                    cloud.wait_volume(m.project, name, ("in-use",), timeout=120)
    return counts


def _wait_hypervisors(lab: Lab, cloud: Any, timeout: float = 120.0) -> None:
    """The old cloud's computes join its Nova as its undercloud seeds them (in the background)."""
    racked = {s.name for s in lab.world.servers if s.racked}
    computes = [s for s in lab.site.servers if s.cloud == cloud.name and s.name in racked
                and s.role not in ("Controller",)]
    want = len(computes)
    if "underclouds" not in lab.endpoints:  # no twin undercloud deploys them: the site says
        for s in computes:
            inv = lab.site.hardware_profiles[s.hardware_profile].inventory
            lab.clouds[cloud.name].add_hypervisor(f"{s.name}.{lab.site.site.domain}", vcpus=inv.cpus,
                                                  memory_mb=inv.memory_mb)
    deadline = time.monotonic() + timeout
    while len(cloud.hypervisors()) < want:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{cloud.name}: {len(cloud.hypervisors())} of {want} hypervisors after "
                               f"{timeout:.0f} s (see the undercloud's seeding in the lab log)")
        time.sleep(0.25)


def write_teams(lab: Lab, old_entry: dict[str, Any], passwords: dict[str, str]) -> None:
    """Each project's entry (no password) pointing at the old cloud; passwords in secure.yaml."""
    clouds: dict[str, Any] = {}
    secure: dict[str, Any] = {}
    for app in lab.site.applications:
        for env in app.environments.values():
            clouds[env.project] = {
                "auth": {"auth_url": old_entry["auth"]["auth_url"], "username": app.team,
                         "project_name": env.project, "user_domain_name": "Default",
                         "project_domain_name": "Default"},
                **{k: old_entry[k] for k in ("region_name", "interface", "identity_api_version", "cacert")
                   if k in old_entry}}
            secure[env.project] = {"auth": {"password": passwords[app.team]}}
    path = lab.dir / TEAMS_FILE
    if not path.exists():  # the upgrade rewrites it: a restarted lab keeps the switches made
        write_private(path, "# The teams' API endpoints (one entry per project). No passwords here:\n"
                            "# they are in teams-secure.yaml, as teams keep theirs.\n"
                      + yaml.safe_dump({"clouds": clouds}, sort_keys=False))
    write_private(lab.dir / "teams-secure.yaml", yaml.safe_dump({"clouds": secure}, sort_keys=False))
    lab.endpoints["teams"] = {"clouds_yaml": TEAMS_FILE}


def seed_estate(lab: Lab) -> dict[str, int]:
    assert lab.site.upgrade is not None
    counts = seed_vsd(lab)
    pw_file = lab.dir / "teams-secure.yaml"
    passwords: dict[str, str] = {}
    if pw_file.exists():
        old = yaml.safe_load(pw_file.read_text()) or {}
        by_project = {p: v["auth"]["password"] for p, v in (old.get("clouds") or {}).items()}
        for app in lab.site.applications:
            for env in app.environments.values():
                if env.project in by_project:
                    passwords[app.team] = by_project[env.project]
    for app in lab.site.applications:
        passwords.setdefault(app.team, pysecrets.token_urlsafe(12))
    old_name, new_name = lab.site.upgrade.from_cloud, lab.site.upgrade.to_cloud
    for name in (old_name, new_name):
        counts[f"projects {name}"] = seed_projects(lab, _conn(lab, name), passwords)
    counts |= seed_old_workloads(lab, _conn(lab, old_name))
    write_teams(lab, lab.clouds[old_name].clouds_yaml_entry(), passwords)
    lab.write_endpoints()
    return counts
