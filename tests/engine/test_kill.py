"""The acceptance test: kill -9 a 200-step run 20 times, resume each time, nothing lost or doubled.

Kill points are random but seeded (``I2_KILL_SEED``) and printed: 20 points drawn uniformly over
the run, measured in effects applied (so they do not depend on the machine's speed), each plus a
random sub-step delay so kills land between intent, effect and outcome alike.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from lifecycle.engine import Store

from .plans import big_plan, engine_for, plan, step
from .toy import read_effects

pytestmark = pytest.mark.slow(130)  # started first by the suite (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("I2_KILL_SEED", "20241123"))
KILLS = 20
N_STEPS = 200


def _spawn(db: str, run_id: str, events_dir: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.engine.toy_driver", "--db", db,
         "--events-dir", str(events_dir), "run", "--run-id", run_id, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _await_running(proc: subprocess.Popen[str]) -> bool:
    """True once the driver runs; False if the run had already succeeded (nothing to do)."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.startswith("RUNNING"):
        return True
    out, err = proc.communicate(timeout=60)
    if line.startswith("RESULT succeeded") and proc.returncode == 0:
        return False
    pytest.fail(f"driver did not start: {line}{out}\n{err}")


def _check_invariants(store: Store, run_id: str, effects: str) -> Counter[str]:
    """After any kill: no effect twice, and every effect has a durable intent before it."""
    seen = Counter(read_effects(effects))
    doubled = [k for k, n in seen.items() if n > 1]
    assert not doubled, f"effects applied twice: {doubled}"
    steps = {s.key: s for s in store.get_steps(run_id)}
    for key in seen:
        assert steps[key].intent is not None and steps[key].attempts >= 1, key
    return seen


def _kill_and_resume(db_url: str, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    effects = str(tmp_path / "effects.log")
    events_dir = tmp_path / "events"
    store = Store.open(db_url)
    try:
        run_id = store.create_run(big_plan(effects, seed=seed, n_steps=N_STEPS))
        kills = 0
        drivers = 0  # driver processes that got to run (prepared the run)
        finished_alone = False
        # Kill points in "effects applied", spread over the run (the last ones leave work
        # to do), each followed by a random sub-step delay so kills land between intent,
        # effect and outcome alike. A point already passed means: kill during the resume.
        points = sorted(rng.uniform(0, N_STEPS - 15) for _ in range(KILLS))
        jitters = [rng.uniform(0, 0.010) for _ in range(KILLS)]
        print(f"kill test seed={seed} db={store.dialect} run={run_id}")
        while kills < KILLS:
            before = store.step_counts(run_id).get("done", 0)
            goal, jitter = points[kills], jitters[kills]
            proc = _spawn(db_url, run_id, events_dir)
            if not _await_running(proc):  # the previous kill landed after the final commit
                finished_alone = True
                break
            drivers += 1
            while proc.poll() is None and len(read_effects(effects)) < goal:
                time.sleep(0.002)
            time.sleep(jitter)
            proc.send_signal(signal.SIGKILL)
            code = proc.wait(60)  # reaped: the next driver sees a dead owner and takes over
            out = proc.stdout.read() if proc.stdout else ""
            if code == 0:  # finished before the kill landed
                assert "RESULT succeeded" in out, out
                finished_alone = True
                break
            assert code == -signal.SIGKILL, (code, proc.stderr.read() if proc.stderr else "")
            kills += 1
            after = store.step_counts(run_id).get("done", 0)
            _check_invariants(store, run_id, effects)
            print(f"  kill {kills:2d}: at effect {goal:5.1f} +{jitter * 1000:4.1f} ms, "
                  f"done {before:3d} -> {after:3d}")
        if finished_alone:
            print(f"  run completed before kill {kills + 1}")
        else:
            proc = _spawn(db_url, run_id, events_dir)
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0 and "RESULT succeeded" in out, (out, err)
            drivers += 1
        assert kills >= KILLS - 5, f"only {kills} kills landed before the run completed"

        run = store.get_run(run_id)
        assert run.status == "succeeded" and run.owner is None
        steps = store.get_steps(run_id)
        assert len(steps) == N_STEPS and all(s.status == "done" for s in steps)
        seen = _check_invariants(store, run_id, effects)
        assert set(seen) == {s.key for s in steps} and set(seen.values()) == {1}
        assert store.lock_holder(run.target) is None
        types = Counter(e.type for e in store.get_events(run_id))
        assert (types["run_started"], types["run_resumed"]) == (1, drivers - 1)
        assert types["done"] + types["observed"] == N_STEPS
        for line in (events_dir / f"{run_id}.jsonl").read_text().splitlines():
            json.loads(line)  # the mirror stays parseable across kills
        print(f"  events: {dict(types)}")
    finally:
        store.close()


def test_kill9_and_resume_sqlite(tmp_path: Path) -> None:
    _kill_and_resume(f"sqlite:///{tmp_path}/i2.db", tmp_path, SEED)


@pytest.mark.postgres
def test_kill9_and_resume_postgres(pg_url: str, tmp_path: Path) -> None:
    from tests.pg import new_database

    _kill_and_resume(new_database("kill"), tmp_path, SEED + 1)


# --- signals in the CLI-like driver -------------------------------------------------------------


def _slow_run(store: Store, effects: str) -> str:
    keys = [f"n{i}" for i in range(12)]
    return store.create_run(
        plan([step(k, params={"sleep": [0.15, 0.25]}) for k in keys], effects, target="rack:sig")
    )


def test_sigterm_is_graceful_then_resume(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/i2.db"
    effects = str(tmp_path / "effects.log")
    store = Store.open(db)
    try:
        run_id = _slow_run(store, effects)
        proc = _spawn(db, run_id, tmp_path / "events", "--signals")
        _await_running(proc)
        time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "RESULT interrupted" in out, (out, err)
        counts = store.step_counts(run_id)
        assert "running" not in counts and counts.get("pending", 0) > 0
        assert store.get_run(run_id).status == "interrupted"
        assert Counter(read_effects(effects)).most_common(1)[0][1] == 1
        assert engine_for(store, run_id).execute(run_id).ok
        assert sorted(read_effects(effects)) == sorted(f"n{i}" for i in range(12))
    finally:
        store.close()


def test_second_sigint_is_a_hard_stop_then_resume(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/i2.db"
    effects = str(tmp_path / "effects.log")
    store = Store.open(db)
    try:
        run_id = _slow_run(store, effects)
        proc = _spawn(db, run_id, tmp_path / "events", "--signals")
        _await_running(proc)
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode != 0 and "KeyboardInterrupt" in err, (out, err)
        run = store.get_run(run_id)
        assert (run.status, run.owner) == ("interrupted", None)
        assert store.step_counts(run_id).get("running", 0) > 0  # left for resume to re-observe
        result = engine_for(store, run_id).execute(run_id)
        assert result.ok
        seen = Counter(read_effects(effects))
        assert sorted(seen) == sorted(f"n{i}" for i in range(12)) and set(seen.values()) == {1}
    finally:
        store.close()
