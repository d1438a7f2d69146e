"""The rack's leaves carry the recommissioned servers' ports with the new cloud's VLANs.

The leaves of an old rack are brownfield: the network team typed settings of its own there (a
VLAN, a described spare port left shut, descriptions). The step pushes the site's config *plus*
what only the switch has (:func:`lifecycle.fabric.drift.keep_foreign`), so those stay as they
are; what the site set before the recommission (the old cloud's VLANs) is i2's and goes.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Any

from lifecycle.engine import ActionContext, StepOutputs, StepParams, StepView
from lifecycle.runbooks.common import adapter_errors
from lifecycle.runbooks.rack.base import RackAction, diff_lines


def configs_before(svc: Any) -> dict[str, str]:
    """The configs the site intended before the recommission (the site as its files say, not
    the recommissioned view the run works on): what they set is i2's, not the switch's own."""
    from lifecycle.fabric.intent import intended_configs
    from lifecycle.model import load_site

    return intended_configs(load_site(svc.site_dir), svc.endpoints, svc.secrets)


class Fabric(RackAction):
    """The rack's leaves get the recommissioned servers' ports with the new cloud's VLANs,
    through config sessions (diff first, then commit and write memory); the switch's own
    settings are pushed back as they are."""

    name, system = "upgrade.rec_fabric", "fabric"
    observe_first = True

    class Params(StepParams):
        rack: str

    class Outputs(StepOutputs):
        changed: dict[str, int]  # leaf -> lines changed
        kept: dict[str, int] = {}  # leaf -> settings only the switch has, left as they were

    def __init__(self, svc: Any):
        super().__init__(svc)
        self._lock = threading.Lock()
        self._before: dict[str, str] | None = None

    def _leaves(self, step: StepView) -> list[str]:
        return [leaf.name for leaf in self.svc.site.rack(step.params.rack).leaves.leaves]

    def _review(self, leaf: str, node: Any) -> Any:
        """The leaf's config session diff for the site's config with the switch's own settings
        kept (and its user's hash, when it holds the same password)."""
        from lifecycle.fabric.drift import review

        with self._lock:  # one site load per action, shared by the rack steps
            if self._before is None:
                self._before = configs_before(self.svc)
        pw = self.svc.endpoints.fabric.defaults.password
        return review(node, self.svc.intended_configs()[leaf],
                      self.svc.secrets.get(pw) if pw is not None else None,
                      keep=True, managed=self._before.get(leaf, ""))

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        kept: dict[str, int] = {}
        with adapter_errors(step.params.rack):
            for leaf in self._leaves(step):
                r = self._review(leaf, self.svc.switch(leaf))
                if r.diff.strip():
                    return None
                kept[leaf] = len(r.kept)
        return self.Outputs(changed={}, kept=kept)

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.fabric.eapi import push, verify_leaf

        changed: dict[str, int] = {}
        kept: dict[str, int] = {}
        for i, leaf in enumerate(self._leaves(step)):  # one at a time, each verified (hazard 8)
            node = self.svc.switch(leaf)
            with adapter_errors(leaf):
                r = self._review(leaf, node)
                text = push(node, r.config, device=leaf,
                            check=partial(verify_leaf, node, self.svc.site, step.params.rack, i))
            changed[leaf], kept[leaf] = n, k = diff_lines(text), len(r.kept)
            # a count and section names only: a kept line may hold a key of the switch's
            ctx.log("fabric.pushed", leaf=leaf, lines=n, kept=k,
                    kept_sections=list(dict.fromkeys(o.section for o in r.own)))
        return self.Outputs(changed=changed, kept=kept)
