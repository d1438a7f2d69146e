"""Neutron ports: creation with fixed IPs, binding on a compute, what Nova asks for a booting or
deleted server, and list, create, show, update and delete; each change calls the Nuage driver's
hook as ML2 does (its vport, VM and interface in the VSD: :mod:`lifecycle.lab.openstack.nuage.ports`)."""

from __future__ import annotations

import contextlib
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


def _bound(neutron: Neutron, port: dict[str, Any]) -> None:
    """The binding committed: what the mechanism driver (Nuage's on VSD-managed subnets) set."""
    port.update(
        {
            "binding:vif_type": "vrs" if neutron.nuage.manages(port) else "ovs",
            "status": "ACTIVE",
            "binding:vif_details": {"port_filter": False},
        }
    )
    stamp(port)


def bind(
    neutron: Neutron, port: dict[str, Any], host: str, device_id: str, owner: str = "compute:nova"
) -> None:
    """Nova's update of a port with its device, owner and host (ML2 update_port): the Nuage
    driver's update_port_precommit makes the VM in the VSD, then the binding is committed (and
    the driver called once more). A refusal leaves the port as it was.

    The VSD calls run outside the cloud's lock when the caller does not hold it (Nova's boot
    path), so workload probes reading servers are never held up by the VSD."""
    with neutron.lock:
        original = dict(port)
        port.update({"binding:host_id": host, "device_id": device_id, "device_owner": owner})
    try:
        neutron.nuage.port_updated(original, port)
    except HttpError:
        with neutron.lock:
            port.update({k: original[k] for k in ("binding:host_id", "device_id", "device_owner")})
        raise
    with neutron.lock:
        _bound(neutron, port)
    neutron.nuage.binding_committed(port)


def _nova_deletes(neutron: Neutron, port: dict[str, Any]) -> None:
    """DELETE /v2.0/ports/{id} by Nova: gone from Neutron, then the driver's postcommit."""
    with neutron.lock:
        neutron.ports.pop(port["id"], None)
    neutron.nuage.port_deleted(port)


def allocate_for_server(
    neutron: Neutron, server: dict[str, Any], net: dict[str, Any], host: str
) -> dict[str, Any]:
    """What Nova's network API (Train) does for one requested network or port of a booting
    server: a port it creates is created bare (network, project, device id: nova 20.6.0
    network/neutronv2/api.py _create_port_minimal), then updated with the owner and host
    (_update_ports_for_instance)."""
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
            bare = {"network_id": net["uuid"], "fixed_ips": fixed, "device_id": server["id"]}
            port = create_port(neutron, bare, None, server["project_id"])
            port["_created_by_nova"] = True
    if port["_created_by_nova"]:
        try:
            neutron.nuage.port_created(port)  # create_port_postcommit: the vport
        except HttpError:
            with neutron.lock:
                neutron.ports.pop(port["id"], None)
            raise
    try:
        bind(neutron, port, host, server["id"])
    except HttpError:
        if port.get("_created_by_nova"):
            with contextlib.suppress(HttpError):  # Nova logs it; the boot's error is reported
                _nova_deletes(neutron, port)
        raise
    return port


def release_for_server(neutron: Neutron, server_id: str) -> None:
    """A server is gone: Nova deletes the ports it created, unbinds the ones it was given (each
    a Neutron request of its own, so the VSD calls run outside the lock)."""
    with neutron.lock:
        ports = [p for p in neutron.ports.values() if p["device_id"] == server_id]
    for port in ports:
        if port.get("_created_by_nova", True):
            _nova_deletes(neutron, port)
            continue
        with neutron.lock:
            original = dict(port)
            port.update({"device_id": "", "device_owner": "", "binding:host_id": ""})
        neutron.nuage.port_updated(original, port)
        with neutron.lock:
            port.update({"status": "DOWN", "binding:vif_type": "unbound"})
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
            try:
                neutron.nuage.port_created(port)  # create_port_postcommit
            except HttpError:
                del neutron.ports[port["id"]]
                raise
            if port["binding:host_id"] and port["device_owner"].startswith("compute:"):
                _bound(neutron, port)
                neutron.nuage.binding_committed(port)
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
            original = dict(p)
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
            for k in ("device_id", "device_owner", "binding:host_id"):
                if k in body:
                    p[k] = body[k] or ""
            try:
                neutron.nuage.port_updated(original, p)  # update_port_precommit
            except HttpError:
                p.clear()
                p.update(original)
                raise
            if (
                p["binding:host_id"]
                and p["binding:host_id"] != original["binding:host_id"]
                and p["device_owner"].startswith("compute:")
            ):
                _bound(neutron, p)
                neutron.nuage.binding_committed(p)
            elif not p["binding:host_id"] and original["binding:host_id"]:
                p.update({"status": "DOWN", "binding:vif_type": "unbound"})
            stamp(p)
            return {"port": port_view(p)}

    @route("DELETE", N + rf"/ports/{ID}")
    def port_delete(req: Request, ctx: Ctx) -> Response:
        with lock:
            p = find(neutron.ports, "port", req.params["id"], ctx)
            del neutron.ports[p["id"]]
            neutron.nuage.port_deleted(p)  # delete_port_postcommit
        return empty()
