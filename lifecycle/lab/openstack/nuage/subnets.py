"""VSD-managed subnets: a subnet with ``nuagenet`` (and ``net_partition``) is checked against the
VSD with the plugin's messages (the VSD subnet exists and lies in the net-partition's enterprise;
CIDR and gateway match), then the project's group is given USE on the subnet's zone; deleting it
takes the permission off again. The VSD requests are the plugin's (base_plugin.py
_create_vsd_managed_subnet, mech_nuage.py delete_subnet_postcommit), one for one."""

from __future__ import annotations

import ipaddress
import uuid
from typing import TYPE_CHECKING, Any

from lifecycle.lab.openstack.api import Ctx, neutron_fault
from lifecycle.lab.openstack.nuage.common import bad_request
from lifecycle.lab.openstack.nuage.net_partitions import np_by
from lifecycle.lab.openstack.nuage.vsdclient import (
    L2,
    L3,
    create_usergroup,
    nuage_subnet_by_id,
    permit,
    subnet_or_l2domain,
)
from lifecycle.lab.openstack.vsd import VsdClient, VsdError

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nuage.plugin import NuagePlugin


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
    for other in list(plugin.neutron.subnets.values()):
        if other["network_id"] == net["id"] and not other.get("vsd_managed"):
            raise bad_request("Can't mix openstack and vsd managed subnets under 1 network.")
    np_ref = np_ref or plugin.default_net_partition
    vsd = plugin.need_vsd()

    def work() -> None:
        # _validate_net_partition: the enterprise by the net-partition's name
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
        if enterprise_of(vsd, str(nuagenet)) != np["id"]:
            raise bad_request("Provided Nuage subnet not in the provided Nuage net-partition")
        known = next(
            (
                o["_vsd"]["type"]
                for o in list(plugin.neutron.subnets.values())
                if o.get("vsd_id") == str(nuagenet)
                and o.get("_vsd")
                and o["ip_version"] == subnet["ip_version"]
            ),
            None,
        )  # nuagedb.get_subnet_info_by_nuage_id
        vsd_subnet, kind = nuage_subnet_by_id(vsd, str(nuagenet), known)
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
        os_gw = subnet["gateway_ip"]
        vsd_gw = vsd_subnet.get("gateway") if kind == L3 else dhcp_gateway(vsd, str(nuagenet))
        if (kind == L3 or vsd_gw) and not _same_ip(os_gw, vsd_gw):  # L2 without option 3: tolerated
            raise bad_request(
                f"The specified gateway {os_gw} does not match with gateway on VSD "
                f"{vsd_gw or 'not being present'}"
            )
        requester = ctx.project_id or subnet["project_id"]
        project_name = (plugin.cloud.keystone.projects.get(requester) or {}).get("name")
        # attach_nuage_group_to_nuagenet: the requester's group may USE the zone (or L2 domain)
        _, group_id = create_usergroup(vsd, requester, np["id"], project_name)
        found, found_kind = subnet_or_l2domain(vsd, str(nuagenet))
        target = f"/zones/{found['parentID']}" if found_kind == L3 else f"/l2domains/{found['ID']}"
        permit(vsd, target, group_id, plugin.ext_id(requester))
        subnet.update(
            net_partition=np["id"],
            nuagenet=str(nuagenet),
            vsd_managed=True,
            vsd_id=str(nuagenet),
            nuage_net_partition_id=np["id"],
            underlay=None,
            nuage_underlay=None,
        )
        subnet["_vsd"] = {"type": kind, "parent": vsd_subnet.get("parentID"), "np_name": np["name"]}

    plugin.call(work)


def enterprise_of(vsd: VsdClient, vsd_id: str) -> str:
    """check_if_l2_dom_in_correct_ent: subnet -> zone -> domain -> enterprise (or L2 domain ->
    enterprise)."""
    found, kind = subnet_or_l2domain(vsd, vsd_id)
    if kind == L2:
        return str(found.get("parentID"))
    zone = vsd.get(f"/zones/{found['parentID']}", required=True)[0]
    domain = vsd.get(f"/domains/{zone['parentID']}", required=True)[0]
    return str(domain.get("parentID"))


def dhcp_gateway(vsd: VsdClient, l2dom_id: str) -> str | None:
    """l2domain.get_gw_from_dhcp_options: DHCP option 3 (router) of an L2 domain."""
    for opt in vsd.get(f"/l2domains/{l2dom_id}/dhcpoptions"):
        if opt.get("type") == "03" and opt.get("value"):
            return str(ipaddress.ip_address(bytes.fromhex(str(opt["value"])[:8])))
    return None


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


def subnet_deleted(plugin: NuagePlugin, subnet: dict[str, Any], ctx: Ctx | None = None) -> None:
    """delete_subnet_postcommit of a VSD-managed subnet: unless another Neutron subnet of the same
    project links the same VSD subnet, _cleanup_group takes the requester's and the subnet's
    projects' permissions off the zone (detach_nuage_group_to_nuagenet)."""
    info = subnet.get("_vsd")
    if not info or plugin.vsd is None:
        return
    if any(
        o["id"] != subnet["id"]
        and o.get("vsd_id") == subnet["vsd_id"]
        and o["project_id"] == subnet["project_id"]
        for o in list(plugin.neutron.subnets.values())
    ):
        return
    projects = list(dict.fromkeys(p for p in ((ctx.project_id if ctx else None), subnet["project_id"]) if p))
    vsd = plugin.need_vsd()

    def work() -> None:
        try:
            found, kind = subnet_or_l2domain(vsd, subnet["vsd_id"])
        except VsdError as err:
            if err.status == 404:  # deleted from the VSD first
                return
            raise
        if kind == L3:
            zone = vsd.get(f"/zones/{found['parentID']}", required=True)[0]
            domain = vsd.get(f"/domains/{zone['parentID']}", required=True)[0]
            if domain.get("externalID"):  # a router's domain: its permission stays
                return
            perms = vsd.get(f"/zones/{found['parentID']}/permissions")
        else:
            perms = vsd.get(f"/l2domains/{found['ID']}/permissions")
        for perm in perms:
            if perm.get("permittedEntityName") in projects:
                vsd.delete(f"/permissions/{perm['ID']}?responseChoice=1")

    plugin.call(work)


def _same_ip(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return not a and not b
    return ipaddress.ip_address(a) == ipaddress.ip_address(b)
