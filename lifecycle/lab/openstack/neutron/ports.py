"""Neutron ports: creation with fixed IPs, binding on a compute (where the Nuage driver makes
its vport and VM in the VSD), what Nova asks for a booting or deleted server, and list, create,
show, update and delete."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import HttpError, Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, empty, neutron_fault, new_id, pick_fields
from lifecycle.lab.openstack.neutron.common import (
    ID,
    N,
    find,
    listing,
    not_found,
    project_for,
    stamp,
    std,
    visible,
)
from lifecycle.lab.openstack.neutron.ipam import allocate
from lifecycle.lab.openstack.neutron.security_groups import default_sg

if TYPE_CHECKING:
    from lifecycle.lab.openstack.neutron.service import Neutron


def port_view(p: dict[str, Any]) -> dict[str, Any]:
    out = std(p)
    out["fixed_ips"] = [dict(ip) for ip in p["fixed_ips"]]
    return out


def create_port(neutron: Neutron, body: dict[str, Any], ctx: Ctx | None, project: str) -> dict[str, Any]:
    net = neutron.networks.get(str(body.get("network_id")))
    if net is None:
        raise not_found("network", str(body.get("network_id")))
    mac = body.get("mac_address") or "fa:16:3e:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))
    if any(p["mac_address"] == mac and p["network_id"] == net["id"] for p in neutron.ports.values()):
        raise neutron_fault(
            409,
            "MacAddressInUse",
            f"Unable to complete operation for network {net['id']}. The mac address {mac} is in use.",
        )
    fixed = allocate(neutron, net, body.get("fixed_ips"))
    sg = default_sg(neutron, project)
    port = {
        "id": new_id(),
        "name": body.get("name", ""),
        "network_id": net["id"],
        "project_id": project,
        "mac_address": mac,
        "admin_state_up": body.get("admin_state_up", True),
        "status": "DOWN",
        "device_id": body.get("device_id", ""),
        "device_owner": body.get("device_owner", ""),
        "fixed_ips": fixed,
        "allowed_address_pairs": list(body.get("allowed_address_pairs") or []),
        "extra_dhcp_opts": [],
        "security_groups": list(body.get("security_groups") or [sg["id"]]),
        "binding:host_id": body.get("binding:host_id", ""),
        "binding:vif_type": "unbound",
        "binding:vnic_type": body.get("binding:vnic_type", "normal"),
        "binding:profile": {},
        "binding:vif_details": {},
        "port_security_enabled": body.get("port_security_enabled", True),
        "description": body.get("description", ""),
        "tags": [],
        "dns_name": "",
        "dns_assignment": [],
        "qos_policy_id": None,
    }
    stamp(port, new=True)
    neutron.ports[port["id"]] = port
    return port


def bind(
    neutron: Neutron, port: dict[str, Any], host: str, device_id: str, owner: str = "compute:nova"
) -> None:
    """Port binding on a compute: the Nuage driver creates its vport and VM in the VSD.

    The VSD calls run outside the cloud's lock when the caller does not hold it (Nova's boot
    path), so workload probes reading servers are never held up by the VSD."""
    with neutron.lock:
        port.update({"binding:host_id": host, "device_id": device_id, "device_owner": owner})
    neutron.nuage.port_bound(port)
    with neutron.lock:
        port.update(
            {
                "binding:vif_type": "vrs" if neutron.nuage.manages(port) else "ovs",
                "status": "ACTIVE",
                "binding:vif_details": {"port_filter": False},
            }
        )
        stamp(port)


def allocate_for_server(
    neutron: Neutron, server: dict[str, Any], net: dict[str, Any], host: str
) -> dict[str, Any]:
    """What Nova's network API does for one requested network or port of a booting server."""
    with neutron.lock:
        if net.get("port"):
            port = neutron.ports.get(net["port"])
            if port is None:
                raise not_found("port", net["port"])
            if port["device_id"] and port["device_id"] != server["id"]:
                raise neutron_fault(
                    409,
                    "PortInUse",
                    f"Unable to complete operation on port {port['id']} for "
                    f"network {port['network_id']}. Port already has an attached device "
                    f"{port['device_id']}.",
                )
            port["_created_by_nova"] = False
        else:
            fixed = [{"ip_address": net["fixed_ip"]}] if net.get("fixed_ip") else None
            port = create_port(
                neutron,
                {
                    "network_id": net["uuid"],
                    "fixed_ips": fixed,
                    "device_id": server["id"],
                    "device_owner": "compute:nova",
                },
                None,
                server["project_id"],
            )
            port["_created_by_nova"] = True
    try:
        bind(neutron, port, host, server["id"])
    except HttpError:
        if port.get("_created_by_nova"):
            with neutron.lock:
                neutron.ports.pop(port["id"], None)
        raise
    return port


def release_for_server(neutron: Neutron, server_id: str) -> None:
    """A server is gone: delete the ports Nova created, unbind the ones it was given."""
    with neutron.lock:
        ports = [p for p in neutron.ports.values() if p["device_id"] == server_id]
    for port in ports:
        neutron.nuage.port_unbound(port)  # VSD calls, outside the lock
    with neutron.lock:
        for port in ports:
            if port.get("_created_by_nova", True):
                neutron.ports.pop(port["id"], None)
            else:
                port.update(
                    {
                        "device_id": "",
                        "device_owner": "",
                        "binding:host_id": "",
                        "status": "DOWN",
                        "binding:vif_type": "unbound",
                    }
                )
                stamp(port)


def register(neutron: Neutron) -> None:
    svc, lock, route = neutron.svc, neutron.lock, neutron.svc.route

    route("GET", N + r"/ports")(
        lambda req, ctx: listing(
            neutron,
            req,
            ctx,
            neutron.ports,
            "ports",
            port_view,
            ("network_id", "device_id", "device_owner", "mac_address", "status", "binding:host_id"),
        )
    )

    @route("POST", N + r"/ports")
    def port_create(req: Request, ctx: Ctx) -> Response:
        body = svc.body(req, "port")
        project = project_for(body, ctx)
        with lock:
            net = neutron.networks.get(str(body.get("network_id")))
            if net is None or not visible(net, ctx):
                raise not_found("network", str(body.get("network_id")))
            port = create_port(neutron, body, ctx, project)
            port["_created_by_nova"] = False
            if port["binding:host_id"] and port["device_owner"].startswith("compute:"):
                try:
                    bind(neutron, port, port["binding:host_id"], port["device_id"], port["device_owner"])
                except HttpError:
                    del neutron.ports[port["id"]]
                    raise
            return json_response({"port": port_view(port)}, 201)

    @route("GET", N + rf"/ports/{ID}")
    def port_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {"port": pick_fields(req, port_view(find(neutron.ports, "port", req.params["id"], ctx)))}

    @route("PUT", N + rf"/ports/{ID}")
    def port_update(req: Request, ctx: Ctx) -> dict[str, Any]:
        body = svc.body(req, "port")
        with lock:
            p = find(neutron.ports, "port", req.params["id"], ctx)
            for k in (
                "name",
                "description",
                "admin_state_up",
                "allowed_address_pairs",
                "security_groups",
                "port_security_enabled",
            ):
                if k in body:
                    p[k] = body[k]
            host = body.get("binding:host_id")
            if (
                host
                and host != p["binding:host_id"]
                and (body.get("device_owner") or p["device_owner"]).startswith("compute:")
            ):
                bind(
                    neutron,
                    p,
                    host,
                    body.get("device_id") or p["device_id"],
                    body.get("device_owner") or p["device_owner"],
                )
            else:
                for k in ("device_id", "device_owner", "binding:host_id"):
                    if k in body:
                        p[k] = body[k]
            stamp(p)
            return {"port": port_view(p)}

    @route("DELETE", N + rf"/ports/{ID}")
    def port_delete(req: Request, ctx: Ctx) -> Response:
        with lock:
            p = find(neutron.ports, "port", req.params["id"], ctx)
            neutron.nuage.port_unbound(p)
            del neutron.ports[p["id"]]
        return empty()
