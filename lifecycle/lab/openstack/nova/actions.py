"""Server actions (os-stop, os-start, soft and hard reboot, refused in the wrong state as Nova
does) and the instance-action log every server keeps."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response
from lifecycle.lab.openstack.api import Ctx, accepted, iso, nova_fault
from lifecycle.lab.openstack.nova.common import ID, VM_STATE, V, find_server

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova


def record_action(s: dict[str, Any], action: str, ctx: Ctx) -> None:
    s["actions"].append(
        {
            "action": action,
            "instance_uuid": s["id"],
            "request_id": ctx.request_id,
            "user_id": ctx.user_id,
            "project_id": ctx.project_id,
            "start_time": iso(micro=True, z=False),
            "message": None,
            "updated_at": iso(micro=True, z=False),
            "events": [
                {
                    "event": f"compute_{action}_instance",
                    "start_time": iso(micro=True, z=False),
                    "finish_time": iso(micro=True, z=False),
                    "result": "Success",
                    "traceback": None,
                }
            ],
        }
    )


def register(nova: Nova) -> None:
    svc, lock, route = nova.svc, nova.lock, nova.svc.route

    @route("POST", V + rf"/servers/{ID}/action")
    def action(req: Request, ctx: Ctx) -> Response:
        body = svc.body(req)
        if len(body) != 1:
            raise nova_fault(400, "There is either no action or more than one action in the request body.")
        ((name, args),) = body.items()
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            state = VM_STATE.get(s["status"], "active")
            rules = {
                "os-stop": ("ACTIVE", "SHUTOFF", "stop"),
                "os-start": ("SHUTOFF", "ACTIVE", "start"),
                "reboot": (None, "ACTIVE", "reboot"),
            }
            if name not in rules:
                raise nova_fault(400, f"There is no such action: {name}")
            need, final, verb = rules[name]
            if (
                s["task_state"] is not None
                or (need and s["status"] != need)
                or (name == "reboot" and s["status"] not in ("ACTIVE", "SHUTOFF"))
            ):
                raise nova_fault(
                    409,
                    f"Cannot '{verb}' instance {s['id']} while it is in vm_state {state}"
                    if s["task_state"] is None
                    else f"Cannot '{verb}' instance {s['id']} while it is in task_state {s['task_state']}",
                )
            if name == "reboot":
                hard = str((args or {}).get("type", "SOFT")).upper() == "HARD"
                s.update(
                    status="HARD_REBOOT" if hard else "REBOOT",
                    task_state="reboot_started_hard" if hard else "reboot_started",
                )
            else:
                s["task_state"] = "powering-off" if name == "os-stop" else "powering-on"
            record_action(s, verb, ctx)
        sid = s["id"]

        def done() -> None:
            with lock:
                cur = nova.servers.get(sid)
                if cur is not None and not cur["deleted"]:
                    cur.update(status=final, task_state=None, updated=iso())

        nova.cloud.timers.after(nova.cloud.latency.task_duration("nova.action"), done)
        return accepted()

    @route("GET", V + rf"/servers/{ID}/os-instance-actions")
    def actions(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            return {
                "instanceActions": [
                    {k: v for k, v in a.items() if k != "events"} for a in reversed(s["actions"])
                ]
            }

    @route("GET", V + rf"/servers/{ID}/os-instance-actions/(?P<req_id>[^/]+)")
    def action_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            for a in s["actions"]:
                if a["request_id"] == req.params["req_id"]:
                    return {"instanceAction": copy.deepcopy(a)}
        raise nova_fault(404, f"Action for request_id {req.params['req_id']} on instance {s['id']} not found")
