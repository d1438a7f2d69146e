"""The Nova service of one cloud: its state (flavors, hypervisors, services, servers, keypairs,
quotas), compute hosts joining and leaving, capacity accounting, and its version documents.
Each resource's routes are in their own module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx, Microversions, Service, new_id
from lifecycle.lab.openstack.nova import (
    actions,
    attachments,
    flavors,
    hypervisors,
    keypairs,
    metadata,
    os_services,
    quotas,
    servers,
    usage,
)
from lifecycle.lab.openstack.nova.servers import ServerView
from lifecycle.lab.openstack.releases import fmt

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cloud import OpenStackCloud


class Nova:
    def __init__(self, cloud: OpenStackCloud):
        self.cloud = cloud
        self.lock = cloud.lock
        f = cloud.facts
        self.svc = Service(
            cloud,
            "nova",
            open_paths=(r"/?", r"/v2(\.1)?/?"),
            microversions=Microversions("compute", f.nova_min, f.nova_max, "X-OpenStack-Nova-API-Version"),
        )
        self.flavors: dict[str, dict[str, Any]] = {}
        self.hypervisors: dict[str, dict[str, Any]] = {}  # by hostname
        self.services: dict[str, dict[str, Any]] = {}  # by "binary@host"
        self.servers: dict[str, dict[str, Any]] = {}
        self.terminated: list[dict[str, Any]] = []  # deleted servers, for os-simple-tenant-usage
        self.keypairs: dict[tuple[str, str], dict[str, Any]] = {}
        self.quotas: dict[str, dict[str, int]] = {}
        self._num = 0
        for i in range(3):  # the control plane's own services, as on three controllers
            host = f"{cloud.name}-controller-{i}"
            for binary in ("nova-conductor", "nova-scheduler"):
                self._add_service(binary, host, "internal")
        self._routes()
        servers.register(self)
        actions.register(self)
        metadata.register(self)
        attachments.register(self)
        flavors.register(self)
        hypervisors.register(self)
        os_services.register(self)
        keypairs.register(self)
        quotas.register(self)
        usage.register(self)

    # --- hosts ------------------------------------------------------------------------------------
    def next_num(self) -> int:
        self._num += 1
        return self._num

    def _add_service(self, binary: str, host: str, zone: str, enabled: bool = True) -> dict[str, Any]:
        s = {
            "key": f"{binary}@{host}",
            "num": self.next_num(),
            "uuid": new_id(),
            "binary": binary,
            "host": host,
            "zone": zone,
            "status": "enabled" if enabled else "disabled",
            "disabled_reason": None,
        }
        self.services[s["key"]] = s
        return s

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
        with self.lock:
            if hostname in self.hypervisors:
                return self.hypervisors[hostname]
            s = self._add_service("nova-compute", hostname, "nova", enabled)
            hv = {
                "hostname": hostname,
                "num": s["num"],
                "uuid": new_id(),
                "vcpus": int(vcpus),
                "memory_mb": int(memory_mb),
                "local_gb": int(local_gb),
                "service": s["key"],
                "host_ip": host_ip or f"172.16.2.{len(self.hypervisors) + 100}",
            }
            self.hypervisors[hostname] = hv
            return hv

    def remove_hypervisor(self, hostname: str) -> None:
        with self.lock:
            hv = self.hypervisors.get(hostname)
            if hv is None:
                raise KeyError(f"{self.cloud.name} has no hypervisor {hostname}")
            if self.usage(hostname)["servers"]:
                raise ValueError(f"hypervisor {hostname} still hosts servers")
            del self.hypervisors[hostname]
            self.services.pop(hv["service"], None)

    def usage(self, hostname: str) -> dict[str, int]:
        used = {"vcpus": 0, "memory_mb": 0, "disk": 0, "servers": 0}
        for s in self.servers.values():
            if s["host"] == hostname and not s["deleted"]:
                f = s["flavor"]
                used["vcpus"] += f["vcpus"]
                used["memory_mb"] += f["ram"]
                used["disk"] += f["disk"]
                used["servers"] += 1
        return used

    def project_usage(self, project: str) -> dict[str, int]:
        mine = [s for s in self.servers.values() if s["project_id"] == project and not s["deleted"]]
        return {
            "instances": len(mine),
            "cores": sum(s["flavor"]["vcpus"] for s in mine),
            "ram": sum(s["flavor"]["ram"] for s in mine),
            "key_pairs": sum(1 for (u, _) in self.keypairs if u == project),
        }

    def views(self) -> list[ServerView]:
        """Every live server, as workload probes read them."""
        return servers.server_views(self)

    # --- versions ---------------------------------------------------------------------------------
    def _version(self, minor: bool) -> dict[str, Any]:
        f = self.cloud.facts
        if not minor:
            return {
                "id": "v2.0",
                "status": "SUPPORTED",
                "version": "",
                "min_version": "",
                "updated": "2011-01-21T11:33:21Z",
                "links": [{"rel": "self", "href": f"{self.svc.url}/v2/"}],
            }
        return {
            "id": "v2.1",
            "status": "CURRENT",
            "version": fmt(f.nova_max),
            "min_version": fmt(f.nova_min),
            "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": f"{self.svc.url}/v2.1/"}],
        }

    def _routes(self) -> None:
        route = self.svc.route

        @route("GET", r"/?")
        def root(req: Request, ctx: Ctx) -> dict[str, Any]:
            return {"versions": [self._version(False), self._version(True)]}

        @route("GET", r"/v2(?P<minor>\.1)?")
        def version(req: Request, ctx: Ctx) -> dict[str, Any]:
            doc = self._version("minor" in req.params)
            doc["links"].append(
                {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}
            )
            doc["media-types"] = [
                {"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}
            ]
            return {"version": doc}
