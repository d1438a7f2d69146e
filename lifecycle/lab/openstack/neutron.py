"""Neutron v2.0 (ML2 with the Nuage mechanism driver): networks (vxlan), subnets with their
allocation pools, ports with fixed IPs allocated from the pools, security groups, quotas, the
extension list, and the Nuage extensions handled by :mod:`nuage` (net-partitions, the
VSD-managed subnet attributes, vports and VMs in the VSD for compute ports).

Errors are Neutron's ``{"NeutronError": {"type", "message", "detail"}}``.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import HttpError, Request, Response, json_response
from lifecycle.lab.openstack.api import (
    Ctx,
    Service,
    empty,
    iso,
    matches,
    neutron_fault,
    new_id,
    page,
    pick_fields,
)
from lifecycle.lab.openstack.nuage import NUAGE_SUBNET_ATTRS, NuagePlugin

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cloud import OpenStackCloud

N = r"/v2\.0"
_ID = r"(?P<id>[0-9a-fA-F-]{36})"
_EXTENSIONS = [
    ("agent", "agent", "The agent management extension."),
    ("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
    ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
    ("extra_dhcp_opt", "Neutron Extra DHCP options", "Extra options configuration for DHCP."),
    ("network_availability_zone", "Network Availability Zone", "Availability zone support for network."),
    ("port-security", "Port Security", "Provides port security"),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
    ("quotas", "Quota management support", "Expose functions for quotas management per tenant"),
    ("security-group", "security-group", "The security groups extension."),
    (
        "standard-attr-description",
        "standard-attr-description",
        "Extension to add descriptions to standard attributes",
    ),
    (
        "standard-attr-revisions",
        "Resource revision numbers",
        "This extension will display the revision number of neutron resources.",
    ),
    (
        "standard-attr-timestamp",
        "Resource timestamps",
        "Adds created_at and updated_at fields to all Neutron "
        "resources that have Neutron standard attributes.",
    ),
    (
        "standard-attr-tag",
        "Tag support for resources with standard attribute",
        "Enables to set tag on resources with standard attribute.",
    ),
    ("subnet_allocation", "Subnet Allocation", "Enables allocation of subnets from a subnet pool"),
    ("net-partition", "NetPartition", "NetPartition"),
    ("nuage-subnet", "Nuage subnet", "Nuage subnet"),
    ("nuage-network", "Nuage Network", "Nuage Network"),
    ("nuage-router", "Nuage router", "Nuage Router"),
    ("vsd-resource", "VSD Resources", "Nuage VSD resources"),
]
_QUOTAS = {
    "network": 100,
    "subnet": 100,
    "port": 500,
    "router": 10,
    "floatingip": 50,
    "security_group": 10,
    "security_group_rule": 100,
    "subnetpool": -1,
    "rbac_policy": 10,
}


def _not_found(kind: str, rid: str) -> HttpError:
    return neutron_fault(
        404, f"{kind.capitalize()}NotFound", f"{kind.capitalize()} {rid} could not be found."
    )


class Neutron:
    def __init__(self, cloud: OpenStackCloud):
        self.cloud = cloud
        self.lock = cloud.lock
        self.svc = Service(cloud, "neutron", open_paths=(r"/?",))
        self.networks: dict[str, dict[str, Any]] = {}
        self.subnets: dict[str, dict[str, Any]] = {}
        self.ports: dict[str, dict[str, Any]] = {}
        self.security_groups: dict[str, dict[str, Any]] = {}
        self.quotas: dict[str, dict[str, int]] = {}
        self.nuage = NuagePlugin(self)
        self._vni = 1000
        self._routes()

    def connect_vsd(self) -> None:
        self.nuage.connect()

    # --- renderings -------------------------------------------------------------------------------
    def _std(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in rec.items() if not k.startswith("_")}
        out["tenant_id"] = out["project_id"]
        return out

    def net_view(self, n: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        out = self._std(n)
        out["subnets"] = [s["id"] for s in self.subnets.values() if s["network_id"] == n["id"]]
        if not ctx.is_admin:
            for k in ("provider:network_type", "provider:physical_network", "provider:segmentation_id"):
                out.pop(k, None)
        return out

    def subnet_view(self, s: dict[str, Any]) -> dict[str, Any]:
        out = self._std(s)
        out["allocation_pools"] = [dict(p) for p in s["allocation_pools"]]
        return out

    def port_view(self, p: dict[str, Any]) -> dict[str, Any]:
        out = self._std(p)
        out["fixed_ips"] = [dict(ip) for ip in p["fixed_ips"]]
        return out

    # --- lookups (lock held) ----------------------------------------------------------------------
    def _visible(self, rec: dict[str, Any], ctx: Ctx) -> bool:
        return ctx.is_admin or rec["project_id"] == ctx.project_id or bool(rec.get("shared"))

    def _get(self, table: dict[str, dict[str, Any]], kind: str, rid: str, ctx: Ctx) -> dict[str, Any]:
        rec = table.get(rid)
        if rec is None or not self._visible(rec, ctx):
            raise _not_found(kind, rid)
        return rec

    def visible_networks(self, project: str) -> list[dict[str, Any]]:
        with self.lock:
            return [n for n in self.networks.values() if n["project_id"] == project or n["shared"]]

    def ports_of(self, device_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [p for p in self.ports.values() if p["device_id"] == device_id]

    def _stamp(self, rec: dict[str, Any], new: bool = False) -> None:
        now = iso()
        if new:
            rec["created_at"] = now
            rec["revision_number"] = 0
        else:
            rec["revision_number"] = rec.get("revision_number", 0) + 1
        rec["updated_at"] = now

    def _project(self, body: dict[str, Any], ctx: Ctx) -> str:
        wanted = body.get("project_id") or body.get("tenant_id")
        if wanted and wanted != ctx.project_id and not ctx.is_admin:
            raise neutron_fault(
                403,
                "HTTPForbidden",
                "Specifying 'project_id' or 'tenant_id' other than the "
                "authenticated project in request requires admin privileges",
            )
        project = wanted or ctx.project_id
        if not project:
            raise neutron_fault(
                400,
                "HTTPBadRequest",
                "Failed to parse request. Required attribute 'project_id' not specified",
            )
        return str(project)

    def default_sg(self, project: str) -> dict[str, Any]:
        for sg in self.security_groups.values():
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
        self._stamp(sg, new=True)
        self.security_groups[sid] = sg
        return sg

    # --- IPAM -------------------------------------------------------------------------------------
    def _used_ips(self, subnet_id: str) -> set[str]:
        used = {
            ip["ip_address"]
            for p in self.ports.values()
            for ip in p["fixed_ips"]
            if ip["subnet_id"] == subnet_id
        }
        gw = self.subnets[subnet_id].get("gateway_ip")
        if gw:
            used.add(gw)
        return used

    def _allocate(
        self, network: dict[str, Any], requests_: list[dict[str, Any]] | None
    ) -> list[dict[str, str]]:
        subnets = [s for s in self.subnets.values() if s["network_id"] == network["id"]]
        if requests_ is None:  # one address from the network's first subnet with room, as Neutron does
            for s in subnets:
                ip = self._free_ip(s)
                if ip:
                    return [{"subnet_id": s["id"], "ip_address": ip}]
            if not subnets:
                return []
            raise neutron_fault(
                409,
                "IpAddressGenerationFailure",
                f"No more IP addresses available on network {network['id']}.",
            )
        out = []
        for want in requests_:
            sid, ip = want.get("subnet_id"), want.get("ip_address")
            if ip and not sid:
                sid = next(
                    (s["id"] for s in subnets if ipaddress.ip_address(ip) in ipaddress.ip_network(s["cidr"])),
                    None,
                )
                if sid is None:
                    raise neutron_fault(
                        400,
                        "InvalidIpForNetwork",
                        f"IP address {ip} is not a valid IP for any of the subnets on the specified network.",
                    )
            s = self.subnets.get(str(sid))
            if s is None or s["network_id"] != network["id"]:
                raise neutron_fault(
                    400,
                    "InvalidInput",
                    f"Invalid input for operation: Failed to create port on "
                    f"network {network['id']}, because fixed_ips included invalid subnet {sid}.",
                )
            if ip:
                if ipaddress.ip_address(ip) not in ipaddress.ip_network(s["cidr"]):
                    raise neutron_fault(
                        400,
                        "InvalidIpForSubnet",
                        f"IP address {ip} is not a valid IP for the specified subnet.",
                    )
                if ip in self._used_ips(s["id"]) or any(ip == o["ip_address"] for o in out):
                    raise neutron_fault(
                        409,
                        "IpAddressAlreadyAllocated",
                        f"IP address {ip} already allocated in subnet {s['id']}",
                    )
            else:
                ip = self._free_ip(s, taken={o["ip_address"] for o in out})
                if ip is None:
                    raise neutron_fault(
                        409,
                        "IpAddressGenerationFailure",
                        f"No more IP addresses available on network {network['id']}.",
                    )
            out.append({"subnet_id": s["id"], "ip_address": str(ip)})
        return out

    def _free_ip(self, s: dict[str, Any], taken: set[str] | None = None) -> str | None:
        used = self._used_ips(s["id"]) | (taken or set())
        for pool in s["allocation_pools"]:
            start, end = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
            addr = start
            while addr <= end:
                if str(addr) not in used:
                    return str(addr)
                addr += 1
        return None

    # --- ports, also as Nova asks for them (in-process) -------------------------------------------
    def create_port(self, body: dict[str, Any], ctx: Ctx | None, project: str) -> dict[str, Any]:
        net = self.networks.get(str(body.get("network_id")))
        if net is None:
            raise _not_found("network", str(body.get("network_id")))
        mac = body.get("mac_address") or "fa:16:3e:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))
        if any(p["mac_address"] == mac and p["network_id"] == net["id"] for p in self.ports.values()):
            raise neutron_fault(
                409,
                "MacAddressInUse",
                f"Unable to complete operation for network {net['id']}. The mac address {mac} is in use.",
            )
        fixed = self._allocate(net, body.get("fixed_ips"))
        sg = self.default_sg(project)
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
        self._stamp(port, new=True)
        self.ports[port["id"]] = port
        return port

    def bind(self, port: dict[str, Any], host: str, device_id: str, owner: str = "compute:nova") -> None:
        """Port binding on a compute: the Nuage driver creates its vport and VM in the VSD.

        The VSD calls run outside the cloud's lock when the caller does not hold it (Nova's boot
        path), so workload probes reading servers are never held up by the VSD."""
        with self.lock:
            port.update({"binding:host_id": host, "device_id": device_id, "device_owner": owner})
        self.nuage.port_bound(port)
        with self.lock:
            port.update(
                {
                    "binding:vif_type": "vrs" if self.nuage.manages(port) else "ovs",
                    "status": "ACTIVE",
                    "binding:vif_details": {"port_filter": False},
                }
            )
            self._stamp(port)

    def allocate_for_server(self, server: dict[str, Any], net: dict[str, Any], host: str) -> dict[str, Any]:
        """What Nova's network API does for one requested network or port of a booting server."""
        with self.lock:
            if net.get("port"):
                port = self.ports.get(net["port"])
                if port is None:
                    raise _not_found("port", net["port"])
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
                port = self.create_port(
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
            self.bind(port, host, server["id"])
        except HttpError:
            if port.get("_created_by_nova"):
                with self.lock:
                    self.ports.pop(port["id"], None)
            raise
        return port

    def release_for_server(self, server_id: str) -> None:
        """A server is gone: delete the ports Nova created, unbind the ones it was given."""
        with self.lock:
            ports = [p for p in self.ports.values() if p["device_id"] == server_id]
        for port in ports:
            self.nuage.port_unbound(port)  # VSD calls, outside the lock
        with self.lock:
            for port in ports:
                if port.get("_created_by_nova", True):
                    self.ports.pop(port["id"], None)
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
                    self._stamp(port)

    # --- routes -----------------------------------------------------------------------------------
    def _routes(self) -> None:
        svc, lock, route = self.svc, self.lock, self.svc.route

        @route("GET", r"/?")
        def root(req: Request, ctx: Ctx) -> dict[str, Any]:
            return {
                "versions": [
                    {
                        "status": "CURRENT",
                        "id": "v2.0",
                        "links": [{"href": f"{svc.url}/v2.0/", "rel": "self"}],
                    }
                ]
            }

        @route("GET", N)
        def resources(req: Request, ctx: Ctx) -> dict[str, Any]:
            return {
                "resources": [
                    {
                        "links": [{"href": f"{svc.url}/v2.0/{c}", "rel": "self"}],
                        "name": c[:-1],
                        "collection": c,
                    }
                    for c in ("subnets", "networks", "ports", "subnetpools")
                ]
            }

        @route("GET", N + r"/extensions")
        def extensions(req: Request, ctx: Ctx) -> dict[str, Any]:
            return {
                "extensions": [
                    {
                        "alias": a,
                        "name": n,
                        "description": d,
                        "updated": "2014-01-01T10:00:00-00:00",
                        "links": [],
                    }
                    for a, n, d in _EXTENSIONS
                ]
            }

        @route("GET", N + r"/extensions/(?P<alias>[^/]+)")
        def extension(req: Request, ctx: Ctx) -> dict[str, Any]:
            for a, n, d in _EXTENSIONS:
                if a == req.params["alias"]:
                    return {
                        "extension": {
                            "alias": a,
                            "name": n,
                            "description": d,
                            "updated": "2014-01-01T10:00:00-00:00",
                            "links": [],
                        }
                    }
            raise neutron_fault(
                404, "HTTPNotFound", f"Extension with alias {req.params['alias']} does not exist"
            )

        def listing(
            req: Request,
            ctx: Ctx,
            table: dict[str, dict[str, Any]],
            key: str,
            render: Any,
            fields: tuple[str, ...],
        ) -> dict[str, Any]:
            with lock:
                items = [render(r) for r in table.values() if self._visible(r, ctx)]
            items = [i for i in items if matches(i, req, ("id", "name", "project_id", "tenant_id", *fields))]
            out = page(
                req,
                items,
                key=key,
                base_url=svc.url,
                default_sort=None,
                max_limit=10000,
                fault=lambda st, m: neutron_fault(st, "HTTPBadRequest", m),
            )
            out[key] = [pick_fields(req, i) for i in out[key]]
            return out

        # --- networks -----------------------------------------------------------------------------
        route("GET", N + r"/networks")(
            lambda req, ctx: listing(
                req,
                ctx,
                self.networks,
                "networks",
                lambda n: self.net_view(n, ctx),
                ("status", "shared", "router:external", "admin_state_up", "provider:network_type"),
            )
        )

        @route("POST", N + r"/networks")
        def net_create(req: Request, ctx: Ctx) -> Response:
            body = svc.body(req, "network")
            project = self._project(body, ctx)
            for k in ("provider:network_type", "provider:physical_network", "provider:segmentation_id"):
                if k in body and not ctx.is_admin:
                    raise neutron_fault(
                        403,
                        "HTTPForbidden",
                        f"(rule:create_network and rule:create_network:{k}) is disallowed by policy",
                    )
            with lock:
                self._vni += 1
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
                    "provider:segmentation_id": body.get("provider:segmentation_id", self._vni),
                    "availability_zone_hints": [],
                    "availability_zones": ["nova"],
                    "ipv4_address_scope": None,
                    "ipv6_address_scope": None,
                    "description": body.get("description", ""),
                    "tags": [],
                    "is_default": False,
                }
                self.nuage.check_network(net)
                self._stamp(net, new=True)
                self.networks[net["id"]] = net
                return json_response({"network": self.net_view(net, ctx)}, 201)

        @route("GET", N + rf"/networks/{_ID}")
        def net_get(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                return {
                    "network": pick_fields(
                        req, self.net_view(self._get(self.networks, "network", req.params["id"], ctx), ctx)
                    )
                }

        @route("PUT", N + rf"/networks/{_ID}")
        def net_update(req: Request, ctx: Ctx) -> dict[str, Any]:
            body = svc.body(req, "network")
            with lock:
                net = self._get(self.networks, "network", req.params["id"], ctx)
                for k in ("name", "admin_state_up", "description", "mtu", "port_security_enabled", "shared"):
                    if k in body:
                        net[k] = body[k]
                self._stamp(net)
                return {"network": self.net_view(net, ctx)}

        @route("DELETE", N + rf"/networks/{_ID}")
        def net_delete(req: Request, ctx: Ctx) -> Response:
            with lock:
                net = self._get(self.networks, "network", req.params["id"], ctx)
                busy = [
                    p
                    for p in self.ports.values()
                    if p["network_id"] == net["id"] and not p["device_owner"].startswith("network:")
                ]
                if busy:
                    raise neutron_fault(
                        409,
                        "NetworkInUse",
                        f"Unable to complete operation on network {net['id']}. "
                        "There are one or more ports still in use on the network.",
                    )
                for s in [s for s in self.subnets.values() if s["network_id"] == net["id"]]:
                    self.nuage.subnet_deleted(s)
                    del self.subnets[s["id"]]
                del self.networks[net["id"]]
            return empty()

        # --- subnets ------------------------------------------------------------------------------
        route("GET", N + r"/subnets")(
            lambda req, ctx: listing(
                req,
                ctx,
                self.subnets,
                "subnets",
                self.subnet_view,
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
            project = self._project(body, ctx)
            with lock:
                net = self.networks.get(str(body.get("network_id")))
                if net is None or not self._visible(net, ctx):
                    raise _not_found("network", str(body.get("network_id")))
                subnet = self._subnet_from(body, net, project)
                self.nuage.subnet_precommit(subnet, net, ctx, body)
                self._stamp(subnet, new=True)
                self.subnets[subnet["id"]] = subnet
                return json_response({"subnet": self.subnet_view(subnet)}, 201)

        @route("GET", N + rf"/subnets/{_ID}")
        def subnet_get(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                return {
                    "subnet": pick_fields(
                        req, self.subnet_view(self._get(self.subnets, "subnet", req.params["id"], ctx))
                    )
                }

        @route("PUT", N + rf"/subnets/{_ID}")
        def subnet_update(req: Request, ctx: Ctx) -> dict[str, Any]:
            body = svc.body(req, "subnet")
            with lock:
                s = self._get(self.subnets, "subnet", req.params["id"], ctx)
                for k in ("name", "description", "dns_nameservers", "host_routes", "enable_dhcp"):
                    if k in body:
                        s[k] = body[k]
                self._stamp(s)
                return {"subnet": self.subnet_view(s)}

        @route("DELETE", N + rf"/subnets/{_ID}")
        def subnet_delete(req: Request, ctx: Ctx) -> Response:
            with lock:
                s = self._get(self.subnets, "subnet", req.params["id"], ctx)
                if any(ip["subnet_id"] == s["id"] for p in self.ports.values() for ip in p["fixed_ips"]):
                    raise neutron_fault(
                        409,
                        "SubnetInUse",
                        f"Unable to complete operation on subnet {s['id']}: One "
                        "or more ports have an IP allocation from this subnet.",
                    )
                self.nuage.subnet_deleted(s)
                del self.subnets[s["id"]]
            return empty()

        # --- ports --------------------------------------------------------------------------------
        route("GET", N + r"/ports")(
            lambda req, ctx: listing(
                req,
                ctx,
                self.ports,
                "ports",
                self.port_view,
                ("network_id", "device_id", "device_owner", "mac_address", "status", "binding:host_id"),
            )
        )

        @route("POST", N + r"/ports")
        def port_create(req: Request, ctx: Ctx) -> Response:
            body = svc.body(req, "port")
            project = self._project(body, ctx)
            with lock:
                net = self.networks.get(str(body.get("network_id")))
                if net is None or not self._visible(net, ctx):
                    raise _not_found("network", str(body.get("network_id")))
                port = self.create_port(body, ctx, project)
                port["_created_by_nova"] = False
                if port["binding:host_id"] and port["device_owner"].startswith("compute:"):
                    try:
                        self.bind(port, port["binding:host_id"], port["device_id"], port["device_owner"])
                    except HttpError:
                        del self.ports[port["id"]]
                        raise
                return json_response({"port": self.port_view(port)}, 201)

        @route("GET", N + rf"/ports/{_ID}")
        def port_get(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                return {
                    "port": pick_fields(
                        req, self.port_view(self._get(self.ports, "port", req.params["id"], ctx))
                    )
                }

        @route("PUT", N + rf"/ports/{_ID}")
        def port_update(req: Request, ctx: Ctx) -> dict[str, Any]:
            body = svc.body(req, "port")
            with lock:
                p = self._get(self.ports, "port", req.params["id"], ctx)
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
                    self.bind(
                        p,
                        host,
                        body.get("device_id") or p["device_id"],
                        body.get("device_owner") or p["device_owner"],
                    )
                else:
                    for k in ("device_id", "device_owner", "binding:host_id"):
                        if k in body:
                            p[k] = body[k]
                self._stamp(p)
                return {"port": self.port_view(p)}

        @route("DELETE", N + rf"/ports/{_ID}")
        def port_delete(req: Request, ctx: Ctx) -> Response:
            with lock:
                p = self._get(self.ports, "port", req.params["id"], ctx)
                self.nuage.port_unbound(p)
                del self.ports[p["id"]]
            return empty()

        # --- security groups, quotas --------------------------------------------------------------
        @route("GET", N + r"/security-groups")
        def sgs(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                if ctx.project_id:
                    self.default_sg(ctx.project_id)
                items = [self._std(sg) for sg in self.security_groups.values() if self._visible(sg, ctx)]
            return {
                "security_groups": [
                    i for i in items if matches(i, req, ("id", "name", "project_id", "tenant_id"))
                ]
            }

        @route("GET", N + rf"/security-groups/{_ID}")
        def sg_get(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                return {
                    "security_group": self._std(
                        self._get(self.security_groups, "security_group", req.params["id"], ctx)
                    )
                }

        @route("GET", N + r"/quotas/(?P<project>[^/]+)(?P<detail>/details)?")
        def quotas(req: Request, ctx: Ctx) -> dict[str, Any]:
            project = req.params["project"]
            with lock:
                q = {**_QUOTAS, **self.quotas.get(project, {})}
                if "detail" not in req.params:
                    return {"quota": q}
                used = {
                    "network": sum(1 for n in self.networks.values() if n["project_id"] == project),
                    "subnet": sum(1 for s in self.subnets.values() if s["project_id"] == project),
                    "port": sum(1 for p in self.ports.values() if p["project_id"] == project),
                }
                return {
                    "quota": {k: {"limit": v, "used": used.get(k, 0), "reserved": 0} for k, v in q.items()}
                }

        @route("PUT", N + r"/quotas/(?P<project>[^/]+)")
        def quotas_put(req: Request, ctx: Ctx) -> dict[str, Any]:
            if not ctx.is_admin:
                raise neutron_fault(403, "HTTPForbidden", "rule:update_quota is disallowed by policy")
            body = svc.body(req, "quota")
            with lock:
                q = self.quotas.setdefault(req.params["project"], {})
                q.update({k: int(v) for k, v in body.items() if k in _QUOTAS})
                return {"quota": {**_QUOTAS, **q}}

        self.nuage.register(route)

    def _subnet_from(self, body: dict[str, Any], net: dict[str, Any], project: str) -> dict[str, Any]:
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
        for other in self.subnets.values():
            if other["network_id"] == net["id"] and ipaddress.ip_network(other["cidr"]).overlaps(cidr):
                raise bad(
                    f"Requested subnet with cidr: {cidr} for network: {net['id']} overlaps with another "
                    "subnet."
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
                        f"The allocation pool {pool['start']}-"
                        f"{pool['end']} spans beyond the subnet cidr {cidr}.",
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
