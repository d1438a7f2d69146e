"""Cinder's per-project quotas (``os-quota-sets``) and ``limits``, with usage counted from the volumes
(the twin has no snapshots or backups, so theirs is 0)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx
from lifecycle.lab.openstack.cinder.common import P, scoped
from lifecycle.lab.openstack.keystone import project_of

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cinder.service import Cinder


QUOTA_DEFAULTS = {
    "volumes": 10,
    "gigabytes": 1000,
    "snapshots": 10,
    "backups": 10,
    "backup_gigabytes": 1000,
    "per_volume_gigabytes": -1,
    "groups": 10,
}
# cinder/api/views/limits.py: the quota behind each absolute limit, and the usage it reports.
_LIMITS = {"volumes": "maxTotalVolumes", "gigabytes": "maxTotalVolumeGigabytes",
           "snapshots": "maxTotalSnapshots", "backups": "maxTotalBackups",
           "backup_gigabytes": "maxTotalBackupGigabytes"}
_USED = {"volumes": "totalVolumesUsed", "gigabytes": "totalGigabytesUsed",
         "snapshots": "totalSnapshotsUsed", "backups": "totalBackupsUsed",
         "backup_gigabytes": "totalBackupGigabytesUsed"}


def register(cinder: Cinder) -> None:
    svc, lock, route = cinder.svc, cinder.lock, cinder.svc.route


    @route("GET", P + r"/os-quota-sets/(?P<target>[^/]+)")
    def quotas(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        target = req.params["target"]
        with lock:
            q = {**QUOTA_DEFAULTS, **cinder.quotas.get(target, {})}
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
            q.update({k: int(v) for k, v in body.items() if k in QUOTA_DEFAULTS})
            return {"quota_set": {**QUOTA_DEFAULTS, **q}}

    @route("GET", P + r"/limits")
    def limits(req: Request, ctx: Ctx) -> dict[str, Any]:
        # Cinder reports the caller's project (the token's, not the URL's); from 3.39 an admin may
        # name another with ?project_id=.
        project = project_of(ctx)
        if req.arg("project_id") and ctx.at_least(3, 39):
            svc.need_admin(ctx, "limits_extension:used_limit")
            project = str(req.arg("project_id"))
        with lock:
            q = {**QUOTA_DEFAULTS, **cinder.quotas.get(project, {})}
            mine = [v for v in cinder.volumes.values() if v["project_id"] == project]
        used = {"volumes": len(mine), "gigabytes": sum(v["size"] for v in mine)}
        absolute = {name: q[k] for k, name in _LIMITS.items()}
        absolute.update({name: used.get(k, 0) for k, name in _USED.items()})
        return {"limits": {"rate": [], "absolute": absolute}}
