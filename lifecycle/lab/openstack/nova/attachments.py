"""What is attached to a server: volumes (``os-volume_attachments``, attached and detached
through Cinder and the array) and ports (``os-interface``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response
from lifecycle.lab.openstack.api import Ctx, accepted, nova_fault
from lifecycle.lab.openstack.nova.actions import record_action
from lifecycle.lab.openstack.nova.common import ID, VM_STATE, V, find_server, next_device

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova


def register(nova: Nova) -> None:
    svc, lock, route = nova.svc, nova.lock, nova.svc.route

    def att_view(s: dict[str, Any], a: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        out = {"id": a["volumeId"], "serverId": s["id"], "volumeId": a["volumeId"], "device": a["device"]}
        if ctx.at_least(2, 70):
            out["tag"] = None
        if ctx.at_least(2, 79):
            out["delete_on_termination"] = a["delete_on_termination"]
        return out

    @route("GET", V + rf"/servers/{ID}/os-volume_attachments")
    def att_list(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            return {"volumeAttachments": [att_view(s, a, ctx) for a in s["attachments"]]}

    @route("GET", V + rf"/servers/{ID}/os-volume_attachments/(?P<vol>[^/]+)")
    def att_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            for a in s["attachments"]:
                if a["volumeId"] == req.params["vol"]:
                    return {"volumeAttachment": att_view(s, a, ctx)}
        raise nova_fault(404, f"Volume {req.params['vol']} is not attached to the instance {s['id']}")

    @route("POST", V + rf"/servers/{ID}/os-volume_attachments")
    def att_create(req: Request, ctx: Ctx) -> dict[str, Any]:
        body = svc.body(req, "volumeAttachment")
        vol = str(body.get("volumeId") or "")
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            if s["status"] not in ("ACTIVE", "SHUTOFF") or s["task_state"] is not None:
                raise nova_fault(
                    409,
                    f"Cannot 'attach_volume' instance {s['id']} while it is in vm_state "
                    f"{VM_STATE.get(s['status'], 'active')}",
                )
            if any(a["volumeId"] == vol for a in s["attachments"]):
                raise nova_fault(400, f"Invalid volume: volume {vol} already attached")
            host = s["host"]
        nova.cloud.cinder.check_attachable(vol)
        nova.cloud.cinder.attach_for_server(vol, s, host, device=body.get("device"))
        with lock:
            a = {
                "volumeId": vol,
                "device": body.get("device") or next_device(s),
                "delete_on_termination": bool(body.get("delete_on_termination", False)),
            }
            s["attachments"].append(a)
            record_action(s, "attach_volume", ctx)
            return {"volumeAttachment": att_view(s, a, ctx)}

    @route("DELETE", V + rf"/servers/{ID}/os-volume_attachments/(?P<vol>[^/]+)")
    def att_delete(req: Request, ctx: Ctx) -> Response:
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            a = next((a for a in s["attachments"] if a["volumeId"] == req.params["vol"]), None)
            if a is None:
                raise nova_fault(404, f"Volume {req.params['vol']} is not attached to the instance {s['id']}")
            s["attachments"].remove(a)
            record_action(s, "detach_volume", ctx)
        nova.cloud.cinder.detach_for_server(a["volumeId"], s, s["host"])
        return accepted()

    @route("GET", V + rf"/servers/{ID}/os-interface")
    def interfaces(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            ports = nova.cloud.neutron.ports_of(s["id"])
            return {
                "interfaceAttachments": [
                    {
                        "port_id": p["id"],
                        "net_id": p["network_id"],
                        "mac_addr": p["mac_address"],
                        "port_state": p["status"],
                        "fixed_ips": [dict(ip) for ip in p["fixed_ips"]],
                    }
                    for p in ports
                ]
            }
