"""One emulated OpenStack cloud: Keystone, Nova, Neutron (with the Nuage extensions), Cinder (on
the shared Pure-like array) and Glance, each on its own HTTPS port of 127.0.0.1, as a TripleO
overcloud exposes them on their own ports (5000, 8774, 9696, 8776, 9292).

Example (it starts five HTTPS listeners, so it is not run as a doctest)::

    vsd = VsdAccess(url, "csproot", "csproot", "csp", ca=tls.ca)
    cloud = OpenStackCloud(site.cloud("ie1-new"), tls=tls, array=array, vsd=vsd,
                           admin_password="s3cret").start()
    cloud.clouds_yaml_entry()["auth"]["auth_url"]     # 'https://127.0.0.1:40100/v3'
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifecycle.lab.array import PureArray
from lifecycle.lab.base import FaultPlan, LatencyProfile, TlsFiles
from lifecycle.lab.openstack.api import Service
from lifecycle.lab.openstack.cinder import Cinder
from lifecycle.lab.openstack.glance import Glance
from lifecycle.lab.openstack.keystone import DEFAULT_DOMAIN, Keystone
from lifecycle.lab.openstack.neutron import Neutron
from lifecycle.lab.openstack.nova import Nova, ServerView
from lifecycle.lab.openstack.releases import ReleaseFacts, release
from lifecycle.lab.openstack.scheduler import Timers
from lifecycle.model.schema import Cloud


@dataclass(frozen=True)
class VsdAccess:
    """How the cloud's Neutron reaches the VSD (as the Nuage plugin's [RESTPROXY] section says)."""

    url: str  # https://127.0.0.1:PORT (the plugin appends /nuage/api/<version>)
    username: str
    password: str
    organization: str = "csp"
    ca: Path | str | None = None
    base_uri_version: str = "v6"


class OpenStackCloud:
    """A whole cloud. Construct from the site's :class:`Cloud`, then :meth:`start`."""

    def __init__(
        self,
        cloud: Cloud,
        *,
        tls: TlsFiles,
        admin_password: str,
        array: PureArray | None = None,
        vsd: VsdAccess | None = None,
        cms_id: str | None = None,
        latency: LatencyProfile | None = None,
        faults: FaultPlan | None = None,
        host: str = "127.0.0.1",
        region: str = "regionOne",
        timeout_seconds: float = 15.0,
        cpu_allocation_ratio: float = 16.0,
        ram_allocation_ratio: float = 1.0,
    ):
        self.model = cloud
        self.name = cloud.name
        self.facts: ReleaseFacts = release(cloud.release)
        self.tls = tls
        self.host = host
        self.region = region
        self.latency = latency or LatencyProfile("none")
        self.faults = faults or FaultPlan()
        self.timeout_seconds = timeout_seconds
        self.admin_password = admin_password
        self.array = array if array is not None else PureArray()
        self.vsd_access = vsd
        self.cms_id = cms_id
        self.cpu_allocation_ratio = cpu_allocation_ratio
        self.ram_allocation_ratio = ram_allocation_ratio
        self.lock = threading.RLock()
        self.timers = Timers(f"{self.name}-timers")
        self.keystone = Keystone(self)
        self.glance = Glance(self)
        self.neutron = Neutron(self)
        self.cinder = Cinder(self)
        self.nova = Nova(self)
        self._seed_identity()
        self._started = False

    # --- lifecycle --------------------------------------------------------------------------------
    @property
    def services(self) -> list[Service]:
        return [self.keystone.svc, self.nova.svc, self.neutron.svc, self.cinder.svc, self.glance.svc]

    def start(self) -> OpenStackCloud:
        for svc in self.services:
            svc.server.start()
        self.timers.start()
        self.neutron.connect_vsd()
        self._started = True
        return self

    def stop(self) -> None:
        self.timers.stop()
        for svc in self.services:
            svc.server.stop()
        self._started = False

    def __enter__(self) -> OpenStackCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- where it answers -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Keystone's URL (the cloud's public entry point)."""
        return self.keystone.url

    @property
    def auth_url(self) -> str:
        return f"{self.keystone.url}/v3"

    def catalog(self) -> list[tuple[str, str, str]]:
        """(type, name, url) of every service, as TripleO registers them for this release."""
        out = [
            ("identity", "keystone", self.keystone.url),
            ("compute", "nova", f"{self.nova.svc.url}/v2.1"),
            ("network", "neutron", self.neutron.svc.url),
            ("volumev3", "cinderv3", f"{self.cinder.svc.url}/v3/%(tenant_id)s"),
            ("volumev2", "cinderv2", f"{self.cinder.svc.url}/v2/%(tenant_id)s"),
            ("image", "glance", self.glance.svc.url),
        ]
        if self.facts.name == "newton":  # Newton still registered Cinder's v1 API
            out.append(("volume", "cinder", f"{self.cinder.svc.url}/v1/%(tenant_id)s"))
        return out

    # --- identity seeding -------------------------------------------------------------------------
    def _seed_identity(self) -> None:
        ks = self.keystone
        admin_role = ks.create_role("admin")
        ks.create_role("_member_" if self.facts.name == "newton" else "member")
        if self.facts.name != "newton":
            ks.create_role("reader")
        admin = ks.create_project("admin", description="admin tenant")
        ks.create_project("service", description="Tenant for the openstack services")
        user = ks.create_user("admin", self.admin_password, default_project_id=admin["id"])
        ks.grant(admin_role["id"], user["id"], project_id=admin["id"])
        ks.grant(admin_role["id"], user["id"], domain_id=DEFAULT_DOMAIN)

    @property
    def admin_project_id(self) -> str:
        return next(p["id"] for p in self.keystone.projects.values() if p["name"] == "admin")

    # --- clouds.yaml ------------------------------------------------------------------------------
    def clouds_yaml_entry(
        self, *, project: str = "admin", username: str = "admin", password: str | None = None
    ) -> dict[str, Any]:
        """One ``clouds:`` entry that openstacksdk and openstackclient use unchanged."""
        return {
            "auth": {
                "auth_url": self.auth_url,
                "username": username,
                "password": password if password is not None else self.admin_password,
                "project_name": project,
                "user_domain_name": "Default",
                "project_domain_name": "Default",
            },
            "region_name": self.region,
            "interface": "public",
            "identity_api_version": 3,
            "cacert": str(self.tls.ca),
        }

    def clouds_yaml(self, projects: Iterable[str] = ()) -> dict[str, Any]:
        """``{"clouds": {NAME: admin, NAME-PROJECT: admin scoped to PROJECT, ...}}``."""
        clouds = {self.name: self.clouds_yaml_entry()}
        for p in projects:
            clouds[f"{self.name}-{p}"] = self.clouds_yaml_entry(project=p)
        return {"clouds": clouds}

    # --- the twin's hooks -------------------------------------------------------------------------
    def add_hypervisor(
        self,
        hostname: str,
        vcpus: int,
        memory_mb: int,
        local_gb: int = 1000,
        *,
        host_ip: str | None = None,
        enabled: bool = True,
    ) -> dict[str, Any]:
        """A compute joined the cloud (TripleO deployed it): a hypervisor and its nova-compute."""
        return self.nova.add_hypervisor(
            hostname, vcpus, memory_mb, local_gb, host_ip=host_ip, enabled=enabled
        )

    def remove_hypervisor(self, hostname: str) -> None:
        """The compute left the cloud (scale-down); its servers must be gone first."""
        self.nova.remove_hypervisor(hostname)

    def servers(self) -> list[ServerView]:
        """Every live server, thread-safe (workload probes call this every few ms)."""
        return self.nova.views()
