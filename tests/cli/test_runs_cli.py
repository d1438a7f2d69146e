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

pytestmark = pytest.mark.slow(50)  # started first by the suite (tests/conftest.py)

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


# --- issue 12: hazard 5 (resume against an edited site), hazard 12 (a stop is no failure) --------

SITE = ROOT / "examples" / "ie1"


def _with_site(db: str, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "I2_DB": db, "I2_SITE": str(site), "COLUMNS": "200"}
    env.pop("I2_ENDPOINTS", None)
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


def copy_site(dest: Path) -> Path:
    """A copy of examples/ie1 to edit (its hardware profiles stay the repository's)."""
    import shutil

    shutil.copytree(SITE, dest)
    text = (dest / "site.yaml").read_text()
    (dest / "site.yaml").write_text(text.replace("hardware_profiles: ../../hardware-profiles",
                                                 f"hardware_profiles: {ROOT / 'hardware-profiles'}"))
    return dest


def _set_profile(site: Path, server: str, profile: str) -> None:
    import yaml

    path = site / "racks" / "c02.yaml"
    data = yaml.safe_load(path.read_text())
    for s in data["servers"]:
        if s["name"] == server:
            s["hardware_profile"] = profile
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_hazard5_cli_resume_on_an_edited_site_is_refused_then_replanned(tmp_path: Path) -> None:
    from lifecycle.runbooks.common import Services
    from tests.engine.plans import engine_for
    from tests.engine.test_engine import StopAfter
    from tests.engine.toy_site import site_plan

    site = copy_site(tmp_path / "site")
    db, effects = f"sqlite:///{tmp_path / 'i2.db'}", str(tmp_path / "effects.log")
    store = Store.open(db)
    run_id = store.create_run(site_plan(Services(site_dir=site, endpoints_file=""), effects))
    observer = StopAfter(2)
    engine = engine_for(store, run_id, observer=observer, default_limit=1)
    observer.engine = engine
    assert engine.execute(run_id).status == "interrupted"
    done = {s.key for s in store.get_steps(run_id) if s.status == "done"}
    pending = sorted(s.key.split("/")[0] for s in store.get_steps(run_id)
                     if s.status != "done" and s.key != "report")
    assert len(done) >= 2 and pending
    edited = pending[0]
    profile = "dl360g9-compute" if edited in ("c02-s07", "c02-s08") else "dl380g9-compute-large"
    _set_profile(site, edited, profile)

    refused = _with_site(db, site, "-o", "json", "runs", "resume", run_id)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"i2 runs resume {run_id} --replan" in refused.stderr
    drift = json.loads(refused.stdout)
    assert drift["changed"] == [f"{edited}/setup"] and drift["added"] == drift["removed"] == []
    assert sorted(read_effects(effects)) == sorted(done)  # refused: nothing ran
    assert store.get_run(run_id).status == "interrupted"
    table = _with_site(db, site, "runs", "resume", run_id)
    assert table.returncode == 1 and f"{edited}/setup" in table.stdout and "params changed" in table.stdout

    replanned = _with_site(db, site, "-o", "json", "runs", "resume", run_id, "--replan")
    assert replanned.returncode == 0, replanned.stdout + replanned.stderr
    assert json.loads(replanned.stdout)["status"] == "succeeded"  # stdout: the run's record only
    assert "re-planned on the current site: 0 step(s) added, 0 removed, 1 changed" in replanned.stderr
    seen = read_effects(effects)
    assert sorted(seen) == sorted(s.key for s in store.get_steps(run_id)) and len(seen) == len(set(seen))
    setup = next(s for s in store.get_steps(run_id) if s.key == f"{edited}/setup")
    assert setup.params["profile"] == profile  # run as the site says now
    store.close()


def _spawn_resume(db: str, run_id: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "lifecycle.cli.main", "runs", "resume", run_id], cwd=ROOT,
                            env={**os.environ, "I2_DB": db, "COLUMNS": "200"}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("signals", [("SIGTERM",), ("SIGINT",), ("SIGINT", "SIGINT")])
def test_hazard12_cli_a_signal_ends_the_run_interrupted_with_exit_130(tmp_path: Path, signals) -> None:
    import signal
    import time

    db, effects = f"sqlite:///{tmp_path / 'i2.db'}", str(tmp_path / "effects.log")
    store = Store.open(db)
    keys = [f"n{i}" for i in range(10)]
    run_id = store.create_run(plan([step(k, deps=[keys[i - 1]] if i else [], params={"sleep": [0.2, 0.2]})
                                    for i, k in enumerate(keys)], effects, target="rack:sig"))
    proc = _spawn_resume(db, run_id)
    deadline = time.monotonic() + 60
    while not read_effects(effects) and time.monotonic() < deadline:
        time.sleep(0.05)
    for name in signals:
        proc.send_signal(getattr(signal, name))
        time.sleep(0.05)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert f"resume with `i2 runs resume {run_id}`" in err and "Aborted!" not in err
    run = store.get_run(run_id)
    assert (run.status, run.owner) == ("interrupted", None), run.error
    assert "engine error" not in (run.error or "")
    assert 0 < len(read_effects(effects)) < len(keys)
    resumed = _spawn_resume(db, run_id)
    resumed.communicate(timeout=60)
    assert resumed.returncode == 0 and sorted(read_effects(effects)) == sorted(keys)
    store.close()
