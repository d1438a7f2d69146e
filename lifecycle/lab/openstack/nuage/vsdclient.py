"""The vsdclient calls the plugin's hooks share, request for request as nuage-openstack-neutron
20.5/train sends them (``nuage_neutron/vsdclient``): the usergroup of a project, a VSD subnet
looked up by id, a port's vport and VM interface found by externalID, and the ``X-Nuage-ProxyUser``
header of VM requests."""

from __future__ import annotations

import uuid
from typing import Any

from lifecycle.lab.openstack.vsd import VsdClient, VsdError

L3, L2 = "SUBNET", "L2DOMAIN"


def proxy_user(project: str, np_name: str) -> dict[str, str]:
    """nuagelib.NuageVM.extra_headers_post: VM requests act as the project's user."""
    return {"X-Nuage-ProxyUser": f"{project}@{np_name}"}


def subnet_or_l2domain(vsd: VsdClient, vsd_id: str) -> tuple[dict[str, Any], str]:
    """l2domain.check_if_l2_dom_in_correct_ent / attach_nuage_group_to_nuagenet: ``GET
    /subnets/{id}``, on 404 ``GET /l2domains/{id}`` (a 404 there too is raised)."""
    try:
        return vsd.get(f"/subnets/{vsd_id}", required=True)[0], L3
    except VsdError as err:
        if err.status != 404:
            raise
    return vsd.get(f"/l2domains/{vsd_id}", required=True)[0], L2


def nuage_subnet_by_id(vsd: VsdClient, vsd_id: str, kind: str | None) -> tuple[dict[str, Any], str]:
    """vsdclientimpl.get_nuage_subnet_by_id: the kind known (another Neutron subnet links the same
    VSD subnet), one GET; unknown, the L2 domain first, then the domain subnet."""
    if kind == L2:
        return vsd.get(f"/l2domains/{vsd_id}", required=True)[0], L2
    if kind != L3:
        try:
            return vsd.get(f"/l2domains/{vsd_id}", required=True)[0], L2
        except VsdError as err:
            if err.status != 404:
                raise
    return vsd.get(f"/subnets/{vsd_id}", required=True)[0], L3


def create_usergroup(
    vsd: VsdClient, project: str, np_id: str, project_name: str | None = None
) -> tuple[str, str]:
    """helper.create_usergroup: the project's group (and user) in the enterprise, made when
    missing; the externalIDs and the group's description put right when they differ."""
    ext = f"{project}@openstack"
    groups = vsd.get(f"/enterprises/{np_id}/groups", filter=f"name IS '{project}'")
    if groups:
        group = groups[0]
        users = vsd.get(f"/groups/{group['ID']}/users", filter=f"userName IS '{project}'")
        if users:
            user = users[0]
            if not user.get("externalID"):
                vsd.put(f"/users/{user['ID']}?responseChoice=1", {"externalID": ext})
            if not group.get("externalID"):
                vsd.put(f"/groups/{group['ID']}?responseChoice=1", {"externalID": ext})
            if project_name is not None and group.get("description") != project_name:
                vsd.put(f"/groups/{group['ID']}?responseChoice=1", {"description": project_name})
            return user["ID"], group["ID"]
    try:
        user_id = vsd.post(
            f"/enterprises/{np_id}/users",
            {
                "firstName": "os_user",
                "lastName": "os_user",
                "userName": project,
                "email": "osuser@nuage-openstack.com",
                "password": uuid.uuid4().hex,
                "managementMode": "CMS",
                "externalID": ext,
            },
        )["ID"]
    except VsdError as err:
        if err.status != 409:
            raise
        user_id = vsd.get(f"/enterprises/{np_id}/users", filter=f"userName IS '{project}'")[0]["ID"]
    members = [user_id]
    body = {"name": project, "managementMode": "CMS", "externalID": ext}
    if project_name is not None:
        body["description"] = project_name
    try:
        group_id = vsd.post(f"/enterprises/{np_id}/groups", body)["ID"]
    except VsdError as err:
        if err.status != 409:
            raise
        group_id = vsd.get(f"/enterprises/{np_id}/groups", filter=f"name IS '{project}'")[0]["ID"]
        members += [u["ID"] for u in vsd.get(f"/groups/{group_id}/users")]
    vsd.put(f"/groups/{group_id}/users", members)
    return user_id, group_id


def permit(vsd: VsdClient, target: str, group_id: str, ext_id: str) -> None:
    """l2domain.create_permission: USE for the group on a zone or L2 domain; a 409 is ignored."""
    try:
        vsd.post(
            f"{target}/permissions",
            {"permittedEntityID": group_id, "permittedAction": "USE", "externalID": ext_id},
        )
    except VsdError as err:
        if err.status != 409:
            raise


def vport_of(vsd: VsdClient, port_id: str, vsd_id: str, kind: str, ext_id: str) -> dict[str, Any] | None:
    """helper.get_nuage_vport_by_neutron_id: the vports of the subnet filtered by externalID."""
    parent = "subnets" if kind == L3 else "l2domains"
    got = vsd.get(f"/{parent}/{vsd_id}/vports", filter=f"externalID IS '{ext_id}'")
    return got[0] if got else None


def vm_interface_of(vsd: VsdClient, ext_id: str) -> dict[str, Any] | None:
    """helper.get_nuage_vm_interface_by_neutron_id."""
    got = vsd.get("/vminterfaces", filter=f"externalID IS '{ext_id}'", required=True)
    return got[0] if got else None
