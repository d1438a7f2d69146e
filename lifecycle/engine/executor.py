"""The run engine: a single scheduler thread owning the DB session, worker threads running actions.

Guarantee: *nothing lost, nothing doubled*. Before an attempt starts, its intent is committed;
any attempt that follows an earlier intent (retry, timeout, resume after a crash) starts with
``observe`` so an effect that already happened is recorded instead of applied twice.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import os
import random
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from queue import Empty, Queue
from types import FrameType
from typing import Any

import sqlalchemy as sa

from lifecycle.redact import Redactor

from .actions import Action, ActionContext, ActionRegistry, RetryPolicy, StepView
from .errors import (
    EngineError,
    LeaseLost,
    PermanentError,
    RunBusy,
    RunStateError,
    StepTimeout,
    is_transient,
)
from .events import EventJournal
from .models import Run, RunStatus, Step, StepStatus, TargetLock, utcnow
from .observer import RunObserver, RunResult
from .store import Store, owner_id

log = logging.getLogger("lifecycle.engine")

_POLL = 0.25  # longest scheduler sleep: bounds the reaction time to stop flags and signals
DEFAULT_BATCH = "default"
_ERROR_MAX = 4000  # keep error texts readable in the DB


@dataclass
class _Attempt:
    token: int
    deadline: float | None
    timeout: float | None
    cancelled: threading.Event
    observe: bool


_Started = tuple["_StepState", _Attempt, StepView, ActionContext]


class _StepState:
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
        self.inflight: _Attempt | None = None
        self.abandoned: _Attempt | None = None  # timed out, worker not returned yet

    @property
    def key(self) -> str:
        return self.row.key

    @property
    def status(self) -> StepStatus:
        return StepStatus(self.row.status)


class Engine:
    """Executes (and resumes) runs from a :class:`Store` with the actions of a registry.

    Example::

        engine = Engine(store, registry, limits={"ironic": 8, "oneview": 4})
        result = engine.execute(run_id)      # same call resumes an interrupted/failed run
        print(result.status, result.counts)

    ``limits`` caps concurrent attempts per action system (``default_limit`` otherwise);
    ``max_fail_percent`` stops scheduling when, within a batch, failed targets exceed that share.
    """

    def __init__(
        self,
        store: Store,
        registry: ActionRegistry,
        limits: Mapping[str, int] | None = None,
        default_limit: int = 4,
        retry: RetryPolicy | None = None,
        max_fail_percent: float = 100.0,
        observer: RunObserver | None = None,
        events_dir: str | os.PathLike[str] | None = None,
        redactor: Redactor | None = None,
        *,
        install_signal_handlers: bool = False,
        lease_seconds: float | None = None,
        heartbeat_interval: float | None = None,
        abandon_grace: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.limits = dict(limits or {})
        for system, n in [*self.limits.items(), ("default_limit", default_limit)]:
            if n < 1:
                raise ValueError(f"concurrency limit for {system!r} must be >= 1, got {n}")
        self.default_limit = default_limit
        self.retry = retry or RetryPolicy()
        if not 0 <= max_fail_percent <= 100:
            raise ValueError("max_fail_percent must be within 0..100")
        self.max_fail_percent = max_fail_percent
        self.observer = observer or RunObserver()
        self.events_dir = events_dir
        self.redactor = redactor if redactor is not None else store.redactor
        self.install_signal_handlers = install_signal_handlers
        self.lease_seconds = lease_seconds if lease_seconds is not None else store.lease_seconds
        self.heartbeat_interval = heartbeat_interval or max(self.lease_seconds / 3, 0.05)
        self.abandon_grace = abandon_grace
        self.rng = rng or random.Random()
        self._stop = threading.Event()
        self._current: _Execution | None = None

    def limit_for(self, system: str) -> int:
        return self.limits.get(system, self.default_limit)

    def request_stop(self) -> None:
        """Graceful stop: start nothing new, let in-flight attempts finish, end ``interrupted``."""
        self._stop.set()
        current = self._current
        if current is not None:
            current.wake()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def execute(self, run_id: str) -> RunResult:
        """Run or resume ``run_id`` (id or unique prefix) until it ends; see :class:`RunResult`.

        Raises :class:`RunBusy` if a live process owns the run, :class:`RunStateError` for an
        aborted run, :class:`UnknownAction` if the registry lacks an action of a pending step.
        """
        self._stop.clear()
        execution = _Execution(self, run_id)
        self._current = execution
        try:
            return execution.run()
        finally:
            self._current = None


class _Execution:
    """State of one :meth:`Engine.execute` call (scheduler thread only, unless noted)."""

    def __init__(self, engine: Engine, run_id: str) -> None:
        self.e = engine
        self.store = engine.store
        self.requested_id = run_id
        self.run_id = ""
        self.owner = owner_id()
        self.queue: Queue[tuple[str, str, Any]] = Queue()
        self.buffer: list[tuple[str, str, Any]] = []
        self.tokens = itertools.count(1)
        self.steps: dict[str, _StepState] = {}
        self.order: list[_StepState] = []
        self.by_target: dict[str, list[_StepState]] = defaultdict(list)
        self.dependents: dict[str, list[str]] = defaultdict(list)
        self.batch_targets: dict[str, set[str]] = defaultdict(set)
        self.running: dict[str, int] = defaultdict(int)
        self.timers: list[tuple[float, str]] = []
        self.failed_targets: set[str] = set()
        self.threshold_error: str | None = None
        self.after_commit: list[Callable[[], None]] = []
        self.lease_lost = threading.Event()
        self.hb_stop = threading.Event()
        self.signals = 0
        self.stop_logged = False
        self.journal: EventJournal | None = None
        self.session: sa.orm.Session | None = None
        self.run_row: Run | None = None

    # --- entry point -----------------------------------------------------------------------

    def run(self) -> RunResult:
        store = self.store
        run = store.get_run(self.requested_id)
        self.run_id = run.id
        if run.status == RunStatus.ABORTED:
            raise RunStateError(f"run {run.id} was aborted; create a new run")
        if run.status == RunStatus.SUCCEEDED:
            return RunResult(run.id, RunStatus.SUCCEEDED, store.step_counts(run.id), None)
        # Unknown actions are a configuration error: find them before touching anything.
        for row in store.get_steps(run.id):
            if row.status != StepStatus.DONE:
                self.e.registry.get(row.action)
        if not store.claim_run(run.id, self.owner, self.e.lease_seconds):
            current = store.get_run(run.id)
            raise RunBusy(run.id, current.owner, "it is executing elsewhere")

        self.journal = EventJournal(run.id, self.e.redactor, self.e.events_dir)
        self.session = store.session()
        heartbeat = threading.Thread(target=self._heartbeat, name=f"i2-hb-{run.id}", daemon=True)
        heartbeat.start()
        previous = self._install_signals()
        try:
            self._prepare()
            self._loop()
            self._wait_abandoned()
            self.hb_stop.set()
            return self._finish()
        except KeyboardInterrupt:
            self._cancel_inflight()
            self._record_abort_state("hard stop: in-flight steps will be re-observed on resume")
            raise
        except (LeaseLost, RunStateError):
            self._cancel_inflight()  # not ours (any more): write nothing more
            raise
        except BaseException as exc:
            self._cancel_inflight()
            self._record_abort_state(f"engine error: {type(exc).__name__}: {exc}", failed=True)
            raise
        finally:
            self.hb_stop.set()
            self._restore_signals(previous)
            with suppress(Exception):
                self.session.close()
            if not self.lease_lost.is_set():
                with suppress(Exception):
                    store.release_run(run.id, self.owner)
            self.journal.close()

    # --- transactions ----------------------------------------------------------------------

    @property
    def s(self) -> sa.orm.Session:
        assert self.session is not None
        return self.session

    @property
    def j(self) -> EventJournal:
        assert self.journal is not None
        return self.journal

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """Commit what the block changed, then mirror events to JSONL, then notify."""
        try:
            yield
            self.s.commit()
        except BaseException:
            with suppress(Exception):
                self.s.rollback()
            self.j.discard()
            self.after_commit.clear()
            raise
        self.j.flush_file()
        callbacks, self.after_commit = self.after_commit, []
        for cb in callbacks:
            try:
                cb()
            except Exception:  # a broken progress display must not break the run
                log.exception("run observer failed")

    def _notify(self, fn: Callable[..., None], *args: Any) -> None:
        self.after_commit.append(lambda: fn(*args))

    # --- preparation / resume --------------------------------------------------------------

    def _prepare(self) -> None:
        s, e = self.s, self.e
        with self._tx():
            run = s.get(Run, self.run_id)
            assert run is not None
            # Re-check under our lease: the run may have ended or been force-aborted meanwhile.
            if run.owner != self.owner:
                raise LeaseLost(self.run_id, run.owner, "taken over before it started")
            if not RunStatus(run.status).resumable:
                raise RunStateError(f"run {run.id} is {run.status}")
            self.run_row = run
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
                    self.j.add(s, "recovered", "was in flight; will be re-observed", step=row.key)
                elif status in (StepStatus.FAILED, StepStatus.QUARANTINED, StepStatus.SKIPPED):
                    # Give a fixed cause a chance; observe first in case it was fixed by hand.
                    row.status = StepStatus.PENDING.value
                    row.observe_first = True
                    row.finished_at = None
                    reset.append(row.key)
                    self.j.add(s, "reset", f"was {status}; retrying", step=row.key)
            previous = run.status
            now = utcnow()
            resumed = previous != RunStatus.PENDING or any(r.attempts for r in rows)
            run.status = RunStatus.RUNNING.value
            run.started_at = run.started_at or now
            run.finished_at = None
            run.error = None
            run.updated_at = now
            self.j.add(
                s,
                "run_resumed" if resumed else "run_started",
                f"{'resumed' if resumed else 'started'} by {self.owner}",
                data={"previous_status": previous, "recovered": recovered, "reset": reset},
            )
            for row in rows:
                # Done steps never run again: their action may be gone from a newer runbook.
                if row.status == StepStatus.DONE and row.action not in e.registry:
                    action = _GONE
                else:
                    action = e.registry.get(row.action)
                st = _StepState(row, action, action.retry or e.retry)
                self.steps[row.key] = st
                self.order.append(st)
                self.by_target[row.target].append(st)
                self.batch_targets[row.batch or DEFAULT_BATCH].add(row.target)
                for dep in row.deps:
                    self.dependents[dep].append(row.key)
            self._notify(e.observer.on_run_start, run, rows)

    # --- main loop -------------------------------------------------------------------------

    def wake(self) -> None:
        """Thread-safe (not signal-safe): make the scheduler look at its flags now."""
        self.queue.put(("wake", "", None))

    @property
    def stopping(self) -> bool:
        return self.e.stop_requested or self.threshold_error is not None

    def _loop(self) -> None:
        while True:
            if self.lease_lost.is_set():
                raise LeaseLost(self.run_id, None, "heartbeat could not renew the lease")
            messages = self._drain()
            now = time.monotonic()
            started: list[_Started] = []
            with self._tx():
                for kind, key, payload in messages:
                    self._handle(kind, key, payload, now)
                self._check_timeouts(now)
                if self.e.stop_requested and not self.stop_logged:
                    self.stop_logged = True
                    self.j.add(self.s, "stop_requested", "no new steps; finishing in-flight ones")
                if not self.stopping:
                    started = self._start_ready(now)
            # Intents are durable now: only from here may anything external happen.
            for st, attempt, view, ctx in started:
                threading.Thread(
                    target=self._work,
                    args=(st.action, view, ctx, attempt),
                    name=f"i2-{self.run_id}-{st.key}",
                    daemon=True,  # an abandoned (timed-out) worker must not block exit
                ).start()
            if not self._inflight():
                if self.stopping or self._all_terminal():
                    return
                if not started and not self.timers and not self._abandoned():
                    self._stalled()
            self._wait(self._next_wake(time.monotonic()))

    def _drain(self) -> list[tuple[str, str, Any]]:
        items, self.buffer = self.buffer, []
        while True:
            try:
                items.append(self.queue.get_nowait())
            except Empty:
                return items

    def _wait(self, timeout: float) -> None:
        if timeout <= 0:
            return
        with suppress(Empty):
            self.buffer.append(self.queue.get(timeout=timeout))

    def _next_wake(self, now: float) -> float:
        wake = now + _POLL
        while self.timers:
            due, key = self.timers[0]
            if due <= now or self.steps[key].not_before != due:
                heapq.heappop(self.timers)  # due (readiness scan takes over) or stale
                continue
            wake = min(wake, due)
            break
        for st in self._inflight():
            deadline = st.inflight.deadline if st.inflight else None
            if deadline is not None:
                wake = min(wake, deadline)
        return max(wake - now, 0.0)

    def _inflight(self) -> list[_StepState]:
        return [st for st in self.order if st.inflight is not None]

    def _abandoned(self) -> list[_StepState]:
        return [st for st in self.order if st.abandoned is not None]

    def _all_terminal(self) -> bool:
        return all(st.status.terminal for st in self.order)

    def _stalled(self) -> None:
        stuck = [st.key for st in self.order if not st.status.terminal][:10]
        raise EngineError(f"scheduler stalled: {stuck} can never become ready")

    # --- starting attempts -------------------------------------------------------------------

    def _start_ready(self, now: float) -> list[_Started]:
        started = []
        for st in self.order:
            if st.status != StepStatus.PENDING or st.inflight or st.abandoned:
                continue
            if st.not_before is not None and st.not_before > now:
                continue
            if self.running[st.system] >= self.e.limit_for(st.system):
                continue
            blocked = False
            for dep in st.row.deps:
                dep_status = self.steps[dep].status
                if dep_status == StepStatus.DONE:
                    continue
                if dep_status.terminal:  # normally propagated eagerly; kept as a safety net
                    self._skip(st, dep, dep_status)
                blocked = True
                break
            if blocked or st.status != StepStatus.PENDING:
                continue
            if not all(self.steps[a].status.terminal for a in st.row.after):
                continue
            started.append(self._begin_attempt(st, now))
        return started

    def _begin_attempt(self, st: _StepState, now: float) -> _Started:
        row = st.row
        st.tries += 1
        st.not_before = None
        observe = row.intent is not None or row.observe_first or st.action.observe_first
        ts = utcnow()
        row.attempts += 1
        row.status = StepStatus.RUNNING.value
        row.started_at = row.started_at or ts
        row.finished_at = None
        row.intent = self.e.redactor.redact(
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
        self.j.add(
            self.s,
            "intent",
            f"attempt {row.attempts}{' (observe first)' if observe else ''}",
            step=row.key,
            data={"attempt": row.attempts, "observe": observe, "system": st.system},
        )
        self.running[st.system] += 1
        attempt = _Attempt(
            token=next(self.tokens),
            deadline=now + st.timeout if st.timeout else None,
            timeout=st.timeout,
            cancelled=threading.Event(),
            observe=observe,
        )
        st.inflight = attempt
        view = self._view(st, with_deps=True)
        ctx = ActionContext(
            self.run_id,
            row.key,
            deadline=attempt.deadline,
            cancelled=attempt.cancelled,
            emit=self._emit,
        )
        self._notify(self.e.observer.on_step_start, view)
        return st, attempt, view, ctx

    def _view(self, st: _StepState, with_deps: bool = False) -> StepView:
        row = st.row
        dep_outputs: dict[str, Any] = {}
        if with_deps:
            dep_outputs = {d: _copy_json(self.steps[d].row.outputs or {}) for d in row.deps}
        return StepView(
            key=row.key,
            target=row.target,
            action=row.action,
            params=_copy_json(row.params or {}),
            attempt=row.attempts,
            dep_outputs=dep_outputs,
            run_id=self.run_id,
            system=st.system,
            batch=row.batch,
            description=row.description or "",
            last_error=row.last_error,
        )

    # --- worker side (runs on worker threads) ------------------------------------------------

    def _emit(self, kind: str, key: str, payload: Any) -> None:
        self.queue.put((kind, key, payload))

    def _work(self, action: Action, view: StepView, ctx: ActionContext, attempt: _Attempt) -> None:
        try:
            if attempt.observe:
                found = action.observe(view, ctx)
                if found is not None:
                    self._emit("result", view.key, (attempt.token, "observed", found))
                    return
            out = action.apply(view, ctx)
            self._emit("result", view.key, (attempt.token, "applied", {} if out is None else out))
        except BaseException as exc:  # everything goes back to the scheduler to classify
            self._emit("result", view.key, (attempt.token, "error", exc))

    # --- outcomes ----------------------------------------------------------------------------

    def _handle(self, kind: str, key: str, payload: Any, now: float) -> None:
        if kind == "wake":
            return
        st = self.steps.get(key)
        if st is None:
            return
        if kind == "log":
            event, data = payload
            self.j.add(self.s, "log", str(event), step=key, data=_jsonable(data))
            return
        if kind == "progress":
            self._notify(self.e.observer.on_progress, self._view(st), payload)
            return
        token, outcome, value = payload
        if st.abandoned is not None and st.abandoned.token == token:
            st.abandoned = None  # a retry may start now (with observe)
            detail = self._describe(value) if outcome == "error" else outcome
            self.j.add(self.s, "late_result", f"timed-out attempt returned: {detail}", step=key)
            return
        if st.inflight is None or st.inflight.token != token:
            return
        st.inflight = None
        self.running[st.system] -= 1
        if outcome == "error":
            self._attempt_failed(st, value, now)
            return
        try:
            outputs = _check_outputs(value, outcome)
        except PermanentError as exc:
            self._attempt_failed(st, exc, now)
            return
        self._mark_done(st, outputs, observed=outcome == "observed")

    def _mark_done(self, st: _StepState, outputs: dict[str, Any], observed: bool) -> None:
        row = st.row
        row.outputs = self.e.redactor.redact(outputs)
        row.status = StepStatus.DONE.value
        row.finished_at = utcnow()
        row.last_error = None
        msg = "effect already present" if observed else "applied"
        self.j.add(
            self.s,
            "observed" if observed else "done",
            msg,
            step=row.key,
            data={"attempt": row.attempts, "outputs": row.outputs},
        )
        self._notify(self.e.observer.on_step_end, self._view(st), StepStatus.DONE)

    def _describe(self, exc: BaseException) -> str:
        text = str(exc) if isinstance(exc, StepTimeout) else f"{type(exc).__name__}: {exc}"
        return self.e.redactor.redact_text(text)[:_ERROR_MAX]

    def _attempt_failed(self, st: _StepState, exc: BaseException, now: float) -> None:
        row = st.row
        error = self._describe(exc)
        transient = is_transient(exc)
        row.last_error = error
        if transient and st.tries < st.policy.max_attempts:
            delay = st.policy.delay(st.tries, self.e.rng)
            row.status = StepStatus.PENDING.value
            st.not_before = now + delay
            heapq.heappush(self.timers, (st.not_before, st.key))
            self.j.add(
                self.s,
                "retry",
                f"{error}; retry in {delay:.2f}s",
                step=row.key,
                data={"error": error, "delay": round(delay, 3), "attempt": row.attempts},
            )
            self._notify(self.e.observer.on_retry, self._view(st), error, delay)
            return
        if transient:
            error = f"{error} (gave up after {st.tries} attempts)"
        self._fail(st, error)

    def _check_timeouts(self, now: float) -> None:
        for st in self._inflight():
            attempt = st.inflight
            if attempt is None or attempt.deadline is None or now < attempt.deadline:
                continue
            # Cancel and abandon the worker; the retry waits until it has returned.
            attempt.cancelled.set()
            st.inflight = None
            st.abandoned = attempt
            self.running[st.system] -= 1
            exc = StepTimeout(f"timed out after {attempt.timeout:g}s")
            self.j.add(self.s, "timeout", str(exc), step=st.key, data={"attempt": st.row.attempts})
            self._attempt_failed(st, exc, now)

    def _fail(self, st: _StepState, error: str) -> None:
        row = st.row
        row.status = StepStatus.FAILED.value
        row.finished_at = utcnow()
        row.last_error = error
        self.j.add(self.s, "failed", error, step=row.key, data={"attempt": row.attempts})
        self._notify(self.e.observer.on_step_end, self._view(st), StepStatus.FAILED)
        self.failed_targets.add(row.target)
        self._quarantine(st)
        self._check_threshold()

    def _quarantine(self, failed: _StepState) -> None:
        target = failed.row.target
        reason = f"target {target} quarantined: step {failed.key} failed"
        quarantined = []
        for st in self.by_target[target]:
            # In-flight attempts of the target finish and are recorded normally.
            if st is failed or st.status != StepStatus.PENDING or st.inflight is not None:
                continue
            self._end_unrun(st, StepStatus.QUARANTINED, reason, "quarantined")
            quarantined.append(st)
        for st in [failed, *quarantined]:
            self._skip_dependents(st)

    def _skip(self, st: _StepState, dep: str, dep_status: StepStatus) -> None:
        self._end_unrun(st, StepStatus.SKIPPED, f"dependency {dep} {dep_status}", "skipped")
        self._skip_dependents(st)

    def _skip_dependents(self, root: _StepState) -> None:
        stack = [root]
        while stack:
            cur = stack.pop()
            for key in self.dependents.get(cur.key, ()):
                st = self.steps[key]
                if st.status != StepStatus.PENDING or st.inflight is not None:
                    continue
                reason = f"dependency {cur.key} {cur.status}"
                self._end_unrun(st, StepStatus.SKIPPED, reason, "skipped")
                stack.append(st)

    def _end_unrun(self, st: _StepState, status: StepStatus, reason: str, event: str) -> None:
        row = st.row
        row.status = status.value
        row.last_error = reason
        row.finished_at = utcnow()
        st.not_before = None
        self.j.add(self.s, event, reason, step=row.key)
        self._notify(self.e.observer.on_step_end, self._view(st), status)

    def _check_threshold(self) -> None:
        if self.threshold_error is not None:
            return
        limit = self.e.max_fail_percent
        for batch, targets in sorted(self.batch_targets.items()):
            failed = len(targets & self.failed_targets)
            if failed and failed * 100 > limit * len(targets):
                pct = failed * 100 / len(targets)
                self.threshold_error = (
                    f"batch {batch}: {failed}/{len(targets)} targets failed ({pct:.1f}%) "
                    f"> max_fail_percent {limit:g}"
                )
                self.j.add(
                    self.s,
                    "threshold_exceeded",
                    self.threshold_error + "; no new steps",
                    data={"batch": batch, "failed": failed, "targets": len(targets)},
                )
                return

    # --- ending ------------------------------------------------------------------------------

    def _wait_abandoned(self) -> None:
        """Give timed-out workers a chance to return so their late result is journalled."""
        deadline = time.monotonic() + self.e.abandon_grace
        while self._abandoned() and time.monotonic() < deadline:
            self._wait(min(_POLL, max(deadline - time.monotonic(), 0)))
            now = time.monotonic()
            with self._tx():
                for kind, key, payload in self._drain():
                    self._handle(kind, key, payload, now)

    def _counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for st in self.order:
            counts[st.row.status] += 1
        return dict(counts)

    def _finish(self) -> RunResult:
        counts = self._counts()
        error: str | None = None
        if self.threshold_error is not None:
            status, error = RunStatus.FAILED, self.threshold_error
        elif self._all_terminal():
            if counts.get(StepStatus.DONE, 0) == len(self.order):
                status = RunStatus.SUCCEEDED
            else:
                status = RunStatus.PARTIAL
                bad = sorted({st.row.target for st in self.order if st.status == StepStatus.FAILED})
                error = "quarantined targets: " + ", ".join(bad) if bad else "some steps skipped"
        else:
            status, error = RunStatus.INTERRUPTED, "stopped on request"
        result = RunResult(self.run_id, status, counts, error)
        run = self.run_row
        assert run is not None
        with self._tx():
            now = utcnow()
            run.status = status.value
            run.error = self.e.redactor.redact_text(error) if error else None
            run.finished_at = now
            run.updated_at = now
            run.owner = None
            run.heartbeat_at = None
            if status == RunStatus.SUCCEEDED:
                self.s.execute(sa.delete(TargetLock).where(TargetLock.run_id == self.run_id))
            self.j.add(self.s, "run_end", f"{status}: {error}" if error else str(status),
                       data={"status": status.value, "counts": counts})
            self._notify(self.e.observer.on_run_end, result)
        return result

    def _cancel_inflight(self) -> None:
        for st in self.order:
            if st.inflight is not None:
                st.inflight.cancelled.set()

    def _record_abort_state(self, error: str, failed: bool = False) -> None:
        """Best effort after a hard stop or engine error; a fresh session since ours may be broken.

        Step rows are left as they are: ``running`` ones get re-observed on resume.
        """
        status = RunStatus.FAILED if failed else RunStatus.INTERRUPTED
        try:
            with self.store.session() as s, s.begin():
                run = s.get(Run, self.run_id)
                if run is None or run.owner != self.owner:
                    return
                now = utcnow()
                run.status = status.value
                run.error = self.e.redactor.redact_text(error)[:_ERROR_MAX]
                run.finished_at = now
                run.updated_at = now
                run.owner = None
                run.heartbeat_at = None
                journal = EventJournal(self.run_id, self.e.redactor, self.e.events_dir)
                journal.add(s, "run_end", f"{status}: {error}", data={"status": status.value})
            journal.flush_file()
            journal.close()
        except Exception:
            log.exception("could not record the end of run %s", self.run_id)

    # --- lease & signals -------------------------------------------------------------------

    def _heartbeat(self) -> None:
        while not self.hb_stop.wait(self.e.heartbeat_interval):
            try:
                if not self.store.heartbeat(self.run_id, self.owner):
                    if not self.hb_stop.is_set():
                        self.lease_lost.set()
                        self.wake()
                    return
            except Exception:  # the DB may come back before the lease expires
                log.warning("heartbeat for run %s failed", self.run_id, exc_info=True)

    def _install_signals(self) -> dict[int, Any] | None:
        if not self.e.install_signal_handlers:
            return None
        if threading.current_thread() is not threading.main_thread():
            return None

        def handler(signum: int, frame: FrameType | None) -> None:
            # Signal-safe: only set flags (the loop polls them at least every _POLL seconds).
            self.signals += 1
            if self.signals >= 2:
                raise KeyboardInterrupt
            self.e._stop.set()

        previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, handler)
        return previous

    @staticmethod
    def _restore_signals(previous: dict[int, Any] | None) -> None:
        if previous:
            for sig, fn in previous.items():
                signal.signal(sig, fn)


class _GoneAction(Action):
    name = "(not in registry)"


_GONE = _GoneAction()


def _copy_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _jsonable(data: Any) -> Any:
    try:
        json.dumps(data)
        return data
    except (TypeError, ValueError):
        return json.loads(json.dumps(data, default=repr))


def _check_outputs(value: Any, outcome: str) -> dict[str, Any]:
    verb = "observe" if outcome == "observed" else "apply"
    if not isinstance(value, Mapping):
        raise PermanentError(f"{verb}() returned {type(value).__name__}, expected a dict")
    outputs = dict(value)
    try:
        json.dumps(outputs)
    except (TypeError, ValueError) as exc:
        raise PermanentError(f"{verb}() outputs are not JSON-serialisable: {exc}") from exc
    return outputs
