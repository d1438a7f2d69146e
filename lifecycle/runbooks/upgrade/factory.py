"""The engine's side of the upgrade runbook: every action an upgrade run may use, bound to the
site and endpoints the run was created with, rebuilt on every resume."""

from __future__ import annotations

from lifecycle.engine import ActionRegistry, RunbookContext
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.upgrade.actions import actions

RUNBOOK = "lifecycle.runbooks.upgrade:build"
# Steps at once per endpoint of each system kind (each Ironic, each undercloud, each switch...);
# the endpoints file's limits override them (lifecycle.model.limits).
LIMITS = {"vsd": 4, "neutron": 4, "nova": 8, "cinder": 4, "files": 1, "probes": 2,
          "oneview": 8, "ironic": 32, "fabric": 4, "undercloud": 1,
          "netscaler": 8}


def services(svc: Services) -> Services:
    """The upgrade works on the site as it is after recommissioning (lifecycle.runbooks.recommission)."""
    from lifecycle.runbooks.recommission import recommissioned

    return svc.override_site(recommissioned(svc.site))


def registry(svc: Services) -> ActionRegistry:
    """The upgrade's actions, and the rack and overcloud runbooks' for recommissioning."""
    from lifecycle.runbooks import rack, recommission

    # the rack runbook's own factory: its actions, whatever module they live in
    racks = rack.build(RunbookContext(run_id="", kind="rack", target="", extra={"services": svc}))
    return ActionRegistry([*actions(svc), *(racks.get(n) for n in racks), *recommission.actions(svc)])


def build(ctx: RunbookContext) -> ActionRegistry:
    """Engine factory (``lifecycle.runbooks.upgrade:build``, as stored runs name it)."""
    svc = ctx.extra.get("services") or services(Services(site_dir=ctx.params["site_dir"],
                                                         endpoints_file=ctx.params["endpoints_file"]))
    return registry(svc)
