"""The DC's spines in a build-out: staged on ztpserver (a static node per serial), waited for,
then verified before any rack's leaves are staged. Spines already up (a DC being extended) are
found provisioned and left as they are."""

from __future__ import annotations

from lifecycle.engine import (
    ActionContext,
    PermanentError,
    RetryPolicy,
    StepOutputs,
    StepParams,
    StepView,
)
from lifecycle.runbooks.common import Services, adapter_errors
from lifecycle.runbooks.rack.base import RackAction
from lifecycle.runbooks.rack.fabric import LeafCheck, leaf_hostname, verdict


def spine_files(svc: Services, spines: list[str], *, dry_run: bool) -> list[str]:
    """Write the spines' ztpserver files; return those changed (with ``dry_run``: would change)."""
    from lifecycle.fabric import ztp_spines
    from lifecycle.fabric.intent import fabric_secret_hash

    ep = svc.endpoints
    if ep.ztp is None:
        raise PermanentError("the endpoints file has no ztp section (url, data_root)")
    return ztp_spines(svc.site, ep.path(ep.ztp.data_root), spines=spines,
                      secret_hash=fabric_secret_hash(svc.site, ep, svc.secrets),
                      username=ep.fabric.defaults.username or "i2", cvx_hosts=tuple(ep.cvx_servers),
                      dry_run=dry_run)


class StageSpines(RackAction):
    """Stage the spines that are not up yet (each recognised by its serial)."""

    name, system = "fabric.ztp_stage_spines", "ztp"
    observe_first = True

    class Params(StepParams):
        spines: list[str]

    class Outputs(StepOutputs):
        changed: list[str]
        up: list[str] = []  # answering eAPI as themselves already: not staged

    def _todo(self, spines: list[str]) -> tuple[list[str], list[str]]:
        up = [s for s in spines if leaf_hostname(self.svc, s) == s]
        return [s for s in spines if s not in up], up

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        todo, up = self._todo(step.params.spines)
        if todo and spine_files(self.svc, todo, dry_run=True):
            return None
        return self.Outputs(changed=[], up=up)

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        todo, up = self._todo(step.params.spines)
        with adapter_errors("ztp data_root"):
            changed = spine_files(self.svc, todo, dry_run=False) if todo else []
        ctx.log("ztp.staged", files=changed, spines=todo)
        return self.Outputs(changed=changed, up=up)


class VerifySpine(RackAction):
    """BGP to every leaf up so far (the others expected down), LLDP against the cabling plan,
    CVX connected (lifecycle.fabric.spines)."""

    name, system = "fabric.verify_spine", "fabric"
    timeout = 120.0
    retry = RetryPolicy(max_attempts=15, base_delay=2.0, max_delay=8.0, jitter=0.2)

    class Params(StepParams):
        spine: str

    class Outputs(StepOutputs):
        checks: list[LeafCheck]

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.fabric.spines import verify_spine

        spine = step.params.spine
        with adapter_errors(spine):
            findings = verify_spine(self.svc.switch(spine), self.svc.site, spine)
        return self.Outputs(checks=verdict(spine, findings))
