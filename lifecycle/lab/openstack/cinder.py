"""Cinder v3 with one Pure backend on the shared array: volumes (create, list, show, update,
delete), the legacy attach actions (os-reserve, os-attach, os-begin_detaching, os-detach, ...)
and the 3.27+ attachments API, manageable volumes, manage existing, unmanage, volume types,
os-services, scheduler pools, quotas and user messages.

The backend behaves as cinder/volume/drivers/pure.py does: a Cinder volume is the array volume
``volume-<id>-cinder``; manage renames the referenced array volume to that name (it must exist and
be connected to no host); unmanage renames it ``volume-<id>-cinder-unmanaged``; manageable volumes
list every array volume with ``safe_to_manage`` and the driver's reasons. One addition (see
:mod:`lifecycle.lab.array`): a volume another cloud manages is "already managed" here too.
Manage is asynchronous as in Cinder (202, ``creating``, then ``available`` or ``error``).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from lifecycle.lab.array import ArrayError
from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import (
    Ctx,
    Microversions,
    Service,
    accepted,
    empty,
    iso,
    new_id,
    nova_fault,
    page,
)
from lifecycle.lab.openstack.keystone import project_of

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cloud import OpenStackCloud

P = r"/v3/(?P<project>[0-9a-f]{32})"
_ID = r"(?P<id>[0-9a-fA-F-]{36})"
UNMANAGED_SUFFIX = "-unmanaged"  # pure.py UNMANAGED_SUFFIX
# Cinder's API shows these internal statuses as their public form (cinder/api/v2/views/volumes.py).
_PUBLIC_STATUS = {"error_managing": "error", "error_managing_deleting": "deleting", "managing": "creating"}


class Cinder:
    def __init__(self, cloud: OpenStackCloud):
        self.cloud = cloud
        self.lock = cloud.lock
        f = cloud.facts
        self.svc = Service(
            cloud,
            "cinder",
            open_paths=(r"/?", r"/v[23]/?"),
            microversions=Microversions("volume", f.cinder_min, f.cinder_max),
        )
        self.backend = cloud.model.pure.backend_name if cloud.model.pure else "pure"
        self.protocol = cloud.model.pure.protocol if cloud.model.pure else "iSCSI"
        self.service_host = f"hostgroup@{self.backend}"
        self.pool = f"{self.service_host}#{self.backend}"
        self.volumes: dict[str, dict[str, Any]] = {}
        self.attachments: dict[str, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []
        self.quotas: dict[str, dict[str, int]] = {}
        tid = new_id()
        self.types: dict[str, dict[str, Any]] = {
            tid: {
                "id": tid,
                "name": self.backend,
                "description": None,
                "is_public": True,
                "qos_specs_id": None,
                "extra_specs": {"volume_backend_name": self.backend},
            }
        }
        self.services = [
            {
                "binary": "cinder-scheduler",
                "host": "hostgroup",
                "zone": "nova",
                "status": "enabled",
                "disabled_reason": None,
            },
            {
                "binary": "cinder-volume",
                "host": self.service_host,
                "zone": "nova",
                "status": "enabled",
                "disabled_reason": None,
            },
        ]
        self._routes()

    @property
    def array(self) -> Any:
        return self.cloud.array

    @staticmethod
    def array_name(vol_id: str) -> str:
        """What the Pure driver calls a Cinder volume on the array."""
        return f"volume-{vol_id}-cinder"

    # --- views ------------------------------------------------------------------------------------
    def view(self, v: dict[str, Any], ctx: Ctx, detail: bool = True) -> dict[str, Any]:
        links = [
            {"rel": "self", "href": f"{self.svc.url}/v3/{v['project_id']}/volumes/{v['id']}"},
            {"rel": "bookmark", "href": f"{self.svc.url}/{v['project_id']}/volumes/{v['id']}"},
        ]
        if not detail:
            return {"id": v["id"], "name": v["name"], "links": links}
        out: dict[str, Any] = {
            "id": v["id"],
            "name": v["name"],
            "description": v["description"],
            "status": _PUBLIC_STATUS.get(v["status"], v["status"]),
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

    def _find(self, vid: str, ctx: Ctx) -> dict[str, Any]:
        v = self.volumes.get(vid)
        if v is None or (v["project_id"] != ctx.project_id and not ctx.is_admin):
            raise nova_fault(404, f"Volume {vid} could not be found.")
        return v

    def _new(self, ctx: Ctx, project: str, body: dict[str, Any], *, status: str, size: int) -> dict[str, Any]:
        vtype = body.get("volume_type")
        if vtype:
            t = next((t for t in self.types.values() if vtype in (t["id"], t["name"])), None)
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
            "volume_type": vtype or self.backend,
            "metadata": {str(k): str(val) for k, val in (body.get("metadata") or {}).items()},
            "user_id": ctx.user_id,
            "project_id": project,
            "bootable": bool(body.get("bootable", False)),
            "host": self.pool,
            "provider_id": None,
            "reason": None,
        }
        self.volumes[vid] = v
        return v

    def _touch(self, v: dict[str, Any], **changes: Any) -> None:
        v.update(changes, updated_at=iso(micro=True, z=False))

    def _message(self, v: dict[str, Any], text: str) -> None:
        self.messages.append(
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

    # --- attach, as Nova drives it (in-process) ---------------------------------------------------
    def check_attachable(self, vid: str) -> None:
        with self.lock:
            v = self.volumes.get(vid)
            if v is None:
                raise nova_fault(404, f"Volume {vid} could not be found.")
            if v["status"] != "available":
                raise nova_fault(
                    400,
                    f"Invalid volume: Volume {vid} status must be available or downloading "
                    f"to reserve, but the current status is {v['status']}.",
                )

    def attach_for_server(
        self, vid: str, server: dict[str, Any], host: str | None, device: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            self.check_attachable(vid)
            v = self.volumes[vid]
            att = self._attachment(v, server["id"], host, device or "/dev/vdb", status="attaching")
            self._touch(v, status="attaching")
        self.cloud.timers.after(
            self.cloud.latency.task_duration("cinder.attach"), lambda: self._attached(vid, att["id"])
        )
        return att

    def _attachment(
        self, v: dict[str, Any], server_id: str | None, host: str | None, device: str | None, status: str
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
        self.attachments[aid] = rec
        return rec

    def _attached(self, vid: str, aid: str) -> None:
        with self.lock:
            v, att = self.volumes.get(vid), self.attachments.get(aid)
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
            self._touch(v, status="in-use")
            if att["host"] and v["provider_id"]:
                self.array.connect(v["provider_id"], att["host"])

    def detach_for_server(self, vid: str, server: dict[str, Any], host: str | None) -> None:
        with self.lock:
            v = self.volumes.get(vid)
            if v is None:
                return
            for aid, att in list(self.attachments.items()):
                if att["volume_id"] == vid and att["instance"] == server["id"]:
                    self._detach(v, aid)

    def _detach(self, v: dict[str, Any], aid: str) -> None:
        att = self.attachments.pop(aid, None)
        v["attachments"] = [a for a in v["attachments"] if a["attachment_id"] != aid]
        if (
            att
            and att["host"]
            and v["provider_id"]
            and not any(
                a["host"] == att["host"] for a in self.attachments.values() if a["volume_id"] == v["id"]
            )
        ):
            self.array.disconnect(v["provider_id"], att["host"])
        self._touch(v, status="in-use" if v["attachments"] else "available")

    # --- the Pure driver's manage / unmanage ------------------------------------------------------
    def _manage(self, vid: str, ref: dict[str, Any]) -> None:
        with self.lock:
            v = self.volumes.get(vid)
            if v is None:
                return
            name = ref.get("name") if isinstance(ref, dict) else None
            reason = None
            if not name:
                reason = (
                    f"Manage existing volume failed due to invalid backend reference {ref}: manage_existing "
                    "requires a 'name' key to identify an existing volume."
                )
            elif self.cloud.faults.roll("cinder", "task_error"):
                reason = "injected fault: the backend did not answer in time."
            else:
                try:
                    vol = self.array.claim(name, self.array_name(vid), owner=self.cloud.name, cinder_id=vid)
                except ArrayError as err:
                    if err.kind == "not_found":
                        why = f"Unable to find Purity ref with name={name}"
                    elif err.kind == "connected":
                        why = (
                            f"Pure{self.protocol}Driver manage_existing cannot manage a volume connected to "
                            "hosts. Please disconnect this volume from existing hosts before importing"
                        )
                    elif err.kind == "owned":
                        why = None
                        reason = f"Unable to manage existing volume. Volume {name} already managed."
                    else:
                        why = err.text
                    if why:
                        reason = (
                            f"Manage existing volume failed due to invalid backend reference {ref}: {why}"
                        )
                else:
                    self._touch(v, status="available", size=vol.size_gb, provider_id=vol.name)
                    return
            self._touch(v, status="error_managing", reason=reason)
            self._message(v, f"manage existing volume: {reason}")

    def _unmanage(self, vid: str) -> None:
        with self.lock:
            v = self.volumes.pop(vid, None)
            if v is None or not v["provider_id"]:
                return
            # pure.py's _rename_volume_object ignores a volume that no longer exists
            with contextlib.suppress(ArrayError):
                self.array.release(v["provider_id"], v["provider_id"] + UNMANAGED_SUFFIX)

    def _service(self, host: str | None) -> dict[str, Any] | None:
        backend = (host or "").split("#", 1)[0]
        return next(
            (s for s in self.services if s["binary"] == "cinder-volume" and s["host"] == backend), None
        )

    def manageable(self, ctx: Ctx, host: str | None, detail: bool) -> list[dict[str, Any]]:
        if not host:
            raise nova_fault(400, "Either the 'host' or 'cluster' must be specified.")
        if self._service(host) is None:
            raise nova_fault(404, f"Service {host} could not be found.")
        mine = {v["provider_id"]: v["id"] for v in self.volumes.values() if v["provider_id"]}
        out = []
        for av in self.array.snapshot():
            reasons = []
            if av.hosts:
                reasons.append(f"Volume connected to host {av.hosts[0]}")
            cinder_id = mine.get(av.name)
            if cinder_id or (av.owner and av.owner != self.cloud.name):
                reasons.append("Volume already managed")
            if "::" in av.name:
                reasons.append("Volume is in a Pod")
            entry: dict[str, Any] = {
                "reference": {"name": av.name},
                "size": av.size_gb,
                "safe_to_manage": not reasons,
            }
            if detail:
                entry.update(
                    reason_not_safe=" && ".join(reasons) or None, cinder_id=cinder_id, extra_info=None
                )
            out.append(entry)
        return out

    # --- routes -----------------------------------------------------------------------------------
    def _versions(self) -> list[dict[str, Any]]:
        from lifecycle.lab.openstack.releases import fmt

        f = self.cloud.facts
        media = [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]
        docs = [
            {
                "id": "v2.0",
                "status": "DEPRECATED" if f.name != "newton" else "SUPPORTED",
                "version": "",
                "min_version": "",
                "updated": "2017-02-25T12:00:00Z",
                "media-types": media,
                "links": [{"rel": "self", "href": f"{self.svc.url}/v2/"}],
            },
            {
                "id": "v3.0",
                "status": "CURRENT",
                "version": fmt(f.cinder_max),
                "min_version": fmt(f.cinder_min),
                "updated": "2016-02-08T12:20:21Z",
                "media-types": media,
                "links": [
                    {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
                    {"rel": "self", "href": f"{self.svc.url}/v3/"},
                ],
            },
        ]
        return docs

    def _routes(self) -> None:
        svc, lock, route = self.svc, self.lock, self.svc.route

        @route("GET", r"/?")
        def root(req: Request, ctx: Ctx) -> Response:
            return json_response({"versions": self._versions()}, 300)

        @route("GET", r"/v(?P<major>[23])/?")
        def version(req: Request, ctx: Ctx) -> dict[str, Any]:
            want = f"v{req.params['major']}.0"
            return {"versions": [v for v in self._versions() if v["id"] == want]}

        def scoped(req: Request, ctx: Ctx) -> str:
            project = project_of(ctx)
            if req.params["project"] != project and not ctx.is_admin:
                raise nova_fault(403, "Policy doesn't allow volume:get_all to be performed.")
            return project

        def listing(req: Request, ctx: Ctx, detail: bool) -> dict[str, Any]:
            project = scoped(req, ctx)
            everyone = ctx.is_admin and (req.arg("all_tenants") or "") not in ("", "0", "false", "False")
            with lock:
                items = [
                    self.view(v, ctx) for v in self.volumes.values() if everyone or v["project_id"] == project
                ]
            for key in ("name", "status", "bootable"):
                if req.arg(key):
                    items = [i for i in items if str(i[key]) == req.arg(key)]
            items.sort(key=lambda i: i["created_at"], reverse=True)
            out = page(req, items, key="volumes", base_url=svc.url)
            if not detail:
                out["volumes"] = [
                    {"id": i["id"], "name": i["name"], "links": i["links"]} for i in out["volumes"]
                ]
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
                v = self._new(ctx, project, body, status="creating", size=size)
                vid = v["id"]
                out = self.view(v, ctx)

            def created() -> None:
                with lock:
                    cur = self.volumes.get(vid)
                    if cur is None:
                        return
                    try:
                        self.array.create(self.array_name(vid), size, owner=self.cloud.name, cinder_id=vid)
                    except ArrayError:
                        self._touch(cur, status="error")
                        return
                    self._touch(cur, status="available", provider_id=self.array_name(vid))

            self.cloud.timers.after(self.cloud.latency.task_duration("cinder.create"), created)
            return json_response({"volume": out}, 202)

        @route("GET", P + rf"/volumes/{_ID}")
        def get(req: Request, ctx: Ctx) -> dict[str, Any]:
            scoped(req, ctx)
            with lock:
                return {"volume": self.view(self._find(req.params["id"], ctx), ctx)}

        @route("PUT", P + rf"/volumes/{_ID}")
        def update(req: Request, ctx: Ctx) -> dict[str, Any]:
            scoped(req, ctx)
            body = svc.body(req, "volume")
            with lock:
                v = self._find(req.params["id"], ctx)
                for k in ("name", "description"):
                    if k in body:
                        v[k] = body[k]
                if "metadata" in body:
                    v["metadata"] = {str(k): str(x) for k, x in (body["metadata"] or {}).items()}
                self._touch(v)
                return {"volume": self.view(v, ctx)}

        @route("DELETE", P + rf"/volumes/{_ID}")
        def delete(req: Request, ctx: Ctx) -> Response:
            scoped(req, ctx)
            with lock:
                v = self._find(req.params["id"], ctx)
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
                self._touch(
                    v, status="deleting" if v["status"] != "error_managing" else "error_managing_deleting"
                )
                vid = v["id"]

            def deleted() -> None:
                with lock:
                    cur = self.volumes.pop(vid, None)
                    if cur and cur["provider_id"]:
                        with contextlib.suppress(ArrayError):
                            self.array.destroy(cur["provider_id"])

            self.cloud.timers.after(self.cloud.latency.task_duration("cinder.delete"), deleted)
            return accepted()

        @route("POST", P + rf"/volumes/{_ID}/action")
        def action(req: Request, ctx: Ctx) -> Response:
            scoped(req, ctx)
            body = svc.body(req)
            if len(body) != 1:
                raise nova_fault(
                    400, "There is either no action or more than one action in the request body."
                )
            ((name, args),) = body.items()
            args = args or {}
            with lock:
                v = self._find(req.params["id"], ctx)
                return self._action(v, name, args, ctx)

        # --- attachments API (3.27+) --------------------------------------------------------------
        def att_view(a: dict[str, Any]) -> dict[str, Any]:
            return {
                "id": a["id"],
                "status": a["status"],
                "instance": a["instance"],
                "volume_id": a["volume_id"],
                "attached_at": a["attached_at"],
                "detached_at": a["detached_at"],
                "attach_mode": a["attach_mode"],
                "connection_info": {"driver_volume_type": self.protocol.lower(), "data": {}}
                if a["host"]
                else None,
            }

        def need(ctx: Ctx, major: int, minor: int) -> None:
            if not ctx.at_least(major, minor):
                raise nova_fault(404, "The resource could not be found.")

        @route("GET", P + r"/attachments(?:/detail)?")
        def att_list(req: Request, ctx: Ctx) -> dict[str, Any]:
            project = scoped(req, ctx)
            need(ctx, 3, 27)
            with lock:
                items = [
                    att_view(a)
                    for a in self.attachments.values()
                    if a["project_id"] == project or ctx.is_admin
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
                v = self._find(str(body.get("volume_uuid")), ctx)
                if v["status"] not in ("available", "in-use", "reserved"):
                    raise nova_fault(
                        400,
                        f"Invalid volume: Volume {v['id']} status must be available or in-use "
                        f"to reserve, but the current status is {v['status']}.",
                    )
                connector = body.get("connector") or {}
                a = self._attachment(
                    v,
                    body.get("instance_uuid"),
                    connector.get("host"),
                    connector.get("mountpoint"),
                    status="attached" if connector else "reserved",
                )
                if connector:
                    self._attached_now(v, a)
                else:
                    self._touch(v, status="reserved")
                return {"attachment": att_view(a)}

        @route("GET", P + rf"/attachments/{_ID}")
        def att_get(req: Request, ctx: Ctx) -> dict[str, Any]:
            scoped(req, ctx)
            need(ctx, 3, 27)
            with lock:
                a = self.attachments.get(req.params["id"])
                if a is None:
                    raise nova_fault(
                        404,
                        f"Volume attachment could not be found with filter: attachment_id = "
                        f"{req.params['id']}.",
                    )
                return {"attachment": att_view(a)}

        @route("PUT", P + rf"/attachments/{_ID}")
        def att_update(req: Request, ctx: Ctx) -> dict[str, Any]:
            scoped(req, ctx)
            need(ctx, 3, 27)
            connector = svc.body(req, "attachment").get("connector") or {}
            with lock:
                a = self.attachments.get(req.params["id"])
                if a is None:
                    raise nova_fault(404, f"Volume attachment {req.params['id']} could not be found.")
                a.update(host=connector.get("host"), device=connector.get("mountpoint"))
                self._attached_now(self.volumes[a["volume_id"]], a)
                return {"attachment": att_view(a)}

        @route("POST", P + rf"/attachments/{_ID}/action")
        def att_complete(req: Request, ctx: Ctx) -> Response:
            scoped(req, ctx)
            need(ctx, 3, 44)
            return empty()

        @route("DELETE", P + rf"/attachments/{_ID}")
        def att_delete(req: Request, ctx: Ctx) -> dict[str, Any]:
            scoped(req, ctx)
            need(ctx, 3, 27)
            with lock:
                a = self.attachments.get(req.params["id"])
                if a is None:
                    raise nova_fault(404, f"Volume attachment {req.params['id']} could not be found.")
                self._detach(self.volumes[a["volume_id"]], a["id"])
                return {"attachments": []}

        # --- manage / manageable ------------------------------------------------------------------
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
                service = self._service(host)
                if service is None:
                    raise nova_fault(400, f"Host '{host}' not found")
                if service["status"] != "enabled":
                    raise nova_fault(400, "Service is unavailable at this time.")
                v = self._new(ctx, project, body, status="managing", size=0)
                v["host"] = host if "#" in str(host) else self.pool
                vid, out = v["id"], self.view(v, ctx)
            ref = body["ref"]
            self.cloud.timers.after(
                self.cloud.latency.task_duration("cinder.manage"), lambda: self._manage(vid, ref)
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
                items = self.manageable(ctx, req.arg("host"), detail)
            offset = int(req.arg("offset") or 0)
            limit = int(req.arg("limit") or 1000)
            return {"manageable-volumes": items[offset : offset + limit]}

        route("GET", P + r"/manageable_volumes")(lambda req, ctx: manageable(req, ctx, False))
        route("GET", P + r"/manageable_volumes/detail")(lambda req, ctx: manageable(req, ctx, True))

        # --- types, services, pools, quotas, messages ---------------------------------------------
        def type_view(t: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
            out = {
                "id": t["id"],
                "name": t["name"],
                "description": t["description"],
                "is_public": t["is_public"],
                "os-volume-type-access:is_public": t["is_public"],
                "qos_specs_id": t["qos_specs_id"],
            }
            if ctx.is_admin:
                out["extra_specs"] = dict(t["extra_specs"])
            return out

        @route("GET", P + r"/types")
        def types(req: Request, ctx: Ctx) -> dict[str, Any]:
            scoped(req, ctx)
            with lock:
                return {"volume_types": [type_view(t, ctx) for t in self.types.values()]}

        @route("GET", P + r"/types/(?P<tid>[^/]+)")
        def type_get(req: Request, ctx: Ctx) -> dict[str, Any]:
            scoped(req, ctx)
            with lock:
                t = next((t for t in self.types.values() if req.params["tid"] in (t["id"], t["name"])), None)
                if t is None:
                    raise nova_fault(404, f"Volume type {req.params['tid']} could not be found.")
                return {"volume_type": type_view(t, ctx)}

        @route("POST", P + r"/types")
        def type_create(req: Request, ctx: Ctx) -> dict[str, Any]:
            scoped(req, ctx)
            svc.need_admin(ctx, "volume_extension:types_manage")
            body = svc.body(req, "volume_type")
            with lock:
                if any(t["name"] == body.get("name") for t in self.types.values()):
                    raise nova_fault(409, f"Volume Type {body.get('name')} already exists.")
                tid = new_id()
                t = {
                    "id": tid,
                    "name": body.get("name"),
                    "description": body.get("description"),
                    "is_public": body.get("os-volume-type-access:is_public", True),
                    "qos_specs_id": None,
                    "extra_specs": dict(body.get("extra_specs") or {}),
                }
                self.types[tid] = t
                return {"volume_type": type_view(t, ctx)}

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
                    for s in self.services
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
                        for s in self.services
                        if s["host"] == body.get("host")
                        and s["binary"] == body.get("binary", "cinder-volume")
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
                used = sum(v.size_gb for v in self.array.snapshot())
            pool: dict[str, Any] = {"name": self.pool}
            if req.arg("detail") in ("true", "True", "1"):
                pool["capabilities"] = {
                    "pool_name": self.backend,
                    "volume_backend_name": self.backend,
                    "vendor_name": "Pure Storage",
                    "driver_version": "10.0.0",
                    "storage_protocol": self.protocol,
                    "total_capacity_gb": 102400,
                    "free_capacity_gb": 102400 - used,
                    "allocated_capacity_gb": used,
                    "thin_provisioning_support": True,
                    "multiattach": True,
                    "timestamp": iso(micro=True, z=False),
                }
            return {"pools": [pool]}

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
                q = {**quota_defaults, **self.quotas.get(target, {})}
                mine = [v for v in self.volumes.values() if v["project_id"] == target]
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
                q = self.quotas.setdefault(req.params["target"], {})
                q.update({k: int(v) for k, v in body.items() if k in quota_defaults})
                return {"quota_set": {**quota_defaults, **q}}

        @route("GET", P + r"/messages")
        def messages(req: Request, ctx: Ctx) -> dict[str, Any]:
            project = scoped(req, ctx)
            need(ctx, 3, 3)
            with lock:
                return {
                    "messages": [dict(m) for m in self.messages if ctx.is_admin or m["project_id"] == project]
                }

    def _attached_now(self, v: dict[str, Any], a: dict[str, Any]) -> None:
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
        self._touch(v, status="in-use")
        if a["host"] and v["provider_id"]:
            self.array.connect(v["provider_id"], a["host"])

    def _action(self, v: dict[str, Any], name: str, args: dict[str, Any], ctx: Ctx) -> Response:
        status = v["status"]

        def invalid(why: str) -> Exception:
            return nova_fault(400, f"Invalid volume: {why}")

        if name == "os-reserve":
            if status != "available":
                raise invalid(
                    f"Volume {v['id']} status must be available or downloading to reserve, but the current "
                    f"status is {status}."
                )
            self._touch(v, status="attaching")
        elif name == "os-unreserve":
            if status == "attaching":
                self._touch(v, status="in-use" if v["attachments"] else "available")
        elif name == "os-attach":
            if status not in ("available", "attaching", "in-use", "reserved"):
                raise invalid(
                    f"Volume {v['id']} status must be available or attaching, but current status is {status}."
                )
            a = self._attachment(
                v,
                args.get("instance_uuid"),
                args.get("host_name"),
                args.get("mountpoint"),
                status="attaching",
            )
            self._attached_now(v, a)
        elif name == "os-begin_detaching":
            if status != "in-use":
                raise invalid(
                    "Unable to detach volume. Volume status must be 'in-use' and attach_status must be "
                    "'attached' to detach."
                )
            self._touch(v, status="detaching")
        elif name == "os-roll_detaching":
            if status == "detaching":
                self._touch(v, status="in-use")
        elif name == "os-detach":
            aid = args.get("attachment_id")
            targets = [aid] if aid else [a["attachment_id"] for a in v["attachments"]]
            if aid and aid not in self.attachments:
                raise nova_fault(
                    404, f"Volume attachment could not be found with filter: attachment_id = {aid}."
                )
            for t in targets:
                self._detach(v, t)
        elif name == "os-unmanage":
            self.svc.need_admin(ctx, "volume_extension:volume_unmanage")
            if status not in ("available", "error", "error_managing") or v["attachments"]:
                raise invalid(
                    "Volume status must be available or error or error_restoring or error_extending or "
                    "error_managing and must not be migrating, attached, belong to a group, have "
                    "snapshots or be disassociated from snapshots after volume transfer."
                )
            self._touch(v, status="unmanaging")
            vid = v["id"]
            self.cloud.timers.after(
                self.cloud.latency.task_duration("cinder.unmanage"), lambda: self._unmanage(vid)
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
                av = self.array.get(v["provider_id"])
                if av is not None:
                    av.size_gb = new
            self._touch(v, size=new)
        elif name == "os-reset_status":
            self.svc.need_admin(ctx, "volume_extension:volume_admin_actions:reset_status")
            self._touch(v, status=args.get("status", status))
        elif name == "os-set_bootable":
            self._touch(v, bootable=str(args.get("bootable")).lower() in ("true", "1"))
        elif name == "os-update_readonly_flag":
            v["metadata"]["readonly"] = str(bool(args.get("readonly"))).lower()
        else:
            raise nova_fault(400, f"There is no such action: {name}")
        return accepted()
