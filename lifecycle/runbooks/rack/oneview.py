"""OneView: the hardware profile's server profile template, each server's identity and profile."""

from __future__ import annotations

from lifecycle.engine import ActionContext, PermanentError, StepOutputs, StepParams, StepView
from lifecycle.runbooks.common import Services, adapter_errors
from lifecycle.runbooks.rack.base import RackAction, ServerParams

# Ironic states of a deployed (or deploying) node: its OS serves the cloud (hypervisor, controller)
SERVING = frozenset({"active", "deploying", "wait call-back", "deploy failed", "rescue", "rescuing"})


def serving_reason(svc: Services, server: str, undercloud: str) -> str | None:
    """Why ``server`` is serving (its Ironic node is deployed), or None."""
    node = svc.baremetal(undercloud).node(server)
    state = getattr(node, "provision_state", None) if node is not None else None
    if state in SERVING:
        return f"its Ironic node in {undercloud} is {state!r} (deployed: a hypervisor or controller)"
    return None


class SyncTemplate(RackAction):
    """The server profile template of one hardware profile, created or brought in line."""

    name, system = "oneview.template", "oneview"
    observe_first = True

    class Params(StepParams):
        profile: str

    class Outputs(StepOutputs):
        uri: str | None
        name: str
        action: str  # created | updated | unchanged
        changes: list[str] = []

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        profile = self.svc.site.hardware_profiles[step.params.profile]
        with adapter_errors(f"template for {profile.name}"):
            seen = self.svc.oneview().observe_template(profile)
        if seen.action == "unchanged":
            return self.Outputs(uri=seen.uri, name=seen.name, action="unchanged")
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        profile = self.svc.site.hardware_profiles[step.params.profile]
        with adapter_errors(f"template for {profile.name}"):
            ch = self.svc.oneview().sync_template(profile)
        return self.Outputs(uri=ch.uri, name=ch.name, action=ch.action, changes=list(ch.changes))


class Identify(RackAction):
    """Find the server in OneView by serial and cross-check model, iLO and MACs with the site."""

    name, system = "oneview.identify", "oneview"
    Params = ServerParams

    class Outputs(StepOutputs):
        ilo: str | None = None
        macs: dict[str, str] = {}  # NIC name -> MAC, lower-case
        serial: str
        model: str

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        server = self.server(step)
        profile = self.svc.site.hardware_profiles[server.hardware_profile]
        with adapter_errors(server.name):
            facts = self.svc.oneview().ironic_facts(server, profile)
        return self.Outputs(ilo=facts.ilo, macs=dict(facts.macs), serial=facts.serial, model=facts.model)


class ApplyProfile(RackAction):
    """The server's profile from its template, then the power state the run asks for."""

    name, system = "oneview.profile", "oneview"
    observe_first = True
    timeout = 3600.0  # firmware baselines take long on real hardware

    class Params(ServerParams):
        template_step: str
        power: str = "off"  # on | off | keep
        # The step of this plan that drained and undeployed the server (the upgrade's recommission);
        # it must be a done hard dependency of this step. Never an operator option.
        drained_by: str | None = None

    class Outputs(StepOutputs):
        action: str  # created | updated | unchanged
        compliance: str

    def _template_uri(self, step: StepView) -> str:
        return str(step.output(step.params.template_step, SyncTemplate.Outputs).uri)

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        server = self.server(step)
        with adapter_errors(server.name):
            state = self.svc.oneview().observe_server(server, self._template_uri(step))
        return self.Outputs(action="unchanged", compliance="Compliant") if state == "ok" else None

    def refuse_if_serving(self, step: StepView, ctx: ActionContext) -> None:
        """Hazard 1: never re-profile (nor power off) a serving server unless this plan drained it."""
        server = self.server(step)
        if step.params.drained_by:
            if step.params.drained_by not in step.dep_outputs:  # hard deps are done before a step runs
                raise PermanentError(f"{server.name}: drained_by {step.params.drained_by!r} is not a done "
                                     f"dependency of {step.key}: refused, nothing was touched")
            ctx.log(f"{server.name} was drained by {step.params.drained_by}")
            return
        with adapter_errors(server.name):
            why = serving_reason(self.svc, server.name, step.params.undercloud)
        if why:
            raise PermanentError(f"refused: {server.name} is serving ({why}); its OneView profile needs a "
                                 f"change that would power it off. Drain it first through the upgrade's "
                                 f"recommission; nothing was touched")

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        server = self.server(step)
        self.refuse_if_serving(step, ctx)
        with adapter_errors(server.name):
            # a drained server's old profile (the platform team's, from before i2) gives way to i2's
            res = self.svc.oneview().apply_profile(server, self._template_uri(step), power=step.params.power,
                                                   log=ctx.log, replace_foreign=bool(step.params.drained_by))
        return self.Outputs(action=res.action, compliance=res.compliance)

