"""Cinder volume types: the backend's own type (seeded by the service) and the ones admins add."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx, new_id, nova_fault
from lifecycle.lab.openstack.cinder.common import P, scoped

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cinder.service import Cinder


def register(cinder: Cinder) -> None:
    svc, lock, route = cinder.svc, cinder.lock, cinder.svc.route

    def type_view(t: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        out = {
            "id": t["id"],
            "name": t["name"],
            "description": t["description"],
            "is_public": t["is_public"],
            "os-volume-type-access:is_public": t["is_public"],
            "qos_specs_id": t["qos_specs_id"],
        }
        if ctx.is_admin:
            out["extra_specs"] = dict(t["extra_specs"])
        return out

    @route("GET", P + r"/types")
    def types(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        with lock:
            return {"volume_types": [type_view(t, ctx) for t in cinder.types.values()]}

    @route("GET", P + r"/types/(?P<tid>[^/]+)")
    def type_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        with lock:
            t = next((t for t in cinder.types.values() if req.params["tid"] in (t["id"], t["name"])), None)
            if t is None:
                raise nova_fault(404, f"Volume type {req.params['tid']} could not be found.")
            return {"volume_type": type_view(t, ctx)}

    @route("POST", P + r"/types")
    def type_create(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        svc.need_admin(ctx, "volume_extension:types_manage")
        body = svc.body(req, "volume_type")
        with lock:
            if any(t["name"] == body.get("name") for t in cinder.types.values()):
                raise nova_fault(409, f"Volume Type {body.get('name')} already exists.")
            tid = new_id()
            t = {
                "id": tid,
                "name": body.get("name"),
                "description": body.get("description"),
                "is_public": body.get("os-volume-type-access:is_public", True),
                "qos_specs_id": None,
                "extra_specs": dict(body.get("extra_specs") or {}),
            }
            cinder.types[tid] = t
            return {"volume_type": type_view(t, ctx)}
