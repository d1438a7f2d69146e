"""Which pending steps may start now (dependencies met, a free slot of their system, retry
backoff elapsed), and the committed intent that comes before every attempt.

Slots are counted per exact system: a step's system may name one endpoint (``ironic:uc-new``),
so two underclouds' steps never share slots while one undercloud's are bounded by its limit."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import defaultdict
from collections.abc import Callable

from lifecycle.redact import Redactor

from .actions import ActionContext, Emit, StepView
from .models import StepStatus, utcnow
from .observer import RunObserver
from .session import RunSession
from .state import Attempt, RunGraph, StepState

POLL = 0.25  # longest scheduler sleep: bounds the reaction time to stop flags and signals

Started = tuple[StepState, Attempt, StepView, ActionContext]
SkipFn = Callable[[StepState, str, StepStatus], None]  # (step, dependency, its status)


class Scheduler:
    """Starts attempts within per-system (per-endpoint) limits and keeps the retry timers."""

    def __init__(
        self,
        graph: RunGraph,
        rs: RunSession,
        *,
        owner: str,
        limit_for: Callable[[str], int],
        redactor: Redactor,
        observer: RunObserver,
        emit: Emit,
    ) -> None:
        self.graph = graph
        self.rs = rs
        self.owner = owner
        self.limit_for = limit_for
        self.redactor = redactor
        self.observer = observer
        self.emit = emit
        self.running: dict[str, int] = defaultdict(int)  # attempts in flight per exact system
        self.timers: list[tuple[float, str]] = []  # (not_before, key) heap; stale entries skipped
        self.tokens = itertools.count(1)

    def start_ready(self, now: float, skip: SkipFn) -> list[Started]:
        """Begin every step that may start now; ``skip`` ends one whose dependency did not end done."""
        started = []
        steps = self.graph.steps
        for st in self.graph.order:
            if st.status != StepStatus.PENDING or st.inflight or st.abandoned:
                continue
            if st.not_before is not None and st.not_before > now:
                continue
            if self.running[st.system] >= self.limit_for(st.system):
                continue
            blocked = False
            for dep in st.row.deps:
                dep_status = steps[dep].status
                if dep_status == StepStatus.DONE:
                    continue
                if dep_status.terminal:  # normally propagated eagerly; kept as a safety net
                    skip(st, dep, dep_status)
                blocked = True
                break
            if blocked or st.status != StepStatus.PENDING:
                continue
            if not all(steps[a].status.terminal for a in st.row.after):
                continue
            started.append(self.begin_attempt(st, now))
        return started

    def begin_attempt(self, st: StepState, now: float) -> Started:
        """Record the intent (committed by the caller before the worker starts)."""
        row = st.row
        st.tries += 1
        st.not_before = None
        observe = row.intent is not None or row.observe_first or st.action.observe_first
        ts = utcnow()
        row.attempts += 1
        row.status = StepStatus.RUNNING.value
        row.started_at = row.started_at or ts
        row.finished_at = None
        row.intent = self.redactor.redact(
            {
                "action": row.action,
                "params": row.params,
                "attempt": row.attempts,
                "observe": observe,
                "owner": self.owner,
                "ts": ts.isoformat(),
            }
        )
        row.intent_at = ts
        row.observe_first = False  # the intent now implies observe for any later attempt
        self.rs.event(
            "intent",
            f"attempt {row.attempts}{' (observe first)' if observe else ''}",
            step=row.key,
            data={"attempt": row.attempts, "observe": observe, "system": st.system},
        )
        self.running[st.system] += 1
        attempt = Attempt(
            token=next(self.tokens),
            deadline=now + st.timeout if st.timeout else None,
            timeout=st.timeout,
            cancelled=threading.Event(),
            observe=observe,
        )
        st.inflight = attempt
        view = self.graph.view(st, with_deps=True)
        ctx = ActionContext(
            self.graph.run_id,
            row.key,
            deadline=attempt.deadline,
            cancelled=attempt.cancelled,
            emit=self.emit,
        )
        self.rs.notify(self.observer.on_step_start, view)
        return st, attempt, view, ctx

    def release(self, st: StepState) -> None:
        """The attempt in flight ended (result or timeout): its system slot is free."""
        self.running[st.system] -= 1

    def retry_at(self, st: StepState, when: float) -> None:
        st.not_before = when
        heapq.heappush(self.timers, (when, st.key))

    def next_wake(self, now: float) -> float:
        """Seconds until the next retry timer or attempt deadline (at most :data:`POLL`)."""
        wake = now + POLL
        while self.timers:
            due, key = self.timers[0]
            if due <= now or self.graph.steps[key].not_before != due:
                heapq.heappop(self.timers)  # due (readiness scan takes over) or stale
                continue
            wake = min(wake, due)
            break
        for st in self.graph.inflight():
            deadline = st.inflight.deadline if st.inflight else None
            if deadline is not None:
                wake = min(wake, deadline)
        return max(wake - now, 0.0)
