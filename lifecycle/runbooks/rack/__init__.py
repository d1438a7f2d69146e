"""Rack runbook: from racked servers and leaves to hypervisors of their cloud.

``observe`` says what ``apply`` would do (``i2 rack plan``); ``build_plan`` fixes the steps of a
run; ``build`` is the engine's factory that rebuilds the actions on every resume. The run's
report is lifecycle.report.rack's.

Steps per rack (all in one batch, ``rack:<name>``, for ``--max-fail-percent``)::

    ztp/stage ─> <leaf>/ztp ─> <leaf>/verify ───────────────────────────┐
    template/<profile> ─> <server>/profile ─> enroll ─> manage ─> inspect ─> check ─> tag ─> provide
    <server>/identify ──────┘                                                                 │
    every provide of a cloud's servers ─> overcloud/<cloud>/render ─> validate ─> upload ─> deploy
    overcloud/<cloud>/deploy ─> <server>/hypervisor

The scale-out raises each role's ``<Role>Count`` by the rack's servers not yet deployed (counted
when it renders) and deploys through the undercloud; a second apply observes the stack already
deployed with those files. Only managed Train clouds are deployed (lifecycle.runbooks.overcloud).

Modules: ``plan`` (the steps), ``observe`` (the plan's diff), ``fabric``, ``oneview`` and
``ironic`` (the actions, by system), ``catalog`` (all of them).

Example (against the twin)::

    plan = build_plan(svc, "c02")
    run_id = store.create_run(plan)
    Engine(store, build(RunbookContext.from_run(store.get_run(run_id)))).execute(run_id)
"""

from __future__ import annotations

from lifecycle.engine import ActionRegistry, RunbookContext
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.rack.catalog import actions
from lifecycle.runbooks.rack.fabric import leaf_hostname, ztp_files
from lifecycle.runbooks.rack.observe import Change, observe
from lifecycle.runbooks.rack.plan import (
    RUNBOOK,
    allocate_indices,
    build_plan,
    leaves_of,
    scale_out_steps,
    server_steps,
    train_clouds,
)

# Steps at once per endpoint of each system kind (each Ironic, each undercloud, each switch...);
# the endpoints file's limits override them (lifecycle.model.limits).
LIMITS = {"oneview": 8, "ironic": 32, "fabric": 4, "ztp": 1, "undercloud": 1}

__all__ = [
    "LIMITS", "RUNBOOK", "Change", "actions", "allocate_indices", "build", "build_plan", "leaf_hostname",
    "leaves_of", "observe", "scale_out_steps", "server_steps", "train_clouds", "ztp_files",
]


def build(ctx: RunbookContext) -> ActionRegistry:
    """Engine factory: the actions, bound to the site and endpoints the run was created with."""
    svc = ctx.extra.get("services") or Services(site_dir=ctx.params["site_dir"],
                                                endpoints_file=ctx.params["endpoints_file"])
    return ActionRegistry(actions(svc))
