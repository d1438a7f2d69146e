"""Cinder's volume actions (``POST /volumes/{id}/action``): the legacy attach steps Nova drives
(os-reserve, os-attach, os-begin_detaching, os-detach, ...), unmanage, extend, reset-status,
bootable and read-only flags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response
from lifecycle.lab.openstack.api import Ctx, accepted, nova_fault
from lifecycle.lab.openstack.cinder.attachments import attached_now, detach, new_attachment
from lifecycle.lab.openstack.cinder.common import ID, P, scoped
from lifecycle.lab.openstack.cinder.manage import unmanage
from lifecycle.lab.openstack.cinder.volumes import find_volume, touch

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cinder.service import Cinder


def volume_action(cinder: Cinder, v: dict[str, Any], name: str, args: dict[str, Any], ctx: Ctx) -> Response:
    status = v["status"]

    def invalid(why: str) -> Exception:
        return nova_fault(400, f"Invalid volume: {why}")

    if name == "os-reserve":
        if status != "available":
            raise invalid(
                f"Volume {v['id']} status must be available or downloading to reserve, but the current "
                f"status is {status}."
            )
        touch(v, status="attaching")
    elif name == "os-unreserve":
        if status == "attaching":
            touch(v, status="in-use" if v["attachments"] else "available")
    elif name == "os-attach":
        if status not in ("available", "attaching", "in-use", "reserved"):
            raise invalid(
                f"Volume {v['id']} status must be available or attaching, but current status is {status}."
            )
        a = new_attachment(
            cinder,
            v,
            args.get("instance_uuid"),
            args.get("host_name"),
            args.get("mountpoint"),
            status="attaching",
        )
        attached_now(cinder, v, a)
    elif name == "os-begin_detaching":
        if status != "in-use":
            raise invalid(
                "Unable to detach volume. Volume status must be 'in-use' and attach_status must be "
                "'attached' to detach."
            )
        touch(v, status="detaching")
    elif name == "os-roll_detaching":
        if status == "detaching":
            touch(v, status="in-use")
    elif name == "os-detach":
        aid = args.get("attachment_id")
        targets = [aid] if aid else [a["attachment_id"] for a in v["attachments"]]
        if aid and aid not in cinder.attachments:
            raise nova_fault(404, f"Volume attachment could not be found with filter: attachment_id = {aid}.")
        for t in targets:
            detach(cinder, v, t)
    elif name == "os-unmanage":
        cinder.svc.need_admin(ctx, "volume_extension:volume_unmanage")
        if status not in ("available", "error", "error_managing") or v["attachments"]:
            raise invalid(
                "Volume status must be available or error or error_restoring or error_extending or "
                "error_managing and must not be migrating, attached, belong to a group, have "
                "snapshots or be disassociated from snapshots after volume transfer."
            )
        touch(v, status="unmanaging")
        vid = v["id"]
        cinder.cloud.timers.after(
            cinder.cloud.latency.task_duration("cinder.unmanage"), lambda: unmanage(cinder, vid)
        )
    elif name == "os-extend":
        new = int(args.get("new_size", 0))
        if status != "available" or new <= v["size"]:
            raise invalid(
                f"New size for extend must be greater than current size. (current: {v['size']}, "
                f"extended: {new})."
                if new <= v["size"]
                else "Volume status must be 'available' to extend."
            )
        if v["provider_id"]:
            av = cinder.array.get(v["provider_id"])
            if av is not None:
                av.size_gb = new
        touch(v, size=new)
    elif name == "os-reset_status":
        cinder.svc.need_admin(ctx, "volume_extension:volume_admin_actions:reset_status")
        touch(v, status=args.get("status", status))
    elif name == "os-set_bootable":
        touch(v, bootable=str(args.get("bootable")).lower() in ("true", "1"))
    elif name == "os-update_readonly_flag":
        v["metadata"]["readonly"] = str(bool(args.get("readonly"))).lower()
    else:
        raise nova_fault(400, f"There is no such action: {name}")
    return accepted()


def register(cinder: Cinder) -> None:
    svc, lock, route = cinder.svc, cinder.lock, cinder.svc.route

    @route("POST", P + rf"/volumes/{ID}/action")
    def action(req: Request, ctx: Ctx) -> Response:
        scoped(req, ctx)
        body = svc.body(req)
        if len(body) != 1:
            raise nova_fault(400, "There is either no action or more than one action in the request body.")
        ((name, args),) = body.items()
        args = args or {}
        with lock:
            v = find_volume(cinder, req.params["id"], ctx)
            return volume_action(cinder, v, name, args, ctx)
