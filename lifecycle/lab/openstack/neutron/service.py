"""The Neutron service of one cloud: its state (networks, subnets, ports, security groups,
quotas), the Nuage plugin, and what Nova asks of it in-process. Each resource's routes are in
their own module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.openstack.api import Service
from lifecycle.lab.openstack.neutron import (
    extensions,
    networks,
    ports,
    quotas,
    security_groups,
    subnets,
)
from lifecycle.lab.openstack.nuage import NuagePlugin

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cloud import OpenStackCloud


class Neutron:
    def __init__(self, cloud: OpenStackCloud):
        self.cloud = cloud
        self.lock = cloud.lock
        self.svc = Service(cloud, "neutron", open_paths=(r"/?",))
        self.networks: dict[str, dict[str, Any]] = {}
        self.subnets: dict[str, dict[str, Any]] = {}
        self.ports: dict[str, dict[str, Any]] = {}
        self.security_groups: dict[str, dict[str, Any]] = {}
        self.quotas: dict[str, dict[str, int]] = {}
        self.nuage = NuagePlugin(self)
        self.last_vni = 1000  # the segmentation id of the last network made
        extensions.register(self)
        networks.register(self)
        subnets.register(self)
        ports.register(self)
        security_groups.register(self)
        quotas.register(self)
        self.nuage.register(self.svc.route)

    def connect_vsd(self) -> None:
        self.nuage.connect()

    def visible_networks(self, project: str) -> list[dict[str, Any]]:
        with self.lock:
            return [n for n in self.networks.values() if n["project_id"] == project or n["shared"]]

    def ports_of(self, device_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [p for p in self.ports.values() if p["device_id"] == device_id]

    # --- ports, as Nova asks for them (in-process) ------------------------------------------------
    def allocate_for_server(self, server: dict[str, Any], net: dict[str, Any], host: str) -> dict[str, Any]:
        """What Nova's network API does for one requested network or port of a booting server."""
        return ports.allocate_for_server(self, server, net, host)

    def release_for_server(self, server_id: str) -> None:
        """A server is gone: delete the ports Nova created, unbind the ones it was given."""
        ports.release_for_server(self, server_id)
