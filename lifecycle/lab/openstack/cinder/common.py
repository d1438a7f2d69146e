"""What every Cinder resource module shares: the project-scoped path, the id pattern, the scope
and microversion checks, and the array's name for a Cinder volume."""

from __future__ import annotations

from lifecycle.lab.base import Request
from lifecycle.lab.openstack.api import Ctx, nova_fault
from lifecycle.lab.openstack.keystone import project_of

P = r"/v3/(?P<project>[0-9a-f]{32})"
ID = r"(?P<id>[0-9a-fA-F-]{36})"


def array_name(vol_id: str) -> str:
    """What the Pure driver calls a Cinder volume on the array."""
    return f"volume-{vol_id}-cinder"


def scoped(req: Request, ctx: Ctx) -> str:
    project = project_of(ctx)
    if req.params["project"] != project and not ctx.is_admin:
        raise nova_fault(403, "Policy doesn't allow volume:get_all to be performed.")
    return project


def need(ctx: Ctx, major: int, minor: int) -> None:
    if not ctx.at_least(major, minor):
        raise nova_fault(404, "The resource could not be found.")
