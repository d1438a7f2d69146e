"""`i2 runs` end to end: a run that fails on one target, is inspected, fixed and resumed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lifecycle.engine import Store, TargetLocked
from tests.engine.plans import plan, step
from tests.engine.toy import read_effects

ROOT = Path(__file__).resolve().parents[2]


def i2(db: str, *args: str, events: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "I2_DB": db, "COLUMNS": "200"}
    if events:
        env["I2_EVENTS_DIR"] = str(events)
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def setup(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'i2.db'}"
    effects = tmp_path / "effects.log"
    marker = tmp_path / "broken"
    marker.write_text("server b is broken")
    store = Store.open(db)
    run_id = store.create_run(plan([
        step("a/1"), step("a/2", deps=["a/1"]),
        step("b/1", params={"fail_if_exists": str(marker)}),
        step("b/2", deps=["b/1"]),
        step("report", target="rack:t1", after=["a/2", "b/2"]),
    ], str(effects)))
    return db, run_id, effects, marker, store


def test_fail_inspect_fix_resume(setup, tmp_path):
    db, run_id, effects, marker, _ = setup
    events = tmp_path / "events"

    first = i2(db, "runs", "resume", run_id, events=events)
    assert first.returncode == 1, first.stderr  # partial: one target quarantined
    shown = json.loads(i2(db, "-o", "json", "runs", "show", run_id).stdout)
    assert shown["status"] == "partial"
    steps = {s["key"]: s for s in shown["step_list"]}
    assert steps["b/1"]["status"] == "failed"
    assert "fault marker present" in steps["b/1"]["last_error"]
    assert steps["b/2"]["status"] in ("quarantined", "skipped")
    assert steps["a/2"]["status"] == "done" and steps["report"]["status"] == "done"

    dry = json.loads(i2(db, "-o", "json", "runs", "resume", "--dry-run", run_id[:6]).stdout)
    assert sorted(d["key"] for d in dry) == ["b/1", "b/2"]
    assert read_effects(effects).count("b/1") == 0  # the dry run changed nothing

    marker.unlink()  # the operator fixes the cause
    second = i2(db, "runs", "resume", run_id, events=events)
    assert second.returncode == 0, second.stdout + second.stderr
    assert sorted(read_effects(effects)) == ["a/1", "a/2", "b/1", "b/2", "report"]
    listed = json.loads(i2(db, "-o", "json", "runs", "list").stdout)
    assert [(r["id"], r["status"]) for r in listed] == [(run_id, "succeeded")]
    assert listed[0]["steps"] == {"done": 5}
    journal = (events / f"{run_id}.jsonl").read_text().splitlines()
    assert any(json.loads(line)["type"] == "done" for line in journal)

    again = i2(db, "runs", "resume", run_id)
    assert again.returncode == 1 and "nothing to resume" in again.stderr


def test_lock_abort_and_errors(setup):
    db, run_id, effects, _, store = setup
    assert i2(db, "runs", "resume", run_id).returncode == 1  # partial keeps the target lock
    with pytest.raises(TargetLocked, match="resume or abort"):
        store.create_run(plan([step("x/1")], str(effects)))
    aborted = i2(db, "runs", "abort", run_id)
    assert aborted.returncode == 0, aborted.stderr
    assert store.get_run(run_id).status == "aborted"
    assert store.create_run(plan([step("x/1")], str(effects)))  # the target is free again
    missing = i2(db, "runs", "show", "ffffffffffff")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    table = i2(db, "runs", "show", run_id)
    assert table.returncode == 0 and "fault marker present" in table.stdout
