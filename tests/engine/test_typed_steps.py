"""Typed step params and outputs through the real engine on SQLite: what an action declares
(``Params``, ``Outputs``, ``aliases``) is what it gets, what the store keeps is plain JSON, and
what no longer fits fails that one step, naming the field."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pydantic
import pytest

from lifecycle.engine import (
    Action,
    ActionContext,
    ActionRegistry,
    Engine,
    Plan,
    PlanError,
    RetryPolicy,
    RunbookContext,
    RunStatus,
    StepOutputs,
    StepParams,
    StepSpec,
    StepStatus,
    StepView,
    Store,
    UnknownAction,
    load_runbook,
    register_classifier,
    unregister_classifier,
)
from lifecycle.engine.models import Step
from lifecycle.redact import Redactor

RUNBOOK = "tests.engine.test_typed_steps:build"
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)


class EnrollParams(StepParams):
    server: str
    undercloud: str = "uc-new"


class EnrollOut(StepOutputs):
    uuid: str
    undercloud: str
    note: str | None = None  # None: left out of the stored outputs


class InspectParams(StepParams):
    enroll: str  # key of the step whose outputs name the node


class InspectOut(StepOutputs):
    node: str
    inspected: bool


class Recording(Action):
    """Keeps what each step was handed (attempts run on worker threads)."""

    def __init__(self) -> None:
        self.seen: dict[str, StepView] = {}
        self.lock = threading.Lock()

    def record(self, step: StepView) -> None:
        with self.lock:
            self.seen[step.key] = step


class Enroll(Recording):
    name, system = "typed.enroll", "ironic"
    Params, Outputs = EnrollParams, EnrollOut
    aliases = ("typed.enrol",)  # the name stored runs of the previous version use

    def __init__(self, existing: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.existing = existing
        self.observe_first = bool(existing)

    def observe(self, step: StepView, ctx: ActionContext) -> EnrollOut | None:
        if step.params.server not in self.existing:
            return None
        return EnrollOut(uuid=f"found-{step.params.server}", undercloud=step.params.undercloud)

    def apply(self, step: StepView, ctx: ActionContext) -> EnrollOut:
        self.record(step)
        return EnrollOut(uuid=f"node-{step.params.server}", undercloud=step.params.undercloud)


class EnrollBeforeRename(Enroll):
    """The same action without its alias, as a registry that never heard of the old name."""

    aliases = ()


class Inspect(Recording):
    name, system = "typed.inspect", "ironic"
    Params, Outputs = InspectParams, InspectOut

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        self.record(step)
        node = step.output(step.params.enroll, EnrollOut)
        return {"node": node.uuid, "inspected": True}  # a dict that fits Outputs is fine too


class Returns(Recording):
    """Untyped params; returns ``params["returns"]``, checked against ``InspectOut``."""

    name = "typed.returns"
    Outputs = InspectOut

    def apply(self, step: StepView, ctx: ActionContext) -> Any:
        self.record(step)
        return step.params["returns"]


class Untyped(Recording):
    name = "typed.untyped"

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        self.record(step)
        return {"got": dict(step.params), "none": None}


def build(ctx: RunbookContext) -> ActionRegistry:
    """Runbook factory, as ``i2 runs resume`` would rebuild the actions."""
    return ActionRegistry([Enroll(), Inspect(), Returns(), Untyped()])


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/state/i2.db", redactor=Redactor())
    yield s
    s.close()


def plan(*steps: StepSpec) -> Plan:
    return Plan(kind="typed", target="rack:t1", site_digest="sha256:typed", runbook=RUNBOOK,
                steps=list(steps))


def run(store: Store, registry: ActionRegistry, *steps: StepSpec) -> tuple[str, dict[str, Step]]:
    run_id = store.create_run(plan(*steps))
    Engine(store, registry, retry=FAST).execute(run_id)
    return run_id, {s.key: s for s in store.get_steps(run_id)}


def actions(registry: ActionRegistry) -> dict[str, Any]:
    return {name: registry.get(name) for name in registry}


# --- typed params and outputs ------------------------------------------------------------------


def test_params_reach_apply_as_the_model_and_outputs_flow_to_dependents(store: Store) -> None:
    registry = load_runbook(RUNBOOK)(RunbookContext(run_id="", kind="typed", target="rack:t1"))
    enroll = StepSpec(key="s1/enroll", target="server:s1", action="typed.enroll",
                      params=EnrollParams(server="s1"))
    inspect = StepSpec(key="s1/inspect", target="server:s1", action="typed.inspect",
                       params=InspectParams(enroll="s1/enroll"), deps=["s1/enroll"])
    registry.check([enroll, inspect])
    run_id, rows = run(store, registry, enroll, inspect)

    assert store.get_run(run_id).status == RunStatus.SUCCEEDED
    got = actions(registry)["typed.enroll"].seen["s1/enroll"].params
    assert isinstance(got, EnrollParams) and (got.server, got.undercloud) == ("s1", "uc-new")
    # The plan stores the model as JSON; the outputs model is stored as JSON, None left out.
    assert rows["s1/enroll"].params == {"server": "s1", "undercloud": "uc-new"}
    assert rows["s1/enroll"].outputs == {"uuid": "node-s1", "undercloud": "uc-new"}
    assert json.loads(json.dumps(rows["s1/enroll"].outputs)) == rows["s1/enroll"].outputs
    # The dependent read its dependency's outputs typed and returned a dict that fits.
    assert rows["s1/inspect"].outputs == {"node": "node-s1", "inspected": True}
    view = actions(registry)["typed.inspect"].seen["s1/inspect"]
    assert view.output("s1/enroll", EnrollOut) == EnrollOut(uuid="node-s1", undercloud="uc-new")


def test_observed_outputs_model_is_stored_as_json(store: Store) -> None:
    enroll = Enroll(existing=frozenset({"s0"}))
    _, rows = run(store, ActionRegistry([enroll]),
                  StepSpec(key="s0/enroll", target="server:s0", action="typed.enroll",
                           params=EnrollParams(server="s0", undercloud="uc-1")))
    assert rows["s0/enroll"].status == StepStatus.DONE
    assert rows["s0/enroll"].outputs == {"uuid": "found-s0", "undercloud": "uc-1"}
    assert enroll.seen == {}  # observed, never applied


@pytest.mark.parametrize(
    ("returns", "field", "msg"),
    [
        ({"node": "n-1", "inspected": True, "inspectd": True}, "inspectd", "Extra inputs"),
        ({"node": "n-1"}, "inspected", "Field required"),
        ({"node": "n-1", "inspected": "maybe"}, "inspected", "Input should be a valid boolean"),
    ],
)
def test_outputs_that_do_not_fit_fail_the_step_permanently(
    store: Store, returns: dict[str, Any], field: str, msg: str
) -> None:
    registry = ActionRegistry([Returns(), Untyped()])
    run_id, rows = run(
        store, registry,
        StepSpec(key="s1/inspect", target="server:s1", action="typed.returns",
                 params={"returns": returns}),
        StepSpec(key="s2/other", target="server:s2", action="typed.untyped"),
    )
    bad = rows["s1/inspect"]
    assert bad.status == StepStatus.FAILED and bad.attempts == 1  # permanent: no retry
    assert bad.outputs is None
    assert f"InspectOut: {field}: {msg}" in (bad.last_error or "")
    assert rows["s2/other"].status == StepStatus.DONE
    assert store.get_run(run_id).status == RunStatus.PARTIAL


def test_stored_params_that_no_longer_fit_fail_that_step_not_the_run(store: Store) -> None:
    # Written as raw JSON, the way a run stored by an older version (or a hand edit) is read.
    registry = ActionRegistry([Enroll(), Untyped()])
    run_id = store.create_run(plan(
        StepSpec(key="s1/enroll", target="server:s1", action="typed.enroll",
                 params={"server": "s1", "undrcloud": "uc-old"}),
        StepSpec(key="s1/after", target="server:s1", action="typed.untyped", deps=["s1/enroll"]),
        StepSpec(key="s2/enroll", target="server:s2", action="typed.enroll", params={"server": "s2"}),
    ))
    # Even a classifier that calls every ValueError transient (PlanError is one) does not retry.
    greedy = register_classifier(lambda exc: True if isinstance(exc, ValueError) else None)
    try:
        result = Engine(store, registry, retry=FAST).execute(run_id)  # does not raise
    finally:
        unregister_classifier(greedy)

    assert result.status == RunStatus.PARTIAL
    rows = {s.key: s for s in store.get_steps(run_id)}
    bad = rows["s1/enroll"]
    assert bad.status == StepStatus.FAILED and bad.attempts == 1
    assert "step 's1/enroll'" in (bad.last_error or "") and "undrcloud" in (bad.last_error or "")
    assert "s1/enroll" not in actions(registry)["typed.enroll"].seen  # never applied
    assert rows["s1/after"].status == StepStatus.QUARANTINED  # the rest of its target
    assert rows["s2/enroll"].status == StepStatus.DONE
    assert rows["s2/enroll"].outputs == {"uuid": "node-s2", "undercloud": "uc-new"}


def test_registry_check_names_step_and_field() -> None:
    registry = build(RunbookContext(run_id="", kind="typed", target="rack:t1"))
    good = StepSpec(key="s1/enroll", target="server:s1", action="typed.enroll",
                    params={"server": "s1"})
    registry.check([good])

    wrong_key = good.model_copy(update={"params": {"server": "s1", "undrcloud": "uc-old"}})
    with pytest.raises(PlanError, match=r"step 's1/enroll' .*EnrollParams: undrcloud: Extra inputs"):
        registry.check([good, wrong_key])
    wrong_type = good.model_copy(update={"params": {"server": 5}})
    with pytest.raises(PlanError, match=r"step 's1/enroll' .*server: Input should be a valid string"):
        registry.check([wrong_type])
    missing = good.model_copy(update={"key": "s1/inspect", "action": "typed.inspect", "params": {}})
    with pytest.raises(PlanError, match=r"step 's1/inspect' .*enroll: Field required"):
        registry.check([missing])
    unknown = good.model_copy(update={"key": "s1/zap", "action": "typed.zap"})
    with pytest.raises(PlanError, match=r"step 's1/zap': unknown action 'typed\.zap'"):
        registry.check([good, unknown])
    # Building the params model in the plan builder already refuses the wrong key.
    with pytest.raises(pydantic.ValidationError, match="undrcloud"):
        EnrollParams(server="s1", undrcloud="uc-old")  # type: ignore[call-arg]


def test_alias_resumes_a_run_stored_under_the_old_action_name(store: Store) -> None:
    old = StepSpec(key="s1/enroll", target="server:s1", action="typed.enrol", params={"server": "s1"})
    run_id = store.create_run(plan(old))
    # A registry that never heard of the old name refuses the run before touching it ...
    with pytest.raises(UnknownAction, match=r"typed\.enrol"):
        Engine(store, ActionRegistry([EnrollBeforeRename()])).execute(run_id)
    assert store.get_run(run_id).status == RunStatus.PENDING

    # ... the renamed action, declaring the old name, runs it.
    enroll = Enroll()
    registry = ActionRegistry([enroll])
    assert "typed.enrol" in registry and registry.get("typed.enrol") is enroll
    assert registry.names() == ["typed.enroll"]
    registry.check([old])
    result = Engine(store, registry, retry=FAST).execute(run_id)

    assert result.status == RunStatus.SUCCEEDED
    assert isinstance(enroll.seen["s1/enroll"].params, EnrollParams)
    (row,) = store.get_steps(run_id)
    assert row.action == "typed.enrol"  # the stored run is not rewritten
    assert row.outputs == {"uuid": "node-s1", "undercloud": "uc-new"}


def test_an_alias_may_not_shadow_another_action() -> None:
    class Old(Untyped):
        name = "typed.enrol"

    with pytest.raises(ValueError, match=r"typed\.enrol"):
        ActionRegistry([Old(), Enroll()])
    with pytest.raises(ValueError, match=r"typed\.enrol"):
        ActionRegistry([Enroll(), Old()])


def test_untyped_actions_still_get_the_mapping(store: Store) -> None:
    untyped = Untyped()
    _, rows = run(store, ActionRegistry([untyped]),
                  StepSpec(key="s1/x", target="server:s1", action="typed.untyped",
                           params={"server": "s1", "ports": [1, 2]}))
    params = untyped.seen["s1/x"].params
    assert isinstance(params, Mapping) and not isinstance(params, pydantic.BaseModel)
    assert params == {"server": "s1", "ports": [1, 2]}
    # Untyped outputs are stored as returned (None values included).
    assert rows["s1/x"].outputs == {"got": {"server": "s1", "ports": [1, 2]}, "none": None}
