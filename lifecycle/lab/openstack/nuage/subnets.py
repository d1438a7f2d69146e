"""VSD-managed subnets: a subnet with ``nuagenet`` (and ``net_partition``) is checked against the
VSD with the plugin's messages (the VSD subnet exists and lies in the net-partition's enterprise;
CIDR and gateway match), then the project's group is given USE on the subnet's zone; deleting the
last such subnet removes the permission."""

from __future__ import annotations

import ipaddress
import logging
import uuid
from typing import TYPE_CHECKING, Any

from lifecycle.lab.openstack.api import Ctx, neutron_fault
from lifecycle.lab.openstack.nuage.common import bad_request
from lifecycle.lab.openstack.nuage.net_partitions import np_by
from lifecycle.lab.openstack.vsd import VsdClient, VsdError

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nuage.plugin import NuagePlugin

log = logging.getLogger("i2.lab.openstack")


def subnet_precommit(
    plugin: NuagePlugin, subnet: dict[str, Any], net: dict[str, Any], ctx: Ctx, body: dict[str, Any]
) -> None:
    nuagenet, np_ref = body.get("nuagenet"), body.get("net_partition")
    if not nuagenet:
        if np_ref:
            if np_by(plugin, str(np_ref)) is None:
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
    for other in plugin.neutron.subnets.values():
        if other["network_id"] == net["id"] and not other.get("vsd_managed"):
            raise bad_request("Can't mix openstack and vsd managed subnets under 1 network.")
    np_ref = np_ref or plugin.default_net_partition
    vsd = plugin.need_vsd()

    def work() -> None:
        np = np_by(plugin, str(np_ref)) if np_ref else None
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
            plugin.net_partitions[np["id"]] = np
        vsd_subnet, kind = find_vsd_subnet(vsd, str(nuagenet))
        if enterprise_of(vsd, vsd_subnet, kind) != np["id"]:
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
        check_cidr(subnet, vsd_subnet)
        os_gw, vsd_gw = subnet["gateway_ip"], vsd_subnet.get("gateway")
        if kind == "SUBNET" and not _same_ip(os_gw, vsd_gw):
            raise bad_request(
                f"The specified gateway {os_gw} does not match with gateway on VSD "
                f"{vsd_gw or 'not being present'}"
            )
        group_id, perm_id = attach_group(plugin, vsd, np["id"], vsd_subnet, kind, subnet["project_id"], ctx)
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

    plugin.call(work)


def find_vsd_subnet(vsd: VsdClient, vsd_id: str) -> tuple[dict[str, Any], str]:
    try:
        return vsd.get_one(f"/subnets/{vsd_id}"), "SUBNET"
    except VsdError as err:
        if err.status != 404:
            raise
    return vsd.get_one(f"/l2domains/{vsd_id}"), "L2DOMAIN"


def enterprise_of(vsd: VsdClient, vsd_subnet: dict[str, Any], kind: str) -> str:
    """check_if_l2_dom_in_correct_ent: subnet -> zone -> domain -> enterprise."""
    if kind == "L2DOMAIN":
        return str(vsd_subnet.get("parentID"))
    zone = vsd.get_one(f"/zones/{vsd_subnet['parentID']}")
    domain = vsd.get_one(f"/domains/{zone['parentID']}")
    return str(domain.get("parentID"))


def check_cidr(subnet: dict[str, Any], vsd_subnet: dict[str, Any]) -> None:
    if vsd_subnet.get("IPType") == "IPV6":
        raise bad_request(
            f"Subnet with ip_version {subnet['ip_version']} can't be linked to vsd subnet with IPType IPV6."
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


def attach_group(
    plugin: NuagePlugin,
    vsd: VsdClient,
    np_id: str,
    vsd_subnet: dict[str, Any],
    kind: str,
    project: str,
    ctx: Ctx,
) -> tuple[str, str | None]:
    """helper.create_usergroup + create_permission: the project's group may USE the subnet's zone."""
    groups = vsd.get(f"/enterprises/{np_id}/groups", filter=f"name IS '{project}'")
    project_name = (plugin.cloud.keystone.projects.get(project) or {}).get("name")
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
            {"permittedEntityID": group_id, "permittedAction": "USE", "externalID": plugin.ext_id(project)},
        )
        return group_id, perm.get("ID")
    except VsdError as err:
        if err.status != 409:
            raise
        return group_id, None


def subnet_deleted(plugin: NuagePlugin, subnet: dict[str, Any]) -> None:
    info = subnet.get("_vsd")
    if not info or not info.get("permission") or plugin.vsd is None:
        return
    still = [
        s
        for s in plugin.neutron.subnets.values()
        if s["id"] != subnet["id"] and s.get("_vsd") and s["_vsd"]["permission"] == info["permission"]
    ]
    if not still:
        try:
            plugin.vsd.delete(f"/permissions/{info['permission']}?responseChoice=1")
        except (VsdError, OSError):
            log.warning("could not remove VSD permission %s", info["permission"])


def _same_ip(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return not a and not b
    return ipaddress.ip_address(a) == ipaddress.ip_address(b)
