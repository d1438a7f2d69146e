"""Cinder's per-project quotas (``os-quota-sets``), with usage counted from the volumes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx
from lifecycle.lab.openstack.cinder.common import P, scoped

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cinder.service import Cinder


def register(cinder: Cinder) -> None:
    svc, lock, route = cinder.svc, cinder.lock, cinder.svc.route

    quota_defaults = {
        "volumes": 10,
        "gigabytes": 1000,
        "snapshots": 10,
        "backups": 10,
        "backup_gigabytes": 1000,
        "per_volume_gigabytes": -1,
        "groups": 10,
    }

    @route("GET", P + r"/os-quota-sets/(?P<target>[^/]+)")
    def quotas(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        target = req.params["target"]
        with lock:
            q = {**quota_defaults, **cinder.quotas.get(target, {})}
            mine = [v for v in cinder.volumes.values() if v["project_id"] == target]
        if req.arg("usage") in ("True", "true"):
            used = {"volumes": len(mine), "gigabytes": sum(v["size"] for v in mine)}
            return {
                "quota_set": {
                    "id": target,
                    **{
                        k: {"limit": v, "in_use": used.get(k, 0), "reserved": 0, "allocated": 0}
                        for k, v in q.items()
                    },
                }
            }
        return {"quota_set": {"id": target, **q}}

    @route("PUT", P + r"/os-quota-sets/(?P<target>[^/]+)")
    def quotas_put(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        svc.need_admin(ctx, "volume_extension:quotas:update")
        body = svc.body(req, "quota_set")
        with lock:
            q = cinder.quotas.setdefault(req.params["target"], {})
            q.update({k: int(v) for k, v in body.items() if k in quota_defaults})
            return {"quota_set": {**quota_defaults, **q}}
