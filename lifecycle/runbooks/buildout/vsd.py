"""The VSD's organisation as a step of the build-out (``vsd/bootstrap``): the enterprise, the L3
domain template with its implicit drop, a domain per environment, macros, the common ACL entries,
each cloud's CMS and its Nuage plugin's own user (:mod:`lifecycle.nuage.bootstrap`).

Ordered before each cloud's first deploy: the overcloud's Nuage plugin logs in as its own user
(``vsd.plugins.<cloud>`` of the endpoints file, which the rendered overcloud carries) and that
user exists only once this step has made it. Observed first: a VSD already organised (a second
apply, a resume after the step's intent) is found so and left as it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifecycle.engine import ActionContext, PermanentError, RetryPolicy, StepOutputs, StepParams, StepView
from lifecycle.runbooks.common import Services, adapter_errors
from lifecycle.runbooks.rack.base import RackAction

if TYPE_CHECKING:
    from lifecycle.nuage.bootstrap import Plan

KEY = "vsd/bootstrap"


def nuage_clouds(svc: Services, clouds: list[str]) -> list[str]:
    """Those of ``clouds`` whose Neutron runs the Nuage plugin (they need the bootstrap)."""
    return [c for c in clouds if svc.site.cloud(c).nuage is not None]


class BootstrapVsd(RackAction):
    """Make what the site needs in the VSD and is missing; report what others made, untouched."""

    name, system = "nuage.bootstrap", "vsd"
    observe_first = True
    timeout = 600.0
    retry = RetryPolicy(max_attempts=4, base_delay=2.0, max_delay=15.0, jitter=0.2)

    class Params(StepParams):
        clouds: list[str]  # the clouds of the build-out that use Nuage (their CMS and plugin user)

    class Outputs(StepOutputs):
        changes: list[str]  # what the step made or fixed ("" when found organised)
        objects: int  # the objects of the site's organisation, found or made
        foreign: list[str] = []  # what the site does not name: left alone
        cms: dict[str, str] = {}  # cloud -> the CMS id VSD gave it (NeutronNuageCMSId)

    def _walk(self, write: bool) -> tuple[Plan, Outputs]:
        from lifecycle.nuage.bootstrap import BootstrapError, apply, cms_ids, intent, plan

        svc = self.svc
        try:
            want = intent(svc.site, svc.endpoints)
        except BootstrapError as exc:
            raise PermanentError(f"VSD bootstrap: {exc}") from None
        with adapter_errors("VSD"):
            vsd = svc.nuage()
            done = (apply if write else plan)(vsd, want, svc.endpoints, svc.secrets)
            cms = cms_ids(vsd, svc.site) if not done.changes or write else {}
        return done, self.Outputs(changes=[str(i) for i in done.changes], objects=len(done.items),
                                  foreign=done.foreign, cms=cms)

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        done, out = self._walk(write=False)
        return out if not done.changes and not done.blocked else None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        done, out = self._walk(write=True)
        for line in out.changes:
            ctx.log("vsd.bootstrap", change=line)
        blocked = done.blocked
        if blocked:
            # the rest is made; what is blocked needs the network team (a priority another entry
            # holds, an object the site names that the VSD does not have)
            why = "; ".join(f"{i.kind} {i.name}: {i.detail}" for i in blocked)
            raise PermanentError(f"VSD bootstrap: {why} (fix it in the VSD, then `i2 runs resume`)")
        return out
