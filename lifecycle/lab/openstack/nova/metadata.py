"""Server metadata (Nova's checks on keys and values); the upgrade's ``i2.in_service`` switch
lives here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response
from lifecycle.lab.openstack.api import Ctx, empty, iso, nova_fault
from lifecycle.lab.openstack.nova.common import ID, V, find_server

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova


def check_metadata(metadata: Any) -> None:
    if not isinstance(metadata, dict):
        raise nova_fault(
            400, f"Invalid input for field/attribute metadata. Value: {metadata}. is not of type 'object'"
        )
    for k, v in metadata.items():
        if not isinstance(v, str) or len(str(k)) > 255 or len(v) > 255 or not str(k):
            raise nova_fault(400, f"Invalid input for field/attribute metadata. Value: {metadata}.")


def register(nova: Nova) -> None:
    svc, lock, route = nova.svc, nova.lock, nova.svc.route

    @route("GET", V + rf"/servers/{ID}/metadata")
    def md_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {"metadata": dict(find_server(nova, req.params["id"], ctx)["metadata"])}

    def md_write(req: Request, ctx: Ctx, replace: bool) -> dict[str, Any]:
        md = svc.body(req).get("metadata")
        check_metadata(md)
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            if replace:
                s["metadata"] = {}
            s["metadata"].update(md)
            s["updated"] = iso()
            return {"metadata": dict(s["metadata"])}

    route("POST", V + rf"/servers/{ID}/metadata")(lambda req, ctx: md_write(req, ctx, False))
    route("PUT", V + rf"/servers/{ID}/metadata")(lambda req, ctx: md_write(req, ctx, True))

    @route("GET", V + rf"/servers/{ID}/metadata/(?P<key>[^/]+)")
    def md_item(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            if req.params["key"] not in s["metadata"]:
                raise nova_fault(404, "Metadata item was not found")
            return {"meta": {req.params["key"]: s["metadata"][req.params["key"]]}}

    @route("PUT", V + rf"/servers/{ID}/metadata/(?P<key>[^/]+)")
    def md_item_put(req: Request, ctx: Ctx) -> dict[str, Any]:
        meta = svc.body(req).get("meta")
        if not isinstance(meta, dict) or len(meta) != 1 or req.params["key"] not in meta:
            raise nova_fault(400, "Request body and URI mismatch")
        check_metadata(meta)
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            s["metadata"].update(meta)
            s["updated"] = iso()
            return {"meta": meta}

    @route("DELETE", V + rf"/servers/{ID}/metadata/(?P<key>[^/]+)")
    def md_item_delete(req: Request, ctx: Ctx) -> Response:
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            if s["metadata"].pop(req.params["key"], None) is None:
                raise nova_fault(404, "Metadata item was not found")
            s["updated"] = iso()
        return empty()
