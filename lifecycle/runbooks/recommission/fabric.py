"""The rack's leaves carry the recommissioned servers' ports with the new cloud's VLANs."""

from __future__ import annotations

from functools import partial

from lifecycle.engine import ActionContext, StepOutputs, StepParams, StepView
from lifecycle.runbooks.common import adapter_errors
from lifecycle.runbooks.rack.base import RackAction, diff_lines


class Fabric(RackAction):
    """The rack's leaves get the recommissioned servers' ports with the new cloud's VLANs,
    through config sessions (diff first, then commit and write memory)."""

    name, system = "upgrade.rec_fabric", "fabric"
    observe_first = True

    class Params(StepParams):
        rack: str

    class Outputs(StepOutputs):
        changed: dict[str, int]  # leaf -> lines changed

    def _leaves(self, step: StepView) -> list[str]:
        return [leaf.name for leaf in self.svc.site.rack(step.params.rack).leaves.leaves]

    def _diff(self, leaf: str) -> str:
        from lifecycle.fabric.eapi import diff

        return str(diff(self.svc.switch(leaf), self.svc.intended_configs()[leaf]))

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        with adapter_errors(step.params.rack):
            if any(self._diff(leaf).strip() for leaf in self._leaves(step)):
                return None
        return self.Outputs(changed={})

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.fabric.eapi import push, verify_leaf

        changed: dict[str, int] = {}
        for i, leaf in enumerate(self._leaves(step)):  # one at a time, each verified (hazard 8)
            node = self.svc.switch(leaf)
            with adapter_errors(leaf):
                text = push(node, self.svc.intended_configs()[leaf], device=leaf,
                            check=partial(verify_leaf, node, self.svc.site, step.params.rack, i))
            changed[leaf] = n = diff_lines(text)
            ctx.log("fabric.pushed", leaf=leaf, lines=n)
        return self.Outputs(changed=changed)
