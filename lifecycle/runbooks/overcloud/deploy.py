"""The change itself: ``openstack overcloud deploy`` or ``node delete`` on the undercloud, and
the proof that a new server serves its cloud.

Both commands run detached on the undercloud (:mod:`lifecycle.tripleo.jobs`), one job per run
and step in ``<remote_dir>/jobs/``: a dropped SSH connection or a killed i2 does not end them.

Resume (and a retry after a dropped connection): a step whose job is running or finished
re-attaches to it (follows its log, reads its exit status) and never starts another. Then it
waits for any other deployment still running on the undercloud, and observes the stack (its
environment has i2's parameters, its deployment status is DEPLOY_SUCCESS) or the Ironic nodes
(the deleted ones are undeployed) before doing anything again. A job whose failure i2 reported
is retired (renamed), so that resuming after the fix runs the command again.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifecycle.engine import (
    ActionContext,
    PermanentError,
    RetryPolicy,
    StepOutputs,
    StepParams,
    StepView,
    TransientError,
)
from lifecycle.runbooks.common import adapter_errors
from lifecycle.runbooks.overcloud.base import OvercloudAction, RenderOutputs

if TYPE_CHECKING:
    from lifecycle.tripleo.jobs import Job
    from lifecycle.tripleo.undercloud import Result, Undercloud

DEPLOY_TIMEOUT = 6 * 3600.0  # a Train deploy of a few hundred nodes takes hours


def job_dir(info: RenderOutputs, step: StepView) -> str:
    """This run's and step's job directory on the undercloud."""
    return f"{info.remote_dir}/jobs/{step.run_id}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', step.key)}"


def attach(uc: Undercloud, job: Job, ctx: ActionContext, on_line: Any) -> Result:
    """Follow a job this step started before (a dropped connection, a killed i2), from now on."""
    from lifecycle.tripleo.jobs import follow

    state = f"finished (exit {job.rc})" if job.rc is not None else "running"
    ctx.log(f"re-attached to {job.name} on {uc.name}: pid {job.pid}, {state}; its whole log is "
            f"{job.file('log')}", pid=job.pid, job=job.dir)
    return follow(uc, job, on_line=on_line, from_start=False, cancelled=ctx.cancelled,
                  timeout=ctx.remaining())


def failed(uc: Undercloud, job: Job, res: Result, what: str) -> PermanentError:
    """The job's failure, reported once: the job is retired so that a resume starts anew."""
    from lifecycle.tripleo.deploy import failure_reason
    from lifecycle.tripleo.jobs import retire

    kept = retire(uc, job)
    if res.lost:
        return PermanentError(f"undercloud {uc.name}: {what} (pid {job.pid}) ended without an exit "
                              f"status (undercloud rebooted?); its log: {kept}/{job.name}.log")
    return PermanentError(f"undercloud {uc.name}: {what} failed (exit {res.status}): "
                          f"{failure_reason(res.tail)}")


class Deploy(OvercloudAction):
    """``openstack overcloud deploy`` on the undercloud, its output streamed into the run."""

    name = "tripleo.deploy"
    timeout = DEPLOY_TIMEOUT

    class Outputs(StepOutputs):
        deployment: str  # tripleoclient's status, DEPLOY_SUCCESS
        ran: bool  # False: the stack had the files' parameters already
        stack_status: str | None = None
        seconds: float | None = None
        lines: int | None = None  # output lines of the deploy
        reattached: bool = False  # followed a deploy an earlier attempt started
        pid: int | None = None  # of the deploy on the undercloud

    def nothing(self, info: RenderOutputs) -> Outputs | None:
        """A build-out's late scale-out with no server to add: nothing to deploy."""
        return self.Outputs(deployment="nothing to add", ran=False) if info.nothing else None

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        from lifecycle.tripleo.deploy import environment_differs, stack_environment, wait_idle
        from lifecycle.tripleo.jobs import state

        info = self.rendered(step)
        if info.nothing:
            return self.nothing(info)
        with adapter_errors(f"overcloud {step.params.cloud}"), self.undercloud(step) as uc:
            job = state(uc, job_dir(info, step), "deploy")
            ours = job.started
            if ours:
                res = attach(uc, job, ctx, self.stream(ctx, info.undercloud))
                if not res.ok:
                    return None  # apply reports it
            view = wait_idle(uc, info.stack, cancelled=ctx.cancelled, progress=ctx.progress)
            if view is None or view.deployment != "DEPLOY_SUCCESS":
                return None
            differs = environment_differs(Path(info.dir), stack_environment(uc, info.stack))
        if differs:
            ctx.log("stack differs", parameters=differs[:20])
            return None
        return self.Outputs(deployment=view.deployment, stack_status=view.status, ran=ours, reattached=ours,
                            pid=job.pid if ours else None)

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.tripleo.deploy import deployment_status, wait_idle
        from lifecycle.tripleo.jobs import follow, start, state

        info = self.rendered(step)
        if (idle := self.nothing(info)) is not None:
            return idle
        name = info.undercloud
        with adapter_errors(f"overcloud {step.params.cloud}"), self.undercloud(step) as uc:
            job = state(uc, job_dir(info, step), "deploy")
            on_line = self.stream(ctx, name)
            reattached = job.started
            if reattached:  # never a second deploy for this step: follow the first
                res = attach(uc, job, ctx, on_line)
            else:
                wait_idle(uc, info.stack, cancelled=ctx.cancelled, progress=ctx.progress)
                job = start(uc, job.dir, "deploy", info.command)
                ctx.log(f"deploy started on {name}: pid {job.pid}, log {job.file('log')}", pid=job.pid)
                res = follow(uc, job, on_line=on_line, cancelled=ctx.cancelled, timeout=ctx.remaining())
            if not res.ok:
                raise failed(uc, job, res, "openstack overcloud deploy")
            status = deployment_status(uc, info.stack)
        if status != "DEPLOY_SUCCESS":
            raise PermanentError(f"undercloud {name}: the deploy exited 0 but the deployment is {status!r}")
        return self.Outputs(deployment=status, seconds=round(res.seconds, 1), lines=res.lines, ran=True,
                            reattached=reattached, pid=job.pid)


class EnsureDeployed(Deploy):
    """The rack runbook's deploy: observed first, so a second ``i2 rack apply`` deploys nothing."""

    name = "tripleo.ensure_deployed"
    observe_first = True


class NodeDelete(OvercloudAction):
    """``openstack overcloud node delete`` of exactly the nodes the change chose."""

    name = "tripleo.node_delete"
    timeout = DEPLOY_TIMEOUT

    class Outputs(StepOutputs):
        deleted: list[str]
        ran: bool  # False: deleted already
        seconds: float | None = None

    def _left(self, step: StepView) -> list[Any]:
        info = self.rendered(step)
        by_name = {n.name: n for members in self.nodes(step).values() for n in members.values()}
        return [by_name[n] for n in info.target.delete if n in by_name and by_name[n].deployed]

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        from lifecycle.tripleo.deploy import wait_idle
        from lifecycle.tripleo.jobs import state

        info = self.rendered(step)
        with adapter_errors(f"overcloud {step.params.cloud}"):
            with self.undercloud(step) as uc:
                job = state(uc, job_dir(info, step), "node-delete")
                if job.started and not attach(uc, job, ctx, self.stream(ctx, info.undercloud)).ok:
                    return None  # apply reports it
                wait_idle(uc, info.stack, cancelled=ctx.cancelled, progress=ctx.progress)
            left = self._left(step)
        return None if left else self.Outputs(deleted=info.target.delete, ran=job.started)

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.tripleo.deploy import wait_idle
        from lifecycle.tripleo.jobs import follow, start, state

        info = self.rendered(step)
        name = info.undercloud
        with adapter_errors(f"overcloud {step.params.cloud}"), self.undercloud(step) as uc:
            job = state(uc, job_dir(info, step), "node-delete")
            on_line = self.stream(ctx, name)
            deleted = info.target.delete
            if job.started:  # never a second node delete for this step: follow the first
                res = attach(uc, job, ctx, on_line)
            else:
                wait_idle(uc, info.stack, cancelled=ctx.cancelled, progress=ctx.progress)
                left = self._left(step)
                if not left:
                    return self.Outputs(deleted=deleted, ran=False)
                deleted = [n.name for n in left]
                argv = ["openstack", "overcloud", "node", "delete", "--stack", info.stack, "-y",
                        *[n.instance for n in left]]
                job = start(uc, job.dir, "node-delete", argv)
                ctx.log(f"node delete started on {name}: pid {job.pid}, log {job.file('log')}", pid=job.pid)
                res = follow(uc, job, on_line=on_line, cancelled=ctx.cancelled, timeout=ctx.remaining())
            if not res.ok:
                raise failed(uc, job, res, "openstack overcloud node delete")
            still = [n.name for n in self._left(step)]
        if still:
            raise PermanentError(f"undercloud {name}: node delete exited 0 but {', '.join(still)} "
                                 "still deployed in Ironic")
        return self.Outputs(deleted=deleted, seconds=round(res.seconds, 1), ran=True)


class Prove(OvercloudAction):
    """A server of the rack serves its cloud: its Ironic node is active with an instance (the
    overcloud node), and, where the endpoints file gives the cloud's clouds.yaml entry, its
    nova-compute is a hypervisor in the cloud's Nova."""

    name = "tripleo.prove"
    system = "ironic"
    timeout = 600.0
    # nova-compute registers a little after config-download ends
    retry = RetryPolicy(max_attempts=8, base_delay=2.0, max_delay=15.0, jitter=0.2)

    class Params(StepParams):
        server: str
        cloud: str
        hypervisor: bool = True  # False: a controller, proved by its deployed node alone

    class Outputs(StepOutputs):
        node: str
        role: str
        index: int
        instance: str | None = None
        hostname: str | None = None
        proof: str  # ironic | nova
        hypervisor: str | None = None
        state: str | None = None
        vcpus: int | None = None
        memory_mb: int | None = None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        server = step.params.server
        with adapter_errors(server):
            node = next((n for members in self.nodes(step).values() for n in members.values()
                         if n.name == server), None)
        if node is None or not node.deployed:
            state = f"{node.state}, instance {node.instance or 'none'}" if node else "not tagged"
            raise PermanentError(f"{server}: not deployed in the overcloud (Ironic: {state})")
        out = self.Outputs(node=server, role=node.role, index=node.index, instance=node.instance,
                           hostname=node.hostname, proof="ironic")
        cloud = step.params.cloud
        if not step.params.hypervisor or cloud not in self.svc.endpoints.clouds:
            return out  # a controller, or no clouds.yaml entry for the cloud: Ironic is the proof
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
        return self.Outputs(**{**out.model_dump(), "proof": "nova", "hypervisor": hv.name,
                               "state": getattr(hv, "state", None), "vcpus": getattr(hv, "vcpus", None),
                               "memory_mb": getattr(hv, "memory_size", None)})
