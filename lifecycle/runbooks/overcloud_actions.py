"""Overcloud steps: render, validate, upload, deploy or node-delete, prove (per server).

Each step talks to the undercloud over SSH (lifecycle.tripleo.undercloud) and reads node state
from its Ironic. Nothing reaches the undercloud before ``validate`` is done: ``render`` only
reads (the stack's counts and removed indices), ``upload`` is the first write.

Resume: ``upload`` observes the remote files' digests; ``deploy`` and ``node-delete`` wait for a
deployment still running on the undercloud (a killed i2 does not stop it), then observe the
stack (its environment has i2's parameters, its deployment status is DEPLOY_SUCCESS) or the
Ironic nodes (the deleted ones are undeployed) before doing anything again.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from lifecycle.engine import Action, ActionContext, PermanentError, RetryPolicy, StepView, TransientError
from lifecycle.engine.db import make_private_dirs
from lifecycle.redact import add_secret
from lifecycle.runbooks.rack_actions import _errors  # adapter errors -> engine errors
from lifecycle.runbooks.services import Services

DEPLOY_TIMEOUT = 6 * 3600.0  # a Train deploy of a few hundred nodes takes hours


def _digests(out: Path) -> list[list[str]]:
    """[[file, sha256], ...] of the rendered files. Pairs, not a mapping: run records redact the
    values of secret-looking keys, and ``secrets.yaml`` is one."""
    return [[str(p.relative_to(out)), hashlib.sha256(p.read_bytes()).hexdigest()]
            for p in sorted(out.rglob("*")) if p.is_file()]


class _Overcloud(Action):
    system = "undercloud"

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def cloud(self, step: StepView) -> Any:
        return self.svc.site.cloud(step.params["cloud"])

    def undercloud(self, step: StepView) -> Any:
        from lifecycle.tripleo.undercloud import Undercloud

        return Undercloud.connect(self.svc.endpoints, self.cloud(step).undercloud, self.svc.secrets)

    def nodes(self, step: StepView) -> Any:
        from lifecycle.tripleo.deploy import tagged_nodes

        cloud = self.cloud(step)
        return tagged_nodes(self.svc.baremetal(cloud.undercloud).conn, [r.name for r in cloud.roles])

    def rendered(self, step: StepView) -> dict[str, Any]:
        """What the validate step checked (it re-renders on a retry), else render's outputs."""
        for key in (step.params.get("validate_step"), step.params.get("render_step")):
            if key and key in step.dep_outputs:
                return dict(step.dep_outputs[key])
        raise PermanentError(f"{step.key}: no rendered files among its dependencies")

    def stream(self, ctx: ActionContext, undercloud: str) -> Any:
        def on_line(line: str) -> None:
            ctx.log(line, undercloud=undercloud)
            ctx.progress(line)

        return on_line

    # -- rendering (the render step, and validate on a retry) ---------------------------------

    def render(self, step: StepView) -> dict[str, Any]:
        from lifecycle.tripleo.deploy import observe_stack, plan_target, remote_removed
        from lifecycle.tripleo.render import render_overcloud

        p = step.params
        cloud = self.cloud(step)
        roles = [r.name for r in cloud.roles]
        remote = (p.get("remote_dir") or f"/home/stack/i2/{cloud.name}").rstrip("/")
        with _errors(f"overcloud {cloud.name}"):
            with self.undercloud(step) as uc:
                stack = observe_stack(uc, cloud.stack, roles)
                removed = remote_removed(uc, remote)
            nodes = self.nodes(step)
            target = plan_target(stack, cloud, nodes, counts=p.get("counts"), remove=p.get("remove", ()),
                                 scale_out=p.get("scale_out", ()), removed=removed)
            out = Path(p["work_dir"]) / "rendered"
            make_private_dirs(out.parent)
            shutil.rmtree(out, ignore_errors=True)
            extras = []
            for local in p.get("env_files", []):
                dest = out / "extra" / Path(local).name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(local, dest)
                extras.append(f"{remote}/extra/{dest.name}")
            tagged = {role: [(n.name, i) for i, n in sorted(m.items())] for role, m in nodes.items()}
            rendered = render_overcloud(
                self.svc.site, cloud.name, self.svc.endpoints, out, nodes=tagged,
                counts=target.counts, removed=target.removed, cms_id=p.get("cms_id"),
                templates_dir=p["templates_dir"], remote_dir=remote,
                extra_environments=[*extras, *p.get("extra_env", [])], secrets=self.svc.secrets)
        for value in self.svc.secrets.seen:
            add_secret(value)
        return {"dir": str(out), "undercloud": cloud.undercloud, "stack": cloud.stack, "remote_dir": remote,
                "command": rendered.command, "files": _digests(out), "target": target.as_dict(),
                "stack_status": stack.status if stack else None}


class Render(_Overcloud):
    """Render the deploy files for the counts the change asks for (reads the stack, writes none)."""

    name = "tripleo.render"
    timeout = 900.0

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        return self.render(step)


class Validate(_Overcloud):
    """THT's process-templates, i2's strict checks and Heat's validation on the rendered files,
    and each member after the change on a deployable Ironic node. Refuses before any upload."""

    name = "tripleo.validate"
    timeout = 1800.0

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        from lifecycle.tripleo.deploy import Target, placement_findings
        from lifecycle.tripleo.validate import validate_rendered

        info = self.rendered(step)
        out = Path(info["dir"])
        if step.attempt > 1 or not out.is_dir() or _digests(out) != info["files"]:
            ctx.log("render again", reason="retry or files changed since render")
            info = self.render(step)  # a fix to the site or an env file is picked up
            out = Path(info["dir"])
        with _errors(f"overcloud {step.params['cloud']}"):
            nodes = self.nodes(step)
            tagged = {role: {i: n.name for i, n in members.items()} for role, members in nodes.items()}
            report = validate_rendered(out, ironic_nodes=tagged, secrets=self.svc.secrets.seen)
        target = Target(**info["target"])
        problems = [str(f) for f in report.errors] + placement_findings(target, nodes)
        if problems:
            raise PermanentError(f"refused before anything reached {info['undercloud']}: "
                                 f"{len(problems)} problem(s): " + "; ".join(problems[:10]))
        return {**info, "warnings": [str(f) for f in report.findings if f.severity != "error"],
                "templates": report.stats.get("templates", 0),
                "nested_stacks": report.stats.get("nested_stacks", 0)}


class Upload(_Overcloud):
    """SFTP the validated files into the remote directory (the first write on the undercloud)."""

    name = "tripleo.upload"
    timeout = 900.0
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        info = self.rendered(step)
        with _errors(f"overcloud {step.params['cloud']}"), self.undercloud(step) as uc:
            remote = uc.digests(info["remote_dir"], [name for name, _ in info["files"]])
        if all(remote.get(name) == digest for name, digest in info["files"]):
            return {"uploaded": 0, "remote_dir": info["remote_dir"]}
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        info = self.rendered(step)
        with _errors(f"overcloud {step.params['cloud']}"), self.undercloud(step) as uc:
            done = uc.upload(Path(info["dir"]), info["remote_dir"], [name for name, _ in info["files"]])
        ctx.log("uploaded", files=len(done), remote_dir=info["remote_dir"])
        return {"uploaded": len(done), "remote_dir": info["remote_dir"]}


class Deploy(_Overcloud):
    """``openstack overcloud deploy`` on the undercloud, its output streamed into the run."""

    name = "tripleo.deploy"
    timeout = DEPLOY_TIMEOUT

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        from lifecycle.tripleo.deploy import environment_differs, stack_environment, wait_idle

        info = self.rendered(step)
        with _errors(f"overcloud {step.params['cloud']}"), self.undercloud(step) as uc:
            view = wait_idle(uc, info["stack"], cancelled=ctx.cancelled, progress=ctx.progress)
            if view is None or view.deployment != "DEPLOY_SUCCESS":
                return None
            differs = environment_differs(Path(info["dir"]), stack_environment(uc, info["stack"]))
        if differs:
            ctx.log("stack differs", parameters=differs[:20])
            return None
        return {"deployment": view.deployment, "stack_status": view.status, "ran": False}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        from lifecycle.tripleo.deploy import deployment_status, failure_reason, wait_idle

        info = self.rendered(step)
        name = info["undercloud"]
        with _errors(f"overcloud {step.params['cloud']}"), self.undercloud(step) as uc:
            wait_idle(uc, info["stack"], cancelled=ctx.cancelled, progress=ctx.progress)
            res = uc.run(info["command"], on_line=self.stream(ctx, name), cancelled=ctx.cancelled,
                         timeout=ctx.remaining())
            if not res.ok:
                raise PermanentError(f"undercloud {name}: openstack overcloud deploy failed "
                                     f"(exit {res.status}): {failure_reason(res.tail)}")
            status = deployment_status(uc, info["stack"])
        if status != "DEPLOY_SUCCESS":
            raise PermanentError(f"undercloud {name}: the deploy exited 0 but the deployment is {status!r}")
        return {"deployment": status, "seconds": round(res.seconds, 1), "lines": res.lines, "ran": True}


class EnsureDeployed(Deploy):
    """The rack runbook's deploy: observed first, so a second ``i2 rack apply`` deploys nothing."""

    name = "tripleo.ensure_deployed"
    observe_first = True


class NodeDelete(_Overcloud):
    """``openstack overcloud node delete`` of exactly the nodes the change chose."""

    name = "tripleo.node_delete"
    timeout = DEPLOY_TIMEOUT

    def _left(self, step: StepView) -> list[Any]:
        info = self.rendered(step)
        by_name = {n.name: n for members in self.nodes(step).values() for n in members.values()}
        return [by_name[n] for n in info["target"]["delete"] if n in by_name and by_name[n].deployed]

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        from lifecycle.tripleo.deploy import wait_idle

        info = self.rendered(step)
        with _errors(f"overcloud {step.params['cloud']}"):
            with self.undercloud(step) as uc:
                wait_idle(uc, info["stack"], cancelled=ctx.cancelled, progress=ctx.progress)
            left = self._left(step)
        return None if left else {"deleted": info["target"]["delete"], "ran": False}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        from lifecycle.tripleo.deploy import failure_reason, wait_idle

        info = self.rendered(step)
        name = info["undercloud"]
        with _errors(f"overcloud {step.params['cloud']}"), self.undercloud(step) as uc:
            wait_idle(uc, info["stack"], cancelled=ctx.cancelled, progress=ctx.progress)
            left = self._left(step)
            if not left:
                return {"deleted": info["target"]["delete"], "ran": False}
            argv = ["openstack", "overcloud", "node", "delete", "--stack", info["stack"], "-y",
                    *[n.instance for n in left]]
            res = uc.run(argv, on_line=self.stream(ctx, name), cancelled=ctx.cancelled,
                         timeout=ctx.remaining())
            if not res.ok:
                raise PermanentError(f"undercloud {name}: openstack overcloud node delete failed "
                                     f"(exit {res.status}): {failure_reason(res.tail)}")
            still = [n.name for n in self._left(step)]
        if still:
            raise PermanentError(f"undercloud {name}: node delete exited 0 but {', '.join(still)} "
                                 "still deployed in Ironic")
        return {"deleted": [n.name for n in left], "seconds": round(res.seconds, 1), "ran": True}


class Prove(_Overcloud):
    """A server of the rack serves its cloud: its Ironic node is active with an instance (the
    overcloud node), and, where the endpoints file gives the cloud's clouds.yaml entry, its
    nova-compute is a hypervisor in the cloud's Nova."""

    name = "tripleo.prove"
    system = "ironic"
    timeout = 600.0
    # nova-compute registers a little after config-download ends
    retry = RetryPolicy(max_attempts=8, base_delay=2.0, max_delay=15.0, jitter=0.2)

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        server = step.params["server"]
        with _errors(server):
            node = next((n for members in self.nodes(step).values() for n in members.values()
                         if n.name == server), None)
        if node is None or not node.deployed:
            state = f"{node.state}, instance {node.instance or 'none'}" if node else "not tagged"
            raise PermanentError(f"{server}: not deployed in the overcloud (Ironic: {state})")
        out = {"node": server, "role": node.role, "index": node.index, "instance": node.instance,
               "hostname": node.hostname, "proof": "ironic"}
        cloud = step.params["cloud"]
        if cloud not in self.svc.endpoints.clouds:
            return out  # no clouds.yaml entry for the cloud: Ironic is the proof there is
        from lifecycle.clouds import Cloud, CloudError

        short = (node.hostname or server).split(".")[0]
        try:
            hypervisors = Cloud.connect(self.svc.endpoints, cloud).hypervisors()
        except CloudError as exc:
            raise (TransientError if exc.transient else PermanentError)(f"{server}: {exc}") from None
        match = [h for h in hypervisors if str(h.name).split(".")[0] == short]
        if not match:
            raise TransientError(f"{server}: deployed, but {cloud}'s Nova has no hypervisor {short} yet")
        hv = match[0]
        return {**out, "proof": "nova", "hypervisor": hv.name, "state": getattr(hv, "state", None),
                "vcpus": getattr(hv, "vcpus", None), "memory_mb": getattr(hv, "memory_size", None)}


def actions(svc: Services) -> list[Action]:
    return [k(svc) for k in (Render, Validate, Upload, Deploy, EnsureDeployed, NodeDelete, Prove)]
