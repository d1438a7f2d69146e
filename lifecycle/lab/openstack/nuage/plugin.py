"""The Nuage plugin of one cloud's Neutron: its VSD session (and the cloud's CMS id), how VSD
errors reach Neutron's callers, and the hooks Neutron calls (net-partition routes, subnet
precommit and delete, port bind and unbind); each hook's logic is in its own module."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lifecycle.lab.openstack.api import Ctx, neutron_fault
from lifecycle.lab.openstack.nuage import net_partitions, ports, subnets
from lifecycle.lab.openstack.nuage.common import bad_request
from lifecycle.lab.openstack.vsd import VsdClient, VsdError

if TYPE_CHECKING:
    from lifecycle.lab.openstack.neutron import Neutron


class NuagePlugin:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron
        self.cloud = neutron.cloud
        self.lock = neutron.lock
        self.vsd: VsdClient | None = None
        self.net_partitions: dict[str, dict[str, Any]] = {}
        model = self.cloud.model.nuage
        self.default_net_partition = model.net_partition if model else None
        self.cms_name = model.cms_name if model else self.cloud.name

    # --- VSD session and CMS id -------------------------------------------------------------------
    def connect(self) -> None:
        access = self.cloud.vsd_access
        if access is None:
            return
        self.vsd = VsdClient(
            access.url,
            access.username,
            access.password,
            access.organization,
            ca=access.ca,
            version=access.base_uri_version,
        )
        self.vsd.login()
        if not self.cloud.cms_id:
            # generate_cms_id.py does this once per cloud; the id then goes in the plugin's config
            try:
                self.cloud.cms_id = self.vsd.post("/cms", {"name": self.cms_name})["ID"]
            except VsdError as err:
                if err.status != 409:
                    raise
                # registered before (a restarted cloud): its objects already carry that id
                self.cloud.cms_id = self.vsd.get("/cms", filter=f"name IS '{self.cms_name}'")[0]["ID"]

    def ext_id(self, neutron_id: str) -> str:
        return f"{neutron_id}@{self.cloud.cms_id}" if self.cloud.cms_id else neutron_id

    def need_vsd(self) -> VsdClient:
        if self.vsd is None:
            raise neutron_fault(
                500,
                "NuageAPIException",
                "Nuage API: Cannot communicate with Nuage VSD. Please do "
                "not perform any further operations and contact the administrator.",
            )
        return self.vsd

    def call(self, fn: Callable[[], Any]) -> Any:
        """handle_nuage_api_errorcode: a VSD error with a status is a 400, else a 500."""
        try:
            return fn()
        except VsdError as err:
            raise bad_request(f"Error in REST call to VSD: {err.message}") from None
        except OSError as err:  # requests' ConnectionError and friends
            raise neutron_fault(
                500, "NuageAPIException", f"Nuage API: Could not establish a connection with the VSD: {err}"
            ) from None

    # --- Neutron's hooks --------------------------------------------------------------------------
    def register(self, route: Callable[[str, str], Callable[..., Any]]) -> None:
        net_partitions.register(self, route)

    def check_network(self, net: dict[str, Any]) -> None:
        pass  # vxlan, the only network type the twin makes, is what the driver supports

    def subnet_precommit(
        self, subnet: dict[str, Any], net: dict[str, Any], ctx: Ctx, body: dict[str, Any]
    ) -> None:
        subnets.subnet_precommit(self, subnet, net, ctx, body)

    def subnet_deleted(self, subnet: dict[str, Any]) -> None:
        subnets.subnet_deleted(self, subnet)

    def manages(self, port: dict[str, Any]) -> bool:
        return ports.manages(self, port)

    def port_bound(self, port: dict[str, Any]) -> None:
        ports.port_bound(self, port)

    def port_unbound(self, port: dict[str, Any]) -> None:
        ports.port_unbound(self, port)
