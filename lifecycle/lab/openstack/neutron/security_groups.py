"""Neutron security groups: each project's ``default`` group (made on first use, with Neutron's
four default rules), list and show."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx, matches, new_id
from lifecycle.lab.openstack.neutron.common import ID, N, find, stamp, std, visible

if TYPE_CHECKING:
    from lifecycle.lab.openstack.neutron.service import Neutron


def default_sg(neutron: Neutron, project: str) -> dict[str, Any]:
    for sg in neutron.security_groups.values():
        if sg["project_id"] == project and sg["name"] == "default":
            return sg
    sid = new_id()
    rules = [
        {
            "id": new_id(),
            "direction": d,
            "ethertype": e,
            "protocol": None,
            "port_range_min": None,
            "port_range_max": None,
            "remote_ip_prefix": None,
            "remote_group_id": sid if d == "ingress" else None,
            "security_group_id": sid,
            "project_id": project,
            "tenant_id": project,
            "description": "",
        }
        for d in ("ingress", "egress")
        for e in ("IPv4", "IPv6")
    ]
    sg = {
        "id": sid,
        "name": "default",
        "description": "Default security group",
        "project_id": project,
        "security_group_rules": rules,
        "tags": [],
    }
    stamp(sg, new=True)
    neutron.security_groups[sid] = sg
    return sg


def register(neutron: Neutron) -> None:
    lock, route = neutron.lock, neutron.svc.route

    @route("GET", N + r"/security-groups")
    def sgs(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            if ctx.project_id:
                default_sg(neutron, ctx.project_id)
            items = [std(sg) for sg in neutron.security_groups.values() if visible(sg, ctx)]
        return {
            "security_groups": [
                i for i in items if matches(i, req, ("id", "name", "project_id", "tenant_id"))
            ]
        }

    @route("GET", N + rf"/security-groups/{ID}")
    def sg_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {
                "security_group": std(find(neutron.security_groups, "security_group", req.params["id"], ctx))
            }
