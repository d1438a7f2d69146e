"""The steps of an overcloud change, fixed when the run is created: ``i2 overcloud deploy |
scale | remove`` make a run of them, the rack runbook adds them after its servers are provided."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lifecycle.engine import ActionRegistry, Plan, StepSpec
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.overcloud.base import Refs, RenderParams, RenderSpec
from lifecycle.runbooks.overcloud.catalog import actions
from lifecycle.tripleo.paths import UNDERCLOUD_THT

RUNBOOK = "lifecycle.runbooks.overcloud:build"


def work_dir(label: str) -> Path:
    """Where one run keeps its rendered files (created private by the render step: they hold
    the deploy's secrets)."""
    from lifecycle.tripleo.deploy import state_dir

    return state_dir() / "overcloud" / f"{label}-{uuid.uuid4().hex[:8]}"


def overcloud_steps(cloud: str, *, render: RenderSpec | Mapping[str, Any], deps: Sequence[str] = (),
                    batch: str | None = None, delete: bool = False, ensure: bool = False,
                    undercloud: str | None = None, base: str | None = None) -> list[StepSpec]:
    """The render -> validate -> upload -> deploy|node-delete chain of one cloud; with
    ``undercloud``, its steps count against that undercloud's limit (``undercloud:<name>``);
    ``base``: the keys' prefix (default ``overcloud/<cloud>``: a run with two chains of one cloud,
    a build-out's late ones, names the others).

    >>> spec = render_params("ie1-new", work=Path("/tmp/i2-doc"), remove=["c02-s08"])
    >>> [(s.key, s.action) for s in overcloud_steps("ie1-new", render=spec, delete=True)]
    [('overcloud/ie1-new/render', 'tripleo.render'), ('overcloud/ie1-new/validate', 'tripleo.validate'),
     ('overcloud/ie1-new/upload', 'tripleo.upload'), ('overcloud/ie1-new/node-delete', 'tripleo.node_delete')]
    """
    base = base or f"overcloud/{cloud}"
    target = f"overcloud:{cloud}"
    keys = {k: f"{base}/{k}" for k in ("render", "validate", "upload", "deploy", "node-delete")}
    refs = Refs(cloud=cloud, render_step=keys["render"], validate_step=keys["validate"])
    files = RenderParams(**refs.model_dump(), **RenderSpec.model_validate(render).model_dump())
    last = "node-delete" if delete else "deploy"
    action = "tripleo.node_delete" if delete else "tripleo.ensure_deployed" if ensure else "tripleo.deploy"

    def step(kind: str, action: str, dep: list[str], desc: str, params: Refs = refs) -> StepSpec:
        return StepSpec(key=keys[kind], target=target, action=action, deps=dep, batch=batch,
                        params=params, description=desc,
                        system=f"undercloud:{undercloud}" if undercloud else None)

    return [
        step("render", "tripleo.render", list(deps), f"Render {cloud}'s deploy files", files),
        # validate re-renders on a retry: it carries the render parameters too
        step("validate", "tripleo.validate", [keys["render"]], f"Validate {cloud}'s files (THT, Heat, i2)",
             files),
        step("upload", "tripleo.upload", [keys["validate"]], f"Upload {cloud}'s files to its undercloud"),
        step(last, action, [keys["validate"], keys["upload"]],
             f"Delete nodes from {cloud}" if delete else f"Deploy {cloud} (openstack overcloud deploy)"),
    ]


def render_params(cloud: str, *, work: Path, counts: dict[str, int] | None = None,
                  remove: Sequence[str] = (), scale_out: Sequence[str] = (), env_files: Sequence[Path] = (),
                  extra_env: Sequence[str] = (), cms_id: str | None = None, first_deploy: bool = False,
                  late: bool = False, templates_dir: str = UNDERCLOUD_THT,
                  remote_dir: str | None = None) -> RenderSpec:
    """The render step's parameters: the change, and what the operator adds to i2's files.

    >>> render_params("ie1-new", work=Path("/tmp/w"), counts={"ComputeNuage": 6}).remote_dir
    '/home/stack/i2/ie1-new'
    """
    return RenderSpec(work_dir=str(work), templates_dir=templates_dir,
                      remote_dir=remote_dir or f"/home/stack/i2/{cloud}",
                      env_files=[str(Path(p).resolve()) for p in env_files], extra_env=list(extra_env),
                      counts=dict(counts) if counts else None, remove=list(remove), scale_out=list(scale_out),
                      first_deploy=first_deploy or late, late=late, cms_id=cms_id or None)


def build_plan(svc: Services, cloud_name: str, *, mode: str, render: RenderSpec | Mapping[str, Any],
               delete: bool) -> Plan:
    """The run of ``i2 overcloud <mode>``: ``render`` holds the change (see :func:`render_params`)."""
    cloud = svc.site.cloud(cloud_name)
    spec = RenderSpec.model_validate(render)
    steps = overcloud_steps(cloud.name, render=spec, delete=delete, undercloud=cloud.undercloud)
    ActionRegistry(actions(svc)).check(steps)
    return Plan(kind="overcloud", target=f"overcloud:{cloud.name}", site_digest=svc.site.digest,
                runbook=RUNBOOK,
                params={"site_dir": str(svc.site_dir.resolve()),
                        "endpoints_file": str(svc.endpoints_file.resolve()),
                        "cloud": cloud.name, "mode": mode, "work_dir": spec.work_dir},
                steps=steps, resources=resources_of(svc, steps))


def keep_work_dirs(plan: Plan, old_steps: Sequence[Any]) -> Plan:
    """A re-plan draws new work dirs: a step the run already has keeps its own (same files), so
    only what the site changed shows as a changed step."""
    old = {st.key: st.params or {} for st in old_steps}
    for st in plan.steps:
        prev = old.get(st.key, {})
        if "work_dir" in st.params and "work_dir" in prev:
            st.params = {**st.params, "work_dir": prev["work_dir"]}
    return plan


def replan(svc: Services, run_params: Mapping[str, Any], old_steps: Sequence[Any]) -> Plan:
    """The plan of a stored ``i2 overcloud`` run on the site as it is now (``i2 runs resume
    --replan``): the same cloud, mode and change, read back from the run's render step.

    The steps carry the change, not the site: the files are rendered from the site when the render
    step runs, so files rendered before a site change stay as they were (see docs/engine.md).
    """
    cloud = str(run_params["cloud"])
    render = next(st.params for st in old_steps if st.key == f"overcloud/{cloud}/render")
    spec = RenderSpec.model_validate({k: v for k, v in render.items() if k in RenderSpec.model_fields})
    delete = any(st.key == f"overcloud/{cloud}/node-delete" for st in old_steps)
    return build_plan(svc, cloud, mode=str(run_params["mode"]), render=spec, delete=delete)


# Step targets naming one thing the run changes, locked as they are (Plan.resources).
OWN_TARGETS = ("server:", "switch:", "app:", "project:")


def resources_of(svc: Services, steps: Sequence[StepSpec]) -> list[str]:
    """What a run of ``steps`` acts on, for the store to lock (issue 12, hazard 2): its servers,
    switches, applications and projects, and for each overcloud it changes, the cloud's Heat
    stack and its undercloud (one ``openstack overcloud deploy`` at a time there)."""
    out: set[str] = set()
    for st in steps:
        kind, _, name = st.target.partition(":")
        if kind == "overcloud":
            out |= {f"stack:{name}", f"undercloud:{svc.site.cloud(name).undercloud}"}
        elif st.target.startswith(OWN_TARGETS):
            out.add(st.target)
    return sorted(out)
