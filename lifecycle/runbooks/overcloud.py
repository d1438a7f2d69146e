"""Overcloud runbook: ``i2 overcloud deploy | scale | remove`` as resumable runs.

Steps (one target, ``overcloud:<cloud>``), each persisted before its side effect::

    render ─> validate ─> upload ─> deploy          (deploy; scale out)
    render ─> validate ─> upload ─> node-delete     (scale down; remove nodes)

The change (counts, nodes to remove) is decided when the run is created, from the stack and
Ironic as they are then, and kept in the steps' parameters: a resumed run renders the same
change. The rack runbook adds the same steps after its servers are provided (``scale_out``).

>>> plan = build_plan(svc, "ie1-new", counts={"ComputeNuage": 6})     # doctest: +SKIP
>>> [s.key.rsplit("/", 1)[1] for s in plan.steps]                     # doctest: +SKIP
['render', 'validate', 'upload', 'node-delete']
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lifecycle.engine import ActionRegistry, Plan, RunbookContext, StepSpec
from lifecycle.runbooks.overcloud_actions import actions
from lifecycle.runbooks.services import Services
from lifecycle.tripleo.paths import UNDERCLOUD_THT

RUNBOOK = "lifecycle.runbooks.overcloud:build"
LIMITS = {"undercloud": 2, "ironic": 8}


def build(ctx: RunbookContext) -> ActionRegistry:
    svc = ctx.extra.get("services") or Services(site_dir=ctx.params["site_dir"],
                                                endpoints_file=ctx.params["endpoints_file"])
    return ActionRegistry(actions(svc))


def work_dir(label: str) -> Path:
    """Where one run keeps its rendered files (created private by the render step: they hold
    the deploy's secrets)."""
    from lifecycle.tripleo.deploy import state_dir

    return state_dir() / "overcloud" / f"{label}-{uuid.uuid4().hex[:8]}"


def overcloud_steps(cloud: str, *, render: dict[str, Any], deps: Sequence[str] = (), batch: str | None = None,
                    delete: bool = False, ensure: bool = False) -> list[StepSpec]:
    """The render -> validate -> upload -> deploy|node-delete chain of one cloud."""
    base = f"overcloud/{cloud}"
    target = f"overcloud:{cloud}"
    keys = {k: f"{base}/{k}" for k in ("render", "validate", "upload", "deploy", "node-delete")}
    refs = {"cloud": cloud, "render_step": keys["render"], "validate_step": keys["validate"]}
    last = "node-delete" if delete else "deploy"
    action = "tripleo.node_delete" if delete else "tripleo.ensure_deployed" if ensure else "tripleo.deploy"

    def step(kind: str, action: str, dep: list[str], desc: str, **params: Any) -> StepSpec:
        return StepSpec(key=keys[kind], target=target, action=action, deps=dep, batch=batch,
                        params={**refs, **params}, description=desc)

    return [
        step("render", "tripleo.render", list(deps), f"Render {cloud}'s deploy files", **render),
        # validate re-renders on a retry: it carries the render parameters too
        step("validate", "tripleo.validate", [keys["render"]], f"Validate {cloud}'s files (THT, Heat, i2)",
             **render),
        step("upload", "tripleo.upload", [keys["validate"]], f"Upload {cloud}'s files to its undercloud"),
        step(last, action, [keys["validate"], keys["upload"]],
             f"Delete nodes from {cloud}" if delete else f"Deploy {cloud} (openstack overcloud deploy)"),
    ]


def render_params(cloud: str, *, work: Path, counts: dict[str, int] | None = None,
                  remove: Sequence[str] = (), scale_out: Sequence[str] = (), env_files: Sequence[Path] = (),
                  extra_env: Sequence[str] = (), cms_id: str | None = None,
                  templates_dir: str = UNDERCLOUD_THT, remote_dir: str | None = None) -> dict[str, Any]:
    """The render step's parameters: the change, and what the operator adds to i2's files."""
    out: dict[str, Any] = {"work_dir": str(work), "templates_dir": templates_dir,
                           "remote_dir": remote_dir or f"/home/stack/i2/{cloud}",
                           "env_files": [str(Path(p).resolve()) for p in env_files],
                           "extra_env": list(extra_env)}
    if counts:
        out["counts"] = dict(counts)
    if remove:
        out["remove"] = list(remove)
    if scale_out:
        out["scale_out"] = list(scale_out)
    if cms_id:
        out["cms_id"] = cms_id
    return out


def build_plan(svc: Services, cloud_name: str, *, mode: str, render: dict[str, Any], delete: bool) -> Plan:
    """The run of ``i2 overcloud <mode>``: ``render`` holds the change (see :func:`render_params`)."""
    cloud = svc.site.cloud(cloud_name)
    return Plan(kind="overcloud", target=f"overcloud:{cloud.name}", site_digest=svc.site.digest,
                runbook=RUNBOOK,
                params={"site_dir": str(svc.site_dir.resolve()),
                        "endpoints_file": str(svc.endpoints_file.resolve()),
                        "cloud": cloud.name, "mode": mode, "work_dir": render["work_dir"]},
                steps=overcloud_steps(cloud.name, render=render, delete=delete))
