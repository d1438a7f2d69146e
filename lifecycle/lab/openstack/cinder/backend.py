"""Cinder's backend as admins see it: os-services (the scheduler and the Pure cinder-volume, which
can be disabled) and the scheduler's pools with the array's capacity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx, iso, nova_fault
from lifecycle.lab.openstack.cinder.common import P, scoped

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cinder.service import Cinder


def volume_service(cinder: Cinder, host: str | None) -> dict[str, Any] | None:
    backend = (host or "").split("#", 1)[0]
    return next((s for s in cinder.services if s["binary"] == "cinder-volume" and s["host"] == backend), None)


def register(cinder: Cinder) -> None:
    svc, lock, route = cinder.svc, cinder.lock, cinder.svc.route

    def service_view(s: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        out = {
            "binary": s["binary"],
            "host": s["host"],
            "zone": s["zone"],
            "status": s["status"],
            "state": "up",
            "updated_at": iso(micro=True, z=False),
            "disabled_reason": s["disabled_reason"],
        }
        if s["binary"] == "cinder-volume":
            out.update(replication_status="disabled", active_backend_id=None, frozen=False)
        if ctx.at_least(3, 7):
            out["cluster"] = None
        if ctx.at_least(3, 49) and s["binary"] == "cinder-volume":
            out["backend_state"] = "up"
        return out

    @route("GET", P + r"/os-services")
    def services(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        svc.need_admin(ctx, "volume_extension:services:index")
        with lock:
            items = [
                service_view(s, ctx)
                for s in cinder.services
                if (not req.arg("host") or s["host"] == req.arg("host"))
                and (not req.arg("binary") or s["binary"] == req.arg("binary"))
            ]
        return {"services": items}

    @route("PUT", P + r"/os-services/(?P<action>enable|disable|disable-log-reason)")
    def service_action(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        svc.need_admin(ctx, "volume_extension:services:update")
        body = svc.body(req)
        with lock:
            s = next(
                (
                    s
                    for s in cinder.services
                    if s["host"] == body.get("host") and s["binary"] == body.get("binary", "cinder-volume")
                ),
                None,
            )
            if s is None:
                raise nova_fault(404, f"Host {body.get('host')} could not be found.")
            s["status"] = "enabled" if req.params["action"] == "enable" else "disabled"
            s["disabled_reason"] = body.get("disabled_reason")
            return {
                "host": s["host"],
                "binary": s["binary"],
                "status": s["status"],
                "disabled": s["status"] == "disabled",
                "disabled_reason": s["disabled_reason"],
            }

    @route("GET", P + r"/scheduler-stats/get_pools")
    def pools(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        svc.need_admin(ctx, "scheduler_extension:scheduler_stats:get_pools")
        with lock:
            used = sum(v.size_gb for v in cinder.array.snapshot())
        pool: dict[str, Any] = {"name": cinder.pool}
        if req.arg("detail") in ("true", "True", "1"):
            pool["capabilities"] = {
                "pool_name": cinder.backend,
                "volume_backend_name": cinder.backend,
                "vendor_name": "Pure Storage",
                "driver_version": "10.0.0",
                "storage_protocol": cinder.protocol,
                "total_capacity_gb": 102400,
                "free_capacity_gb": 102400 - used,
                "allocated_capacity_gb": used,
                "thin_provisioning_support": True,
                "multiattach": True,
                "timestamp": iso(micro=True, z=False),
            }
        return {"pools": [pool]}
