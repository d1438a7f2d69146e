"""Volume attachments: the records, attach and detach as Nova drives them in-process (the array
connects the volume to the compute's host), and the 3.27+ attachments API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response
from lifecycle.lab.openstack.api import Ctx, empty, iso, new_id, nova_fault
from lifecycle.lab.openstack.cinder.common import ID, P, need, scoped
from lifecycle.lab.openstack.cinder.volumes import find_volume, touch

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cinder.service import Cinder


def check_attachable(cinder: Cinder, vid: str) -> None:
    with cinder.lock:
        v = cinder.volumes.get(vid)
        if v is None:
            raise nova_fault(404, f"Volume {vid} could not be found.")
        if v["status"] != "available":
            raise nova_fault(
                400,
                f"Invalid volume: Volume {vid} status must be available or downloading "
                f"to reserve, but the current status is {v['status']}.",
            )


def attach_for_server(
    cinder: Cinder, vid: str, server: dict[str, Any], host: str | None, device: str | None = None
) -> dict[str, Any]:
    with cinder.lock:
        check_attachable(cinder, vid)
        v = cinder.volumes[vid]
        att = new_attachment(cinder, v, server["id"], host, device or "/dev/vdb", status="attaching")
        touch(v, status="attaching")
    cinder.cloud.timers.after(
        cinder.cloud.latency.task_duration("cinder.attach"), lambda: attached(cinder, vid, att["id"])
    )
    return att


def new_attachment(
    cinder: Cinder,
    v: dict[str, Any],
    server_id: str | None,
    host: str | None,
    device: str | None,
    status: str,
) -> dict[str, Any]:
    aid = new_id()
    rec = {
        "id": aid,
        "volume_id": v["id"],
        "instance": server_id,
        "host": host,
        "device": device,
        "status": status,
        "attached_at": None,
        "detached_at": None,
        "attach_mode": "rw",
        "project_id": v["project_id"],
    }
    cinder.attachments[aid] = rec
    return rec


def attached(cinder: Cinder, vid: str, aid: str) -> None:
    with cinder.lock:
        v, att = cinder.volumes.get(vid), cinder.attachments.get(aid)
        if v is None or att is None:
            return
        att.update(status="attached", attached_at=iso(micro=True, z=False))
        v["attachments"].append(
            {
                "server_id": att["instance"],
                "attachment_id": aid,
                "attached_at": att["attached_at"],
                "host_name": att["host"],
                "volume_id": vid,
                "device": att["device"],
                "id": vid,
            }
        )
        touch(v, status="in-use")
        if att["host"] and v["provider_id"]:
            cinder.array.connect(v["provider_id"], att["host"])


def detach_for_server(cinder: Cinder, vid: str, server: dict[str, Any], host: str | None) -> None:
    with cinder.lock:
        v = cinder.volumes.get(vid)
        if v is None:
            return
        for aid, att in list(cinder.attachments.items()):
            if att["volume_id"] == vid and att["instance"] == server["id"]:
                detach(cinder, v, aid)


def detach(cinder: Cinder, v: dict[str, Any], aid: str) -> None:
    att = cinder.attachments.pop(aid, None)
    v["attachments"] = [a for a in v["attachments"] if a["attachment_id"] != aid]
    if (
        att
        and att["host"]
        and v["provider_id"]
        and not any(
            a["host"] == att["host"] for a in cinder.attachments.values() if a["volume_id"] == v["id"]
        )
    ):
        cinder.array.disconnect(v["provider_id"], att["host"])
    touch(v, status="in-use" if v["attachments"] else "available")


def attached_now(cinder: Cinder, v: dict[str, Any], a: dict[str, Any]) -> None:
    a.update(status="attached", attached_at=iso(micro=True, z=False))
    v["attachments"].append(
        {
            "server_id": a["instance"],
            "attachment_id": a["id"],
            "attached_at": a["attached_at"],
            "host_name": a["host"],
            "volume_id": v["id"],
            "device": a["device"],
            "id": v["id"],
        }
    )
    touch(v, status="in-use")
    if a["host"] and v["provider_id"]:
        cinder.array.connect(v["provider_id"], a["host"])


def register(cinder: Cinder) -> None:
    svc, lock, route = cinder.svc, cinder.lock, cinder.svc.route

    def att_view(a: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": a["id"],
            "status": a["status"],
            "instance": a["instance"],
            "volume_id": a["volume_id"],
            "attached_at": a["attached_at"],
            "detached_at": a["detached_at"],
            "attach_mode": a["attach_mode"],
            "connection_info": {"driver_volume_type": cinder.protocol.lower(), "data": {}}
            if a["host"]
            else None,
        }

    @route("GET", P + r"/attachments(?:/detail)?")
    def att_list(req: Request, ctx: Ctx) -> dict[str, Any]:
        project = scoped(req, ctx)
        need(ctx, 3, 27)
        with lock:
            items = [
                att_view(a) for a in cinder.attachments.values() if a["project_id"] == project or ctx.is_admin
            ]
        if req.arg("volume_id"):
            items = [a for a in items if a["volume_id"] == req.arg("volume_id")]
        return {"attachments": items}

    @route("POST", P + r"/attachments")
    def att_create(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        need(ctx, 3, 27)
        body = svc.body(req, "attachment")
        with lock:
            v = find_volume(cinder, str(body.get("volume_uuid")), ctx)
            if v["status"] not in ("available", "in-use", "reserved"):
                raise nova_fault(
                    400,
                    f"Invalid volume: Volume {v['id']} status must be available or in-use "
                    f"to reserve, but the current status is {v['status']}.",
                )
            connector = body.get("connector") or {}
            a = new_attachment(
                cinder,
                v,
                body.get("instance_uuid"),
                connector.get("host"),
                connector.get("mountpoint"),
                status="attached" if connector else "reserved",
            )
            if connector:
                attached_now(cinder, v, a)
            else:
                touch(v, status="reserved")
            return {"attachment": att_view(a)}

    @route("GET", P + rf"/attachments/{ID}")
    def att_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        need(ctx, 3, 27)
        with lock:
            a = cinder.attachments.get(req.params["id"])
            if a is None:
                raise nova_fault(
                    404,
                    f"Volume attachment could not be found with filter: attachment_id = {req.params['id']}.",
                )
            return {"attachment": att_view(a)}

    @route("PUT", P + rf"/attachments/{ID}")
    def att_update(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        need(ctx, 3, 27)
        connector = svc.body(req, "attachment").get("connector") or {}
        with lock:
            a = cinder.attachments.get(req.params["id"])
            if a is None:
                raise nova_fault(404, f"Volume attachment {req.params['id']} could not be found.")
            a.update(host=connector.get("host"), device=connector.get("mountpoint"))
            attached_now(cinder, cinder.volumes[a["volume_id"]], a)
            return {"attachment": att_view(a)}

    @route("POST", P + rf"/attachments/{ID}/action")
    def att_complete(req: Request, ctx: Ctx) -> Response:
        scoped(req, ctx)
        need(ctx, 3, 44)
        return empty()

    @route("DELETE", P + rf"/attachments/{ID}")
    def att_delete(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        need(ctx, 3, 27)
        with lock:
            a = cinder.attachments.get(req.params["id"])
            if a is None:
                raise nova_fault(404, f"Volume attachment {req.params['id']} could not be found.")
            detach(cinder, cinder.volumes[a["volume_id"]], a["id"])
            return {"attachments": []}
