"""Keystone's service catalog (the cloud's endpoints, project ids substituted, for each token)
and the ``services``, ``endpoints`` and ``regions`` collections derived from it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import hex_id
from lifecycle.lab.openstack.keystone.common import V3
from lifecycle.lab.openstack.keystone.tokens import Token

if TYPE_CHECKING:
    from lifecycle.lab.openstack.keystone.service import Keystone


def catalog_for(keystone: Keystone, token: Token) -> list[dict[str, Any]]:
    entries = []
    for stype, name, url in keystone.cloud.catalog():
        if "%(project_id)s" in url or "%(tenant_id)s" in url:
            if not token.project_id:
                continue  # keystone drops endpoints it cannot substitute
            url = url.replace("%(project_id)s", token.project_id).replace("%(tenant_id)s", token.project_id)
        sid = hex_id()[:32]
        endpoints = [
            {
                "id": f"{sid[:24]}{i:08x}",
                "interface": iface,
                "region_id": keystone.cloud.region,
                "region": keystone.cloud.region,
                "url": url,
            }
            for i, iface in enumerate(("public", "internal", "admin"))
        ]
        entries.append({"id": sid, "type": stype, "name": name, "endpoints": endpoints})
    return entries


def register(keystone: Keystone) -> None:
    add = keystone.svc.router.add

    def auth_catalog(req: Request) -> dict[str, Any]:
        tok = keystone.need_token(req)
        return {"catalog": catalog_for(keystone, tok), "links": keystone.links(req.path)}

    add("GET", V3 + r"/auth/catalog", auth_catalog)

    def services(req: Request) -> dict[str, Any]:
        keystone.need_token(req)
        return {
            "services": [
                {
                    "id": c["id"],
                    "type": c["type"],
                    "name": c["name"],
                    "enabled": True,
                    "description": None,
                }
                for c in catalog_for(keystone, keystone.need_token(req))
            ],
            "links": keystone.links(req.path),
        }

    def endpoints(req: Request) -> dict[str, Any]:
        tok = keystone.need_token(req)
        return {
            "endpoints": [
                dict(e, service_id=c["id"], enabled=True)
                for c in catalog_for(keystone, tok)
                for e in c["endpoints"]
            ],
            "links": keystone.links(req.path),
        }

    def regions(req: Request) -> dict[str, Any]:
        keystone.need_token(req)
        return {
            "regions": [{"id": keystone.cloud.region, "description": "", "parent_region_id": None}],
            "links": keystone.links(req.path),
        }

    add("GET", V3 + r"/services", services)
    add("GET", V3 + r"/endpoints", endpoints)
    add("GET", V3 + r"/regions", regions)
