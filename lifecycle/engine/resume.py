"""Starting or resuming a run: what a previous execution left unfinished becomes pending again,
to be observed before anything is applied (its effect may or may not exist)."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from .actions import Action, ActionRegistry, RetryPolicy
from .errors import LeaseLost, RunStateError
from .models import Run, RunStatus, Step, StepStatus, utcnow
from .session import RunSession
from .state import StepState


class GoneAction(Action):
    """Stands in for the action of a done step that a newer runbook no longer has."""

    name = "(not in registry)"


GONE = GoneAction()


def reopen(rs: RunSession, run_id: str, owner: str) -> tuple[Run, list[Step]]:
    """Mark the run running and its unfinished steps pending (in the current transaction).

    Raises :class:`LeaseLost` if another process took the run over since we claimed it, and
    :class:`RunStateError` if it ended or was aborted meanwhile.
    """
    s = rs.session
    run = s.get(Run, run_id)
    assert run is not None
    # Re-check under our lease: the run may have ended or been force-aborted meanwhile.
    if run.owner != owner:
        raise LeaseLost(run_id, run.owner, "taken over before it started")
    if not RunStatus(run.status).resumable:
        raise RunStateError(f"run {run.id} is {run.status}")
    rows = list(s.scalars(sa.select(Step).where(Step.run_id == run.id).order_by(Step.seq)))
    recovered: list[str] = []
    reset: list[str] = []
    for row in rows:
        status = StepStatus(row.status)
        if status == StepStatus.RUNNING:
            # Its outcome was never recorded: the effect may or may not exist.
            row.status = StepStatus.PENDING.value
            row.observe_first = True
            recovered.append(row.key)
            rs.event("recovered", "was in flight; will be re-observed", step=row.key)
        elif status in (StepStatus.FAILED, StepStatus.QUARANTINED, StepStatus.SKIPPED):
            # Give a fixed cause a chance; observe first in case it was fixed by hand.
            row.status = StepStatus.PENDING.value
            row.observe_first = True
            row.finished_at = None
            reset.append(row.key)
            rs.event("reset", f"was {status}; retrying", step=row.key)
    previous = run.status
    now = utcnow()
    resumed = previous != RunStatus.PENDING or any(r.attempts for r in rows)
    run.status = RunStatus.RUNNING.value
    run.started_at = run.started_at or now
    run.finished_at = None
    run.error = None
    run.updated_at = now
    rs.event(
        "run_resumed" if resumed else "run_started",
        f"{'resumed' if resumed else 'started'} by {owner}",
        data={"previous_status": previous, "recovered": recovered, "reset": reset},
    )
    return run, rows


def step_states(rows: list[Step], registry: ActionRegistry, retry: RetryPolicy) -> Iterator[StepState]:
    """Pair each row with its action (``retry`` unless the action has its own policy)."""
    for row in rows:
        # Done steps never run again: their action may be gone from a newer runbook.
        if row.status == StepStatus.DONE and row.action not in registry:
            action: Action = GONE
        else:
            action = registry.get(row.action)
        yield StepState(row, action, action.retry or retry)
