"""Keystone's service catalog and the ``services``, ``endpoints`` and ``regions`` it is built from.

Services and endpoints are registered once (as TripleO's keystone bootstrap does), so their ids
are the same in every token's catalog and in ``/v3/services`` and ``/v3/endpoints``: clients
such as ``openstack endpoint list`` join endpoints to services by id. ``/v3/endpoints`` shows
the registered URL template (``%(tenant_id)s`` unsubstituted), the catalog substitutes the
token's project and drops what it cannot substitute, as Keystone does. Listing services,
endpoints and regions is admin-only in Keystone's default policy; the catalog is anyone's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import hex_id, keystone_fault
from lifecycle.lab.openstack.keystone.common import ID, V3
from lifecycle.lab.openstack.keystone.tokens import Token

if TYPE_CHECKING:
    from lifecycle.lab.openstack.keystone.service import Keystone

INTERFACES = ("public", "internal", "admin")
# The descriptions the puppet modules TripleO runs give each service they register.
DESCRIPTIONS = {"keystone": "OpenStack Identity Service", "nova": "Openstack Compute Service",
                "neutron": "Neutron Networking Service", "cinderv3": "Cinder Service v3",
                "cinderv2": "Cinder Service v2", "cinder": "Cinder Service",
                "glance": "OpenStack Image Service"}


def registry(keystone: Keystone) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(services, endpoints) as Keystone stores them; registered on first use, then stable."""
    with keystone.lock:
        reg = keystone.catalog_registry
        if reg is None:
            services: list[dict[str, Any]] = []
            endpoints: list[dict[str, Any]] = []
            for stype, name, url in keystone.cloud.catalog():
                sid = hex_id()
                services.append({"id": sid, "type": stype, "name": name, "enabled": True,
                                 "description": DESCRIPTIONS.get(name, "")})
                endpoints += [{"id": hex_id(), "interface": iface, "region_id": keystone.cloud.region,
                               "region": keystone.cloud.region, "url": url, "service_id": sid,
                               "enabled": True} for iface in INTERFACES]
            reg = keystone.catalog_registry = (services, endpoints)
        return reg


def catalog_for(keystone: Keystone, token: Token) -> list[dict[str, Any]]:
    services, endpoints = registry(keystone)
    entries = []
    for svc in services:
        eps = []
        for e in endpoints:
            if e["service_id"] != svc["id"]:
                continue
            url = e["url"]
            if "%(project_id)s" in url or "%(tenant_id)s" in url:
                if not token.project_id:
                    continue  # keystone drops endpoints it cannot substitute
                pid = token.project_id
                url = url.replace("%(project_id)s", pid).replace("%(tenant_id)s", pid)
            eps.append({k: e[k] for k in ("id", "interface", "region_id", "region")} | {"url": url})
        if eps:
            entries.append({"id": svc["id"], "type": svc["type"], "name": svc["name"], "endpoints": eps})
    return entries


def register(keystone: Keystone) -> None:
    add = keystone.svc.router.add

    def auth_catalog(req: Request) -> dict[str, Any]:
        tok = keystone.need_token(req)
        return {"catalog": catalog_for(keystone, tok), "links": keystone.links(req.path)}

    add("GET", V3 + r"/auth/catalog", auth_catalog)

    def filtered(req: Request, items: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
        for k in keys:
            want = req.arg(k)
            if want is not None:
                items = [i for i in items if str(i.get(k)) == want]
        return items

    def service_view(s: dict[str, Any]) -> dict[str, Any]:
        return {**s, "links": keystone.link("services", s["id"])}

    def endpoint_view(e: dict[str, Any]) -> dict[str, Any]:
        return {**e, "links": keystone.link("endpoints", e["id"])}

    def services(req: Request) -> dict[str, Any]:
        keystone.need_admin(req)
        items = filtered(req, registry(keystone)[0], ("type", "name"))
        return {"services": [service_view(s) for s in items], "links": keystone.links(req.path)}

    def service(req: Request) -> dict[str, Any]:
        keystone.need_admin(req)
        for s in registry(keystone)[0]:
            if s["id"] == req.params["id"]:
                return {"service": service_view(s)}
        raise keystone_fault(404, f"Could not find service: {req.params['id']}.")

    def endpoints(req: Request) -> dict[str, Any]:
        keystone.need_admin(req)
        items = filtered(req, registry(keystone)[1], ("service_id", "interface", "region_id"))
        return {"endpoints": [endpoint_view(e) for e in items], "links": keystone.links(req.path)}

    def endpoint(req: Request) -> dict[str, Any]:
        keystone.need_admin(req)
        for e in registry(keystone)[1]:
            if e["id"] == req.params["id"]:
                return {"endpoint": endpoint_view(e)}
        raise keystone_fault(404, f"Could not find endpoint: {req.params['id']}.")

    def region_view() -> dict[str, Any]:
        rid = keystone.cloud.region
        return {"id": rid, "description": "", "parent_region_id": None,
                "links": keystone.link("regions", rid)}

    def regions(req: Request) -> dict[str, Any]:
        keystone.need_token(req)  # identity:list_regions is open to any token in Keystone's policy
        return {"regions": [region_view()], "links": keystone.links(req.path)}

    def region(req: Request) -> dict[str, Any]:
        keystone.need_token(req)
        if req.params["id"] != keystone.cloud.region:
            raise keystone_fault(404, f"Could not find region: {req.params['id']}.")
        return {"region": region_view()}

    add("GET", V3 + r"/services", services)
    add("GET", V3 + r"/services/" + ID, service)
    add("GET", V3 + r"/endpoints", endpoints)
    add("GET", V3 + r"/endpoints/" + ID, endpoint)
    add("GET", V3 + r"/regions", regions)
    add("GET", V3 + r"/regions/" + ID, region)
