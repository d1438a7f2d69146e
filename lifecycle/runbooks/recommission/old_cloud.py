"""The server leaves the old cloud: no VM left on it, its nova-compute disabled, the old
director's ``openstack overcloud node delete`` takes it out of the old overcloud's Heat stack
(issue 12, hazard 7), then its node is deleted from the old undercloud's Ironic and its compute
service from the old cloud's Nova (OSP 10's node delete leaves that to the operator)."""

from __future__ import annotations

from typing import Any

from lifecycle.engine import (
    Action,
    ActionContext,
    PermanentError,
    StepOutputs,
    StepParams,
    StepView,
    TransientError,
)
from lifecycle.runbooks.common import Services, adapter_errors
from lifecycle.runbooks.overcloud.base import RenderOutputs, TargetOut
from lifecycle.runbooks.overcloud.deploy import NodeDelete


class OldCloudParams(StepParams):
    """A recommissioned server's steps in the cloud it leaves."""

    server: str
    old_cloud: str
    old_undercloud: str


def short(name: str | None) -> str:
    """A host name without its domain.

    >>> short("c01-s01.ie1-old.example"), short(None)
    ('c01-s01', '')
    """
    return (name or "").split(".")[0]


class OldCloudAction(Action):
    Params = OldCloudParams

    def __init__(self, svc: Services):
        self.svc = svc

    def cloud(self, step: StepView) -> Any:
        return self.svc.cloud(step.params.old_cloud)

    def compute_service(self, step: StepView) -> Any | None:
        """The server's nova-compute service in the old cloud, None once deleted."""
        return next((s for s in self.cloud(step).compute_services()
                     if short(s.host) == step.params.server), None)


class Drain(OldCloudAction):
    """Nothing may still run on the compute: the wave moved its VMs away."""

    name, system = "upgrade.rec_drain", "nova"

    class Outputs(StepOutputs):
        vms: int

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        server = step.params.server
        with adapter_errors(server):
            left = [s.name for s in self.cloud(step).servers()
                    if short(getattr(s, "compute_host", None) or getattr(s, "hypervisor_hostname", None))
                    == server]
        if left:
            raise PermanentError(f"{server}: {len(left)} VM(s) still on it in {step.params.old_cloud}: "
                                 f"{', '.join(sorted(left))} (move them, then `i2 runs resume`)")
        return self.Outputs(vms=0)


class Disable(OldCloudAction):
    name, system = "upgrade.rec_disable", "nova"
    observe_first = True

    class Outputs(StepOutputs):
        disabled: bool  # False: disabled or gone already
        service: str  # its host, or "gone"

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        with adapter_errors(step.params.server):
            svc = self.compute_service(step)
        if svc is None or svc.status == "disabled":
            return self.Outputs(disabled=False, service="gone" if svc is None else svc.host)
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        with adapter_errors(step.params.server):
            svc = self.compute_service(step)
            if svc is None:
                return self.Outputs(disabled=False, service="gone")
            self.cloud(step).disable_compute(svc.host, "i2 upgrade: recommissioned into the new cloud")
        return self.Outputs(disabled=True, service=svc.host)


class OldStackParams(StepParams):
    """The old cloud, and the recommissioned servers its director deletes from its stack."""

    cloud: str
    servers: list[str]


class OldNodeDelete(NodeDelete):
    """``openstack overcloud node delete --stack <stack> <instance...>`` on the old undercloud:
    its director shrinks the stack (count, removal policies) and undeploys the nodes, so a later
    stack update of the old cloud never redeploys them. i2 never deploys the old cloud
    (``managed: false``): nothing is rendered, the director's plan is the one it last deployed."""

    name = "upgrade.rec_node_delete"
    Params = OldStackParams
    observe_first = True  # a second apply: the nodes are out of the stack already

    def rendered(self, step: StepView) -> RenderOutputs:
        cloud = self.cloud(step)
        return RenderOutputs(dir="", undercloud=cloud.undercloud, stack=cloud.stack,
                             remote_dir=f"/home/stack/i2/{cloud.name}", command=[], files=[],
                             target=TargetOut(before={}, counts={}, removed={},
                                              delete=list(step.params.servers)))


class Undeploy(OldCloudAction):
    """The node leaves the old undercloud's Ironic and its compute service the old cloud's Nova:
    one Ironic at a time drives a BMC. Never a node the old stack still holds: deleting it
    behind the director's back leaves the stack counting it (hazard 7)."""

    name, system = "upgrade.rec_undeploy", "ironic"
    observe_first = True
    timeout = 1800.0

    class Outputs(StepOutputs):
        deleted: bool  # False: gone already
        was: str | None = None  # its provision state before

    def _gone(self, step: StepView) -> bool:
        bm = self.svc.baremetal(step.params.old_undercloud)
        return bm.node(step.params.server) is None

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        with adapter_errors(step.params.server):
            gone = self._gone(step) and self.compute_service(step) is None
        return self.Outputs(deleted=False) if gone else None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        server = step.params.server
        bm = self.svc.baremetal(step.params.old_undercloud)
        with adapter_errors(server):
            node = bm.node(server)
            state = node.provision_state if node is not None else None
            if node is not None and (node.instance_id or state in ("active", "deploying", "wait call-back")):
                raise PermanentError(
                    f"{server}: still deployed in {step.params.old_cloud}'s stack (Ironic: {state}, "
                    f"instance {node.instance_id or 'none'}); the old director's `openstack overcloud "
                    f"node delete` removes it first (re-plan the run: `i2 runs resume --replan`)")
            if node is not None:
                left = ctx.remaining()
                bm.undeploy(server, cancelled=ctx.cancelled, **({"timeout": left} if left else {}))
                bm.delete(server)
                ctx.log("ironic.deleted", server=server, undercloud=step.params.old_undercloud)
            svc = self.compute_service(step)
            if svc is not None:
                cloud = self.cloud(step)
                try:
                    cloud.conn.compute.delete_service(svc, ignore_missing=True)
                except Exception as exc:  # Nova refuses while instances remain on the host
                    raise TransientError(f"{server}: {cloud.name} keeps its compute service: {exc}") from None
        return self.Outputs(deleted=node is not None, was=state)
