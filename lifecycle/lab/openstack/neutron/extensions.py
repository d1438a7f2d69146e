"""Neutron's API root, its resource list and the extensions it announces (ML2 with the Nuage
mechanism driver's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx, neutron_fault
from lifecycle.lab.openstack.neutron.common import N

if TYPE_CHECKING:
    from lifecycle.lab.openstack.neutron.service import Neutron

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


def register(neutron: Neutron) -> None:
    svc, route = neutron.svc, neutron.svc.route

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
        raise neutron_fault(404, "HTTPNotFound", f"Extension with alias {req.params['alias']} does not exist")

    # ML2 always serves the agent extension, but a Nuage deployment has no Neutron agents: its
    # TripleO environment (neutron-nuage-config.yaml) disables the DHCP, L3, metadata and OVS
    # agents, as the VRS and VSC do their work. So the collection is there, and empty.
    @route("GET", N + r"/agents")
    def agents(req: Request, ctx: Ctx) -> dict[str, Any]:
        return {"agents": []}

    def agent(req: Request, ctx: Ctx) -> dict[str, Any]:
        raise neutron_fault(404, "AgentNotFound", f"Agent {req.params['id']} could not be found.")

    for method in ("GET", "PUT", "DELETE"):
        route(method, N + r"/agents/(?P<id>[^/]+)")(agent)
