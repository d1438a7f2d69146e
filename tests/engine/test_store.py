"""Store behaviour on real databases (SQLite file and private PostgreSQL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from lifecycle.engine import (
    AmbiguousRunId,
    PlanError,
    RunBusy,
    RunNotFound,
    RunStateError,
    RunStatus,
    Store,
    TargetLocked,
)
from lifecycle.engine.models import Base, Run, utcnow

from .plans import engine_for, plan, step

ROOT = Path(__file__).resolve().parents[2]


def test_migrations_idempotent_and_at_head(db_url: str) -> None:
    first = Store.open(db_url)
    second = Store.open(db_url)  # fast path: already at head
    try:
        assert first.schema_revision() == second.schema_revision() == Store.head_revision()
        with first.engine.connect() as conn:
            names = set(sa.inspect(conn).get_table_names())
            assert {"runs", "steps", "events", "target_locks", "alembic_version"} <= names
            # The hand-written migration matches the ORM models.
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        first.close()
        second.close()
    # The shipped alembic.ini / env.py agree: `alembic current` reports head.
    res = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "lifecycle/engine/alembic.ini",
         "-x", f"url={db_url}", "current"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert res.returncode == 0, res.stderr
    assert f"{Store.head_revision()} (head)" in res.stdout


def test_sqlite_file_is_private(tmp_path: Path, effects: str) -> None:
    db = tmp_path / "new" / "dir" / "i2.db"
    store = Store.open(f"sqlite:///{db}")
    try:
        assert db.stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
        run_id = store.create_run(plan([step("a")], effects))
        events_dir = tmp_path / "events"
        assert engine_for(store, run_id, events_dir=str(events_dir)).execute(run_id).ok
        for extra in ("-wal", "-shm"):
            side = Path(f"{db}{extra}")
            if side.exists():
                assert side.stat().st_mode & 0o777 == 0o600, side
        assert (events_dir / f"{run_id}.jsonl").stat().st_mode & 0o777 == 0o600
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        store.close()


def test_default_url_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from lifecycle.engine.db import default_url

    monkeypatch.delenv("I2_DB", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_url() == f"sqlite:///{tmp_path}/.local/state/i2/i2.db"
    monkeypatch.setenv("I2_DB", str(tmp_path / "x.db"))
    assert default_url() == f"sqlite:///{tmp_path}/x.db"
    monkeypatch.setenv("I2_DB", "postgresql+psycopg://u@h/db")
    assert default_url() == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("I2_DB", str(tmp_path / "env.db"))
    store = Store.open()
    try:
        assert (tmp_path / "env.db").exists()
    finally:
        store.close()


def test_create_run_rows(store: Store, effects: str) -> None:
    p = plan(
        [step("a/x", timeout=5, batch="b1", description="first"),
         step("a/y", deps=["a/x"], system="ironic"),
         step("b/z", after=["a/x"])],
        effects,
        target="rack:c02",
    )
    run_id = store.create_run(p)
    assert len(run_id) == 12 and int(run_id, 16) >= 0
    run = store.get_run(run_id)
    assert (run.kind, run.target, run.status, run.runbook) == (
        "toy", "rack:c02", RunStatus.PENDING, "tests.engine.toy:build")
    assert run.params == {"effects": effects}
    assert run.plan["steps"][1]["deps"] == ["a/x"]
    assert run.created_at.tzinfo is not None
    steps = store.get_steps(run_id)
    assert [s.key for s in steps] == ["a/x", "a/y", "b/z"]
    assert [s.seq for s in steps] == [0, 1, 2]
    assert (steps[0].timeout, steps[0].batch, steps[0].description) == (5.0, "b1", "first")
    assert (steps[1].system, steps[1].deps, steps[2].after) == ("ironic", ["a/x"], ["a/x"])
    assert store.step_counts(run_id) == {"pending": 3}
    assert [e.type for e in store.get_events(run_id)] == ["run_created"]
    assert store.lock_holder("rack:c02") == run_id


def test_invalid_plan_rejected_at_create(store: Store, effects: str) -> None:
    bad = plan([step("a")], effects).model_copy(
        update={"steps": [step("a", deps=["b"]), step("b", deps=["a"])]}
    )
    with pytest.raises(PlanError, match="dependency cycle"):
        store.create_run(bad)
    assert store.list_runs() == []


def test_target_lock_lifecycle(store: Store, effects: str) -> None:
    first = store.create_run(plan([step("a")], effects, target="rack:c02"))
    with pytest.raises(TargetLocked) as info:
        store.create_run(plan([step("a")], effects, target="rack:c02"))
    assert str(info.value) == (
        f"run {first} (pending), the toy run on rack:c02, holds rack:c02: resume or abort it first"
    )
    assert (info.value.run_id, info.value.status) == (first, "pending")
    other = store.create_run(plan([step("a")], effects, target="rack:c03"))  # other target
    # Success releases the lock...
    assert engine_for(store, first).execute(first).ok
    assert store.lock_holder("rack:c02") is None
    second = store.create_run(plan([step("b")], effects, target="rack:c02"))
    # ... and so does abort.
    store.abort_run(second)
    assert store.lock_holder("rack:c02") is None
    third = store.create_run(plan([step("c")], effects, target="rack:c02"))
    assert store.lock_holder("rack:c02") == third
    assert store.lock_holder("rack:c03") == other


def test_lock_race_has_one_winner(db_url: str, effects: str) -> None:
    stores = [Store.open(db_url) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    won: list[str] = []
    locked: list[TargetLocked] = []
    errors: list[BaseException] = []

    def attempt(s: Store) -> None:
        barrier.wait()
        try:
            won.append(s.create_run(plan([step("a")], effects, target="rack:race")))
        except TargetLocked as exc:
            locked.append(exc)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert not errors
    assert len(won) == 1 and len(locked) == len(stores) - 1
    assert all(exc.run_id == won[0] for exc in locked)


def test_stale_lock_row_of_finished_run_is_taken_over(store: Store, effects: str) -> None:
    first = store.create_run(plan([step("a")], effects, target="rack:s"))
    with store.session() as s, s.begin():  # e.g. a run marked succeeded by an older tool
        s.get(Run, first).status = RunStatus.SUCCEEDED.value  # type: ignore[union-attr]
    second = store.create_run(plan([step("a")], effects, target="rack:s"))
    assert store.lock_holder("rack:s") == second


def test_queries(store: Store, effects: str) -> None:
    ids = [
        store.create_run(
            plan([step("a"), step("b")], effects, target=f"rack:q{i}").model_copy(
                update={"kind": "rack" if i % 2 else "server"}
            )
        )
        for i in range(17)  # 17 ids over 16 hex digits: two share a first character
    ]
    assert [r.id for r in store.list_runs(limit=3)] == ids[::-1][:3]
    assert {r.id for r in store.list_runs(kind="rack", limit=None)} == set(ids[1::2])
    store.abort_run(ids[0])
    assert [r.id for r in store.list_runs(status="aborted")] == [ids[0]]
    assert [r.id for r in store.list_runs(status=["aborted", "succeeded"])] == [ids[0]]
    assert store.get_run(ids[3]).id == ids[3]
    assert store.get_run(ids[3][:7].upper()).id == ids[3]
    firsts = [i[0] for i in ids]
    shared = next(c for c in firsts if firsts.count(c) > 1)
    with pytest.raises(AmbiguousRunId, match="ambiguous"):
        store.get_run(shared)
    with pytest.raises(RunNotFound):
        store.get_run("zzzz")
    with pytest.raises(RunNotFound):
        store.get_run("%")
    with pytest.raises(RunNotFound):
        store.get_run("0123456789abcdef")
    assert store.step_counts_by_run(ids[:2]) == {ids[0]: {"pending": 2}, ids[1]: {"pending": 2}}
    events = store.get_events(ids[0])
    assert [e.type for e in events] == ["run_created", "aborted"]
    assert [e.type for e in store.get_events(ids[0], limit=1)] == ["aborted"]
    assert store.get_events(ids[0], after_id=events[0].id)[0].type == "aborted"


def test_abort_rules(store: Store, effects: str) -> None:
    run_id = store.create_run(plan([step("a")], effects))
    aborted = store.abort_run(run_id[:6], reason="wrong rack")
    assert (aborted.status, aborted.error) == ("aborted", "wrong rack")
    assert store.abort_run(run_id).status == "aborted"  # idempotent
    with pytest.raises(RunStateError, match="aborted"):
        engine_for(store, run_id).execute(run_id)
    done = store.create_run(plan([step("a")], effects, target="rack:done"))
    assert engine_for(store, done).execute(done).ok
    with pytest.raises(RunStateError, match="succeeded"):
        store.abort_run(done)
    # A succeeded run executes to a no-op.
    assert engine_for(store, done).execute(done).ok


def _set_owner(store: Store, run_id: str, owner: str, age: float) -> None:
    with store.session() as s, s.begin():
        run = s.get(Run, run_id)
        assert run is not None
        run.owner = owner
        run.heartbeat_at = utcnow() - timedelta(seconds=age)


def test_lease_claim_rules(store: Store, effects: str) -> None:
    run_id = store.create_run(plan([step("a")], effects))
    host = socket.gethostname()
    dead = subprocess.Popen(["true"])
    dead.wait()  # reaped: its pid is gone
    # Another host with a fresh heartbeat: busy, for execute and for abort.
    _set_owner(store, run_id, "elsewhere:123", age=1)
    assert not store.claim_run(run_id, "me:1")
    with pytest.raises(RunBusy, match="elsewhere:123"):
        engine_for(store, run_id).execute(run_id)
    with pytest.raises(RunBusy):
        store.abort_run(run_id)
    # The same host, a live pid (ours), fresh heartbeat: busy.
    _set_owner(store, run_id, f"{host}:{os.getpid()}", age=1)
    assert not store.claim_run(run_id, "me:1")
    # Same host, dead pid: free at once. Stale heartbeat: free.
    _set_owner(store, run_id, f"{host}:{dead.pid}", age=1)
    assert store.claim_run(run_id, "me:1")
    _set_owner(store, run_id, "elsewhere:123", age=store.lease_seconds + 5)
    assert store.claim_run(run_id, "me:2")
    assert store.get_run(run_id).owner == "me:2"
    assert store.heartbeat(run_id, "me:2") and not store.heartbeat(run_id, "me:1")
    store.release_run(run_id, "me:2")
    assert store.get_run(run_id).owner is None
