"""The estate as it runs before the upgrade, written by the lab's own code over the wire with the
vendors' SDKs (vspk, openstacksdk) from the site model, as a platform team built it long ago:

- VSD (:mod:`lifecycle.lab.estate_vsd`): the enterprise, network macros, the L3 domain template
  (implicit drop both ways, a zone template per application), a domain per environment, subnet
  A of every application environment in its zone, and the ACL entries the site's rules mean as
  the lab reads them (:mod:`lifecycle.lab.site_rules`);
- both clouds (:mod:`lifecycle.lab.estate_clouds`): a project per application environment
  (i2's admin user holds ``admin`` there, the team's user ``member``), quotas, the flavors and
  images the applications use;
- the old cloud: its net-partition, a network and VSD-managed subnet A per application
  environment, the VMs booted on it in service and their volumes attached;
- the teams' clouds.yaml (one entry per project, pointing at the old cloud) and secure.yaml;
- brownfield, as operators find it (each part a switch of ``lab.yaml``, see
  :class:`~lifecycle.lab.config.LabConfig`): other teams' ACL entries, macros, policy groups and
  subnets, a stale CMS id (:func:`~lifecycle.lab.estate_vsd.seed_brownfield`); foreign servers,
  networks and volumes, a drifted flavor, image aliases, a tight quota
  (:func:`~lifecycle.lab.estate_clouds.seed_brownfield`).

Nothing here uses i2's adapters or runbooks, so what those get wrong the estate does not repeat.
A greenfield lab (``lab.yaml`` ``greenfield``) writes none of it.
Idempotent: a lab restarted on the same directory finds everything and creates nothing.
"""

from __future__ import annotations

import secrets as pysecrets
import time
from typing import TYPE_CHECKING, Any

import yaml

from lifecycle.lab import estate_clouds, estate_vsd
from lifecycle.lab.config import write_private

if TYPE_CHECKING:
    from lifecycle.lab.daemon import Lab

TEAMS_FILE = "teams-clouds.yaml"


def _vsd(lab: Lab) -> Any:
    v = lab.endpoints["vsd"]
    return estate_vsd.vsd_session(v["url"], v["username"], lab.secrets["vsd"], v["organisation"],
                                  v["ca_file"])


def _conn(lab: Lab, name: str) -> Any:
    return estate_clouds.connect(lab.dir / "clouds.yaml", name)


def _wait_hypervisors(lab: Lab, conn: Any, cloud: str, timeout: float = 120.0) -> None:
    """A cloud's computes join its Nova as its undercloud seeds them (in the background)."""
    racked = {s.name for s in lab.world.servers if s.racked}
    computes = [s for s in lab.site.servers if s.cloud == cloud and s.name in racked
                and s.role not in ("Controller",)]
    if "underclouds" not in lab.endpoints:  # no twin undercloud deploys them: the site says
        for s in computes:
            inv = lab.site.hardware_profiles[s.hardware_profile].inventory
            lab.clouds[cloud].add_hypervisor(f"{s.name}.{lab.site.site.domain}", vcpus=inv.cpus,
                                             memory_mb=inv.memory_mb)
    deadline = time.monotonic() + timeout
    while (have := len(list(conn.compute.hypervisors()))) < len(computes):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{cloud}: {have} of {len(computes)} hypervisors after {timeout:.0f} s "
                               "(see the undercloud's seeding in the lab log)")
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


def _team_passwords(lab: Lab) -> dict[str, str]:
    """The teams' passwords: those a previous start gave them, new ones for new teams."""
    passwords: dict[str, str] = {}
    pw_file = lab.dir / "teams-secure.yaml"
    if pw_file.exists():
        old = yaml.safe_load(pw_file.read_text()) or {}
        by_project = {p: v["auth"]["password"] for p, v in (old.get("clouds") or {}).items()}
        for app in lab.site.applications:
            for env in app.environments.values():
                if env.project in by_project:
                    passwords[app.team] = by_project[env.project]
    for app in lab.site.applications:
        passwords.setdefault(app.team, pysecrets.token_urlsafe(12))
    return passwords


def seed_estate(lab: Lab) -> dict[str, int]:
    if lab.config.greenfield:  # a build-out comes first: nothing is written anywhere
        return {}
    site = lab.site
    assert site.upgrade is not None and site.nuage is not None
    cfg = lab.config
    session = _vsd(lab)
    counts = estate_vsd.seed_vsd(session, site)
    counts["vsd brownfield"] = estate_vsd.seed_brownfield(
        session, site, foreign_entries=cfg.brownfield_vsd_foreign_entries,
        team_objects=cfg.brownfield_vsd_team_objects, extra_subnets=cfg.brownfield_vsd_extra_subnets,
        stale_cms=cfg.brownfield_vsd_stale_cms)["foreign"]
    passwords = _team_passwords(lab)
    old_name, new_name = site.upgrade.from_cloud, site.upgrade.to_cloud
    conns = {name: _conn(lab, name) for name in (old_name, new_name)}
    for name, conn in conns.items():
        counts[f"projects {name}"] = estate_clouds.seed_projects(
            conn, site, passwords, flavor_drift=cfg.brownfield_cloud_flavor_drift,
            drift_here=name == new_name)
    for name, conn in conns.items():  # both: the new cloud's free capacity is read at once
        _wait_hypervisors(lab, conn, name)
    ent = estate_vsd.enterprise(session, site.nuage.organisation)
    subnet_ids = {s.name: s.id for d in estate_vsd.every(ent.domains) for s in estate_vsd.every(d.subnets)}
    counts |= estate_clouds.seed_old_workloads(conns[old_name], site, old_name, subnet_ids)
    counts["clouds brownfield"] = estate_clouds.seed_brownfield(
        conns[old_name], conns[new_name], site, foreign=cfg.brownfield_cloud_foreign,
        image_aliases=cfg.brownfield_cloud_image_aliases,
        tight_quota=cfg.brownfield_cloud_tight_quota)["foreign"]
    write_teams(lab, lab.clouds[old_name].clouds_yaml_entry(), passwords)
    lab.write_endpoints()
    return counts
