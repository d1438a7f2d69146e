"""Plan builders shared by the tests and the toy driver."""

from __future__ import annotations

import random
from typing import Any

from lifecycle.engine import (
    Engine,
    Plan,
    RetryPolicy,
    RunbookContext,
    StepSpec,
    Store,
    load_runbook,
)

from .toy import RUNBOOK

LIMITS = {"oneview": 2, "ironic": 4, "arista": 3}


def plan(
    steps: list[StepSpec], effects: str, target: str = "rack:t1", **params: Any
) -> Plan:
    return Plan(
        kind="toy",
        target=target,
        site_digest="sha256:toy",
        runbook=RUNBOOK,
        params={"effects": effects, **params},
        steps=steps,
    )


def step(key: str, target: str | None = None, action: str = "toy.step", **kw: Any) -> StepSpec:
    return StepSpec(key=key, target=target or f"server:{key.split('/')[0]}", action=action, **kw)


def big_plan(
    effects: str,
    *,
    n_steps: int = 200,
    seed: int = 0,
    target: str = "rack:big",
    sleep: tuple[float, float] = (0.0, 0.012),
) -> Plan:
    """A DAG with fan-out and fan-in over several systems and 4 batches, exactly n_steps long.

    fabric/prepare -> every server's 1st step; per batch: servers run oneview -> ironic ->
    ironic, a batch gate waits for all of them (fan-in), then each server runs an arista step
    (fan-out) and the batch report collects them; fabric/finalize needs every report. Audit
    steps (``after`` only) pad the plan to ``n_steps``.
    """
    rng = random.Random(seed)
    p = {"sleep": list(sleep)}
    steps: list[StepSpec] = [
        StepSpec(key="fabric/prepare", target="fabric", action="toy.arista", params=p)
    ]
    batches, per_batch = 4, 10
    reports = []
    for b in range(batches):
        batch = f"b{b}"
        inspects = []
        for i in range(per_batch):
            srv = f"{batch}s{i}"
            tgt = f"server:{srv}"
            steps += [
                StepSpec(key=f"{srv}/profile", target=tgt, action="toy.oneview", params=p,
                         deps=["fabric/prepare"], batch=batch),
                StepSpec(key=f"{srv}/enroll", target=tgt, action="toy.ironic", params=p,
                         deps=[f"{srv}/profile"], batch=batch),
                StepSpec(key=f"{srv}/inspect", target=tgt, action="toy.ironic", params=p,
                         deps=[f"{srv}/enroll"], batch=batch),
            ]
            inspects.append(f"{srv}/inspect")
        gate = f"{batch}/gate"
        steps.append(StepSpec(key=gate, target=f"batch:{batch}", action="toy.step", params=p,
                              deps=inspects, batch=batch))
        ports = []
        for i in range(per_batch):
            srv = f"{batch}s{i}"
            steps.append(StepSpec(key=f"{srv}/ports", target=f"server:{srv}", action="toy.arista",
                                  params=p, deps=[gate], batch=batch))
            ports.append(f"{srv}/ports")
        report = f"{batch}/report"
        steps.append(StepSpec(key=report, target=f"batch:{batch}", action="toy.step", params=p,
                              deps=ports, batch=batch))
        reports.append(report)
    steps.append(StepSpec(key="fabric/finalize", target="fabric", action="toy.arista", params=p,
                          deps=reports))
    keys = [s.key for s in steps]
    i = 0
    while len(steps) < n_steps:
        earlier = rng.sample(keys, k=3)
        steps.append(StepSpec(key=f"audit/{i}", target=f"audit:{i % 5}", action="toy.step",
                              params=p, after=earlier))
        i += 1
    assert len(steps) == n_steps, len(steps)
    return plan(steps, effects, target=target)


def engine_for(store: Store, run_id: str, *, extra: dict[str, Any] | None = None,
               **kw: Any) -> Engine:
    """Rebuild the run's actions the way `i2 runs resume` does, with fast test retries."""
    run = store.get_run(run_id)
    registry = load_runbook(run.runbook)(RunbookContext.from_run(run, extra))
    kw.setdefault("retry", RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05))
    kw.setdefault("redactor", store.redactor)
    return Engine(store, registry, **kw)
