"""What one execution knows about its steps beyond their rows: attempts in flight, retry timers,
and the plan's indexes (by target, by dependency). Scheduler thread only."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from .actions import Action, RetryPolicy, StepView
from .models import Step, StepStatus


@dataclass
class Attempt:
    """One attempt handed to a worker; ``token`` tells its result from a stale one's."""

    token: int
    deadline: float | None
    timeout: float | None
    cancelled: threading.Event
    observe: bool


class StepState:
    """A step's row plus its execution-local state (the row is what gets committed)."""

    __slots__ = ("abandoned", "action", "inflight", "not_before", "policy", "row", "system",
                 "timeout", "tries")

    def __init__(self, row: Step, action: Action, policy: RetryPolicy) -> None:
        self.row = row
        self.action = action
        self.policy = policy
        self.system: str = row.system or action.system or "default"
        self.timeout: float | None = row.timeout if row.timeout is not None else action.timeout
        self.tries = 0  # attempts in this execution (the budget restarts on resume)
        self.not_before: float | None = None  # retry timer (monotonic)
        self.inflight: Attempt | None = None
        self.abandoned: Attempt | None = None  # timed out, worker not returned yet

    @property
    def key(self) -> str:
        return self.row.key

    @property
    def status(self) -> StepStatus:
        return StepStatus(self.row.status)


class RunGraph:
    """The steps of a run in plan order, indexed by key, by target and by dependency."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.steps: dict[str, StepState] = {}
        self.order: list[StepState] = []
        self.by_target: dict[str, list[StepState]] = defaultdict(list)
        self.dependents: dict[str, list[str]] = defaultdict(list)

    def add(self, st: StepState) -> None:
        self.steps[st.key] = st
        self.order.append(st)
        self.by_target[st.row.target].append(st)
        for dep in st.row.deps:
            self.dependents[dep].append(st.key)

    def inflight(self) -> list[StepState]:
        return [st for st in self.order if st.inflight is not None]

    def abandoned(self) -> list[StepState]:
        return [st for st in self.order if st.abandoned is not None]

    def all_terminal(self) -> bool:
        return all(st.status.terminal for st in self.order)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for st in self.order:
            counts[st.row.status] += 1
        return dict(counts)

    def view(self, st: StepState, with_deps: bool = False) -> StepView:
        """What actions and observers see: copies, so nobody can change the rows."""
        row = st.row
        dep_outputs: dict[str, Any] = {}
        if with_deps:
            dep_outputs = {d: copy_json(self.steps[d].row.outputs or {}) for d in row.deps}
        return StepView(
            key=row.key,
            target=row.target,
            action=row.action,
            params=copy_json(row.params or {}),
            attempt=row.attempts,
            dep_outputs=dep_outputs,
            run_id=self.run_id,
            system=st.system,
            batch=row.batch,
            description=row.description or "",
            last_error=row.last_error,
        )


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data.

    >>> a = {"ports": [1, 2]}
    >>> b = copy_json(a); b["ports"].append(3); a
    {'ports': [1, 2]}
    """
    return json.loads(json.dumps(value))
