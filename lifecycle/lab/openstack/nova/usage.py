"""Nova's ``os-simple-tenant-usage``: hours, vCPU-, RAM- and disk-hours per project over a period,
from each server's launch and termination times, as nova/api/openstack/compute/simple_tenant_usage.py
computes them (servers deleted within the period count up to their termination).

Listing every project is admin-only (``os_compute_api:os-simple-tenant-usage:list``); a project
may read its own. Times are naive UTC with microseconds, as Nova's JSON renders datetimes.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx, nova_fault
from lifecycle.lab.openstack.nova.common import VM_STATE, V

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova

_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _parse(text: str | None) -> dt.datetime:
    if not text:
        return _utcnow()
    for f in _FORMATS:
        try:
            return dt.datetime.strptime(text, f)
        except ValueError:
            continue
    raise nova_fault(400, "Datetime is in invalid format")


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.rstrip("Z")).replace(tzinfo=None)


def _fmt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")


def record_termination(nova: Nova, s: dict[str, Any]) -> None:
    """Keep what the usage report needs of a deleted server (Nova keeps the soft-deleted row)."""
    if s.get("launched_at"):
        nova.terminated.append({**{k: s[k] for k in ("id", "name", "project_id", "flavor", "launched_at")},
                                "terminated_at": _fmt(_utcnow()), "status": "DELETED"})


def _usages(nova: Nova, start: dt.datetime, stop: dt.datetime, project: str | None) -> list[dict[str, Any]]:
    now = _utcnow()
    out = []
    with nova.lock:
        rows = [*nova.terminated, *(s for s in nova.servers.values() if not s["deleted"])]
        rows = [dict(r, flavor=dict(r["flavor"])) for r in rows
                if project is None or r["project_id"] == project]
    for r in rows:
        launched, ended = _when(r.get("launched_at")), _when(r.get("terminated_at"))
        if launched is None or launched > stop or (ended is not None and ended < start):
            continue  # not running in the period (get_active_by_window_joined)
        begin, end = max(launched, start), min(ended or stop, stop)
        hours = max((end - begin).total_seconds(), 0.0) / 3600.0
        f = r["flavor"]
        out.append({
            "instance_id": r["id"], "name": r["name"], "hours": hours, "memory_mb": f["ram"],
            "local_gb": f["disk"] + int(f.get("ephemeral") or 0),
            "vcpus": f["vcpus"], "tenant_id": r["project_id"],
            "flavor": f["name"],
            "started_at": _fmt(launched), "ended_at": _fmt(ended) if ended else None,
            "state": "terminated" if ended else VM_STATE.get(r["status"], r["status"].lower()),
            "uptime": int(((ended or now) - launched).total_seconds()),
        })
    return out


def _summaries(usages: list[dict[str, Any]], start: dt.datetime, stop: dt.datetime,
               detailed: bool) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for u in usages:
        s = out.get(u["tenant_id"])
        if s is None:
            s = out[u["tenant_id"]] = {
                "tenant_id": u["tenant_id"], "total_local_gb_usage": 0, "total_vcpus_usage": 0,
                "total_memory_mb_usage": 0, "total_hours": 0, "start": _fmt(start), "stop": _fmt(stop)}
            if detailed:
                s["server_usages"] = []
        s["total_local_gb_usage"] += u["local_gb"] * u["hours"]
        s["total_vcpus_usage"] += u["vcpus"] * u["hours"]
        s["total_memory_mb_usage"] += u["memory_mb"] * u["hours"]
        s["total_hours"] += u["hours"]
        if detailed:
            s["server_usages"].append(u)
    return out


def register(nova: Nova) -> None:
    svc, route = nova.svc, nova.svc.route

    def period(req: Request) -> tuple[dt.datetime, dt.datetime]:
        start, stop = _parse(req.arg("start")), _parse(req.arg("end"))
        if not start < stop:
            raise nova_fault(400, "Invalid start time. The start time cannot occur after the end time.")
        return start, stop

    @route("GET", V + r"/os-simple-tenant-usage")
    def index(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-simple-tenant-usage:list")
        start, stop = period(req)
        detailed = req.arg("detailed") == "1"
        found = _summaries(_usages(nova, start, stop, None), start, stop, detailed)
        return {"tenant_usages": list(found.values())}

    @route("GET", V + r"/os-simple-tenant-usage/(?P<tenant>[^/]+)")
    def show(req: Request, ctx: Ctx) -> dict[str, Any]:
        tenant = req.params["tenant"]
        if tenant != ctx.project_id:
            svc.need_admin(ctx, "os_compute_api:os-simple-tenant-usage:show")
        start, stop = period(req)
        found = _summaries(_usages(nova, start, stop, tenant), start, stop, True)
        return {"tenant_usage": found.get(tenant, {})}  # Nova answers {} for a project with no usage
