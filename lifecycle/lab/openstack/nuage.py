"""The Nuage side of Neutron (nuage-openstack-neutron 20.5/train, VSD-managed mode), talking to
the VSD over its REST API with this cloud's CMS id:

- ``/v2.0/net-partitions``: creating one links to the VSD enterprise of that name if it exists
  (adding the plugin's default ``<name>_def_L3_Template``/``_def_L2_Template`` when missing), else
  creates the enterprise; the net-partition id is the enterprise id.
- a subnet with ``nuagenet`` (and ``net_partition``) is VSD-managed: the plugin's checks are made
  against the VSD (the VSD subnet exists and lies in the net-partition's enterprise; CIDR and gateway
  match) with the plugin's messages, then the project's group is given USE on the subnet's zone.
- a compute port bound on a VSD-managed subnet gets a vport (``type VM``) and a VM with its
  interface (MAC, IP) in the VSD; objects carry ``externalID <neutron-uuid>@<cms_id>``; unbinding
  removes them.

Messages are the plugin's: ``Bad request: Provided Nuage subnet not in the provided Nuage
net-partition``, ``Bad request: OSP cidr 10.0.0.0/26 and NuageVsd cidr 10.0.0.64/26 do not
match``, ``Bad request: The specified gateway 10.0.0.1 does not match with gateway on VSD 10.0.0.65``.
"""

from __future__ import annotations

import ipaddress
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import HttpError, Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, empty, neutron_fault
from lifecycle.lab.openstack.vsd import VsdClient, VsdError

if TYPE_CHECKING:
    from lifecycle.lab.openstack.neutron import Neutron

log = logging.getLogger("i2.lab.openstack")

N = r"/v2\.0"
NUAGE_SUBNET_ATTRS = (
    "net_partition",
    "nuagenet",
    "underlay",
    "vsd_managed",
    "nuage_uplink",
    "vsd_id",
    "nuage_net_partition_id",
    "nuage_underlay",
    "nuage_l2bridge",
)
DEF_L3DOM_TEMPLATE_PFIX = "_def_L3_Template"
DEF_L2DOM_TEMPLATE_PFIX = "_def_L2_Template"
DEF_NUAGE_ZONE_PREFIX = "def_zone"


def bad_request(msg: str) -> HttpError:
    """NuageBadRequest as Neutron renders it."""
    return neutron_fault(400, "NuageBadRequest", f"Bad request: {msg}")


def plain_bad_request(msg: str) -> HttpError:
    """neutron_lib's BadRequest (what nuage_apis.py raises for net-partitions)."""
    return neutron_fault(400, "BadRequest", f"Bad net_partition request: {msg}.")


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

    def _need_vsd(self) -> VsdClient:
        if self.vsd is None:
            raise neutron_fault(
                500,
                "NuageAPIException",
                "Nuage API: Cannot communicate with Nuage VSD. Please do "
                "not perform any further operations and contact the administrator.",
            )
        return self.vsd

    def _call(self, fn: Callable[[], Any]) -> Any:
        """handle_nuage_api_errorcode: a VSD error with a status is a 400, else a 500."""
        try:
            return fn()
        except VsdError as err:
            raise bad_request(f"Error in REST call to VSD: {err.message}") from None
        except OSError as err:  # requests' ConnectionError and friends
            raise neutron_fault(
                500, "NuageAPIException", f"Nuage API: Could not establish a connection with the VSD: {err}"
            ) from None

    # --- net-partitions ---------------------------------------------------------------------------
    def _np_view(self, np: dict[str, Any], ctx: Ctx | None = None) -> dict[str, Any]:
        out = dict(np)
        if ctx is not None and ctx.project_id:
            out["tenant_id"] = ctx.project_id
        return out

    def _templates(self, vsd: VsdClient, np_id: str, name: str) -> tuple[str, str]:
        """The plugin's default L3/L2 domain templates of an enterprise, created if missing."""
        ext = {"externalID": f"{np_id}@openstack"}
        l3 = vsd.get(
            f"/enterprises/{np_id}/domaintemplates", filter=f"name IS '{name}{DEF_L3DOM_TEMPLATE_PFIX}'"
        )
        if l3:
            l3_id = l3[0]["ID"]
        else:
            l3_id = vsd.post(
                f"/enterprises/{np_id}/domaintemplates", {"name": name + DEF_L3DOM_TEMPLATE_PFIX, **ext}
            )["ID"]
            vsd.post(
                f"/domaintemplates/{l3_id}/zonetemplates", {"name": f"{DEF_NUAGE_ZONE_PREFIX}-{l3_id}", **ext}
            )
            try:  # the plugin gives both zone templates the same externalID
                vsd.post(
                    f"/domaintemplates/{l3_id}/zonetemplates",
                    {"name": f"{DEF_NUAGE_ZONE_PREFIX}-pub-{l3_id}", **ext},
                )
            except VsdError as err:
                if err.status != 409:  # the twin's VSD wants sibling externalIDs unique: the public
                    raise  # zone template is then left out (the upgrade never uses it)
        l2 = vsd.get(
            f"/enterprises/{np_id}/l2domaintemplates", filter=f"name IS '{name}{DEF_L2DOM_TEMPLATE_PFIX}'"
        )
        l2_id = (
            l2[0]["ID"]
            if l2
            else vsd.post(
                f"/enterprises/{np_id}/l2domaintemplates", {"name": name + DEF_L2DOM_TEMPLATE_PFIX, **ext}
            )["ID"]
        )
        return l3_id, l2_id

    def create_net_partition(self, name: str) -> dict[str, Any]:
        try:
            name.encode("ascii")
        except UnicodeEncodeError:
            raise plain_bad_request("Invalid netpartition name: Only ascii names are allowed") from None
        vsd = self._need_vsd()

        def work() -> dict[str, Any]:
            existing = next((np for np in self.net_partitions.values() if np["name"] == name), None)
            ent = vsd.get("/enterprises", filter=f"name IS '{name}'")
            if ent:
                if existing:
                    same = "with same id" if existing["id"] == ent[0]["ID"] else "but the id is different"
                    raise plain_bad_request(f"Net-partition {name} already exists in Neutron and VSD {same}")
                np_id = ent[0]["ID"]
            else:
                if existing:
                    del self.net_partitions[existing["id"]]
                np_id = vsd.post(
                    "/enterprises",
                    {"name": name, "floatingIPsQuota": "254", "externalID": f"{name}@openstack"},
                )["ID"]
            l3_id, l2_id = self._templates(vsd, np_id, name)
            np = {
                "id": np_id,
                "name": name,
                "l3dom_tmplt_id": l3_id,
                "l2dom_tmplt_id": l2_id,
                "isolated_zone": f"{DEF_NUAGE_ZONE_PREFIX}-{l3_id}",
                "shared_zone": f"{DEF_NUAGE_ZONE_PREFIX}-pub-{l3_id}",
            }
            self.net_partitions[np_id] = np
            return np

        return self._call(work)  # type: ignore[no-any-return]

    def _np_by(self, id_or_name: str) -> dict[str, Any] | None:
        return self.net_partitions.get(id_or_name) or next(
            (np for np in self.net_partitions.values() if np["name"] == id_or_name), None
        )

    def register(self, route: Callable[[str, str], Callable[..., Any]]) -> None:
        lock = self.lock

        @route("GET", N + r"/net-partitions")
        def nps(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                items = [self._np_view(np, ctx) for np in self.net_partitions.values()]
            if req.arg("name"):
                items = [i for i in items if i["name"] == req.arg("name")]
            return {"net_partitions": items}

        @route("POST", N + r"/net-partitions")
        def np_create(req: Request, ctx: Ctx) -> Response:
            if not ctx.is_admin:
                raise neutron_fault(403, "HTTPForbidden", "rule:create_net_partition is disallowed by policy")
            body = self.neutron.svc.body(req, "net_partition")
            if not body.get("name"):
                raise neutron_fault(
                    400, "HTTPBadRequest", "Failed to parse request. Required attribute 'name' not specified"
                )
            with lock:
                np = self.create_net_partition(str(body["name"]))
            return json_response({"net_partition": self._np_view(np, ctx)}, 201)

        @route("GET", N + r"/net-partitions/(?P<id>[^/]+)")
        def np_get(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                np = self.net_partitions.get(req.params["id"])
                if np is None:
                    raise neutron_fault(
                        404, "NuageNotFound", f"net_partition {req.params['id']} could not be found"
                    )
                return {"net_partition": self._np_view(np, ctx)}

        @route("DELETE", N + r"/net-partitions/(?P<id>[^/]+)")
        def np_delete(req: Request, ctx: Ctx) -> Response:
            if not ctx.is_admin:
                raise neutron_fault(403, "HTTPForbidden", "rule:delete_net_partition is disallowed by policy")
            with lock:
                np = self.net_partitions.get(req.params["id"])
                if np is None:
                    raise neutron_fault(
                        404, "NuageNotFound", f"net_partition {req.params['id']} could not be found"
                    )
                if any(s.get("nuage_net_partition_id") == np["id"] for s in self.neutron.subnets.values()):
                    raise plain_bad_request(
                        f"One or more L2 Domain Subnet present in the net_partition {np['name']}"
                    )
                vsd = self._need_vsd()

                def work() -> None:
                    ent = vsd.get(f"/enterprises/{np['id']}")
                    if ent and str(ent[0].get("externalID") or "").endswith("@openstack"):
                        vsd.delete(f"/enterprises/{np['id']}?responseChoice=1")

                self._call(work)
                del self.net_partitions[np["id"]]
            return empty()

    # --- networks and subnets ---------------------------------------------------------------------
    def check_network(self, net: dict[str, Any]) -> None:
        pass  # vxlan, the only network type the twin makes, is what the driver supports

    def subnet_precommit(
        self, subnet: dict[str, Any], net: dict[str, Any], ctx: Ctx, body: dict[str, Any]
    ) -> None:
        nuagenet, np_ref = body.get("nuagenet"), body.get("net_partition")
        if not nuagenet:
            if np_ref:
                if self._np_by(str(np_ref)) is None:
                    raise bad_request(f"Net-partition {np_ref} does not exist.")
                subnet["net_partition"] = np_ref
            return  # OpenStack-managed subnets are not mirrored to the VSD by the twin
        try:
            uuid.UUID(str(nuagenet))
        except ValueError:
            raise neutron_fault(
                400,
                "HTTPBadRequest",
                f"Invalid input for nuagenet. Reason: '{nuagenet}' is not a valid UUID.",
            ) from None
        if net.get("router:external"):
            raise bad_request("Invalid router:external value: True")
        for other in self.neutron.subnets.values():
            if other["network_id"] == net["id"] and not other.get("vsd_managed"):
                raise bad_request("Can't mix openstack and vsd managed subnets under 1 network.")
        np_ref = np_ref or self.default_net_partition
        vsd = self._need_vsd()

        def work() -> None:
            np = self._np_by(str(np_ref)) if np_ref else None
            ent = vsd.get("/enterprises", filter=f"name IS '{np['name'] if np else np_ref}'")
            if not ent:
                raise bad_request(f"Can't find netpartition '{np_ref}'")
            if np is None:  # enterprise exists on VSD but not yet in neutron; add it
                np = {
                    "id": ent[0]["ID"],
                    "name": ent[0]["name"],
                    "l3dom_tmplt_id": None,
                    "l2dom_tmplt_id": None,
                    "isolated_zone": None,
                    "shared_zone": None,
                }
                self.net_partitions[np["id"]] = np
            vsd_subnet, kind = self._vsd_subnet(vsd, str(nuagenet))
            if self._enterprise_of(vsd, vsd_subnet, kind) != np["id"]:
                raise bad_request("Provided Nuage subnet not in the provided Nuage net-partition")
            encap = vsd_subnet.get("l2EncapType")
            if encap not in (None, "VXLAN"):
                raise bad_request(
                    f"Provided Nuage subnet has tunnel type {encap} which is not supported by VXLAN networks"
                )
            rtype = vsd_subnet.get("resourceType")
            if rtype and rtype != "STANDARD":
                raise bad_request(
                    f"The nuage subnet type is {rtype}. Only STANDARD type subnet is allowed to be linked."
                )
            self._check_cidr(subnet, vsd_subnet)
            os_gw, vsd_gw = subnet["gateway_ip"], vsd_subnet.get("gateway")
            if kind == "SUBNET" and not _same_ip(os_gw, vsd_gw):
                raise bad_request(
                    f"The specified gateway {os_gw} does not match with gateway on VSD "
                    f"{vsd_gw or 'not being present'}"
                )
            group_id, perm_id = self._attach_group(vsd, np["id"], vsd_subnet, kind, subnet["project_id"], ctx)
            subnet.update(
                net_partition=np["id"],
                nuagenet=str(nuagenet),
                vsd_managed=True,
                vsd_id=str(nuagenet),
                nuage_net_partition_id=np["id"],
                underlay=None,
                nuage_underlay=None,
            )
            subnet["_vsd"] = {
                "type": kind,
                "parent": vsd_subnet.get("parentID"),
                "group": group_id,
                "permission": perm_id,
                "np_name": np["name"],
            }

        self._call(work)

    def _vsd_subnet(self, vsd: VsdClient, vsd_id: str) -> tuple[dict[str, Any], str]:
        try:
            return vsd.get_one(f"/subnets/{vsd_id}"), "SUBNET"
        except VsdError as err:
            if err.status != 404:
                raise
        return vsd.get_one(f"/l2domains/{vsd_id}"), "L2DOMAIN"

    def _enterprise_of(self, vsd: VsdClient, vsd_subnet: dict[str, Any], kind: str) -> str:
        """check_if_l2_dom_in_correct_ent: subnet -> zone -> domain -> enterprise."""
        if kind == "L2DOMAIN":
            return str(vsd_subnet.get("parentID"))
        zone = vsd.get_one(f"/zones/{vsd_subnet['parentID']}")
        domain = vsd.get_one(f"/domains/{zone['parentID']}")
        return str(domain.get("parentID"))

    def _check_cidr(self, subnet: dict[str, Any], vsd_subnet: dict[str, Any]) -> None:
        if vsd_subnet.get("IPType") == "IPV6":
            raise bad_request(
                f"Subnet with ip_version {subnet['ip_version']} can't be linked to vsd subnet with "
                f"IPType IPV6."
            )
        nuage_cidr = None
        if vsd_subnet.get("address"):
            nuage_cidr = ipaddress.ip_network(
                f"{vsd_subnet['address']}/{vsd_subnet.get('netmask')}", strict=False
            )
        if nuage_cidr is None or ipaddress.ip_network(subnet["cidr"]) != nuage_cidr:
            raise bad_request(f"OSP cidr {subnet['cidr']} and NuageVsd cidr {nuage_cidr} do not match")
        if subnet["enable_dhcp"] is not bool(vsd_subnet.get("enableDHCPv4", True)):
            raise bad_request(f"enable_dhcp must be {bool(vsd_subnet.get('enableDHCPv4', True))}")

    def _attach_group(
        self, vsd: VsdClient, np_id: str, vsd_subnet: dict[str, Any], kind: str, project: str, ctx: Ctx
    ) -> tuple[str, str | None]:
        """helper.create_usergroup + create_permission: the project's group may USE the subnet's zone."""
        groups = vsd.get(f"/enterprises/{np_id}/groups", filter=f"name IS '{project}'")
        project_name = (self.cloud.keystone.projects.get(project) or {}).get("name")
        if groups:
            group_id = groups[0]["ID"]
        else:
            users = vsd.get(f"/enterprises/{np_id}/users", filter=f"userName IS '{project}'")
            if not users:
                vsd.post(
                    f"/enterprises/{np_id}/users",
                    {
                        "firstName": "OpenStack",
                        "lastName": "OpenStack",
                        "userName": project,
                        "email": "openstack@nuagenetworks.net",
                        "password": uuid.uuid4().hex,
                        "managementMode": "CMS",
                        "externalID": f"{project}@openstack",
                    },
                )
            body = {"name": project, "managementMode": "CMS", "externalID": f"{project}@openstack"}
            if project_name:
                body["description"] = project_name
            group_id = vsd.post(f"/enterprises/{np_id}/groups", body)["ID"]
        target = f"/zones/{vsd_subnet['parentID']}" if kind == "SUBNET" else f"/l2domains/{vsd_subnet['ID']}"
        try:
            perm = vsd.post(
                f"{target}/permissions",
                {"permittedEntityID": group_id, "permittedAction": "USE", "externalID": self.ext_id(project)},
            )
            return group_id, perm.get("ID")
        except VsdError as err:
            if err.status != 409:
                raise
            return group_id, None

    def subnet_deleted(self, subnet: dict[str, Any]) -> None:
        info = subnet.get("_vsd")
        if not info or not info.get("permission") or self.vsd is None:
            return
        still = [
            s
            for s in self.neutron.subnets.values()
            if s["id"] != subnet["id"] and s.get("_vsd") and s["_vsd"]["permission"] == info["permission"]
        ]
        if not still:
            try:
                self.vsd.delete(f"/permissions/{info['permission']}?responseChoice=1")
            except (VsdError, OSError):
                log.warning("could not remove VSD permission %s", info["permission"])

    # --- ports ------------------------------------------------------------------------------------
    def manages(self, port: dict[str, Any]) -> bool:
        return any(
            (self.neutron.subnets.get(ip["subnet_id"]) or {}).get("vsd_managed") for ip in port["fixed_ips"]
        )

    def port_bound(self, port: dict[str, Any]) -> None:
        if not self.manages(port) or port.get("_vport") or not port["device_owner"].startswith("compute:"):
            return
        subnet = self.neutron.subnets[port["fixed_ips"][0]["subnet_id"]]
        info = subnet["_vsd"]
        vsd = self._need_vsd()
        parent = "subnets" if info["type"] == "SUBNET" else "l2domains"
        server_id = port["device_id"]

        def work() -> None:
            vport = vsd.post(
                f"/{parent}/{subnet['vsd_id']}/vports",
                {
                    "type": "VM",
                    "name": port["id"],
                    "addressSpoofing": "DISABLED" if port["port_security_enabled"] else "ENABLED",
                    "externalID": self.ext_id(port["id"]),
                    "description": "device_owner:compute:(please do not edit)",
                },
            )
            port["_vport"] = vport["ID"]
            interface = {
                "MAC": port["mac_address"],
                "externalID": self.ext_id(port["id"]),
                "VPortID": vport["ID"],
                "IPAddress": port["fixed_ips"][0]["ip_address"],
            }
            proxy = {"X-Nuage-ProxyUser": f"{port['project_id']}@{info['np_name']}"}
            sibling = next(
                (
                    p
                    for p in self.neutron.ports.values()
                    if p is not port and p["device_id"] == server_id and p.get("_vm")
                ),
                None,
            )
            try:
                if sibling:
                    vif = vsd.post(f"/vms/{sibling['_vm']}/vminterfaces", interface, proxy)
                    port.update(_vm=sibling["_vm"], _vif=vif.get("ID"))
                else:
                    vm = vsd.post(
                        "/vms",
                        {
                            "name": "vm-" + port["mac_address"].replace(":", ""),
                            "interfaces": [interface],
                            "UUID": server_id,
                            "externalID": self.ext_id(server_id),
                        },
                        proxy,
                    )
                    port["_vm"] = vm["ID"]
            except VsdError:
                vsd.delete(f"/vports/{vport['ID']}?responseChoice=1")
                port.pop("_vport", None)
                raise

        self._call(work)

    def port_unbound(self, port: dict[str, Any]) -> None:
        if not port.get("_vport") or self.vsd is None:
            return
        vsd = self.vsd

        def work() -> None:
            vm = port.pop("_vm", None)
            others = [p for p in self.neutron.ports.values() if p is not port and p.get("_vm") == vm]
            if vm and not others:
                vsd.delete(f"/vms/{vm}?responseChoice=1")
            elif port.get("_vif"):
                vsd.delete(f"/vminterfaces/{port['_vif']}?responseChoice=1")
            vsd.delete(f"/vports/{port.pop('_vport')}?responseChoice=1")

        self._call(work)


def _same_ip(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return not a and not b
    return ipaddress.ip_address(a) == ipaddress.ip_address(b)
