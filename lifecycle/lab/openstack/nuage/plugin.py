"""The Nuage plugin of one cloud's Neutron: its VSD session (and the cloud's CMS id), how VSD
errors reach Neutron's callers, and the hooks Neutron calls (net-partition routes, subnet
precommit and delete, port create, update, binding and delete); each hook's logic is in its own
module."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import HttpError
from lifecycle.lab.openstack.api import Ctx, neutron_fault
from lifecycle.lab.openstack.nuage import net_partitions, ports, subnets
from lifecycle.lab.openstack.nuage.common import bad_request
from lifecycle.lab.openstack.vsd import VsdClient, VsdError

if TYPE_CHECKING:
    from lifecycle.lab.openstack.neutron import Neutron

log = logging.getLogger("i2.lab.openstack")


class NuagePlugin:
    def __init__(self, neutron: Neutron):
        self.neutron = neutron
        self.cloud = neutron.cloud
        self.lock = neutron.lock
        self.vsd: VsdClient | None = None
        self.ready = False  # logged in (and the CMS id known)
        self.net_partitions: dict[str, dict[str, Any]] = {}
        model = self.cloud.model.nuage
        self.default_net_partition = model.net_partition if model else None
        self.cms_name = model.cms_name if model else self.cloud.name

    # --- VSD session and CMS id -------------------------------------------------------------------
    def connect(self) -> None:
        """The plugin's RESTProxyServer as this cloud's config gives it (NeutronNuageVSDUsername,
        -Password, -Organization). Logging in may fail at start (a build-out makes the user later):
        neutron-server keeps retrying, so the twin logs in again on the next call that needs it."""
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
        try:
            self._start()
        except (VsdError, OSError) as err:
            log.info("%s: the Nuage plugin cannot log in to the VSD yet (%s)", self.cloud.name, err)

    def _start(self) -> None:
        assert self.vsd is not None
        self.vsd.login()
        if not self.cloud.cms_id:
            # the NeutronNuageCMSId the cloud was given: its registration (the VSD bootstrap's,
            # the estate's, a restarted cloud's), else what generate_cms_id.py makes
            found = self.vsd.get("/cms", filter=f"name IS '{self.cms_name}'")
            made = found[0] if found else self.vsd.post("/cms", {"name": self.cms_name})
            self.cloud.cms_id = made["ID"]
        self.ready = True

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
        if not self.ready:
            self.call(self._start)
        return self.vsd

    def call(self, fn: Callable[[], Any]) -> Any:
        """handle_nuage_api_errorcode: a VSD error with a status is a 400, else a 500."""
        try:
            return fn()
        except VsdError as err:  # str(RESTProxyError) is "Error in REST call to VSD: <msg>"
            if not err.status:
                raise neutron_fault(
                    500, "NuageAPIException", f"Nuage API: Error in REST call to VSD: {err.message}"
                ) from None
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

    def subnet_deleted(self, subnet: dict[str, Any], ctx: Ctx | None = None) -> None:
        self.postcommit(f"subnet {subnet['id']}", lambda: subnets.subnet_deleted(self, subnet, ctx))

    def manages(self, port: dict[str, Any]) -> bool:
        return ports.manages(self, port)

    def port_created(self, port: dict[str, Any]) -> None:
        ports.port_created(self, port)

    def port_updated(self, original: dict[str, Any], port: dict[str, Any]) -> None:
        ports.port_updated(self, original, port)

    def binding_committed(self, port: dict[str, Any]) -> None:
        ports.binding_committed(self, port)

    def port_deleted(self, port: dict[str, Any]) -> None:
        self.postcommit(f"port {port['id']}", lambda: ports.port_deleted(self, port))

    def postcommit(self, what: str, fn: Callable[[], None]) -> None:
        """ML2 logs a driver's failed delete_*_postcommit and answers the delete all the same."""
        try:
            fn()
        except HttpError as err:
            log.error("%s: delete of %s: mechanism driver nuage failed in postcommit: %s",
                      self.cloud.name, what, err)
