"""Cinder volumes: their records and rendering, list/create/show/update/delete, and the user
messages a failed operation leaves (``GET /messages``, 3.3+)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from lifecycle.lab.array import ArrayError
from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, accepted, iso, new_id, nova_fault, page
from lifecycle.lab.openstack.cinder.common import ID, P, array_name, need, scoped

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cinder.service import Cinder

# Cinder's API shows these internal statuses as their public form (cinder/api/v2/views/volumes.py).
PUBLIC_STATUS = {"error_managing": "error", "error_managing_deleting": "deleting", "managing": "creating"}


def volume_view(cinder: Cinder, v: dict[str, Any], ctx: Ctx, detail: bool = True) -> dict[str, Any]:
    links = [
        {"rel": "self", "href": f"{cinder.svc.url}/v3/{v['project_id']}/volumes/{v['id']}"},
        {"rel": "bookmark", "href": f"{cinder.svc.url}/{v['project_id']}/volumes/{v['id']}"},
    ]
    if not detail:
        return {"id": v["id"], "name": v["name"], "links": links}
    out: dict[str, Any] = {
        "id": v["id"],
        "name": v["name"],
        "description": v["description"],
        "status": PUBLIC_STATUS.get(v["status"], v["status"]),
        "size": v["size"],
        "availability_zone": "nova",
        "created_at": v["created_at"],
        "updated_at": v["updated_at"],
        "attachments": [dict(a) for a in v["attachments"]],
        "volume_type": v["volume_type"],
        "snapshot_id": None,
        "source_volid": None,
        "metadata": dict(v["metadata"]),
        "links": links,
        "user_id": v["user_id"],
        "bootable": "true" if v["bootable"] else "false",
        "encrypted": False,
        "replication_status": "disabled",
        "consistencygroup_id": None,
        "multiattach": False,
        "os-vol-mig-status-attr:migstat": None,
        "os-vol-mig-status-attr:name_id": None,
    }
    if ctx.is_admin:
        out["os-vol-host-attr:host"] = v["host"]
        out["os-vol-tenant-attr:tenant_id"] = v["project_id"]
    if ctx.at_least(3, 13):
        out["group_id"] = None
    if ctx.at_least(3, 21) and ctx.is_admin:
        out["provider_id"] = v["provider_id"]
    if ctx.at_least(3, 48):
        out.update(service_uuid=None, shared_targets=False)
    return out


def find_volume(cinder: Cinder, vid: str, ctx: Ctx) -> dict[str, Any]:
    v = cinder.volumes.get(vid)
    if v is None or (v["project_id"] != ctx.project_id and not ctx.is_admin):
        raise nova_fault(404, f"Volume {vid} could not be found.")
    return v


def new_volume(
    cinder: Cinder, ctx: Ctx, project: str, body: dict[str, Any], *, status: str, size: int
) -> dict[str, Any]:
    vtype = body.get("volume_type")
    if vtype:
        t = next((t for t in cinder.types.values() if vtype in (t["id"], t["name"])), None)
        if t is None:
            raise nova_fault(404, f"Volume type with name {vtype} could not be found.")
        vtype = t["name"]
    now = iso(micro=True, z=False)
    vid = new_id()
    v = {
        "id": vid,
        "name": body.get("name"),
        "description": body.get("description"),
        "status": status,
        "size": size,
        "created_at": now,
        "updated_at": now,
        "attachments": [],
        "volume_type": vtype or cinder.backend,
        "metadata": {str(k): str(val) for k, val in (body.get("metadata") or {}).items()},
        "user_id": ctx.user_id,
        "project_id": project,
        "bootable": bool(body.get("bootable", False)),
        "host": cinder.pool,
        "provider_id": None,
        "reason": None,
    }
    cinder.volumes[vid] = v
    return v


def touch(v: dict[str, Any], **changes: Any) -> None:
    v.update(changes, updated_at=iso(micro=True, z=False))


def add_message(cinder: Cinder, v: dict[str, Any], text: str) -> None:
    cinder.messages.append(
        {
            "id": new_id(),
            "message_level": "ERROR",
            "event_id": "VOLUME_VOLUME_001_002",
            "user_message": text,
            "resource_type": "VOLUME",
            "resource_uuid": v["id"],
            "created_at": iso(micro=True, z=False),
            "guaranteed_until": None,
            "request_id": f"req-{new_id()}",
            "project_id": v["project_id"],
        }
    )


def register(cinder: Cinder) -> None:
    svc, lock, route = cinder.svc, cinder.lock, cinder.svc.route

    def listing(req: Request, ctx: Ctx, detail: bool) -> dict[str, Any]:
        project = scoped(req, ctx)
        everyone = ctx.is_admin and (req.arg("all_tenants") or "") not in ("", "0", "false", "False")
        with lock:
            items = [
                volume_view(cinder, v, ctx)
                for v in cinder.volumes.values()
                # an admin's all_tenants listing, narrowed by Cinder's project_id filter if given
                if (req.arg("project_id") in (None, v["project_id"]) if everyone
                    else v["project_id"] == project)
            ]
        for key in ("name", "status", "bootable"):
            if req.arg(key):
                items = [i for i in items if str(i[key]) == req.arg(key)]
        items.sort(key=lambda i: i["created_at"], reverse=True)
        out = page(req, items, key="volumes", base_url=svc.url)
        if not detail:
            out["volumes"] = [{"id": i["id"], "name": i["name"], "links": i["links"]} for i in out["volumes"]]
        return out

    route("GET", P + r"/volumes")(lambda req, ctx: listing(req, ctx, False))
    route("GET", P + r"/volumes/detail")(lambda req, ctx: listing(req, ctx, True))

    @route("POST", P + r"/volumes")
    def create(req: Request, ctx: Ctx) -> Response:
        project = scoped(req, ctx)
        body = svc.body(req, "volume")
        try:
            size = int(body.get("size"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise nova_fault(
                400, f"Invalid input for field/attribute size. Value: {body.get('size')}."
            ) from None
        if size < 1:
            raise nova_fault(
                400,
                f"Invalid input for field/attribute size. Value: {size}. {size} is less than "
                "the minimum of 1",
            )
        with lock:
            v = new_volume(cinder, ctx, project, body, status="creating", size=size)
            vid = v["id"]
            out = volume_view(cinder, v, ctx)

        def created() -> None:
            with lock:
                cur = cinder.volumes.get(vid)
                if cur is None:
                    return
                try:
                    cinder.array.create(array_name(vid), size, owner=cinder.cloud.name, cinder_id=vid)
                except ArrayError:
                    touch(cur, status="error")
                    return
                touch(cur, status="available", provider_id=array_name(vid))

        cinder.cloud.timers.after(cinder.cloud.latency.task_duration("cinder.create"), created)
        return json_response({"volume": out}, 202)

    @route("GET", P + rf"/volumes/{ID}")
    def get(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        with lock:
            return {"volume": volume_view(cinder, find_volume(cinder, req.params["id"], ctx), ctx)}

    @route("PUT", P + rf"/volumes/{ID}")
    def update(req: Request, ctx: Ctx) -> dict[str, Any]:
        scoped(req, ctx)
        body = svc.body(req, "volume")
        with lock:
            v = find_volume(cinder, req.params["id"], ctx)
            for k in ("name", "description"):
                if k in body:
                    v[k] = body[k]
            if "metadata" in body:
                v["metadata"] = {str(k): str(x) for k, x in (body["metadata"] or {}).items()}
            touch(v)
            return {"volume": volume_view(cinder, v, ctx)}

    @route("DELETE", P + rf"/volumes/{ID}")
    def delete(req: Request, ctx: Ctx) -> Response:
        scoped(req, ctx)
        with lock:
            v = find_volume(cinder, req.params["id"], ctx)
            if (
                v["status"]
                not in ("available", "error", "error_managing", "error_restoring", "error_extending")
                or v["attachments"]
            ):
                raise nova_fault(
                    400,
                    "Invalid volume: Volume status must be available or error or "
                    "error_restoring or error_extending or error_managing and must not be "
                    "migrating, attached, belong to a group, have snapshots or be "
                    "disassociated from snapshots after volume transfer.",
                )
            touch(v, status="deleting" if v["status"] != "error_managing" else "error_managing_deleting")
            vid = v["id"]

        def deleted() -> None:
            with lock:
                cur = cinder.volumes.pop(vid, None)
                if cur and cur["provider_id"]:
                    with contextlib.suppress(ArrayError):
                        cinder.array.destroy(cur["provider_id"])

        cinder.cloud.timers.after(cinder.cloud.latency.task_duration("cinder.delete"), deleted)
        return accepted()

    @route("GET", P + r"/messages")
    def messages(req: Request, ctx: Ctx) -> dict[str, Any]:
        project = scoped(req, ctx)
        need(ctx, 3, 3)
        with lock:
            return {
                "messages": [dict(m) for m in cinder.messages if ctx.is_admin or m["project_id"] == project]
            }
