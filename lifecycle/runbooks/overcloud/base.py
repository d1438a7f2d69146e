"""What the overcloud steps share: their params (the cloud, the change, the files), what the
render and validate steps output, and the rendering both do."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifecycle.engine import Action, ActionContext, PermanentError, StepOutputs, StepParams, StepView
from lifecycle.engine.db import make_private_dirs
from lifecycle.redact import add_secret
from lifecycle.runbooks.common import Services, adapter_errors
from lifecycle.runbooks.overcloud.nodes import tagged_nodes

if TYPE_CHECKING:  # imported when a step runs (paramiko, Jinja): planning a run needs neither
    from lifecycle.tripleo.deploy import Node
    from lifecycle.tripleo.undercloud import Undercloud


def digests(out: Path) -> list[list[str]]:
    """[[file, sha256], ...] of the rendered files. Pairs, not a mapping: run records redact the
    values of secret-looking keys, and ``secrets.yaml`` is one."""
    return [[str(p.relative_to(out)), hashlib.sha256(p.read_bytes()).hexdigest()]
            for p in sorted(out.rglob("*")) if p.is_file()]


class Refs(StepParams):
    """Every step of the chain: the cloud, and the steps whose outputs say what was rendered."""

    cloud: str
    render_step: str
    validate_step: str


class RenderSpec(StepParams):
    """The change (one of ``counts``, ``remove``, ``scale_out``) and what the operator adds to
    i2's files, fixed when the run is created so a resumed run renders the same change.

    >>> RenderSpec(work_dir="/tmp/w", templates_dir="/usr/share/openstack-tripleo-heat-templates",
    ...            remove=["c02-s08"]).remove
    ['c02-s08']
    """

    work_dir: str
    templates_dir: str
    remote_dir: str | None = None  # None: /home/stack/i2/<cloud>
    env_files: list[str] = []
    extra_env: list[str] = []
    counts: dict[str, int] | None = None
    remove: list[str] = []
    scale_out: list[str] = []
    first_deploy: bool = False  # a build-out's: deploy ``scale_out``'s provided nodes, holes for the rest
    # a build-out's late scale-out (servers provided after the first deploy rendered): when none of
    # ``scale_out`` waits to join, nothing is rendered, validated, uploaded or deployed
    late: bool = False
    cms_id: str | None = None


class RenderParams(Refs, RenderSpec):
    """The render and validate steps' (validate renders again on a retry)."""


class TargetOut(StepOutputs):
    """lifecycle.tripleo.deploy.Target as stored."""

    before: dict[str, int]
    counts: dict[str, int]
    removed: dict[str, list[int]]
    delete: list[str] = []
    added: list[str] = []


class RenderOutputs(StepOutputs):
    dir: str
    undercloud: str
    stack: str
    remote_dir: str
    command: list[str]
    files: list[list[str]]  # [file, sha256] pairs, see digests()
    target: TargetOut
    stack_status: str | None = None  # None: no stack yet
    nothing: bool = False  # a late scale-out with no server to add: no files, the next steps observe so


class ValidateOutputs(RenderOutputs):
    warnings: list[str] = []
    templates: int = 0
    nested_stacks: int = 0


class OvercloudAction(Action):
    system = "undercloud"
    Params = Refs

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def cloud(self, step: StepView) -> Any:
        return self.svc.site.cloud(step.params.cloud)

    def undercloud(self, step: StepView) -> Undercloud:
        from lifecycle.tripleo.undercloud import Undercloud

        return Undercloud.connect(self.svc.endpoints, self.cloud(step).undercloud, self.svc.secrets)

    def nodes(self, step: StepView) -> dict[str, dict[int, Node]]:
        cloud = self.cloud(step)
        return tagged_nodes(self.svc.baremetal(cloud.undercloud), [r.name for r in cloud.roles])

    def rendered(self, step: StepView) -> RenderOutputs:
        """What the validate step checked (it re-renders on a retry), else render's outputs."""
        p = step.params
        if p.validate_step in step.dep_outputs:
            return step.output(p.validate_step, ValidateOutputs)
        if p.render_step in step.dep_outputs:
            return step.output(p.render_step, RenderOutputs)
        raise PermanentError(f"{step.key}: no rendered files among its dependencies")

    def stream(self, ctx: ActionContext, undercloud: str) -> Callable[[str], None]:
        def on_line(line: str) -> None:
            ctx.log(line, undercloud=undercloud)
            ctx.progress(line)

        return on_line

    def nothing_to_add(self, step: StepView, remote: str) -> RenderOutputs | None:
        """A late scale-out's render when none of its servers is provided and not deployed (one
        Ironic read, no undercloud call): the outputs that tell the next steps so; else None."""
        p: RenderParams = step.params
        cloud = self.cloud(step)
        with adapter_errors(f"overcloud {cloud.name}"):
            nodes = self.nodes(step)
        waiting = [n.name for m in nodes.values() for n in m.values()
                   if n.name in p.scale_out and n.state == "available" and not n.deployed]
        if waiting:
            return None
        counts = {role: sum(1 for n in m.values() if n.deployed) for role, m in nodes.items()}
        target = TargetOut(before=counts, counts=counts, removed={})
        return RenderOutputs(dir="", undercloud=cloud.undercloud, stack=cloud.stack, remote_dir=remote,
                             command=[], files=[], target=target, nothing=True)

    def render(self, step: StepView) -> RenderOutputs:
        """Render the deploy files for the change (the render step, and validate on a retry)."""
        from lifecycle.tripleo.deploy import observe_stack, plan_target, remote_removed
        from lifecycle.tripleo.render import render_overcloud

        p: RenderParams = step.params
        cloud = self.cloud(step)
        roles = [r.name for r in cloud.roles]
        remote = (p.remote_dir or f"/home/stack/i2/{cloud.name}").rstrip("/")
        if p.late:
            idle = self.nothing_to_add(step, remote)
            if idle is not None:
                return idle
        with adapter_errors(f"overcloud {cloud.name}"):
            with self.undercloud(step) as uc:
                stack = observe_stack(uc, cloud.stack, roles)
                removed = remote_removed(uc, remote)
            nodes = self.nodes(step)
            target = plan_target(stack, cloud, nodes, counts=p.counts, remove=p.remove,
                                 scale_out=p.scale_out, removed=removed, first_deploy=p.first_deploy)
            out = Path(p.work_dir) / "rendered"
            make_private_dirs(out.parent)
            shutil.rmtree(out, ignore_errors=True)
            extras = []
            for local in p.env_files:
                dest = out / "extra" / Path(local).name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(local, dest)
                extras.append(f"{remote}/extra/{dest.name}")
            tagged = {role: [(n.name, i) for i, n in sorted(m.items())] for role, m in nodes.items()}
            cms_id = p.cms_id
            if cms_id is None and (p.first_deploy or p.late) and cloud.nuage is not None:
                # registered by the build-out's vsd/bootstrap (a dep of this render): the Nuage
                # plugin does not start without NeutronNuageCMSId
                from lifecycle.nuage.bootstrap import cms_ids

                cms_id = cms_ids(self.svc.nuage(), self.svc.site).get(cloud.name)
            rendered = render_overcloud(
                self.svc.site, cloud.name, self.svc.endpoints, out, nodes=tagged,
                counts=target.counts, removed=target.removed, cms_id=cms_id,
                templates_dir=p.templates_dir, remote_dir=remote,
                extra_environments=[*extras, *p.extra_env], secrets=self.svc.secrets)
        for value in self.svc.secrets.seen:
            add_secret(value)
        return RenderOutputs(dir=str(out), undercloud=cloud.undercloud, stack=cloud.stack, remote_dir=remote,
                             command=rendered.command, files=digests(out),
                             target=TargetOut.model_validate(target.as_dict()),
                             stack_status=stack.status if stack else None)
