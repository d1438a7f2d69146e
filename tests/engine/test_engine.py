"""Execution semantics on real databases, with the toy runbook's effects log as the real world."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lifecycle.engine import (
    Action,
    ActionContext,
    ActionRegistry,
    Engine,
    LeaseLost,
    PermanentError,
    RetryPolicy,
    RunBusy,
    RunObserver,
    RunResult,
    RunStatus,
    StepStatus,
    StepView,
    Store,
    TargetLocked,
    UnknownAction,
)
from lifecycle.engine.models import Event, Run, Step, utcnow

from . import toy
from .plans import engine_for, plan, step
from .toy import read_effects


def _steps(store: Store, run_id: str) -> dict[str, Step]:
    return {s.key: s for s in store.get_steps(run_id)}


def _events(store: Store, run_id: str, type_: str | None = None) -> list[Event]:
    return [e for e in store.get_events(run_id) if type_ is None or e.type == type_]


def _wait_for(predicate: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:  # a hang guard, not a timing assertion
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


class Recorder(RunObserver):
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.last_errors: dict[str, str | None] = {}

    def on_run_start(self, run: Any, steps: Any) -> None:
        self.calls.append(("run_start", len(steps)))

    def on_step_start(self, step: StepView) -> None:
        self.calls.append(("step_start", step.key))

    def on_step_end(self, step: StepView, status: StepStatus) -> None:
        self.calls.append(("step_end", (step.key, str(status))))
        self.last_errors[step.key] = step.last_error

    def on_retry(self, step: StepView, error: str, delay: float) -> None:
        self.calls.append(("retry", (step.key, error)))

    def on_progress(self, step: StepView, progress: Any) -> None:
        self.calls.append(("progress", (step.key, progress)))

    def on_run_end(self, result: RunResult) -> None:
        self.calls.append(("run_end", str(result.status)))


# --- happy path ------------------------------------------------------------------------------


class Collect(Action):
    """Records what the engine hands to actions."""

    def __init__(self) -> None:
        self.name = "collect"
        self.seen: dict[str, StepView] = {}
        self.order: list[str] = []
        self.lock = threading.Lock()

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        with self.lock:
            self.seen[step.key] = step
            self.order.append(step.key)
        ctx.log("hello", n=len(step.key))
        return {"made_by": step.key}


def test_dag_order_outputs_events_observer(store: Store, effects: str, tmp_path: Path) -> None:
    p = plan(
        [
            step("d", action="collect", deps=["b", "c"]),
            step("a", action="collect", params={"x": 1}),
            step("b", action="collect", deps=["a"]),
            step("c", action="collect", deps=["a"], system="other"),
            step("e", action="collect", after=["d"]),
        ],
        effects,
    )
    run_id = store.create_run(p)
    collect = Collect()
    rec = Recorder()
    events_dir = tmp_path / "events"
    engine = Engine(store, ActionRegistry([collect]), observer=rec, events_dir=str(events_dir),
                    limits={"other": 1}, default_limit=2)
    result = engine.execute(run_id[:8])

    assert result.status == RunStatus.SUCCEEDED and result.ok
    assert result.counts == {"done": 5} and result.total == 5
    order = collect.order
    assert order[0] == "a" and order[-1] == "e" and order.index("d") == 3
    assert collect.seen["a"].params == {"x": 1} and collect.seen["a"].attempt == 1
    assert collect.seen["d"].dep_outputs == {"b": {"made_by": "b"}, "c": {"made_by": "c"}}
    assert collect.seen["e"].dep_outputs == {}  # `after` is ordering only
    assert collect.seen["c"].system == "other" and collect.seen["b"].system == "default"
    assert collect.seen["a"].run_id == run_id

    run = store.get_run(run_id)
    assert run.status == "succeeded" and run.owner is None and run.finished_at is not None
    assert store.lock_holder(p.target) is None
    steps = _steps(store, run_id)
    assert all(s.status == "done" and s.attempts == 1 for s in steps.values())
    assert steps["b"].outputs == {"made_by": "b"}
    assert steps["a"].intent is not None
    assert steps["a"].intent["attempt"] == 1 and steps["a"].intent["observe"] is False
    types = Counter(e.type for e in _events(store, run_id))
    assert types == {"run_created": 1, "run_started": 1, "intent": 5, "log": 5, "done": 5,
                     "run_end": 1}
    lines = [json.loads(x) for x in (events_dir / f"{run_id}.jsonl").read_text().splitlines()]
    assert Counter(x["type"] for x in lines) == types - Counter({"run_created": 1})
    assert lines[-1]["type"] == "run_end" and lines[-1]["data"]["status"] == "succeeded"

    kinds = [c[0] for c in rec.calls]
    assert kinds[0] == "run_start" and kinds[-1] == "run_end"
    assert kinds.count("step_start") == 5 and kinds.count("step_end") == 5
    assert rec.calls[-1] == ("run_end", "succeeded")


# --- retries -------------------------------------------------------------------------------


def test_transient_faults_are_retried_with_backoff(store: Store, effects: str) -> None:
    p = plan(
        [
            step("t1/busy", params={"transient": 2}),
            step("t2/reset", params={"conn_reset": 1}),
            step("t3/http503", params={"http": [503, 2]}),
            step("t4/http404", params={"http": [404, 1]}),
            step("t5/flapping", params={"transient": 99}),
        ],
        effects,
    )
    run_id = store.create_run(p)
    rec = Recorder()
    retry = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.02, jitter=0)
    result = engine_for(store, run_id, retry=retry, observer=rec).execute(run_id)

    assert result.status == RunStatus.PARTIAL
    steps = _steps(store, run_id)
    assert {k: (s.status, s.attempts) for k, s in steps.items()} == {
        "t1/busy": ("done", 3),
        "t2/reset": ("done", 2),
        "t3/http503": ("done", 3),
        "t4/http404": ("failed", 1),  # 404 is not transient
        "t5/flapping": ("failed", 4),
    }
    retries = [e for e in _events(store, run_id, "retry") if e.step_key == "t1/busy"]
    assert [e.data["delay"] for e in retries] == [0.01, 0.02]  # exponential, jitter off
    assert "TransientError: API busy" in retries[0].data["error"]
    reset = next(e for e in _events(store, run_id, "retry") if e.step_key == "t2/reset")
    assert reset.data["error"] == "ConnectionResetError: [Errno 104] Connection reset by peer"
    assert steps["t5/flapping"].last_error.endswith("(gave up after 4 attempts)")
    assert "HttpError: HTTP 404" in steps["t4/http404"].last_error
    assert steps["t1/busy"].last_error is None
    # Retries after an intent start with observe (and find nothing here).
    intents = [e for e in _events(store, run_id, "intent") if e.step_key == "t1/busy"]
    assert [e.data["observe"] for e in intents] == [False, True, True]
    assert sorted(read_effects(effects)) == ["t1/busy", "t2/reset", "t3/http503"]
    assert sum(1 for c in rec.calls if c[0] == "retry") == 2 + 1 + 2 + 3


# --- quarantine & max-fail ---------------------------------------------------------------------


def test_permanent_failure_quarantines_only_that_target(store: Store, effects: str) -> None:
    p = plan(
        [
            step("A/broken", target="server:A", params={"permanent": True}),
            step("A/next", target="server:A", deps=["A/broken"]),
            step("A/later", target="server:A", after=["A/broken"]),
            step("A/solo", target="server:A", after=["A/later"]),
            step("B/needs-A", target="server:B", deps=["A/broken"]),
            step("B/chain", target="server:B", deps=["B/needs-A"]),
            step("C/after-A", target="server:C", after=["A/broken"]),
            step("C/free", target="server:C"),
        ],
        effects,
        target="rack:q",
    )
    run_id = store.create_run(p)
    rec = Recorder()
    result = engine_for(store, run_id, observer=rec).execute(run_id)

    assert result.status == RunStatus.PARTIAL
    assert result.counts == {"failed": 1, "quarantined": 3, "skipped": 2, "done": 2}
    ends = {c[1][0]: c[1][1] for c in rec.calls if c[0] == "step_end"}
    assert len(ends) == 8 and ends["A/broken"] == "failed" and ends["B/chain"] == "skipped"
    assert rec.last_errors["A/broken"] == "PermanentError: server:A is broken"
    steps = _steps(store, run_id)
    assert {k: s.status for k, s in steps.items()} == {
        "A/broken": "failed",
        "A/next": "quarantined",
        "A/later": "quarantined",
        "A/solo": "quarantined",
        "B/needs-A": "skipped",
        "B/chain": "skipped",
        "C/after-A": "done",
        "C/free": "done",
    }
    assert steps["A/broken"].last_error == "PermanentError: server:A is broken"
    assert steps["A/broken"].attempts == 1  # permanent: no retry
    assert steps["A/later"].last_error == "target server:A quarantined: step A/broken failed"
    assert steps["B/needs-A"].last_error == "dependency A/broken failed"
    assert steps["B/chain"].last_error == "dependency B/needs-A skipped"
    assert all(steps[k].attempts == 0 for k in ("A/next", "A/later", "B/needs-A", "B/chain"))
    assert sorted(read_effects(effects)) == ["C/after-A", "C/free"]
    run = store.get_run(run_id)
    assert run.status == "partial" and "server:A" in (run.error or "")
    # A partial run keeps its lock: resume or abort first.
    with pytest.raises(TargetLocked, match=r"\(partial\)"):
        store.create_run(p)


def test_max_fail_percent_stops_then_resume_completes(
    store: Store, effects: str, tmp_path: Path
) -> None:
    marker = tmp_path / "fault"
    marker.write_text("broken")
    bad = {"fail_if_exists": str(marker)}
    first = [
        step("s1/x", batch="b1", params=bad),
        step("s2/x", batch="b1", params=bad),
        step("s3/x", batch="b1"),
        step("s4/x", batch="b1"),
    ]
    wave = [f"s{i}/x" for i in range(1, 5)]
    second = [step(f"s{i}/y", batch="b2", after=wave) for i in range(5, 9)]
    run_id = store.create_run(plan(first + second, effects, target="rack:mf"))
    result = engine_for(store, run_id, max_fail_percent=25).execute(run_id)

    assert result.status == RunStatus.FAILED
    assert result.error == "batch b1: 2/4 targets failed (50.0%) > max_fail_percent 25"
    run = store.get_run(run_id)
    assert run.status == "failed" and run.error == result.error
    steps = _steps(store, run_id)
    for s in second:  # untouched: resumable as they are
        row = steps[s.key]
        assert (row.status, row.attempts, row.intent) == ("pending", 0, None)
    assert {steps["s1/x"].status, steps["s2/x"].status} == {"failed"}
    assert len(_events(store, run_id, "threshold_exceeded")) == 1
    assert store.lock_holder("rack:mf") == run_id

    marker.unlink()  # the operator fixes the cause
    result = engine_for(store, run_id, max_fail_percent=25).execute(run_id)
    assert result.status == RunStatus.SUCCEEDED
    steps = _steps(store, run_id)
    assert all(s.status == "done" for s in steps.values())
    assert steps["s1/x"].attempts == 2 and steps["s1/x"].intent["observe"] is True
    effects_seen = read_effects(effects)
    assert sorted(effects_seen) == sorted(s.key for s in first + second)
    resumed = _events(store, run_id, "run_resumed")[0]
    assert sorted(resumed.data["reset"]) == ["s1/x", "s2/x"]
    assert store.lock_holder("rack:mf") is None


# --- timeouts --------------------------------------------------------------------------------


def test_timeout_retries_with_observe_first_and_no_double_effect(
    store: Store, effects: str
) -> None:
    toy.OVERLAPS.clear()
    p = plan(
        [
            # Effect done, then stuck ignoring cancellation: the retry must wait and observe.
            step("h1/stuck-after", timeout=0.2, params={"hang_after_effect": 0.8}),
            # Stuck before the effect, honours cancellation: the retry applies.
            step("h2/stuck-before", timeout=0.2, params={"hang_before_effect": 10}),
        ],
        effects,
    )
    run_id = store.create_run(p)
    result = engine_for(store, run_id).execute(run_id)

    assert result.status == RunStatus.SUCCEEDED
    assert sorted(read_effects(effects)) == ["h1/stuck-after", "h2/stuck-before"]
    assert toy.OVERLAPS == []  # never two attempts of one step at once
    steps = _steps(store, run_id)
    assert steps["h1/stuck-after"].attempts == 2 and steps["h2/stuck-before"].attempts == 2
    timeouts = _events(store, run_id, "timeout")
    assert sorted(e.step_key for e in timeouts) == ["h1/stuck-after", "h2/stuck-before"]
    assert all(e.message == "timed out after 0.2s" for e in timeouts)
    late = {e.step_key: e.message for e in _events(store, run_id, "late_result")}
    assert late["h1/stuck-after"] == "timed-out attempt returned: applied"
    assert "cancelled before the effect" in late["h2/stuck-before"]
    assert [e.step_key for e in _events(store, run_id, "observed")] == ["h1/stuck-after"]
    # The retry began only after the abandoned worker returned.
    ids = {(e.type, e.step_key): e.id for e in store.get_events(run_id)}
    for key in ("h1/stuck-after", "h2/stuck-before"):
        second_intent = [e for e in _events(store, run_id, "intent") if e.step_key == key][1]
        assert second_intent.data["observe"] is True
        assert second_intent.id > ids[("late_result", key)]


# --- ownership ---------------------------------------------------------------------------------


def test_second_execute_is_busy_and_force_abort_takes_over(store: Store, effects: str) -> None:
    gate = f"g-{uuid.uuid4().hex}"
    run_id = store.create_run(plan([step("blocked", params={"block": gate})], effects))
    outcome: dict[str, Any] = {}

    def first() -> None:
        try:
            outcome["result"] = engine_for(store, run_id, heartbeat_interval=0.05).execute(run_id)
        except BaseException as exc:
            outcome["error"] = exc

    t = threading.Thread(target=first)
    t.start()
    try:
        _wait_for(lambda: _steps(store, run_id)["blocked"].status == "running", "step running")
        with pytest.raises(RunBusy, match=re.escape(f"{socket.gethostname()}:{os.getpid()}")):
            engine_for(store, run_id).execute(run_id)
        with pytest.raises(RunBusy):
            store.abort_run(run_id)
        store.abort_run(run_id, force=True)
        t.join(30)  # the first engine notices its lease is gone and stops writing
        assert isinstance(outcome.get("error"), LeaseLost)
    finally:
        toy.GATES.setdefault(gate, threading.Event()).set()
        t.join(30)
    run = store.get_run(run_id)
    assert run.status == "aborted" and run.owner is None
    assert store.lock_holder(run.target) is None


def test_concurrent_execute_then_normal_finish(store: Store, effects: str) -> None:
    gate = f"g-{uuid.uuid4().hex}"
    run_id = store.create_run(plan([step("blocked", params={"block": gate})], effects))
    results: list[RunResult] = []
    t = threading.Thread(target=lambda: results.append(engine_for(store, run_id).execute(run_id)))
    t.start()
    try:
        _wait_for(lambda: store.get_run(run_id).owner is not None, "run claimed")
        with pytest.raises(RunBusy):
            engine_for(store, run_id).execute(run_id)
    finally:
        toy.GATES.setdefault(gate, threading.Event()).set()
        t.join(30)
    assert results and results[0].ok
    assert read_effects(effects) == ["blocked"]


def test_unknown_action_changes_nothing(store: Store, effects: str) -> None:
    run_id = store.create_run(plan([step("a", action="nope.missing")], effects))
    with pytest.raises(UnknownAction, match=r"nope\.missing"):
        engine_for(store, run_id).execute(run_id)
    run = store.get_run(run_id)
    assert (run.status, run.owner) == ("pending", None)


# --- stop & resume -----------------------------------------------------------------------------


class StopAfter(RunObserver):
    def __init__(self, n: int) -> None:
        self.n, self.done, self.engine = n, 0, None

    def on_step_end(self, step: StepView, status: StepStatus) -> None:
        self.done += 1
        if self.done == self.n:
            assert self.engine is not None
            self.engine.request_stop()


def test_graceful_stop_then_resume(store: Store, effects: str) -> None:
    keys = [f"c{i}" for i in range(12)]
    p = plan(
        [step(k, deps=[keys[i - 1]] if i else [], params={"sleep": [0, 0.01]})
         for i, k in enumerate(keys)],
        effects,
    )
    run_id = store.create_run(p)
    observer = StopAfter(4)
    engine = engine_for(store, run_id, observer=observer)
    observer.engine = engine
    result = engine.execute(run_id)

    assert result.status == RunStatus.INTERRUPTED
    steps = _steps(store, run_id)
    statuses = Counter(s.status for s in steps.values())
    assert statuses["running"] == 0  # in-flight attempts finished and were recorded
    assert 4 <= statuses["done"] < len(keys)
    assert all(s.attempts == 0 for s in steps.values() if s.status == "pending")
    run = store.get_run(run_id)
    assert (run.status, run.owner) == ("interrupted", None)
    assert len(_events(store, run_id, "stop_requested")) == 1

    result = engine_for(store, run_id).execute(run_id)
    assert result.status == RunStatus.SUCCEEDED
    assert read_effects(effects) == keys  # serial chain: in order, each exactly once


def test_resume_reobserves_steps_left_running_by_a_dead_process(
    store: Store, effects: str
) -> None:
    p = plan([step("a"), step("b"), step("c", deps=["a", "b"])], effects)
    run_id = store.create_run(p)
    corpse = subprocess.Popen(["true"])
    corpse.wait()
    # What a kill -9 leaves behind: run owned by a dead pid, two steps mid-flight, one of
    # which had already performed its effect.
    with store.session() as s, s.begin():
        run = s.get(Run, run_id)
        assert run is not None
        run.status, run.heartbeat_at = "running", utcnow()
        run.owner = f"{socket.gethostname()}:{corpse.pid}"
        for key in ("a", "b"):
            row = s.get(Step, (run_id, key))
            assert row is not None
            row.status, row.attempts = "running", 1
            row.intent = {"action": "toy.step", "attempt": 1}
    toy.append_effect(effects, "a")

    result = engine_for(store, run_id).execute(run_id)
    assert result.status == RunStatus.SUCCEEDED
    assert sorted(read_effects(effects)) == ["a", "b", "c"]
    steps = _steps(store, run_id)
    assert (steps["a"].attempts, steps["b"].attempts, steps["c"].attempts) == (2, 2, 1)
    assert [e.step_key for e in _events(store, run_id, "observed")] == ["a"]
    assert sorted(e.step_key for e in _events(store, run_id, "recovered")) == ["a", "b"]
    assert steps["a"].outputs == {"key": "a", "target": "server:a"}


def test_observe_first_action_and_manual_fix_picked_up(store: Store, effects: str) -> None:
    p = plan([step("m", action="toy.observe_first")], effects)
    run_id = store.create_run(p)
    toy.append_effect(effects, "m")  # e.g. done by hand before the run
    assert engine_for(store, run_id).execute(run_id).ok
    assert read_effects(effects) == ["m"]
    assert [e.step_key for e in _events(store, run_id, "observed")] == ["m"]


# --- redaction ---------------------------------------------------------------------------------

SECRETS = ("PlainPass-1234", "StepPass-5678", "Registered-Secret-99")


def test_secrets_never_reach_db_or_jsonl(store: Store, effects: str, tmp_path: Path) -> None:
    registered = SECRETS[2]
    store.redactor.add(registered)
    p = plan(
        [step("r1", params={"password": SECRETS[1], "note": f"uses {registered}",
                            "transient": 1, "secret_outputs": True}),
         step("r2", params={"permanent": True, "api_key": SECRETS[1]})],
        effects,
        bmc_password=SECRETS[0],
    )
    run_id = store.create_run(p)
    events_dir = tmp_path / "events"
    result = engine_for(store, run_id, extra={"secret": registered},
                        events_dir=str(events_dir)).execute(run_id)
    assert result.status == RunStatus.PARTIAL
    steps = _steps(store, run_id)
    assert steps["r1"].outputs == {"key": "r1", "target": "server:r1", "token": "***",
                                   "banner": "logged in with ***"}
    assert steps["r1"].params["password"] == "***" and steps["r1"].params["note"] == "uses ***"
    retry = _events(store, run_id, "retry")[0]
    assert "(auth ***)" in retry.message and "(auth ***)" in retry.data["error"]
    assert store.get_run(run_id).params["bmc_password"] == "***"

    dump = []  # every row of every table, as text
    with store.engine.connect() as conn:
        for table in ("runs", "steps", "events", "target_locks"):
            dump += [repr(tuple(r)) for r in conn.execute(sa.text(f"SELECT * FROM {table}"))]
    text = "\n".join(dump)
    jsonl = (events_dir / f"{run_id}.jsonl").read_bytes()
    assert b"***" in jsonl
    raw = [jsonl]
    if store.dialect == "sqlite":
        db = Path(store.engine.url.database or "")
        raw += [Path(f"{db}{x}").read_bytes() for x in ("", "-wal") if Path(f"{db}{x}").exists()]
    for secret in SECRETS:
        assert secret not in text
        for blob in raw:
            assert secret.encode() not in blob


class Flaky(Action):
    name = "flaky"

    def __init__(self, fixed: bool) -> None:
        self.fixed = fixed
        self.observed = 0

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        self.observed += 1
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        if not self.fixed:
            raise PermanentError("firmware too old")
        return {"ok": True}


def test_resume_with_a_newer_runbook(store: Store, effects: str) -> None:
    run_id = store.create_run(plan([step("a", action="collect"),
                                    step("b", action="flaky", deps=["a"])], effects))
    first = Engine(store, ActionRegistry([Collect(), Flaky(fixed=False)])).execute(run_id)
    assert first.status == RunStatus.PARTIAL
    # The new runbook no longer has "collect" (a is done and never runs again) and b is fixed.
    fixed = Flaky(fixed=True)
    second = Engine(store, ActionRegistry([fixed])).execute(run_id)
    assert second.status == RunStatus.SUCCEEDED
    assert fixed.observed == 1  # the reset step observes first
    assert _steps(store, run_id)["b"].attempts == 2
