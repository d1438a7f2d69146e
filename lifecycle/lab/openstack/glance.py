"""Glance v2: images as metadata (create, list, show, JSON-patch update, delete); an upload is
accepted and counted (size, md5 and sha512 of what was sent) but not stored.

Arbitrary image properties live at the top level of the image, as in Glance; ``queued`` until
data arrives, then ``active``. Errors are Glance's plain-text pages.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, Service, empty, glance_fault, iso, new_id

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cloud import OpenStackCloud

_ID = r"(?P<id>[0-9a-fA-F-]{36})"
_CORE = {
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "container_format",
    "disk_format",
    "min_disk",
    "min_ram",
    "size",
    "virtual_size",
    "checksum",
    "owner",
    "created_at",
    "updated_at",
    "tags",
    "file",
    "self",
    "schema",
    "os_hash_algo",
    "os_hash_value",
    "os_hidden",
    "direct_url",
    "locations",
}
_READ_ONLY = {
    "id",
    "status",
    "size",
    "virtual_size",
    "checksum",
    "created_at",
    "updated_at",
    "file",
    "self",
    "schema",
    "os_hash_algo",
    "os_hash_value",
    "direct_url",
    "locations",
}


class Glance:
    def __init__(self, cloud: OpenStackCloud):
        self.cloud = cloud
        self.lock = cloud.lock
        self.svc = Service(cloud, "glance", open_paths=(r"/?", r"/versions"))
        self.images: dict[str, dict[str, Any]] = {}
        self._routes()

    def create_image(self, name: str, owner: str, **props: Any) -> dict[str, Any]:
        """An active image (in-process seeding, e.g. by a test)."""
        with self.lock:
            img = self._new(name, owner, props)
            img.update(status="active", size=0, checksum=hashlib.md5(b"", usedforsecurity=False).hexdigest())
            return img

    def _new(self, name: str | None, owner: str, props: dict[str, Any]) -> dict[str, Any]:
        now = iso()
        iid = props.pop("id", None) or new_id()
        img: dict[str, Any] = {
            "id": iid,
            "name": name,
            "status": "queued",
            "visibility": "shared" if self.cloud.facts.glance_max >= (2, 5) else "private",
            "protected": False,
            "container_format": None,
            "disk_format": None,
            "min_disk": 0,
            "min_ram": 0,
            "size": None,
            "virtual_size": None,
            "checksum": None,
            "owner": owner,
            "created_at": now,
            "updated_at": now,
            "tags": [],
        }
        if self.cloud.facts.glance_max >= (2, 7):
            img.update(os_hidden=False, os_hash_algo=None, os_hash_value=None)
        img.update({k: v for k, v in props.items() if k not in _READ_ONLY})
        self.images[iid] = img
        return img

    def view(self, img: dict[str, Any]) -> dict[str, Any]:
        out = dict(img)
        out["tags"] = list(img["tags"])
        out.update(
            self=f"/v2/images/{img['id']}", file=f"/v2/images/{img['id']}/file", schema="/v2/schemas/image"
        )
        return out

    def _visible(self, img: dict[str, Any], ctx: Ctx) -> bool:
        return ctx.is_admin or img["owner"] == ctx.project_id or img["visibility"] in ("public", "community")

    def _find(self, iid: str, ctx: Ctx) -> dict[str, Any]:
        img = self.images.get(iid)
        if img is None or not self._visible(img, ctx):
            raise glance_fault(404, f"No image found with ID {iid}")
        return img

    def _routes(self) -> None:
        svc, lock, route = self.svc, self.lock, self.svc.route

        def versions() -> dict[str, Any]:
            f = self.cloud.facts
            out = []
            for i, (major, minor) in enumerate(f.glance_versions()):
                out.append(
                    {
                        "id": f"v{major}.{minor}",
                        "status": "CURRENT" if i == 0 else "SUPPORTED",
                        "links": [{"rel": "self", "href": f"{svc.url}/v2/"}],
                    }
                )
            return {"versions": out}

        @route("GET", r"/?")
        def root(req: Request, ctx: Ctx) -> Response:
            return json_response(versions(), 300)

        route("GET", r"/versions")(lambda req, ctx: versions())

        @route("GET", r"/v2/images")
        def listing(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                items = [self.view(i) for i in self.images.values() if self._visible(i, ctx)]
            for key in ("name", "status", "visibility", "owner", "container_format", "disk_format"):
                if req.arg(key):
                    items = [i for i in items if str(i.get(key)) == req.arg(key)]
            if req.arg("visibility") is None:  # Glance hides community images unless asked
                items = [i for i in items if i["visibility"] != "community" or i["owner"] == ctx.project_id]
            sort_key = req.arg("sort_key") or "created_at"
            items.sort(
                key=lambda i: str(i.get(sort_key) or ""), reverse=(req.arg("sort_dir") or "desc") == "desc"
            )
            marker = req.arg("marker")
            if marker:
                ids = [i["id"] for i in items]
                if marker not in ids:
                    raise glance_fault(400, f"marker {marker} could not be found.")
                items = items[ids.index(marker) + 1 :]
            limit = int(req.arg("limit") or 25)
            chunk = items[:limit]
            out: dict[str, Any] = {"images": chunk, "first": "/v2/images", "schema": "/v2/schemas/images"}
            if len(items) > limit:
                params = [(k, v) for k, vs in req.query.items() if k != "marker" for v in vs]
                out["next"] = f"/v2/images?{urlencode([*params, ('marker', chunk[-1]['id'])])}"
            return out

        @route("POST", r"/v2/images")
        def create(req: Request, ctx: Ctx) -> Response:
            body = req.json() or {}
            if not isinstance(body, dict):
                raise glance_fault(400, "Invalid JSON body.")
            bad = sorted(k for k in body if k in _READ_ONLY - {"id"})
            if bad:
                raise glance_fault(403, f"Attribute '{bad[0]}' is read-only.")
            owner = body.pop("owner", None) if ctx.is_admin else None
            with lock:
                if body.get("id") in self.images:
                    raise glance_fault(409, f"Image with identifier {body['id']} already exists!")
                img = self._new(body.pop("name", None), owner or ctx.project_id or "", body)
                return json_response(self.view(img), 201, {"Location": f"{svc.url}/v2/images/{img['id']}"})

        @route("GET", rf"/v2/images/{_ID}")
        def get(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                return self.view(self._find(req.params["id"], ctx))

        @route("PATCH", rf"/v2/images/{_ID}")
        def patch(req: Request, ctx: Ctx) -> dict[str, Any]:
            ops = req.json()
            if not isinstance(ops, list):
                raise glance_fault(400, "Expected a list of JSON-patch operations.")
            with lock:
                img = self._find(req.params["id"], ctx)
                for op in ops:
                    path = str(op.get("path", "")).lstrip("/")
                    if path in _READ_ONLY:
                        raise glance_fault(403, f"Attribute '{path}' is read-only.")
                    if op.get("op") in ("add", "replace"):
                        img[path] = op.get("value")
                    elif op.get("op") == "remove":
                        if path not in img:
                            raise glance_fault(409, f"Property {path} does not exist.")
                        if path in _CORE:
                            raise glance_fault(403, f"Property '{path}' is protected.")
                        del img[path]
                img["updated_at"] = iso()
                return self.view(img)

        @route("DELETE", rf"/v2/images/{_ID}")
        def delete(req: Request, ctx: Ctx) -> Response:
            with lock:
                img = self._find(req.params["id"], ctx)
                if img["protected"]:
                    raise glance_fault(403, f"Image {img['id']} is protected and cannot be deleted.")
                del self.images[img["id"]]
            return empty()

        @route("PUT", rf"/v2/images/{_ID}/file")
        def upload(req: Request, ctx: Ctx) -> Response:
            with lock:
                img = self._find(req.params["id"], ctx)
                if img["status"] not in ("queued", "saving"):
                    raise glance_fault(409, "Image status transition from active to saving is not allowed")
                img.update(
                    status="active",
                    size=len(req.body),
                    virtual_size=None,
                    checksum=hashlib.md5(req.body, usedforsecurity=False).hexdigest(),
                    updated_at=iso(),
                )
                if "os_hash_algo" in img:
                    img.update(os_hash_algo="sha512", os_hash_value=hashlib.sha512(req.body).hexdigest())
            return empty()

        @route("PUT", rf"/v2/images/{_ID}/tags/(?P<tag>[^/]+)")
        def tag(req: Request, ctx: Ctx) -> Response:
            with lock:
                img = self._find(req.params["id"], ctx)
                if req.params["tag"] not in img["tags"]:
                    img["tags"].append(req.params["tag"])
            return empty()

        @route("GET", r"/v2/schemas/(?P<what>images?)")
        def schema(req: Request, ctx: Ctx) -> dict[str, Any]:
            props = {k: {} for k in sorted(_CORE)}
            image = {"name": "image", "properties": props, "additionalProperties": {"type": "string"}}
            return (
                image
                if req.params["what"] == "image"
                else {
                    "name": "images",
                    "properties": {
                        "images": {"type": "array", "items": image},
                        "first": {},
                        "next": {},
                        "schema": {},
                    },
                }
            )
