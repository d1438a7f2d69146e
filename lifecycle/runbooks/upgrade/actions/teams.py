"""The teams' endpoints: a project's clouds.yaml entry follows its applications."""

from __future__ import annotations

from lifecycle.engine import Action, ActionContext, StepOutputs, StepParams, StepView
from lifecycle.runbooks.common import Services, adapter_errors
from lifecycle.runbooks.upgrade.actions.base import now
from lifecycle.runbooks.upgrade.model import clouds, moves
from lifecycle.runbooks.upgrade.teams import switch_team_entry, team_entry_cloud


class Endpoint(Action):
    """Point the team's clouds.yaml entry (its project) at the destination cloud; record the
    switch."""

    name, system = "upgrade.endpoint", "files"
    observe_first = True

    class Params(StepParams):
        project: str
        apps: list[str] | None = None  # forward: the applications of the project the run moves
        app: str | None = None  # rollback: the application going back
        reverse: bool = False

    class Outputs(StepOutputs):
        project: str
        cloud: str  # where the entry points now
        before: str | None = None
        switched: bool
        kept: str | None = None  # why it was not switched
        at: float | None = None

    def __init__(self, svc: Services):
        self.svc = svc

    def _others_on(self, step: StepView, cloud: str) -> list[str]:
        """The project's applications outside this step's that still have VMs on ``cloud``."""
        conn = self.svc.cloud(cloud)
        mine = set(step.params.apps or [step.params.app])
        out = []
        for m in moves(self.svc.site):
            if (m.project == step.params.project and m.app.name not in mine
                    and conn.servers(project=m.project, names=m.vms)):
                out.append(m.key)
        return out

    def _to(self, step: StepView) -> tuple[str, str]:
        """(source, destination) cloud names."""
        old, new = (c.name for c in clouds(self.svc.site))
        return (new, old) if step.params.reverse else (old, new)

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        _, dst = self._to(step)
        project = step.params.project
        with adapter_errors(f"team entry {project}"):
            at = team_entry_cloud(self.svc.endpoints, project)
        return self.Outputs(project=project, cloud=dst, switched=False) if at == dst else None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        src, dst = self._to(step)
        project = step.params.project
        # the project's endpoint moves with its last application; a rollback of any one of them
        # brings it back (not every application of the project runs on the new cloud any more)
        stay = [] if step.params.reverse else self._others_on(step, src)
        if stay:
            return self.Outputs(project=project, cloud=src, switched=False,
                                kept=f"{', '.join(stay)} of {project} still run on {src}")
        with adapter_errors(f"team entry {project}"):
            before = switch_team_entry(self.svc.endpoints, project, dst)
        ctx.log("endpoint.switched", project=project, before=before, after=dst)
        return self.Outputs(project=project, cloud=dst, before=before or src, switched=True, at=now())
