"""Nova's os-services: list, enable/disable (by host and binary before microversion 2.53, by
UUID from 2.53 on, as in Nova), force-down and delete (refused while the compute hosts servers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response
from lifecycle.lab.openstack.api import Ctx, empty, iso, nova_fault
from lifecycle.lab.openstack.nova.common import ANY_ID, V

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova


def register(nova: Nova) -> None:
    svc, lock, route = nova.svc, nova.lock, nova.svc.route

    def service_view(s: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        out = {
            "id": s["uuid"] if ctx.at_least(2, 53) else s["num"],
            "binary": s["binary"],
            "host": s["host"],
            "zone": s["zone"],
            "status": s["status"],
            "state": "up",
            "updated_at": iso(micro=True, z=False),
            "disabled_reason": s["disabled_reason"],
        }
        if ctx.at_least(2, 11):
            out["forced_down"] = False
        return out

    @route("GET", V + r"/os-services")
    def services(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-services")
        with lock:
            items = [
                service_view(s, ctx)
                for s in nova.services.values()
                if (not req.arg("host") or s["host"] == req.arg("host"))
                and (not req.arg("binary") or s["binary"] == req.arg("binary"))
            ]
        return {"services": items}

    def by_host(body: dict[str, Any]) -> dict[str, Any]:
        for s in nova.services.values():
            if s["host"] == body.get("host") and s["binary"] == body.get("binary"):
                return s
        raise nova_fault(
            404,
            f"Compute host {body.get('host')} could not be found."
            if body.get("binary") == "nova-compute"
            else f"Service {body.get('binary')} on host {body.get('host')} could not be found.",
        )

    @route("PUT", V + r"/os-services/(?P<action>enable|disable|disable-log-reason|force-down)")
    def service_action(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-services")
        if ctx.at_least(2, 53):
            raise nova_fault(404, "The resource could not be found.")
        body = svc.body(req)
        action = req.params["action"]
        with lock:
            s = by_host(body)
            if action == "force-down":
                return {
                    "service": {
                        "host": s["host"],
                        "binary": s["binary"],
                        "forced_down": bool(body.get("forced_down")),
                    }
                }
            s["status"] = "enabled" if action == "enable" else "disabled"
            s["disabled_reason"] = body.get("disabled_reason") if action == "disable-log-reason" else None
            out = {"host": s["host"], "binary": s["binary"], "status": s["status"]}
            if action == "disable-log-reason":
                out["disabled_reason"] = s["disabled_reason"]
            return {"service": out}

    @route("PUT", V + rf"/os-services/{ANY_ID}")
    def service_update(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-services")
        if not ctx.at_least(2, 53):
            raise nova_fault(404, "The resource could not be found.")
        body = svc.body(req)
        with lock:
            s = next((s for s in nova.services.values() if s["uuid"] == req.params["id"]), None)
            if s is None:
                raise nova_fault(404, f"Service {req.params['id']} could not be found.")
            if "status" in body:
                if body["status"] not in ("enabled", "disabled"):
                    raise nova_fault(
                        400, f"Invalid input for field/attribute status. Value: {body['status']}."
                    )
                s["status"] = body["status"]
                s["disabled_reason"] = body.get("disabled_reason") if body["status"] == "disabled" else None
            return {"service": service_view(s, ctx)}

    @route("DELETE", V + rf"/os-services/{ANY_ID}")
    def service_delete(req: Request, ctx: Ctx) -> Response:
        svc.need_admin(ctx, "os_compute_api:os-services")
        with lock:
            s = next(
                (
                    s
                    for s in nova.services.values()
                    if str(s["uuid"] if ctx.at_least(2, 53) else s["num"]) == req.params["id"]
                ),
                None,
            )
            if s is None:
                raise nova_fault(404, f"Service {req.params['id']} could not be found.")
            if (
                s["binary"] == "nova-compute"
                and s["host"] in nova.hypervisors
                and nova.usage(s["host"])["servers"]
            ):
                raise nova_fault(
                    409,
                    "Unable to delete compute service that is hosting instances. Migrate "
                    "or delete the instances first.",
                )
            nova.services.pop(s["key"])
            nova.hypervisors.pop(s["host"], None)
        return empty()
