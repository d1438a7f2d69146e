"""Neutron networks (vxlan by default): list, create, show, update and delete (refused while
ports other than the network's own are on it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, empty, neutron_fault, new_id, pick_fields
from lifecycle.lab.openstack.neutron.common import ID, N, find, listing, project_for, stamp, std

if TYPE_CHECKING:
    from lifecycle.lab.openstack.neutron.service import Neutron


def net_view(neutron: Neutron, n: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    out = std(n)
    out["subnets"] = [s["id"] for s in neutron.subnets.values() if s["network_id"] == n["id"]]
    if not ctx.is_admin:
        for k in ("provider:network_type", "provider:physical_network", "provider:segmentation_id"):
            out.pop(k, None)
    return out


def register(neutron: Neutron) -> None:
    svc, lock, route = neutron.svc, neutron.lock, neutron.svc.route

    route("GET", N + r"/networks")(
        lambda req, ctx: listing(
            neutron,
            req,
            ctx,
            neutron.networks,
            "networks",
            lambda n: net_view(neutron, n, ctx),
            ("status", "shared", "router:external", "admin_state_up", "provider:network_type"),
        )
    )

    @route("POST", N + r"/networks")
    def net_create(req: Request, ctx: Ctx) -> Response:
        body = svc.body(req, "network")
        project = project_for(body, ctx)
        for k in ("provider:network_type", "provider:physical_network", "provider:segmentation_id"):
            if k in body and not ctx.is_admin:
                raise neutron_fault(
                    403,
                    "HTTPForbidden",
                    f"(rule:create_network and rule:create_network:{k}) is disallowed by policy",
                )
        with lock:
            neutron.last_vni += 1
            net = {
                "id": new_id(),
                "name": body.get("name", ""),
                "project_id": project,
                "admin_state_up": body.get("admin_state_up", True),
                "status": "ACTIVE",
                "shared": bool(body.get("shared", False)),
                "router:external": bool(body.get("router:external", False)),
                "mtu": int(body.get("mtu", 1450)),
                "port_security_enabled": body.get("port_security_enabled", True),
                "provider:network_type": body.get("provider:network_type", "vxlan"),
                "provider:physical_network": body.get("provider:physical_network"),
                "provider:segmentation_id": body.get("provider:segmentation_id", neutron.last_vni),
                "availability_zone_hints": [],
                "availability_zones": ["nova"],
                "ipv4_address_scope": None,
                "ipv6_address_scope": None,
                "description": body.get("description", ""),
                "tags": [],
                "is_default": False,
            }
            neutron.nuage.check_network(net)
            stamp(net, new=True)
            neutron.networks[net["id"]] = net
            return json_response({"network": net_view(neutron, net, ctx)}, 201)

    @route("GET", N + rf"/networks/{ID}")
    def net_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {
                "network": pick_fields(
                    req, net_view(neutron, find(neutron.networks, "network", req.params["id"], ctx), ctx)
                )
            }

    @route("PUT", N + rf"/networks/{ID}")
    def net_update(req: Request, ctx: Ctx) -> dict[str, Any]:
        body = svc.body(req, "network")
        with lock:
            net = find(neutron.networks, "network", req.params["id"], ctx)
            for k in ("name", "admin_state_up", "description", "mtu", "port_security_enabled", "shared"):
                if k in body:
                    net[k] = body[k]
            stamp(net)
            return {"network": net_view(neutron, net, ctx)}

    @route("DELETE", N + rf"/networks/{ID}")
    def net_delete(req: Request, ctx: Ctx) -> Response:
        with lock:
            net = find(neutron.networks, "network", req.params["id"], ctx)
            busy = [
                p
                for p in neutron.ports.values()
                if p["network_id"] == net["id"] and not p["device_owner"].startswith("network:")
            ]
            if busy:
                raise neutron_fault(
                    409,
                    "NetworkInUse",
                    f"Unable to complete operation on network {net['id']}. "
                    "There are one or more ports still in use on the network.",
                )
            gone = [s for s in neutron.subnets.values() if s["network_id"] == net["id"]]
            for s in gone:
                del neutron.subnets[s["id"]]
            del neutron.networks[net["id"]]
        for s in gone:  # each subnet's delete postcommit, outside the cloud's lock
            neutron.nuage.subnet_deleted(s, ctx)
        return empty()
