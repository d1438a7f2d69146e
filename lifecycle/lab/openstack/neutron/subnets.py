"""Neutron subnets: CIDR, gateway and allocation-pool validation with Neutron's messages, and
list, create, show, update and delete; the Nuage plugin checks VSD-managed subnets."""

from __future__ import annotations

import ipaddress
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
from lifecycle.lab.openstack.nuage import NUAGE_SUBNET_ATTRS

if TYPE_CHECKING:
    from lifecycle.lab.openstack.neutron.service import Neutron


def subnet_view(s: dict[str, Any]) -> dict[str, Any]:
    out = std(s)
    out["allocation_pools"] = [dict(p) for p in s["allocation_pools"]]
    return out


def subnet_from(neutron: Neutron, body: dict[str, Any], net: dict[str, Any], project: str) -> dict[str, Any]:
    def bad(msg: str) -> HttpError:
        return neutron_fault(400, "InvalidInput", f"Invalid input for operation: {msg}")

    try:
        cidr = ipaddress.ip_network(str(body.get("cidr")), strict=False)
    except ValueError:
        raise neutron_fault(
            400,
            "HTTPBadRequest",
            f"Invalid input for cidr. Reason: '{body.get('cidr')}' is not a valid IP subnet.",
        ) from None
    if cidr.version != int(body.get("ip_version", 4)):
        raise bad("Cidr and IP version are incompatible.")
    if str(cidr) != str(body.get("cidr")) and "/" in str(body.get("cidr")):
        raise neutron_fault(
            400,
            "HTTPBadRequest",
            f"Invalid input for cidr. Reason: '{body.get('cidr')}' isn't "
            f"a recommended CIDR, '{cidr}' is recommended.",
        )
    for other in neutron.subnets.values():
        if other["network_id"] == net["id"] and ipaddress.ip_network(other["cidr"]).overlaps(cidr):
            raise bad(
                f"Requested subnet with cidr: {cidr} for network: {net['id']} overlaps with another subnet."
            )
    hosts = list(cidr.hosts()) if cidr.num_addresses <= 65536 else []
    gateway = body["gateway_ip"] if "gateway_ip" in body else (str(hosts[0]) if hosts else None)
    if gateway is not None:
        try:
            if ipaddress.ip_address(gateway) not in cidr:
                raise bad("Gateway is not valid on subnet.")
        except ValueError:
            raise neutron_fault(
                400,
                "HTTPBadRequest",
                f"Invalid input for gateway_ip. Reason: '{gateway}' is not a valid IP address.",
            ) from None
    pools = body.get("allocation_pools")
    if not pools:
        free = [h for h in hosts if str(h) != gateway]
        pools = []
        for h in free:  # contiguous ranges around the gateway
            if pools and int(ipaddress.ip_address(pools[-1]["end"])) + 1 == int(h):
                pools[-1]["end"] = str(h)
            else:
                pools.append({"start": str(h), "end": str(h)})
    for pool in pools:
        for key in ("start", "end"):
            if ipaddress.ip_address(pool[key]) not in cidr:
                raise neutron_fault(
                    400,
                    "OutOfBoundsAllocationPool",
                    f"The allocation pool {pool['start']}-{pool['end']} spans beyond the subnet cidr {cidr}.",
                )
    subnet = {
        "id": new_id(),
        "name": body.get("name", ""),
        "network_id": net["id"],
        "project_id": project,
        "cidr": str(cidr),
        "ip_version": cidr.version,
        "gateway_ip": gateway,
        "allocation_pools": [{"start": p["start"], "end": p["end"]} for p in pools],
        "enable_dhcp": body.get("enable_dhcp", True),
        "dns_nameservers": list(body.get("dns_nameservers") or []),
        "host_routes": list(body.get("host_routes") or []),
        "description": body.get("description", ""),
        "ipv6_ra_mode": None,
        "ipv6_address_mode": None,
        "subnetpool_id": None,
        "service_types": [],
        "segment_id": None,
        "tags": [],
        "shared": net["shared"],
    }
    subnet.update({k: None for k in NUAGE_SUBNET_ATTRS})
    subnet["vsd_managed"] = False
    subnet.pop("shared")
    return subnet


def register(neutron: Neutron) -> None:
    svc, lock, route = neutron.svc, neutron.lock, neutron.svc.route

    route("GET", N + r"/subnets")(
        lambda req, ctx: listing(
            neutron,
            req,
            ctx,
            neutron.subnets,
            "subnets",
            subnet_view,
            (
                "network_id",
                "cidr",
                "gateway_ip",
                "ip_version",
                "enable_dhcp",
                "vsd_managed",
                "vsd_id",
                "nuage_net_partition_id",
            ),
        )
    )

    @route("POST", N + r"/subnets")
    def subnet_create(req: Request, ctx: Ctx) -> Response:
        body = svc.body(req, "subnet")
        project = project_for(body, ctx)
        with lock:
            net = neutron.networks.get(str(body.get("network_id")))
            if net is None or not visible(net, ctx):
                raise not_found("network", str(body.get("network_id")))
            subnet = subnet_from(neutron, body, net, project)
        # The driver's VSD calls run outside the cloud's lock: Neutron's API workers serve other
        # requests meanwhile (its precommit holds a DB transaction, not the whole server).
        neutron.nuage.subnet_precommit(subnet, net, ctx, body)
        with lock:
            if net["id"] not in neutron.networks:
                raise not_found("network", net["id"])
            stamp(subnet, new=True)
            neutron.subnets[subnet["id"]] = subnet
            return json_response({"subnet": subnet_view(subnet)}, 201)

    @route("GET", N + rf"/subnets/{ID}")
    def subnet_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {
                "subnet": pick_fields(
                    req, subnet_view(find(neutron.subnets, "subnet", req.params["id"], ctx))
                )
            }

    @route("PUT", N + rf"/subnets/{ID}")
    def subnet_update(req: Request, ctx: Ctx) -> dict[str, Any]:
        body = svc.body(req, "subnet")
        with lock:
            s = find(neutron.subnets, "subnet", req.params["id"], ctx)
            for k in ("name", "description", "dns_nameservers", "host_routes", "enable_dhcp"):
                if k in body:
                    s[k] = body[k]
            stamp(s)
            return {"subnet": subnet_view(s)}

    @route("DELETE", N + rf"/subnets/{ID}")
    def subnet_delete(req: Request, ctx: Ctx) -> Response:
        with lock:
            s = find(neutron.subnets, "subnet", req.params["id"], ctx)
            if any(ip["subnet_id"] == s["id"] for p in neutron.ports.values() for ip in p["fixed_ips"]):
                raise neutron_fault(
                    409,
                    "SubnetInUse",
                    f"Unable to complete operation on subnet {s['id']}: One "
                    "or more ports have an IP allocation from this subnet.",
                )
            del neutron.subnets[s["id"]]
        neutron.nuage.subnet_deleted(s, ctx)  # postcommit: after the subnet is gone, unlocked
        return empty()
