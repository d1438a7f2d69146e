"""Nova hypervisors (list, detail, show, statistics, uptime, search), availability zones and
aggregates.

Hypervisor ids are integers below microversion 2.53 and UUIDs from 2.53 on, as in Nova; capacity
counts flavors of the servers placed on a hypervisor, with Nova's default allocation ratios
(cpu 16.0; ram 1.0 as TripleO sets NovaRAMAllocationRatio).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx, nova_fault, page
from lifecycle.lab.openstack.nova.common import ANY_ID, V

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova


def register(nova: Nova) -> None:
    svc, lock, route = nova.svc, nova.lock, nova.svc.route

    def hv_id(hv: dict[str, Any], ctx: Ctx) -> Any:
        return hv["uuid"] if ctx.at_least(2, 53) else hv["num"]

    def hv_view(hv: dict[str, Any], ctx: Ctx, detail: bool) -> dict[str, Any]:
        svc_rec = nova.services[hv["service"]]
        out: dict[str, Any] = {
            "id": hv_id(hv, ctx),
            "hypervisor_hostname": hv["hostname"],
            "state": "up",
            "status": svc_rec["status"],
        }
        if not detail:
            return out
        used = nova.usage(hv["hostname"])
        cpu_info: Any = {
            "arch": "x86_64",
            "model": "Broadwell-IBRS",
            "vendor": "Intel",
            "topology": {"cells": 2, "sockets": 1, "cores": hv["vcpus"] // 4, "threads": 2},
            "features": ["vmx", "ssse3", "sse4.2", "avx2"],
        }
        out.update(
            {
                "vcpus": hv["vcpus"],
                "vcpus_used": used["vcpus"],
                "memory_mb": hv["memory_mb"],
                "memory_mb_used": used["memory_mb"] + 512,
                "free_ram_mb": hv["memory_mb"] - used["memory_mb"] - 512,
                "local_gb": hv["local_gb"],
                "local_gb_used": used["disk"],
                "free_disk_gb": hv["local_gb"] - used["disk"],
                "disk_available_least": hv["local_gb"] - used["disk"],
                "current_workload": 0,
                "running_vms": used["servers"],
                "hypervisor_type": "QEMU",
                "hypervisor_version": 2012000,
                "host_ip": hv["host_ip"],
                "service": {
                    "host": hv["hostname"],
                    "id": svc_rec["uuid"] if ctx.at_least(2, 53) else svc_rec["num"],
                    "disabled_reason": svc_rec["disabled_reason"],
                },
                "cpu_info": cpu_info if ctx.at_least(2, 28) else _json(cpu_info),
            }
        )
        return out

    def find_hv(raw: str, ctx: Ctx) -> dict[str, Any]:
        for hv in nova.hypervisors.values():
            if raw == str(hv_id(hv, ctx)):
                return hv
        raise nova_fault(
            404,
            f"Hypervisor with ID {raw} could not be found."
            if not ctx.at_least(2, 53)
            else f"Hypervisor with ID '{raw}' could not be found.",
        )

    def hypervisors(req: Request, ctx: Ctx, detail: bool) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-hypervisors")
        pattern = req.arg("hypervisor_hostname_pattern")
        with lock:
            items = [
                hv_view(hv, ctx, detail)
                for hv in nova.hypervisors.values()
                if not pattern or pattern in hv["hostname"]
            ]
        if pattern and not items:
            raise nova_fault(404, f"No hypervisor matching '{pattern}' could be found.")
        return page(req, items, key="hypervisors", base_url=svc.url)

    route("GET", V + r"/os-hypervisors")(lambda req, ctx: hypervisors(req, ctx, False))
    route("GET", V + r"/os-hypervisors/detail")(lambda req, ctx: hypervisors(req, ctx, True))

    @route("GET", V + r"/os-hypervisors/statistics")
    def hv_stats(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-hypervisors")
        with lock:
            views = [hv_view(hv, ctx, True) for hv in nova.hypervisors.values()]
        keys = (
            "vcpus",
            "vcpus_used",
            "memory_mb",
            "memory_mb_used",
            "free_ram_mb",
            "local_gb",
            "local_gb_used",
            "free_disk_gb",
            "disk_available_least",
            "current_workload",
            "running_vms",
        )
        stats = {k: sum(v[k] for v in views) for k in keys}
        return {"hypervisor_statistics": {"count": len(views), **stats}}

    @route("GET", V + rf"/os-hypervisors/{ANY_ID}")
    def hv_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-hypervisors")
        with lock:
            return {"hypervisor": hv_view(find_hv(req.params["id"], ctx), ctx, True)}

    @route("GET", V + rf"/os-hypervisors/{ANY_ID}/uptime")
    def hv_uptime(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-hypervisors")
        with lock:
            out = hv_view(find_hv(req.params["id"], ctx), ctx, False)
        out["uptime"] = " 12:00:00 up 42 days,  3:10,  0 users,  load average: 0.10, 0.12, 0.09"
        return {"hypervisor": out}

    @route("GET", V + r"/os-hypervisors/(?P<pattern>[^/]+)/(?P<what>search|servers)")
    def hv_search(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-hypervisors")
        with lock:
            found = []
            for hv in nova.hypervisors.values():
                if req.params["pattern"] in hv["hostname"]:
                    view = hv_view(hv, ctx, False)
                    if req.params["what"] == "servers":
                        view["servers"] = [
                            {"uuid": s["id"], "name": s["name"]}
                            for s in nova.servers.values()
                            if s["host"] == hv["hostname"]
                        ]
                    found.append(view)
        if not found:
            raise nova_fault(404, f"No hypervisor matching '{req.params['pattern']}' could be found.")
        return {"hypervisors": found}

    # --- zones, aggregates ------------------------------------------------------------------------
    @route("GET", V + r"/os-availability-zone(?P<detail>/detail)?")
    def zones(req: Request, ctx: Ctx) -> dict[str, Any]:
        return {
            "availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}]
        }

    @route("GET", V + r"/os-aggregates")
    def aggregates(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-aggregates:index")
        return {"aggregates": []}


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
