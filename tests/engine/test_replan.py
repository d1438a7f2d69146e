"""Resuming after the site changed (issue 12, hazard 5), at the engine: a run planned on another
version of the site is refused before anything is touched; a re-plan swaps its unfinished steps
for a fresh plan's and never re-runs a done one."""

from __future__ import annotations

from collections import Counter

import pytest

from lifecycle.engine import Plan, RunStatus, Store
from lifecycle.engine.replan import SiteChanged, apply_replan, compare

from .plans import engine_for, plan, step
from .toy import read_effects


def _plan(effects: str, digest: str, steps: list) -> Plan:
    return plan(steps, effects).model_copy(update={"site_digest": digest})


def _old(effects: str, marker: str) -> Plan:
    return _plan(effects, "sha256:old", [
        step("a/1"), step("b/1", params={"fail_if_exists": marker}), step("b/2", deps=["b/1"]),
        step("c/1"), step("report", target="rack:t1", after=["a/1", "b/2", "c/1"]),
    ])


def _new(effects: str) -> Plan:
    # the site now: a/1 reads differently (done: kept), b/1 changed, c/1 gone, d/1 new
    return _plan(effects, "sha256:new", [
        step("a/1", params={"profile": "large"}), step("b/1", params={"profile": "large"}),
        step("b/2", deps=["b/1"]), step("d/1"), step("report", target="rack:t1", after=["a/1", "b/2", "d/1"]),
    ])


def _interrupted_run(store: Store, effects: str, tmp_path) -> str:
    marker = tmp_path / "broken"
    marker.write_text("b/1 fails while this exists")
    run_id = store.create_run(_old(effects, str(marker)))
    engine_for(store, run_id, max_fail_percent=100).execute(run_id)  # partial: b/1 failed
    return run_id


def test_hazard5_engine_refuses_a_run_planned_on_another_site(store: Store, effects: str) -> None:
    run_id = store.create_run(_old(effects, "/nonexistent"))
    with pytest.raises(SiteChanged, match=r"--replan"):
        engine_for(store, run_id).execute(run_id, site_digest="sha256:new")
    run = store.get_run(run_id)
    assert (run.status, run.owner) == ("pending", None)  # refused before claiming anything
    assert read_effects(effects) == []
    assert engine_for(store, run_id).execute(run_id, site_digest="sha256:old").ok


def test_hazard5_compare_names_the_unfinished_steps_the_change_affects(store: Store, effects: str,
                                                                       tmp_path) -> None:
    run_id = _interrupted_run(store, effects, tmp_path)
    steps = {s.key: s.status for s in store.get_steps(run_id)}
    assert steps["a/1"] == "done" and steps["b/1"] == "failed" and steps["c/1"] == "done", steps
    drift = compare(store, run_id, _new(effects))
    assert drift.added == ["d/1"]
    assert drift.changed == ["b/1"]  # b/2 (skipped) reads the same
    assert drift.removed == []  # c/1 is done: nothing left to remove
    assert drift.stale_done == ["a/1", "report"]  # done, and would now be made differently
    assert set(drift.affected) == {"d/1", "b/1"}


def test_hazard5_replan_keeps_done_steps_and_runs_the_new_plan(store: Store, effects: str, tmp_path) -> None:
    run_id = _interrupted_run(store, effects, tmp_path)
    before = Counter(read_effects(effects))
    drift = apply_replan(store, run_id, _new(effects))
    assert drift.added == ["d/1"] and "b/1" in drift.changed
    run = store.get_run(run_id)
    assert run.site_digest == "sha256:new" and run.params == _new(effects).params
    rows = {s.key: s for s in store.get_steps(run_id)}
    assert rows["a/1"].status == "done" and rows["a/1"].params == {}  # done: untouched
    assert rows["b/1"].params == {"profile": "large"} and rows["b/1"].observe_first  # attempted before
    assert [s.key for s in store.get_steps(run_id)] == ["c/1", "a/1", "b/1", "b/2", "d/1", "report"]
    events = [e.type for e in store.get_events(run_id, limit=100)]
    assert "replanned" in events
    # the old digest is refused now, the new one runs: done steps are never applied again
    with pytest.raises(SiteChanged):
        engine_for(store, run_id).execute(run_id, site_digest="sha256:old")
    result = engine_for(store, run_id).execute(run_id, site_digest="sha256:new")
    assert result.status == RunStatus.SUCCEEDED, result
    after = Counter(read_effects(effects))
    assert set(after.values()) == {1}, after  # nothing doubled
    assert set(after) - set(before) == {"b/1", "b/2", "d/1"}  # a/1, c/1 and report stay done


def test_hazard5_replan_drops_removed_pending_steps(store: Store, effects: str) -> None:
    run_id = store.create_run(_old(effects, "/nonexistent"))
    drift = apply_replan(store, run_id, _new(effects))
    assert drift.removed == ["c/1"] and drift.stale_done == []
    assert "c/1" not in {s.key for s in store.get_steps(run_id)}
    assert engine_for(store, run_id).execute(run_id, site_digest="sha256:new").ok
    assert "c/1" not in read_effects(effects)
