"""Runs written by the previous version of i2 stay readable and resumable.

``tests/data/runstores/`` holds run stores that commit 2af47a6 wrote on the twin (see its README):
rack, overcloud scale-down and node removal, upgrade campaigns with recommissioning, a run killed
and aborted half-way, a rollback. Each stored step must still fit its action: the name resolves
(renamed actions keep their old names as aliases), the params validate against the action's
typed ``Params`` and the outputs of done steps against its ``Outputs``; and a dependency's stored
outputs read through the typed model as actions read them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lifecycle.engine import RunbookContext, StepStatus, StepView, Store, load_runbook
from lifecycle.runbooks.common import Services

ROOT = Path(__file__).resolve().parents[1]
STORES = sorted((ROOT / "tests" / "data" / "runstores").glob("*.db"))


@pytest.fixture(scope="module", params=[p.name for p in STORES])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Store:
    copy = tmp_path_factory.mktemp("runstore") / request.param
    shutil.copy(ROOT / "tests" / "data" / "runstores" / request.param, copy)
    with Store.open(f"sqlite:///{copy}") as st:  # migrates the old schema to head, as i2 would
        yield st


def _registry(run: Any) -> Any:
    svc = Services(site_dir=ROOT / "examples" / "ie1", endpoints_file=ROOT / "unused-endpoints.yaml")
    return load_runbook(run.runbook)(RunbookContext.from_run(run, {"services": svc}))


def test_fixtures_are_there():
    assert len(STORES) == 2, STORES


def test_every_stored_step_fits_its_typed_action(store: Store):
    runs = store.list_runs()
    kinds = {r.kind for r in runs}
    assert {"rack", "upgrade"} <= kinds
    checked = 0
    for run in runs:
        registry = _registry(run)
        steps = store.get_steps(run.id)
        by_key = {s.key: s for s in steps}
        for st in steps:
            action = registry.get(st.action)
            assert action.Params is not None, f"{st.action} has no typed Params"
            assert action.Outputs is not None, f"{st.action} has no typed Outputs"
            params = action.parse_params(st.params or {}, step=st.key)
            assert isinstance(params, action.Params)
            if st.status == StepStatus.DONE.value:
                action.Outputs.model_validate(st.outputs or {})
                # what a dependent step reads goes through the same model
                view = StepView(key="reader", target=st.target, action="reader", params={}, attempt=1,
                                dep_outputs={st.key: st.outputs or {}}, run_id=run.id)
                assert isinstance(view.output(st.key, action.Outputs), action.Outputs)
            for dep in st.deps or []:
                assert dep in by_key, f"{st.key} depends on unknown {dep}"
            checked += 1
    assert checked > 100


def test_renamed_actions_resolve_from_their_old_names(store: Store):
    old_names = {"upgrade.delete_a_vms", "upgrade.delete_a_network", "upgrade.delete_vsd_a"}
    seen = set()
    for run in store.list_runs(kind="upgrade") + store.list_runs(kind="upgrade-rollback"):
        registry = _registry(run)
        for st in store.get_steps(run.id):
            if st.action in old_names:
                seen.add(st.action)
                assert registry.get(st.action).name not in old_names, st.action
    assert seen == old_names


def test_a_half_done_run_keeps_its_intents_and_pending_steps(tmp_path: Path):
    copy = tmp_path / "campaign.db"
    shutil.copy(ROOT / "tests" / "data" / "runstores" / "campaign-2af47a6.db", copy)
    with Store.open(f"sqlite:///{copy}") as st:
        aborted = [r for r in st.list_runs() if r.status == "aborted"]
        assert len(aborted) == 1
        run = aborted[0]
        steps = st.get_steps(run.id)
        pending = [s for s in steps if s.status != StepStatus.DONE.value]
        done = [s for s in steps if s.status == StepStatus.DONE.value]
        assert pending and done and all(s.intent for s in done), run.id
        # the plan's check (what a resume relies on) accepts every step that is left to run
        _registry(run).check(SimpleNamespace(key=s.key, action=s.action, params=s.params or {})
                             for s in pending)
