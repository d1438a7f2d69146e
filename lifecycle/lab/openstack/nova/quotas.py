"""Nova's quotas (with the pre-2.36 network quotas), limits and the quota check a create makes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx, nova_fault
from lifecycle.lab.openstack.keystone import project_of
from lifecycle.lab.openstack.nova.common import V

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova

DEFAULT_QUOTAS = {
    "instances": 10,
    "cores": 20,
    "ram": 51200,
    "key_pairs": 100,
    "metadata_items": 128,
    "injected_files": 5,
    "injected_file_content_bytes": 10240,
    "injected_file_path_bytes": 255,
    "server_groups": 10,
    "server_group_members": 10,
}
_LEGACY_QUOTAS = {"floating_ips": 10, "fixed_ips": -1, "security_groups": 10, "security_group_rules": 20}


def check_quota(nova: Nova, project: str, flavor: dict[str, Any]) -> None:
    q = {**DEFAULT_QUOTAS, **nova.quotas.get(project, {})}
    used = nova.project_usage(project)
    for res, need in (("instances", 1), ("cores", flavor["vcpus"]), ("ram", flavor["ram"])):
        if q[res] >= 0 and used[res] + need > q[res]:
            raise nova_fault(
                403,
                f"Quota exceeded for {res}: Requested {need}, but already used {used[res]} of {q[res]} {res}",
            )


def register(nova: Nova) -> None:
    svc, lock, route = nova.svc, nova.lock, nova.svc.route

    def quota_keys(ctx: Ctx) -> dict[str, int]:
        return dict(DEFAULT_QUOTAS) if ctx.at_least(2, 36) else {**DEFAULT_QUOTAS, **_LEGACY_QUOTAS}

    def quota_set(project: str, ctx: Ctx, detail: bool) -> dict[str, Any]:
        limits = {
            **quota_keys(ctx),
            **{k: v for k, v in nova.quotas.get(project, {}).items() if k in quota_keys(ctx)},
        }
        if not detail:
            return {"id": project, **limits}
        used = nova.project_usage(project)
        return {
            "id": project,
            **{k: {"limit": v, "in_use": used.get(k, 0), "reserved": 0} for k, v in limits.items()},
        }

    @route("GET", V + r"/os-quota-sets/(?P<project>[^/]+)(?P<detail>/detail)?")
    def quotas_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        project = req.params["project"]
        if project != ctx.project_id:
            svc.need_admin(ctx, "os_compute_api:os-quota-sets:show")
        with lock:
            return {
                "quota_set": quota_set(project, ctx, "detail" in req.params or req.arg("usage") == "True")
            }

    @route("GET", V + r"/os-quota-sets/(?P<project>[^/]+)/defaults")
    def quotas_defaults(req: Request, ctx: Ctx) -> dict[str, Any]:
        return {"quota_set": {"id": req.params["project"], **quota_keys(ctx)}}

    @route("PUT", V + r"/os-quota-sets/(?P<project>[^/]+)")
    def quotas_put(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-quota-sets:update")
        body = svc.body(req, "quota_set")
        with lock:
            q = nova.quotas.setdefault(req.params["project"], {})
            for k, v in body.items():
                if k in quota_keys(ctx):
                    q[k] = int(v)
                elif k not in ("force", "id"):
                    raise nova_fault(400, f"Bad key(s) {k} in quota_set")
            out = quota_set(req.params["project"], ctx, False)
            out.pop("id")
            return {"quota_set": out}

    @route("GET", V + r"/limits")
    def limits(req: Request, ctx: Ctx) -> dict[str, Any]:
        project = req.arg("tenant_id") if ctx.is_admin and req.arg("tenant_id") else project_of(ctx)
        with lock:
            q = quota_set(project, ctx, False)
            used = nova.project_usage(project)
        absolute = {
            "maxTotalInstances": q["instances"],
            "maxTotalCores": q["cores"],
            "maxTotalRAMSize": q["ram"],
            "maxServerMeta": q["metadata_items"],
            "maxTotalKeypairs": q["key_pairs"],
            "maxServerGroups": q["server_groups"],
            "maxServerGroupMembers": q["server_group_members"],
            "totalInstancesUsed": used["instances"],
            "totalCoresUsed": used["cores"],
            "totalRAMUsed": used["ram"],
            "totalServerGroupsUsed": 0,
        }
        if not ctx.at_least(2, 57):
            absolute.update(maxPersonality=5, maxPersonalitySize=10240)
        if not ctx.at_least(2, 36):  # the network limits Nova proxied from Neutron until 2.36
            groups = sum(1 for g in nova.cloud.neutron.security_groups.values() if g["project_id"] == project)
            absolute.update(maxSecurityGroups=q["security_groups"],
                            maxSecurityGroupRules=q["security_group_rules"],
                            maxTotalFloatingIps=q["floating_ips"], totalFloatingIpsUsed=0,
                            totalSecurityGroupsUsed=groups)
        return {"limits": {"absolute": absolute, "rate": []}}
