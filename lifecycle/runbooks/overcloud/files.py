"""The deploy files: rendered, validated, uploaded. Nothing reaches the undercloud before
``validate`` is done: ``render`` only reads (the stack's counts and removed indices), ``upload``
is the first write and observes the remote files' digests on a resume."""

from __future__ import annotations

from pathlib import Path

from lifecycle.engine import ActionContext, PermanentError, StepOutputs, StepView
from lifecycle.runbooks.common import adapter_errors
from lifecycle.runbooks.overcloud.base import (
    OvercloudAction,
    RenderOutputs,
    RenderParams,
    ValidateOutputs,
    digests,
)


class Render(OvercloudAction):
    """Render the deploy files for the counts the change asks for (reads the stack, writes none)."""

    name = "tripleo.render"
    timeout = 900.0
    Params = RenderParams
    Outputs = RenderOutputs

    def apply(self, step: StepView, ctx: ActionContext) -> RenderOutputs:
        return self.render(step)


class Validate(OvercloudAction):
    """THT's process-templates, i2's strict checks and Heat's validation on the rendered files,
    and each member after the change on a deployable Ironic node. Refuses before any upload."""

    name = "tripleo.validate"
    timeout = 1800.0
    Params = RenderParams
    Outputs = ValidateOutputs

    def apply(self, step: StepView, ctx: ActionContext) -> ValidateOutputs:
        from lifecycle.tripleo.deploy import Target, placement_findings
        from lifecycle.tripleo.validate import validate_rendered

        info = self.rendered(step)
        if info.nothing:  # a late scale-out with no server to add: THT's validation is not paid for nothing
            return ValidateOutputs(**info.model_dump())
        out = Path(info.dir)
        if step.attempt > 1 or not out.is_dir() or digests(out) != info.files:
            ctx.log("render again", reason="retry or files changed since render")
            info = self.render(step)  # a fix to the site or an env file is picked up
            out = Path(info.dir)
        with adapter_errors(f"overcloud {step.params.cloud}"):
            nodes = self.nodes(step)
            tagged = {role: {i: n.name for i, n in members.items()} for role, members in nodes.items()}
            report = validate_rendered(out, ironic_nodes=tagged, secrets=self.svc.secrets.seen)
        target = Target(**info.target.model_dump())
        problems = [str(f) for f in report.errors] + placement_findings(target, nodes)
        if problems:
            raise PermanentError(f"refused before anything reached {info.undercloud}: "
                                 f"{len(problems)} problem(s): " + "; ".join(problems[:10]))
        return ValidateOutputs(**{**info.model_dump(), "warnings": [str(f) for f in report.findings
                                                                     if f.severity != "error"],
                                  "templates": report.stats.get("templates", 0),
                                  "nested_stacks": report.stats.get("nested_stacks", 0)})


class Upload(OvercloudAction):
    """SFTP the validated files into the remote directory (the first write on the undercloud)."""

    name = "tripleo.upload"
    timeout = 900.0
    observe_first = True

    class Outputs(StepOutputs):
        uploaded: int  # files written (0: all there already)
        remote_dir: str

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        info = self.rendered(step)
        if info.nothing:
            return self.Outputs(uploaded=0, remote_dir=info.remote_dir)
        with adapter_errors(f"overcloud {step.params.cloud}"), self.undercloud(step) as uc:
            remote = uc.digests(info.remote_dir, [name for name, _ in info.files])
        if all(remote.get(name) == digest for name, digest in info.files):
            return self.Outputs(uploaded=0, remote_dir=info.remote_dir)
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        info = self.rendered(step)
        if info.nothing:
            return self.Outputs(uploaded=0, remote_dir=info.remote_dir)
        with adapter_errors(f"overcloud {step.params.cloud}"), self.undercloud(step) as uc:
            done = uc.upload(Path(info.dir), info.remote_dir, [name for name, _ in info.files])
        ctx.log("uploaded", files=len(done), remote_dir=info.remote_dir)
        return self.Outputs(uploaded=len(done), remote_dir=info.remote_dir)
