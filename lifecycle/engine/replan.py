"""Resuming a run whose site changed since it was planned (issue 12, hazard 5).

A run's steps were fixed from the site as it was (``Run.site_digest``). Resuming after the site
was edited would carry out what the old site asked for. :func:`compare` diffs the run's unfinished
steps against a fresh plan of the same runbook and params on the current site; the CLI refuses
with that list, and :func:`apply_replan` (``i2 runs resume ID --replan``) swaps the unfinished
steps for the fresh plan's while done steps stay done and are never re-run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .errors import PlanError, RunBusy, RunStateError
from .events import EventJournal
from .models import Run, RunStatus, Step, StepStatus, utcnow
from .plan import Plan, check_dag
from .store import Store

# What makes two versions of a step the same work (description and seq are presentation).
COMPARED = ("target", "action", "params", "deps", "after", "batch", "timeout")


class SiteChanged(RunStateError):
    """The site's digest differs from the one the run was planned with."""

    def __init__(self, run_id: str, planned: str, current: str) -> None:
        self.run_id, self.planned, self.current = run_id, planned, current
        super().__init__(f"run {run_id}: the site changed since the run was planned "
                         f"({planned[:19]} -> {current[:19]}); re-plan with "
                         f"`i2 runs resume {run_id} --replan`")


def site_changed(run: Run, digest: str | None) -> bool:
    """True when both digests are known and differ (runs stored without one are not compared)."""
    return bool(digest and run.site_digest and digest != run.site_digest)


@dataclass(frozen=True)
class Drift:
    """How a fresh plan differs from a run's unfinished steps.

    ``added``/``removed``/``changed`` are the pending steps the site change affects;
    ``stale_done`` are done steps the fresh plan would now make differently (kept: never re-run).
    """

    run_id: str
    planned_digest: str
    current_digest: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    stale_done: list[str] = field(default_factory=list)

    @property
    def affected(self) -> list[str]:
        return [*self.added, *self.removed, *self.changed]

    def rows(self) -> list[tuple[str, str]]:
        """(step, what the change does to it), for a table or a JSON list."""
        return ([(k, "added") for k in self.added] + [(k, "removed") for k in self.removed]
                + [(k, "params changed") for k in self.changed]
                + [(k, "done; kept as done (would now be made differently)") for k in self.stale_done])

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "planned_site_digest": self.planned_digest,
                "current_site_digest": self.current_digest, "added": self.added, "removed": self.removed,
                "changed": self.changed, "stale_done": self.stale_done}


def _shape(spec: dict[str, Any]) -> str:
    return json.dumps({k: spec.get(k) for k in COMPARED}, sort_keys=True, default=str)


def _row_spec(row: Step) -> dict[str, Any]:
    return {k: getattr(row, k) for k in COMPARED}


def _fresh_specs(store: Store, fresh: Plan) -> list[dict[str, Any]]:
    # Compared (and stored) as create_run stores them: JSON, redacted.
    data = store.redactor.redact(fresh.model_dump(mode="json"))
    return list(data["steps"])


def compare(store: Store, run_id: str, fresh: Plan) -> Drift:
    """Diff ``run_id``'s steps with ``fresh`` (the same runbook planned on the current site)."""
    run = store.get_run(run_id)
    return _diff(run, store.get_steps(run.id), _fresh_specs(store, fresh), fresh.site_digest)


def _diff(run: Run, rows: list[Step], specs: list[dict[str, Any]], digest: str) -> Drift:
    old = {r.key: r for r in rows}
    new = {s["key"]: s for s in specs}
    done = {k for k, r in old.items() if r.status == StepStatus.DONE}
    return Drift(
        run_id=run.id, planned_digest=run.site_digest, current_digest=digest,
        added=[k for k in new if k not in old],
        removed=[k for k in old if k not in done and k not in new],
        changed=[k for k in old if k not in done and k in new
                 and _shape(_row_spec(old[k])) != _shape(new[k])],
        stale_done=[k for k in old if k in done and k in new and _shape(_row_spec(old[k])) != _shape(new[k])],
    )


def apply_replan(store: Store, run_id: str, fresh: Plan,
                 events_dir: str | os.PathLike[str] | None = None) -> Drift:
    """Replace the run's unfinished steps with ``fresh``'s, in one transaction; return the drift.

    Done steps stay done (whatever the fresh plan says of them); a changed step keeps its history
    and observes first if it was ever attempted (its old effect may exist). Raises
    :class:`RunBusy` if a live process executes the run, :class:`RunStateError` if it ended.
    """
    check_dag(fresh.steps)
    specs = _fresh_specs(store, fresh)
    data = store.redactor.redact(fresh.model_dump(mode="json"))
    run_id = store.get_run(run_id).id
    journal = EventJournal(run_id, store.redactor, events_dir)
    with store.session() as s, s.begin():
        run = s.get(Run, run_id, with_for_update=True)
        assert run is not None
        if store.owner_alive(run):
            raise RunBusy(run.id, run.owner, "it is executing elsewhere")
        if not RunStatus(run.status).resumable:
            raise RunStateError(f"run {run.id} is {run.status}: nothing to re-plan")
        if (fresh.kind, fresh.target, fresh.runbook) != (run.kind, run.target, run.runbook):
            raise PlanError(f"run {run.id}: a re-plan must keep kind, target and runbook "
                            f"({run.kind} {run.target} {run.runbook})")
        rows = list(s.scalars(sa.select(Step).where(Step.run_id == run.id)))
        drift = _diff(run, rows, specs, fresh.site_digest)
        old = {r.key: r for r in rows}
        for key in drift.removed:
            if old[key].attempts:
                journal.add(s, "replan_removed", "dropped by the re-plan; an earlier attempt's effect "
                            "may remain", step=key)
            s.delete(old[key])
        # Plan order for every step the fresh plan has; done steps it dropped come first.
        planned = {sp["key"] for sp in specs}
        kept = [r for r in sorted(rows, key=lambda r: r.seq)
                if r.key not in planned and r.key not in drift.removed]
        for seq, row in enumerate(kept):
            row.seq = seq
        for seq, sp in enumerate(specs, start=len(kept)):
            row = old.get(sp["key"])
            if row is None:
                s.add(Step(run_id=run.id, key=sp["key"], seq=seq, target=sp["target"], action=sp["action"],
                           system=sp["system"], batch=sp["batch"], deps=sp["deps"], after=sp["after"],
                           params=sp["params"], description=sp["description"], timeout=sp["timeout"],
                           status=StepStatus.PENDING.value, attempts=0, observe_first=False))
                continue
            row.seq = seq
            if row.status == StepStatus.DONE or sp["key"] not in drift.changed:
                continue
            for k in (*COMPARED, "system", "description"):
                setattr(row, k, sp[k])
            row.observe_first = row.observe_first or row.attempts > 0
        run.site_digest = fresh.site_digest
        run.params = data["params"]
        run.plan = data
        run.updated_at = utcnow()
        journal.add(s, "replanned", f"re-planned on the current site: {len(drift.added)} added, "
                    f"{len(drift.removed)} removed, {len(drift.changed)} changed", data=drift.as_dict())
    journal.flush_file()
    journal.close()
    return drift
