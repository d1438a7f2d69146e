"""Neutron's per-project quotas, with usage counted from networks, subnets and ports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx, neutron_fault
from lifecycle.lab.openstack.neutron.common import N

if TYPE_CHECKING:
    from lifecycle.lab.openstack.neutron.service import Neutron

_QUOTAS = {
    "network": 100,
    "subnet": 100,
    "port": 500,
    "router": 10,
    "floatingip": 50,
    "security_group": 10,
    "security_group_rule": 100,
    "subnetpool": -1,
    "rbac_policy": 10,
}


def register(neutron: Neutron) -> None:
    svc, lock, route = neutron.svc, neutron.lock, neutron.svc.route

    @route("GET", N + r"/quotas/(?P<project>[^/]+)(?P<detail>/details)?")
    def quotas(req: Request, ctx: Ctx) -> dict[str, Any]:
        project = req.params["project"]
        with lock:
            q = {**_QUOTAS, **neutron.quotas.get(project, {})}
            if "detail" not in req.params:
                return {"quota": q}
            used = {
                "network": sum(1 for n in neutron.networks.values() if n["project_id"] == project),
                "subnet": sum(1 for s in neutron.subnets.values() if s["project_id"] == project),
                "port": sum(1 for p in neutron.ports.values() if p["project_id"] == project),
            }
            return {"quota": {k: {"limit": v, "used": used.get(k, 0), "reserved": 0} for k, v in q.items()}}

    @route("PUT", N + r"/quotas/(?P<project>[^/]+)")
    def quotas_put(req: Request, ctx: Ctx) -> dict[str, Any]:
        if not ctx.is_admin:
            raise neutron_fault(403, "HTTPForbidden", "rule:update_quota is disallowed by policy")
        body = svc.body(req, "quota")
        with lock:
            q = neutron.quotas.setdefault(req.params["project"], {})
            q.update({k: int(v) for k, v in body.items() if k in _QUOTAS})
            return {"quota": {**_QUOTAS, **q}}
