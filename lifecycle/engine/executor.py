"""The run engine: a single scheduler thread owning the DB session, worker threads running actions.

Guarantee: *nothing lost, nothing doubled*. Before an attempt starts, its intent is committed;
any attempt that follows an earlier intent (retry, timeout, resume after a crash) starts with
``observe`` so an effect that already happened is recorded instead of applied twice.

This module holds the :class:`Engine` facade and the run loop, which delegates to
:mod:`.resume` (reopen a run), :mod:`.scheduler` (what may start), :mod:`.outcomes` (what
attempts returned, what a failure takes down), :mod:`.thresholds`, :mod:`.leases`,
:mod:`.signals` and :mod:`.ending`; :mod:`.state` and :mod:`.session` are what they share.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from queue import Empty, Queue
from typing import Any

import sqlalchemy as sa

from lifecycle.redact import Redactor

from .actions import ActionRegistry, RetryPolicy
from .ending import close_run, final_status, record_abort
from .errors import EngineError, LeaseLost, RunStateError
from .events import EventJournal
from .leases import Heartbeat, claim
from .models import Run, RunStatus, StepStatus, TargetLock
from .observer import RunObserver, RunResult
from .outcomes import Outcomes, run_attempt
from .replan import SiteChanged, site_changed
from .resume import reopen, step_states
from .scheduler import POLL, Scheduler, Started
from .session import RunSession
from .signals import StopSignals
from .state import RunGraph
from .store import Store, owner_id
from .thresholds import FailThreshold

Message = tuple[str, str, Any]  # (kind, step key, payload) from workers, see outcomes.Outcomes.handle


class Engine:
    """Executes (and resumes) runs from a :class:`Store` with the actions of a registry.

    Example::

        engine = Engine(store, registry, limits={"ironic": 8, "oneview": 4})
        result = engine.execute(run_id)      # same call resumes an interrupted/failed run
        print(result.status, result.counts)

    ``limits`` caps concurrent attempts per step system, keyed by system or kind (see
    :meth:`limit_for`; ``default_limit`` otherwise);
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
        """By exact system (``ironic:uc-new``, one endpoint), else its kind (``ironic``): a kind's
        limit applies to each of its endpoints (the scheduler counts slots per exact system)."""
        exact = self.limits.get(system)
        return exact if exact is not None else self.limits.get(system.split(":", 1)[0], self.default_limit)

    def request_stop(self) -> None:
        """Graceful stop: start nothing new, let in-flight attempts finish, end ``interrupted``."""
        self._stop.set()
        current = self._current
        if current is not None:
            current.wake()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def execute(self, run_id: str, *, site_digest: str | None = None) -> RunResult:
        """Run or resume ``run_id`` (id or unique prefix) until it ends; see :class:`RunResult`.

        ``site_digest``: the digest of the site as it is now; a run planned on another version of
        it is refused (:class:`SiteChanged`, see :mod:`.replan`) before anything is touched.
        Raises :class:`RunBusy` if a live process owns the run, :class:`RunStateError` for an
        aborted run, :class:`UnknownAction` if the registry lacks an action of a pending step.
        """
        self._stop.clear()
        execution = _Execution(self, run_id, site_digest)
        self._current = execution
        try:
            return execution.run()
        finally:
            self._current = None


class _Execution:
    """State of one :meth:`Engine.execute` call (scheduler thread only, unless noted)."""

    # Set by run() once the run is found and claimed.
    graph: RunGraph
    threshold: FailThreshold
    rs: RunSession
    scheduler: Scheduler
    outcomes: Outcomes
    heartbeat: Heartbeat

    def __init__(self, engine: Engine, run_id: str, site_digest: str | None = None) -> None:
        self.e = engine
        self.site_digest = site_digest
        self.store = engine.store
        self.requested_id = run_id
        self.run_id = ""
        self.owner = owner_id()
        self.queue: Queue[Message] = Queue()
        self.buffer: list[Message] = []
        self.stop_logged = False
        self.run_row: Run | None = None

    # --- entry point -----------------------------------------------------------------------

    def run(self) -> RunResult:
        store, e = self.store, self.e
        run = store.get_run(self.requested_id)
        self.run_id = run.id
        if run.status == RunStatus.ABORTED:
            raise RunStateError(f"run {run.id} was aborted; create a new run")
        if run.status == RunStatus.SUCCEEDED:
            return RunResult(run.id, RunStatus.SUCCEEDED, store.step_counts(run.id), None)
        if site_changed(run, self.site_digest):
            assert self.site_digest is not None
            raise SiteChanged(run.id, run.site_digest, self.site_digest)
        # Unknown actions are a configuration error: find them before touching anything.
        for row in store.get_steps(run.id):
            if row.status != StepStatus.DONE:
                e.registry.get(row.action)
        claim(store, run.id, self.owner, e.lease_seconds)

        self.graph = RunGraph(run.id)
        self.threshold = FailThreshold(e.max_fail_percent)
        self.rs = RunSession(store.session(), EventJournal(run.id, e.redactor, e.events_dir))
        self.scheduler = Scheduler(self.graph, self.rs, owner=self.owner, limit_for=e.limit_for,
                                   redactor=e.redactor, observer=e.observer, emit=self.emit)
        self.outcomes = Outcomes(self.graph, self.rs, self.scheduler, self.threshold,
                                 redactor=e.redactor, observer=e.observer, rng=e.rng)
        self.heartbeat = Heartbeat(store, run.id, self.owner, e.heartbeat_interval, on_lost=self.wake)
        self.heartbeat.start()
        signals = StopSignals(on_first=e._stop.set)  # an Event.set, not request_stop: signal-safe
        if e.install_signal_handlers:
            signals.install()
        try:
            self._prepare()
            self._loop()
            self._wait_abandoned()
            self.heartbeat.stop()
            return self._finish()
        except (KeyboardInterrupt, SystemExit):
            # A second signal, or a host's handler calling sys.exit(): a stop, not a failure.
            self._cancel_inflight()
            self._record_abort("hard stop: in-flight steps will be re-observed on resume")
            raise
        except (LeaseLost, RunStateError):
            self._cancel_inflight()  # not ours (any more): write nothing more
            raise
        except BaseException as exc:
            self._cancel_inflight()
            self._record_abort(f"engine error: {type(exc).__name__}: {exc}", failed=True)
            raise
        finally:
            self.heartbeat.stop()
            signals.restore()
            self.rs.close()
            if not self.heartbeat.lost.is_set():
                with suppress(Exception):
                    store.release_run(run.id, self.owner)

    def _prepare(self) -> None:
        with self.rs.tx():
            run, rows = reopen(self.rs, self.run_id, self.owner)
            self.run_row = run
            for st in step_states(rows, self.e.registry, self.e.retry):
                self.graph.add(st)
                self.threshold.add(st.row.batch, st.row.target)
            self.rs.notify(self.e.observer.on_run_start, run, rows)

    # --- main loop -------------------------------------------------------------------------

    def wake(self) -> None:
        """Thread-safe (not signal-safe): make the scheduler look at its flags now."""
        self.queue.put(("wake", "", None))

    def emit(self, kind: str, key: str, payload: Any) -> None:
        """Worker threads report here (``ctx.log``, ``ctx.progress``, results)."""
        self.queue.put((kind, key, payload))

    @property
    def stopping(self) -> bool:
        return self.e.stop_requested or self.threshold.error is not None

    def _loop(self) -> None:
        while True:
            if self.heartbeat.lost.is_set():
                raise LeaseLost(self.run_id, None, "heartbeat could not renew the lease")
            messages = self._drain()
            now = time.monotonic()
            started: list[Started] = []
            with self.rs.tx():
                for kind, key, payload in messages:
                    self.outcomes.handle(kind, key, payload, now)
                self.outcomes.check_timeouts(now)
                if self.e.stop_requested and not self.stop_logged:
                    self.stop_logged = True
                    self.rs.event("stop_requested", "no new steps; finishing in-flight ones")
                if not self.stopping:
                    started = self.scheduler.start_ready(now, self.outcomes.skip)
            # Intents are durable now: only from here may anything external happen.
            for st, attempt, view, ctx in started:
                threading.Thread(
                    target=run_attempt,
                    args=(st.action, view, ctx, attempt, self.emit),
                    name=f"i2-{self.run_id}-{st.key}",
                    daemon=True,  # an abandoned (timed-out) worker must not block exit
                ).start()
            if not self.graph.inflight():
                if self.stopping or self.graph.all_terminal():
                    return
                if not started and not self.scheduler.timers and not self.graph.abandoned():
                    stuck = [st.key for st in self.graph.order if not st.status.terminal][:10]
                    raise EngineError(f"scheduler stalled: {stuck} can never become ready")
            self._wait(self.scheduler.next_wake(time.monotonic()))

    def _drain(self) -> list[Message]:
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

    # --- ending ------------------------------------------------------------------------------

    def _wait_abandoned(self) -> None:
        """Give timed-out workers a chance to return so their late result is journalled."""
        deadline = time.monotonic() + self.e.abandon_grace
        while self.graph.abandoned() and time.monotonic() < deadline:
            self._wait(min(POLL, max(deadline - time.monotonic(), 0)))
            now = time.monotonic()
            with self.rs.tx():
                for kind, key, payload in self._drain():
                    self.outcomes.handle(kind, key, payload, now)

    def _finish(self) -> RunResult:
        counts = self.graph.counts()
        status, error = final_status(self.graph, self.threshold.error)
        result = RunResult(self.run_id, status, counts, error)
        run = self.run_row
        assert run is not None
        with self.rs.tx():
            close_run(run, status, self.e.redactor.redact_text(error) if error else None)
            if status == RunStatus.SUCCEEDED:
                self.rs.session.execute(sa.delete(TargetLock).where(TargetLock.run_id == self.run_id))
            self.rs.event("run_end", f"{status}: {error}" if error else str(status),
                          data={"status": status.value, "counts": counts})
            self.rs.notify(self.e.observer.on_run_end, result)
        return result

    def _cancel_inflight(self) -> None:
        for st in self.graph.order:
            if st.inflight is not None:
                st.inflight.cancelled.set()

    def _record_abort(self, error: str, failed: bool = False) -> None:
        record_abort(self.store, self.run_id, self.owner, error, failed=failed,
                     redactor=self.e.redactor, events_dir=self.e.events_dir)
