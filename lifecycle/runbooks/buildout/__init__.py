"""Build-out runbook: an empty DC's racked and cabled hardware to a deployed, verified cloud.

Steps (one run, one plan across every system; racks in batches of their own)::

    undercloud/<uc>/ready ──────────────────────────────────────────────┐
    <rack>/ztp/stage ─> <leaf>/ztp ─> <leaf>/verify ───────────┐          │
    template/<profile> ─> <server>/profile ─> enroll ─> manage ─> inspect ─> check ─> tag ─> provide
    <server>/identify ──────┘                                               │
    every provide of a cloud's servers ─> overcloud/<cloud>/render ─> validate ─> upload ─> deploy
    vsd/bootstrap (enterprise, domains, ACLs, CMS, plugin users) ──────────────────────────┘
    overcloud/<cloud>/deploy + a rack's provides ─> overcloud/<cloud>/late/<rack>/render ... deploy
        (a late scale-out: skipped while a server of the rack is quarantined, run on the resume
        after the fix; "nothing to add" at once in a clean run)
    overcloud/<cloud>/deploy (and its rack's late scale-out) ─> <server>/deployed (computes: a hypervisor)
    overcloud/<cloud>/deploy ─> overcloud/<cloud>/prove (Neutron's Nuage plugin and the VSD, Cinder's Pure)
    every leaf verified, every cloud deployed and proved ─> nrfu (ANTA, the whole fabric)

The rack runbook's steps are reused (lifecycle.runbooks.rack); racks come up ``parallel_racks``
at a time. A second apply observes everything done and changes nothing.

Modules: ``plan`` (the steps), ``checks`` (the undercloud gate and the NRFU), ``spines``,
``vsd`` (the VSD bootstrap step), ``prove`` (each cloud's proof), ``observe`` (the plan's
diff), ``catalog``.
"""

from __future__ import annotations

from lifecycle.engine import ActionRegistry, RunbookContext
from lifecycle.runbooks.buildout.catalog import actions
from lifecycle.runbooks.buildout.plan import RUNBOOK, build_plan, racks_of
from lifecycle.runbooks.common import Services

# Steps at once per endpoint of each system kind; the endpoints file's limits override them.
LIMITS = {"oneview": 8, "ironic": 32, "fabric": 4, "ztp": 1, "undercloud": 1}

__all__ = ["LIMITS", "RUNBOOK", "actions", "build", "build_plan", "racks_of"]


def build(ctx: RunbookContext) -> ActionRegistry:
    """Engine factory: the actions, bound to the site and endpoints the run was created with."""
    svc = ctx.extra.get("services") or Services(site_dir=ctx.params["site_dir"],
                                                endpoints_file=ctx.params["endpoints_file"])
    return ActionRegistry(actions(svc))
