"""The Pure driver's manage / unmanage: manage renames the referenced array volume to
``volume-<id>-cinder`` (it must exist and be connected to no host), asynchronously as in Cinder
(202, ``creating``, then ``available`` or ``error``); unmanage renames it back with
``-unmanaged``; manageable volumes list every array volume with ``safe_to_manage`` and the driver's
reasons."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from lifecycle.lab.array import ArrayError
from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, nova_fault
from lifecycle.lab.openstack.cinder.backend import volume_service
from lifecycle.lab.openstack.cinder.common import P, array_name, scoped
from lifecycle.lab.openstack.cinder.volumes import add_message, new_volume, touch, volume_view

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cinder.service import Cinder

UNMANAGED_SUFFIX = "-unmanaged"  # pure.py UNMANAGED_SUFFIX


def manage_existing(cinder: Cinder, vid: str, ref: dict[str, Any]) -> None:
    with cinder.lock:
        v = cinder.volumes.get(vid)
        if v is None:
            return
        name = ref.get("name") if isinstance(ref, dict) else None
        reason = None
        if not name:
            reason = (
                f"Manage existing volume failed due to invalid backend reference {ref}: manage_existing "
                "requires a 'name' key to identify an existing volume."
            )
        elif cinder.cloud.faults.roll("cinder", "task_error"):
            reason = "injected fault: the backend did not answer in time."
        else:
            try:
                vol = cinder.array.claim(name, array_name(vid), owner=cinder.cloud.name, cinder_id=vid)
            except ArrayError as err:
                if err.kind == "not_found":
                    why = f"Unable to find Purity ref with name={name}"
                elif err.kind == "connected":
                    why = (
                        f"Pure{cinder.protocol}Driver manage_existing cannot manage a volume connected to "
                        "hosts. Please disconnect this volume from existing hosts before importing"
                    )
                elif err.kind == "owned":
                    why = None
                    reason = f"Unable to manage existing volume. Volume {name} already managed."
                else:
                    why = err.text
                if why:
                    reason = f"Manage existing volume failed due to invalid backend reference {ref}: {why}"
            else:
                touch(v, status="available", size=vol.size_gb, provider_id=vol.name)
                return
        touch(v, status="error_managing", reason=reason)
        add_message(cinder, v, f"manage existing volume: {reason}")


def unmanage(cinder: Cinder, vid: str) -> None:
    with cinder.lock:
        v = cinder.volumes.pop(vid, None)
        if v is None or not v["provider_id"]:
            return
        # pure.py's _rename_volume_object ignores a volume that no longer exists
        with contextlib.suppress(ArrayError):
            cinder.array.release(v["provider_id"], v["provider_id"] + UNMANAGED_SUFFIX)


def manageable_volumes(cinder: Cinder, ctx: Ctx, host: str | None, detail: bool) -> list[dict[str, Any]]:
    if not host:
        raise nova_fault(400, "Either the 'host' or 'cluster' must be specified.")
    if volume_service(cinder, host) is None:
        raise nova_fault(404, f"Service {host} could not be found.")
    mine = {v["provider_id"]: v["id"] for v in cinder.volumes.values() if v["provider_id"]}
    out = []
    for av in cinder.array.snapshot():
        reasons = []
        if av.hosts:
            reasons.append(f"Volume connected to host {av.hosts[0]}")
        cinder_id = mine.get(av.name)
        if cinder_id or (av.owner and av.owner != cinder.cloud.name):
            reasons.append("Volume already managed")
        if "::" in av.name:
            reasons.append("Volume is in a Pod")
        entry: dict[str, Any] = {
            "reference": {"name": av.name},
            "size": av.size_gb,
            "safe_to_manage": not reasons,
        }
        if detail:
            entry.update(reason_not_safe=" && ".join(reasons) or None, cinder_id=cinder_id, extra_info=None)
        out.append(entry)
    return out


def register(cinder: Cinder) -> None:
    svc, lock, route = cinder.svc, cinder.lock, cinder.svc.route

    def manage(req: Request, ctx: Ctx) -> Response:
        project = scoped(req, ctx)
        svc.need_admin(ctx, "volume_extension:volume_manage")
        body = svc.body(req, "volume")
        host = body.get("host")
        if not host and not body.get("cluster"):
            raise nova_fault(400, "Missing required element 'host' in request body.")
        if "ref" not in body:
            raise nova_fault(400, "Missing required element 'ref' in request body.")
        with lock:
            service = volume_service(cinder, host)
            if service is None:
                raise nova_fault(400, f"Host '{host}' not found")
            if service["status"] != "enabled":
                raise nova_fault(400, "Service is unavailable at this time.")
            v = new_volume(cinder, ctx, project, body, status="managing", size=0)
            v["host"] = host if "#" in str(host) else cinder.pool
            vid, out = v["id"], volume_view(cinder, v, ctx)
        ref = body["ref"]
        cinder.cloud.timers.after(
            cinder.cloud.latency.task_duration("cinder.manage"), lambda: manage_existing(cinder, vid, ref)
        )
        return json_response({"volume": out}, 202)

    route("POST", P + r"/manageable_volumes")(manage)
    route("POST", P + r"/os-volume-manage")(manage)

    def manageable(req: Request, ctx: Ctx, detail: bool) -> dict[str, Any]:
        scoped(req, ctx)
        svc.need_admin(ctx, "volume_extension:list_manageable")
        if not ctx.at_least(3, 8):
            raise nova_fault(404, "The resource could not be found.")
        with lock:
            items = manageable_volumes(cinder, ctx, req.arg("host"), detail)
        offset = int(req.arg("offset") or 0)
        limit = int(req.arg("limit") or 1000)
        return {"manageable-volumes": items[offset : offset + limit]}

    route("GET", P + r"/manageable_volumes")(lambda req, ctx: manageable(req, ctx, False))
    route("GET", P + r"/manageable_volumes/detail")(lambda req, ctx: manageable(req, ctx, True))
