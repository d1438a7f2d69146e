"""What Neutron's resource modules share: the path prefix, the id pattern, visibility, the
standard attributes (revision, timestamps, ``tenant_id``), the project a request acts for, and
list filtering and paging."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import HttpError, Request
from lifecycle.lab.openstack.api import Ctx, iso, matches, neutron_fault, page, pick_fields

if TYPE_CHECKING:
    from lifecycle.lab.openstack.neutron.service import Neutron

N = r"/v2\.0"
ID = r"(?P<id>[0-9a-fA-F-]{36})"


def not_found(kind: str, rid: str) -> HttpError:
    return neutron_fault(
        404, f"{kind.capitalize()}NotFound", f"{kind.capitalize()} {rid} could not be found."
    )


def std(rec: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in rec.items() if not k.startswith("_")}
    out["tenant_id"] = out["project_id"]
    return out


def visible(rec: dict[str, Any], ctx: Ctx) -> bool:
    return ctx.is_admin or rec["project_id"] == ctx.project_id or bool(rec.get("shared"))


def find(table: dict[str, dict[str, Any]], kind: str, rid: str, ctx: Ctx) -> dict[str, Any]:
    rec = table.get(rid)
    if rec is None or not visible(rec, ctx):
        raise not_found(kind, rid)
    return rec


def stamp(rec: dict[str, Any], new: bool = False) -> None:
    now = iso()
    if new:
        rec["created_at"] = now
        rec["revision_number"] = 0
    else:
        rec["revision_number"] = rec.get("revision_number", 0) + 1
    rec["updated_at"] = now


def project_for(body: dict[str, Any], ctx: Ctx) -> str:
    wanted = body.get("project_id") or body.get("tenant_id")
    if wanted and wanted != ctx.project_id and not ctx.is_admin:
        raise neutron_fault(
            403,
            "HTTPForbidden",
            "Specifying 'project_id' or 'tenant_id' other than the "
            "authenticated project in request requires admin privileges",
        )
    project = wanted or ctx.project_id
    if not project:
        raise neutron_fault(
            400,
            "HTTPBadRequest",
            "Failed to parse request. Required attribute 'project_id' not specified",
        )
    return str(project)


def listing(
    neutron: Neutron,
    req: Request,
    ctx: Ctx,
    table: dict[str, dict[str, Any]],
    key: str,
    render: Any,
    fields: tuple[str, ...],
) -> dict[str, Any]:
    with neutron.lock:
        items = [render(r) for r in table.values() if visible(r, ctx)]
    items = [i for i in items if matches(i, req, ("id", "name", "project_id", "tenant_id", *fields))]
    out = page(
        req,
        items,
        key=key,
        base_url=neutron.svc.url,
        default_sort=None,
        max_limit=10000,
        fault=lambda st, m: neutron_fault(st, "HTTPBadRequest", m),
    )
    out[key] = [pick_fields(req, i) for i in out[key]]
    return out
