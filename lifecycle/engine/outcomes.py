"""Attempt results: the worker side that runs an action and reports, and the scheduler side that
records done, retry later or failed, and what a failure takes down with it (the rest of its
target is quarantined, dependents are skipped)."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lifecycle.redact import Redactor

from .actions import Action, ActionContext, Emit, StepView
from .errors import ERROR_MAX, PermanentError, PlanError, StepTimeout, is_transient
from .models import StepStatus, utcnow
from .observer import RunObserver
from .scheduler import Scheduler
from .session import RunSession
from .state import Attempt, RunGraph, StepState
from .thresholds import FailThreshold


def run_attempt(action: Action, view: StepView, ctx: ActionContext, attempt: Attempt, emit: Emit) -> None:
    """Worker thread: observe and/or apply, and hand whatever happened back to the scheduler."""
    try:
        try:
            # Parsed here, so stored params that no longer fit fail this step (naming the
            # field), whatever a registered classifier thinks of ValueErrors, not the run loop.
            view = replace(view, params=action.parse_params(view.params, step=view.key))
        except PlanError as exc:
            raise PermanentError(str(exc)) from None
        if attempt.observe:
            found = action.observe(view, ctx)
            if found is not None:
                emit("result", view.key, (attempt.token, "observed", action.store_outputs(found)))
                return
        out = action.apply(view, ctx)
        out = {} if out is None else action.store_outputs(out)
        emit("result", view.key, (attempt.token, "applied", out))
    except BaseException as exc:  # everything goes back to the scheduler to classify
        emit("result", view.key, (attempt.token, "error", exc))


class Outcomes:
    """Applies worker messages and timeouts to the steps (scheduler thread, inside a transaction)."""

    def __init__(
        self,
        graph: RunGraph,
        rs: RunSession,
        scheduler: Scheduler,
        threshold: FailThreshold,
        *,
        redactor: Redactor,
        observer: RunObserver,
        rng: random.Random,
    ) -> None:
        self.graph = graph
        self.rs = rs
        self.scheduler = scheduler
        self.threshold = threshold
        self.redactor = redactor
        self.observer = observer
        self.rng = rng

    def handle(self, kind: str, key: str, payload: Any, now: float) -> None:
        """One worker message: ``log``, ``progress`` or an attempt's ``result`` (``wake`` is empty)."""
        if kind == "wake":
            return
        st = self.graph.steps.get(key)
        if st is None:
            return
        if kind == "log":
            event, data = payload
            self.rs.event("log", str(event), step=key, data=jsonable(data))
            return
        if kind == "progress":
            self.rs.notify(self.observer.on_progress, self.graph.view(st), payload)
            return
        token, outcome, value = payload
        if st.abandoned is not None and st.abandoned.token == token:
            st.abandoned = None  # a retry may start now (with observe)
            detail = self.describe(value) if outcome == "error" else outcome
            self.rs.event("late_result", f"timed-out attempt returned: {detail}", step=key)
            return
        if st.inflight is None or st.inflight.token != token:
            return
        st.inflight = None
        self.scheduler.release(st)
        if outcome == "error":
            self.attempt_failed(st, value, now)
            return
        try:
            outputs = check_outputs(value, outcome)
        except PermanentError as exc:
            self.attempt_failed(st, exc, now)
            return
        self.mark_done(st, outputs, observed=outcome == "observed")

    def check_timeouts(self, now: float) -> None:
        for st in self.graph.inflight():
            attempt = st.inflight
            if attempt is None or attempt.deadline is None or now < attempt.deadline:
                continue
            # Cancel and abandon the worker; the retry waits until it has returned.
            attempt.cancelled.set()
            st.inflight = None
            st.abandoned = attempt
            self.scheduler.release(st)
            exc = StepTimeout(f"timed out after {attempt.timeout:g}s")
            self.rs.event("timeout", str(exc), step=st.key, data={"attempt": st.row.attempts})
            self.attempt_failed(st, exc, now)

    def describe(self, exc: BaseException) -> str:
        text = str(exc) if isinstance(exc, StepTimeout) else f"{type(exc).__name__}: {exc}"
        return self.redactor.redact_text(text)[:ERROR_MAX]

    def mark_done(self, st: StepState, outputs: dict[str, Any], observed: bool) -> None:
        row = st.row
        row.outputs = self.redactor.redact(outputs)
        row.status = StepStatus.DONE.value
        row.finished_at = utcnow()
        row.last_error = None
        msg = "effect already present" if observed else "applied"
        self.rs.event(
            "observed" if observed else "done",
            msg,
            step=row.key,
            data={"attempt": row.attempts, "outputs": row.outputs},
        )
        self.rs.notify(self.observer.on_step_end, self.graph.view(st), StepStatus.DONE)

    def attempt_failed(self, st: StepState, exc: BaseException, now: float) -> None:
        """Retry with backoff while transient and within the policy, else fail the step."""
        row = st.row
        error = self.describe(exc)
        transient = is_transient(exc)
        row.last_error = error
        if transient and st.tries < st.policy.max_attempts:
            delay = st.policy.delay(st.tries, self.rng)
            row.status = StepStatus.PENDING.value
            self.scheduler.retry_at(st, now + delay)
            self.rs.event(
                "retry",
                f"{error}; retry in {delay:.2f}s",
                step=row.key,
                data={"error": error, "delay": round(delay, 3), "attempt": row.attempts},
            )
            self.rs.notify(self.observer.on_retry, self.graph.view(st), error, delay)
            return
        if transient:
            error = f"{error} (gave up after {st.tries} attempts)"
        self.fail(st, error)

    def fail(self, st: StepState, error: str) -> None:
        row = st.row
        row.status = StepStatus.FAILED.value
        row.finished_at = utcnow()
        row.last_error = error
        self.rs.event("failed", error, step=row.key, data={"attempt": row.attempts})
        self.rs.notify(self.observer.on_step_end, self.graph.view(st), StepStatus.FAILED)
        exceeded = self.threshold.fail(row.target)
        self.quarantine(st)
        if exceeded is not None:
            self.rs.event(
                "threshold_exceeded",
                exceeded.message + "; no new steps",
                data={"batch": exceeded.batch, "failed": exceeded.failed, "targets": exceeded.targets},
            )

    def quarantine(self, failed: StepState) -> None:
        """End the failed step's target: its other pending steps, then everything downstream."""
        target = failed.row.target
        reason = f"target {target} quarantined: step {failed.key} failed"
        quarantined = []
        for st in self.graph.by_target[target]:
            # In-flight attempts of the target finish and are recorded normally.
            if st is failed or st.status != StepStatus.PENDING or st.inflight is not None:
                continue
            self.end_unrun(st, StepStatus.QUARANTINED, reason, "quarantined")
            quarantined.append(st)
        for st in [failed, *quarantined]:
            self.skip_dependents(st)

    def skip(self, st: StepState, dep: str, dep_status: StepStatus) -> None:
        self.end_unrun(st, StepStatus.SKIPPED, f"dependency {dep} {dep_status}", "skipped")
        self.skip_dependents(st)

    def skip_dependents(self, root: StepState) -> None:
        stack = [root]
        while stack:
            cur = stack.pop()
            for key in self.graph.dependents.get(cur.key, ()):
                st = self.graph.steps[key]
                if st.status != StepStatus.PENDING or st.inflight is not None:
                    continue
                reason = f"dependency {cur.key} {cur.status}"
                self.end_unrun(st, StepStatus.SKIPPED, reason, "skipped")
                stack.append(st)

    def end_unrun(self, st: StepState, status: StepStatus, reason: str, event: str) -> None:
        row = st.row
        row.status = status.value
        row.last_error = reason
        row.finished_at = utcnow()
        st.not_before = None
        self.rs.event(event, reason, step=row.key)
        self.rs.notify(self.observer.on_step_end, self.graph.view(st), status)


def jsonable(data: Any) -> Any:
    """``data`` if it is JSON, else a JSON copy with the odd values as their repr.

    >>> jsonable({"n": 1})
    {'n': 1}
    >>> jsonable({"at": object()})["at"]
    '<object object at ...>'
    """
    try:
        json.dumps(data)
        return data
    except (TypeError, ValueError):
        return json.loads(json.dumps(data, default=repr))


def check_outputs(value: Any, outcome: str) -> dict[str, Any]:
    """What observe/apply returned, as the dict the store keeps; else a :class:`PermanentError`.

    >>> check_outputs({"uuid": "n-1"}, "applied")
    {'uuid': 'n-1'}
    >>> check_outputs(["n-1"], "observed")
    Traceback (most recent call last):
    ...
    lifecycle.engine.errors.PermanentError: observe() returned list, expected a dict
    """
    verb = "observe" if outcome == "observed" else "apply"
    if not isinstance(value, Mapping):
        raise PermanentError(f"{verb}() returned {type(value).__name__}, expected a dict")
    outputs = dict(value)
    try:
        json.dumps(outputs)
    except (TypeError, ValueError) as exc:
        raise PermanentError(f"{verb}() outputs are not JSON-serialisable: {exc}") from exc
    return outputs
