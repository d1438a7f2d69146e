"""Neutron: the destination's network and VSD-managed subnet, and the source's removal."""

from __future__ import annotations

from typing import Any

from lifecycle.engine import ActionContext, StepOutputs, StepView
from lifecycle.runbooks.common import adapter_errors
from lifecycle.runbooks.upgrade.actions.base import MoveAction, MoveParams
from lifecycle.runbooks.upgrade.actions.vsd import NetPartition, VsdSubnet
from lifecycle.runbooks.upgrade.model import Move


class Network(MoveAction):
    """The Neutron network and VSD-managed destination subnet in the team's project on the
    destination cloud."""

    name, system = "upgrade.network", "neutron"
    observe_first = True

    class Params(MoveParams):
        subnet_step: str  # the VsdSubnet step: the VSD subnet Neutron's subnet is managed by
        np_step: str  # the NetPartition step: its name

    class Outputs(StepOutputs):
        network_id: str
        subnet_id: str
        created: bool

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        with adapter_errors(m.subnet(m.dst)):
            net, sub = self._found(m)
        if sub is None:
            return None
        return self.Outputs(network_id=net.id, subnet_id=sub["id"], created=False)

    def _found(self, m: Move) -> tuple[Any, Any]:
        """(network, subnet) on the destination, None when absent: as this attempt's observe
        found them (apply creates what it did not), else read now."""
        def read() -> tuple[Any, Any]:
            net = self.dst_of(m).network(m.project, m.subnet(m.dst))
            return net, self.dst_of(m).subnet(net.id, m.subnet(m.dst)) if net is not None else None
        return self.seen("network", read)

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        dst_subnet_id = step.output(step.params.subnet_step, VsdSubnet.Outputs).id
        np = step.output(step.params.np_step, NetPartition.Outputs)
        with adapter_errors(m.subnet(m.dst)):
            dst = self.dst_of(m)
            net, sub = self._found(m)
            net_created = net is None
            if net is None:
                net, _ = dst.ensure_network(m.project, m.subnet(m.dst), absent=True)
            # a network just made has no subnet yet; else _found read its subnet
            sub, sub_created = (sub, False) if sub is not None else dst.ensure_vsd_subnet(
                m.project, net.id, m.subnet(m.dst), m.cidr(m.dst), m.gateway(m.dst), np.name, dst_subnet_id,
                absent=True)
        return self.Outputs(network_id=net.id, subnet_id=sub["id"], created=net_created or sub_created)


class DeleteSourceNetwork(MoveAction):
    """Delete the source's Neutron network, its subnet with it (A's in the old cloud; B's in a
    rollback): Neutron deletes a network's subnets when it deletes the network (and refuses, 409,
    while a VM's port is on it), so one request does both."""

    name, system = "upgrade.delete_source_network", "neutron"
    aliases = ("upgrade.delete_a_network",)
    observe_first = True

    class Outputs(StepOutputs):
        deleted: bool
        network_id: str | None = None

    def _find(self, m: Move) -> Any | None:
        """The source's network, as this attempt's observe found it (else read now)."""
        return self.seen("network", lambda: self.src_of(m).network(m.project, m.subnet(m.src)))

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        with adapter_errors(m.key):
            return None if self._find(m) is not None else self.Outputs(deleted=False)

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        with adapter_errors(m.key):
            net = self._find(m)
            if net is None:
                return self.Outputs(deleted=False)
            self.src_of(m).delete_network(net.id, f"network {m.subnet(m.src)} and its subnet")
        return self.Outputs(deleted=True, network_id=net.id)
