"""Hazard 2: runs lock the resources they declare, not only their target (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from lifecycle.engine import LockHolder, Plan, ResourcesLocked, RunStatus, Store, TargetLocked

from .plans import engine_for, plan, step

RACK = ["server:c02-s1", "stack:ie1-new", "switch:c02-leaf1", "undercloud:uc-new"]


def declared(steps: list, effects: str, target: str, resources: list[str], kind: str = "toy") -> Plan:
    data = plan(steps, effects, target=target).model_dump()
    return Plan.model_validate({**data, "resources": resources, "kind": kind})


def test_overlap_refused_naming_holder_and_overlap(store: Store, effects: str) -> None:
    rack = store.create_run(declared([step("a")], effects, "rack:c02", RACK, kind="rack"))
    assert store.locks_of(rack) == sorted(["rack:c02", *RACK])
    assert store.get_run(rack).resources == RACK
    scale = declared([step("b")], effects, "overcloud:ie1-new", ["stack:ie1-new", "undercloud:uc-new"])
    with pytest.raises(ResourcesLocked) as info:
        store.create_run(scale)
    assert isinstance(info.value, TargetLocked)  # callers catching TargetLocked still refuse
    assert info.value.holders == [
        LockHolder(rack, "rack", "rack:c02", "pending", ("stack:ie1-new", "undercloud:uc-new"))]
    assert str(info.value) == (f"run {rack} (pending), the rack run on rack:c02, holds stack:ie1-new, "
                               "undercloud:uc-new: resume or abort it first")
    # The refused run left nothing behind: no row, no lock.
    assert [r.id for r in store.list_runs()] == [rack]
    assert store.lock_holder("overcloud:ie1-new") is None


def test_disjoint_resources_run_side_by_side(store: Store, effects: str) -> None:
    c02 = store.create_run(declared([step("a")], effects, "rack:c02", ["server:c02-s1", "stack:ie1"]))
    c03 = store.create_run(declared([step("a")], effects, "rack:c03", ["server:c03-s1", "stack:ie2"]))
    assert store.lock_holder("stack:ie1") == c02 and store.lock_holder("stack:ie2") == c03
    # A resource equal to another run's target overlaps too.
    with pytest.raises(ResourcesLocked, match=f"run {c03} .*holds rack:c03"):
        store.create_run(declared([step("a")], effects, "upgrade:x", ["rack:c03"]))


def test_every_holder_is_named(store: Store, effects: str) -> None:
    a = store.create_run(declared([step("a")], effects, "rack:a", ["server:s1"]))
    b = store.create_run(declared([step("a")], effects, "rack:b", ["server:s2", "server:s3"]))
    with pytest.raises(ResourcesLocked) as info:
        store.create_run(declared([step("a")], effects, "rack:c", ["server:s1", "server:s3", "server:s9"]))
    assert {(h.run_id, h.resources) for h in info.value.holders} == {(a, ("server:s1",)), (b, ("server:s3",))}
    assert info.value.resources == ["server:s1", "server:s3"]
    assert str(info.value).endswith("resume or abort them first")


def test_failed_run_keeps_resources_until_resumed_or_aborted(
    store: Store, effects: str, tmp_path: Path
) -> None:
    marker = tmp_path / "fault"
    marker.write_text("broken")
    first = store.create_run(declared([step("s1/x", params={"fail_if_exists": str(marker)})], effects,
                                      "rack:c02", ["stack:ie1-new"]))
    assert engine_for(store, first).execute(first).status in (RunStatus.FAILED, RunStatus.PARTIAL)
    other = declared([step("b")], effects, "overcloud:ie1-new", ["stack:ie1-new"])
    with pytest.raises(ResourcesLocked, match=f"run {first} \\((failed|partial)\\)"):
        store.create_run(other)
    # The same run resumes with its resources and releases them all when it succeeds.
    marker.unlink()
    assert engine_for(store, first).execute(first).ok
    assert store.locks_of(first) == []
    second = store.create_run(other)
    # Abort releases every lock of the run too.
    store.abort_run(second)
    assert store.locks_of(second) == []
    assert store.create_run(other)


def test_overlap_race_has_one_winner(db_url: str, effects: str) -> None:
    stores = [Store.open(db_url) for _ in range(6)]
    barrier = threading.Barrier(len(stores))
    won: list[str] = []
    locked: list[ResourcesLocked] = []
    errors: list[BaseException] = []

    def attempt(i: int, s: Store) -> None:
        barrier.wait()
        try:  # different targets, one shared stack
            won.append(s.create_run(declared([step("a")], effects, f"rack:r{i}",
                                             [f"server:r{i}-s1", "stack:race"])))
        except ResourcesLocked as exc:
            locked.append(exc)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors
        assert len(won) == 1 and len(locked) == len(stores) - 1
        assert all(exc.run_id == won[0] and exc.resources == ["stack:race"] for exc in locked)
        run = stores[0].get_run(won[0])
        assert stores[0].locks_of(run.id) == sorted([run.target, *(run.resources or [])])
        assert len(stores[0].list_runs()) == 1  # the losers left nothing behind
    finally:
        for s in stores:
            s.close()


def test_runs_without_resources_lock_their_target_only(store: Store, effects: str) -> None:
    old = store.create_run(plan([step("a")], effects, target="rack:c02"))  # as before revision 0002
    assert store.get_run(old).resources is None and store.locks_of(old) == ["rack:c02"]
    assert store.create_run(declared([step("a")], effects, "overcloud:ie1-new", ["stack:ie1-new"]))


@pytest.mark.parametrize("bad", ["stack", "Stack:x", "stack:", "stack:a b", "s:" + "x" * 241])
def test_resource_names_are_checked(bad: str, effects: str) -> None:
    with pytest.raises(ValueError, match="resources must be '<kind>:<name>'"):
        Plan(kind="toy", target="rack:t", runbook="tests.engine.toy:build", params={"effects": effects},
             resources=[bad])
