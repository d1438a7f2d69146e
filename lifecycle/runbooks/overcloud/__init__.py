"""Overcloud runbook: ``i2 overcloud deploy | scale | remove`` as resumable runs.

Steps (one target, ``overcloud:<cloud>``), each persisted before its side effect::

    render ─> validate ─> upload ─> deploy          (deploy; scale out)
    render ─> validate ─> upload ─> node-delete     (scale down; remove nodes)

The change (counts, nodes to remove) is decided when the run is created, from the stack and
Ironic as they are then, and kept in the steps' parameters: a resumed run renders the same
change. The rack runbook adds the same steps after its servers are provided (``scale_out``).

Each step talks to the undercloud over SSH (lifecycle.tripleo.undercloud) and reads node state
from its Ironic (:func:`tagged_nodes`). Modules: ``plan`` (the steps), ``files`` (render,
validate, upload), ``deploy`` (deploy, node delete, prove), ``base`` (their params and outputs).

>>> from pathlib import Path
>>> import lifecycle
>>> svc = Services(site_dir=Path(lifecycle.__file__).parents[1] / "examples" / "ie1",
...                endpoints_file="endpoints.yaml")
>>> render = render_params("ie1-new", work=Path("/tmp/i2-doc"), remove=["c02-s08"])
>>> plan = build_plan(svc, "ie1-new", mode="remove", render=render, delete=True)
>>> [s.key.rsplit("/", 1)[1] for s in plan.steps]
['render', 'validate', 'upload', 'node-delete']
"""

from __future__ import annotations

from lifecycle.engine import ActionRegistry, RunbookContext
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.overcloud.base import RenderOutputs, RenderParams, RenderSpec, ValidateOutputs
from lifecycle.runbooks.overcloud.catalog import actions
from lifecycle.runbooks.overcloud.nodes import tagged_nodes
from lifecycle.runbooks.overcloud.plan import RUNBOOK, build_plan, overcloud_steps, render_params, work_dir

# Steps at once per endpoint of each system kind (each Ironic, each undercloud, each switch...);
# the endpoints file's limits override them (lifecycle.model.limits).
LIMITS = {"undercloud": 2, "ironic": 8}

__all__ = [
    "LIMITS", "RUNBOOK", "RenderOutputs", "RenderParams", "RenderSpec", "ValidateOutputs", "actions", "build",
    "build_plan", "overcloud_steps", "render_params", "tagged_nodes", "work_dir",
]


def build(ctx: RunbookContext) -> ActionRegistry:
    """Engine factory: the actions, bound to the site and endpoints the run was created with."""
    svc = ctx.extra.get("services") or Services(site_dir=ctx.params["site_dir"],
                                                endpoints_file=ctx.params["endpoints_file"])
    return ActionRegistry(actions(svc))
