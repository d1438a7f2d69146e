"""Starters for the twin's second half: the Nuage VSD, the site's OpenStack clouds on one shared
Pure-like array, the estate as built long ago (applications running on their A subnets), and
the workload probes.

``EARLY`` run before :data:`lifecycle.lab.components.STARTERS` (the underclouds register the
hypervisors they deploy with these clouds); ``LATE`` after every other component is up.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import yaml

from lifecycle.lab.config import Component, ensure_secret, write_private

if TYPE_CHECKING:
    from lifecycle.lab.daemon import Lab

log = logging.getLogger("i2.lab")


def start_vsd(lab: Lab) -> None:
    from lifecycle.lab.nuage import VsdEmulator

    if lab.site.nuage is None:
        return
    vsd = VsdEmulator(tls=lab.tls, username="csproot", password=lab.secrets["vsd"], organisation="csp",
                      latency=lab.latency, faults=lab.faults).start()
    lab.vsd = vsd
    lab.add(Component("vsd", "emulator", vsd.url, vsd.server.port, os.getpid(), f"{vsd.url}/nuage/api/v6/me"),
            vsd.stop)
    lab.endpoints["vsd"] = {"url": vsd.url, "username": "csproot", "password": {"secret": "vsd"},
                            "organisation": "csp", "ca_file": str(lab.tls.ca), "plugins": plugins(lab)}


def plugins(lab: Lab) -> dict[str, Any]:
    """Each Nuage cloud's own plugin user for the endpoints file (the VSD bootstrap makes it):
    the overclouds i2 renders carry it, never i2's own VSD account."""
    out: dict[str, Any] = {}
    for c in lab.site.clouds:
        if c.nuage is not None:
            for key in (f"vsd-plugin-{c.name}", f"nuage-metadata-{c.name}"):
                ensure_secret(lab.dir, lab.secrets, key)
            out[c.name] = {"username": f"{c.name}-neutron", "password": {"secret": f"vsd-plugin-{c.name}"},
                           "metadata_secret": {"secret": f"nuage-metadata-{c.name}"}}
    return out


class CloudSink:
    """The underclouds' hypervisor sink: nova-compute joining (or leaving) a twin cloud's Nova."""

    def __init__(self, clouds: dict[str, Any]):
        self.clouds = clouds

    def add(self, cloud: str, hostname: str, node_uuid: str, vcpus: int, memory_mb: int) -> None:
        if cloud in self.clouds:
            self.clouds[cloud].add_hypervisor(hostname, vcpus=vcpus, memory_mb=memory_mb)

    def remove(self, cloud: str, hostname: str) -> None:
        if cloud in self.clouds:
            self.clouds[cloud].remove_hypervisor(hostname)


def plugin_access(lab: Lab, model: Any) -> Any:
    """The cloud's Nuage plugin config (NeutronNuageVSDUsername, -Password, -Organization): its
    own user in its net-partition, as the endpoints file's ``vsd.plugins`` names it. A cloud i2
    builds gets it from the VSD bootstrap; one that predates i2 from the estate
    (:func:`lifecycle.lab.estate_vsd.seed_plugin_users`). Until the user exists the plugin's
    login fails and its VSD calls with it, as a real plugin's would."""
    from lifecycle.lab.openstack import VsdAccess

    if getattr(lab, "vsd", None) is None or model.nuage is None:
        return None
    user = plugin_user(lab, model.name)
    return VsdAccess(lab.vsd.url, user["username"], lab.secrets[user["password"]["secret"]],
                     model.nuage.net_partition, ca=lab.tls.ca)


def plugin_user(lab: Lab, cloud: str) -> dict[str, Any]:
    return dict(lab.endpoints["vsd"]["plugins"][cloud])


def start_clouds(lab: Lab) -> None:
    """One emulated cloud per site cloud, every Cinder on the one array, every Neutron on the VSD."""
    from lifecycle.lab.array import PureArray
    from lifecycle.lab.openstack import OpenStackCloud

    if not lab.site.clouds:
        return
    backends = {c.pure.backend_name for c in lab.site.clouds if c.pure}
    lab.array = PureArray(sorted(backends)[0] if backends else "pure")
    clouds_yaml: dict[str, Any] = {"clouds": {}}
    for model in lab.site.clouds:
        cloud = OpenStackCloud(model, tls=lab.tls, array=lab.array, vsd=plugin_access(lab, model),
                               admin_password=lab.secrets["keystone"], latency=lab.latency,
                               faults=lab.faults).start()
        lab.clouds[model.name] = cloud
        lab.add(Component(f"cloud-{model.name}", "emulator", cloud.auth_url,
                          int(cloud.auth_url.rsplit(":", 1)[1].split("/")[0]), os.getpid(), cloud.auth_url),
                cloud.stop)
        clouds_yaml["clouds"][model.name] = cloud.clouds_yaml_entry()
        lab.endpoints.setdefault("clouds", {})[model.name] = {"cloud": model.name,
                                                              "clouds_yaml": "clouds.yaml"}
    write_private(lab.dir / "clouds.yaml",
                  "# Written by `i2 lab up`: the twin's clouds (admin). 0600: it holds passwords.\n"
                  + yaml.safe_dump(clouds_yaml, sort_keys=False))
    lab.hypervisor_sink = CloudSink(lab.clouds)
    # What TripleO's Pure backend is given (CinderPureSanIp, CinderPureAPIToken). The twin's
    # array has no REST API of its own: the Cinder emulators reach it in-process.
    lab.endpoints["pure"] = {"url": "https://127.0.0.1", "api_token": {"secret": "pure"},
                             "ca_file": str(lab.tls.ca)}


def start_estate(lab: Lab) -> None:
    """Unless the lab is greenfield, the clouds' CMS and Nuage plugin users (they predate i2);
    then the applications as they run before the upgrade: VSD domains, zones, A subnets and ACLs;
    projects, flavors and images in both clouds; networks, VMs and volumes on the old one."""
    from lifecycle.lab.estate import seed_estate

    if lab.clouds and not lab.config.greenfield and getattr(lab, "vsd", None) is not None:
        seed_plugins(lab)
    if not lab.clouds or lab.site.upgrade is None:
        return
    lab.write_endpoints()
    t0 = time.monotonic()
    counts = seed_estate(lab)
    log.info("estate seeded in %.1f s: %s", time.monotonic() - t0,
             ", ".join(f"{k} {v}" for k, v in counts.items()))


def seed_plugins(lab: Lab) -> None:
    """The clouds that predate i2: their CMS and their Nuage plugin's user, as whoever built them
    left them (before the estate's subnets, which those plugins link)."""
    from lifecycle.lab.estate_vsd import seed_plugin_users, vsd_session

    v = lab.endpoints["vsd"]
    session = vsd_session(v["url"], v["username"], lab.secrets["vsd"], v["organisation"], v["ca_file"])
    users = {}
    for c in lab.site.clouds:
        if c.nuage is not None:
            u = plugin_user(lab, c.name)
            users[c.name] = (c.nuage.net_partition, c.nuage.cms_name or c.name, u["username"],
                             lab.secrets[u["password"]["secret"]])
    seed_plugin_users(session, lab.site, users)


def start_probes(lab: Lab) -> None:
    from lifecycle.lab.probes import ProbeService, probes_from_site

    if not lab.clouds or getattr(lab, "vsd", None) is None:
        return
    svc = ProbeService(probes_from_site(lab.site), lab.vsd.store, list(lab.clouds.values()),
                       tls=lab.tls, interval=0.05).with_site(lab.site).start()
    lab.probes = svc
    lab.add(Component("probes", "emulator", svc.url, svc.server.port, os.getpid(), f"{svc.url}/v1/status"),
            svc.stop)
    lab.endpoints["probes"] = {"url": svc.url, "ca_file": str(lab.tls.ca)}


EARLY: list[Callable[[Lab], None]] = [start_vsd, start_clouds]
LATE: list[Callable[[Lab], None]] = [start_estate, start_probes]
