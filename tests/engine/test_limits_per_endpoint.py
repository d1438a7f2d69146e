"""Concurrency limits per endpoint (issue 12, hazard 3): a step's system may name one endpoint
(``undercloud:uc-a``); a kind's limit then bounds each endpoint on its own, an exact name's limit
only that endpoint, and stored steps without one keep the kind's shared slots."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from lifecycle.engine import Action, ActionContext, ActionRegistry, Engine, RunStatus, StepView, Store

from .plans import plan, step


class Hold(Action):
    """Holds each step a moment and records the peak of steps in flight per system and in all."""

    name, system = "hold", "undercloud"

    def __init__(self, seconds: float = 0.3) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        with self.lock:
            self.now[step.system] += 1
            self.now["*"] += 1
            for k in (step.system, "*"):
                self.peak[k] = max(self.peak[k], self.now[k])
        time.sleep(self.seconds)
        with self.lock:
            self.now[step.system] -= 1
            self.now["*"] -= 1
        return {}


def run(store: Store, effects: str, systems: list[str | None], limits: dict[str, int]) -> Hold:
    hold = Hold()
    steps = [step(f"s{i}", action="hold", system=s) for i, s in enumerate(systems)]
    run_id = store.create_run(plan(steps, effects))
    result = Engine(store, ActionRegistry([hold]), limits=limits, default_limit=8).execute(run_id)
    assert result.status == RunStatus.SUCCEEDED, result
    return hold


def test_two_underclouds_run_at_once_one_undercloud_serialises(store: Store, effects: str) -> None:
    hold = run(store, effects, ["undercloud:uc-a", "undercloud:uc-a", "undercloud:uc-b", "undercloud:uc-b"],
               {"undercloud": 1})
    assert hold.peak["undercloud:uc-a"] == 1 and hold.peak["undercloud:uc-b"] == 1, hold.peak
    assert hold.peak["*"] == 2, hold.peak  # one step of each undercloud at a time, side by side


def test_an_endpoints_own_limit_wins_over_its_kind(store: Store, effects: str) -> None:
    hold = run(store, effects, ["ironic:uc-a"] * 3 + ["ironic:uc-b"] * 3, {"ironic": 1, "ironic:uc-b": 3})
    assert hold.peak["ironic:uc-a"] == 1 and hold.peak["ironic:uc-b"] == 3, hold.peak


def test_stored_steps_without_endpoint_share_the_kinds_slots(store: Store, effects: str) -> None:
    """A run stored before per-endpoint systems (system None: the action's kind) resumes bounded
    as it was: all its undercloud steps share the kind's limit."""
    hold = run(store, effects, [None, None, "undercloud"], {"undercloud": 1})
    assert hold.peak["undercloud"] == 1 and hold.peak["*"] == 1, hold.peak
