"""Nova flavors: list, detail, show, create, delete and extra specs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response
from lifecycle.lab.openstack.api import Ctx, accepted, new_id, nova_fault, page
from lifecycle.lab.openstack.nova.common import ANY_ID, V

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova


def flavor_view(nova: Nova, f: dict[str, Any], ctx: Ctx, *, detail: bool = True) -> dict[str, Any]:
    link = [
        {"rel": "self", "href": f"{nova.svc.url}/v2.1/flavors/{f['id']}"},
        {"rel": "bookmark", "href": f"{nova.svc.url}/flavors/{f['id']}"},
    ]
    if not detail:
        out = {"id": f["id"], "name": f["name"], "links": link}
        if ctx.at_least(2, 55):
            out["description"] = f.get("description")
        return out
    out = {
        "id": f["id"],
        "name": f["name"],
        "ram": f["ram"],
        "vcpus": f["vcpus"],
        "disk": f["disk"],
        "OS-FLV-EXT-DATA:ephemeral": f["ephemeral"],
        "OS-FLV-DISABLED:disabled": False,
        "swap": f["swap"] if (f["swap"] or ctx.at_least(2, 75)) else "",
        "rxtx_factor": f["rxtx_factor"],
        "os-flavor-access:is_public": f["is_public"],
        "links": link,
    }
    if ctx.at_least(2, 55):
        out["description"] = f.get("description")
    if ctx.at_least(2, 61):
        out["extra_specs"] = dict(f["extra_specs"])
    return out


def register(nova: Nova) -> None:
    svc, lock, route = nova.svc, nova.lock, nova.svc.route

    def find_flavor(fid: str) -> dict[str, Any]:
        f = nova.flavors.get(fid)
        if f is None:
            raise nova_fault(404, f"Flavor {fid} could not be found.")
        return f

    def flavors(req: Request, ctx: Ctx, detail: bool) -> dict[str, Any]:
        with lock:
            items = [flavor_view(nova, f, ctx, detail=True) for f in nova.flavors.values()]
        for key, field in (("minRam", "ram"), ("minDisk", "disk")):
            if req.arg(key):
                items = [i for i in items if i[field] >= int(req.arg(key) or 0)]
        out = page(req, sorted(items, key=lambda i: i["id"]), key="flavors", base_url=svc.url)
        if not detail:
            out["flavors"] = [
                {k: i[k] for k in ("id", "name", "links", "description") if k in i} for i in out["flavors"]
            ]
        return out

    route("GET", V + r"/flavors")(lambda req, ctx: flavors(req, ctx, False))
    route("GET", V + r"/flavors/detail")(lambda req, ctx: flavors(req, ctx, True))

    @route("GET", V + rf"/flavors/{ANY_ID}")
    def flavor_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {"flavor": flavor_view(nova, find_flavor(req.params["id"]), ctx)}

    @route("POST", V + r"/flavors")
    def flavor_create(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-flavor-manage:create")
        body = svc.body(req, "flavor")
        try:
            name = str(body["name"])
            ram, vcpus, disk = int(body["ram"]), int(body["vcpus"]), int(body.get("disk", 0))
        except (KeyError, ValueError, TypeError) as exc:
            raise nova_fault(400, f"Invalid input for field/attribute flavor. Value: {body}. {exc}") from None
        with lock:
            fid = str(body.get("id") or new_id())
            if fid in nova.flavors or any(f["name"] == name for f in nova.flavors.values()):
                raise nova_fault(
                    409,
                    f"Flavor with {'ID ' + fid if fid in nova.flavors else 'name ' + name} already exists.",
                )
            f = {
                "id": fid,
                "name": name,
                "ram": ram,
                "vcpus": vcpus,
                "disk": disk,
                "ephemeral": int(body.get("OS-FLV-EXT-DATA:ephemeral", 0)),
                "swap": int(body.get("swap") or 0),
                "rxtx_factor": float(body.get("rxtx_factor", 1.0)),
                "is_public": bool(body.get("os-flavor-access:is_public", True)),
                "description": body.get("description"),
                "extra_specs": {},
            }
            nova.flavors[fid] = f
            return {"flavor": flavor_view(nova, f, ctx)}

    @route("DELETE", V + rf"/flavors/{ANY_ID}")
    def flavor_delete(req: Request, ctx: Ctx) -> Response:
        svc.need_admin(ctx, "os_compute_api:os-flavor-manage:delete")
        with lock:
            nova.flavors.pop(find_flavor(req.params["id"])["id"])
        return accepted()

    @route("GET", V + rf"/flavors/{ANY_ID}/os-extra_specs")
    def extra_specs(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {"extra_specs": dict(find_flavor(req.params["id"])["extra_specs"])}

    @route("POST", V + rf"/flavors/{ANY_ID}/os-extra_specs")
    def extra_specs_set(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-flavor-extra-specs:create")
        specs = svc.body(req, "extra_specs")
        with lock:
            f = find_flavor(req.params["id"])
            f["extra_specs"].update({str(k): str(v) for k, v in specs.items()})
            return {"extra_specs": dict(f["extra_specs"])}
