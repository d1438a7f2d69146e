"""What a run executes: a :class:`Plan` of :class:`StepSpec` forming a DAG."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import PlanError

RUNBOOK_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
RESOURCE_RE = re.compile(r"^[a-z][a-z0-9-]*:\S{1,240}$")


class StepSpec(BaseModel):
    """One step of a plan.

    ``deps`` are hard dependencies (the step is skipped unless they end ``done``); ``after`` only
    orders (wait until the other step is terminal, whatever its status).

    Example::

        StepSpec(key="c02-s1/enroll", target="server:c02-s1", action="ironic.enroll",
                 deps=["c02-s1/profile"], batch="c02", description="Enroll c02-s1 in Ironic")
    """

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=255)
    target: str = Field(min_length=1, max_length=255)
    action: str = Field(min_length=1, max_length=255)
    system: str | None = Field(default=None, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    deps: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)
    batch: str | None = Field(default=None, max_length=255)
    timeout: float | None = Field(default=None, gt=0)
    description: str = ""

    @field_validator("params", mode="before")
    @classmethod
    def _params_json(cls, value: Any) -> Any:
        # An action's typed params (StepParams) are built, hence validated, by the plan; the
        # store keeps them as plain JSON.
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json")
        return value


class Plan(BaseModel):
    """A run to create: runbook kind, target, site digest, the runbook factory and the steps.

    ``runbook`` is the ``"module:factory"`` import path used to rebuild the actions on resume;
    ``params`` (non-secret JSON) are handed back to that factory.

    Example::

        Plan(kind="rack", target="rack:c02", site_digest="sha256:...",
             runbook="lifecycle.runbooks.rack:build", params={"site": "examples/ie1"},
             steps=[StepSpec(key="a", target="server:x", action="noop")],
             resources=["server:x", "stack:ie1-new"])
    """

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=64)
    target: str = Field(min_length=1, max_length=255)
    site_digest: str = Field(default="", max_length=128)
    runbook: str = Field(max_length=255)
    params: dict[str, Any] = Field(default_factory=dict)
    steps: list[StepSpec] = Field(default_factory=list)
    # What the run acts on besides its target (``server:<name>``, ``stack:<cloud>``...): the
    # store refuses a second unfinished run declaring any of them.
    resources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _validate(self) -> Plan:
        if not RUNBOOK_RE.match(self.runbook):
            raise PlanError(f"runbook must be 'module:factory', got {self.runbook!r}")
        bad = [r for r in self.resources if not RESOURCE_RE.match(r)]
        if bad:
            raise PlanError(f"resources must be '<kind>:<name>' (at most 255 characters), got {bad[0]!r}")
        self.resources = sorted(set(self.resources))
        check_dag(self.steps)
        return self


def check_dag(steps: Sequence[StepSpec]) -> list[str]:
    """Validate keys and edges; return the keys in a topological order.

    Raises :class:`PlanError` naming duplicates, unknown keys or one dependency cycle.

    >>> enroll = StepSpec(key="enroll", target="server:s1", action="ironic.enroll", deps=["profile"])
    >>> profile = StepSpec(key="profile", target="server:s1", action="oneview.profile")
    >>> check_dag([enroll, profile])
    ['profile', 'enroll']
    >>> check_dag([enroll, profile.model_copy(update={"deps": ["enroll"]})])
    Traceback (most recent call last):
    ...
    PlanError: dependency cycle: enroll -> profile -> enroll
    """
    keys = [s.key for s in steps]
    seen: set[str] = set()
    dupes: set[str] = set()
    for k in keys:
        (dupes if k in seen else seen).add(k)
    if dupes:
        raise PlanError(f"duplicate step key(s): {', '.join(sorted(dupes))}")
    edges: dict[str, list[str]] = {}
    for s in steps:
        for kind, refs in (("depends on", s.deps), ("runs after", s.after)):
            for ref in refs:
                if ref not in seen:
                    raise PlanError(f"step {s.key!r} {kind} unknown step {ref!r}")
        edges[s.key] = list(dict.fromkeys([*s.deps, *s.after]))
    return _toposort(keys, edges)


def _toposort(keys: Iterable[str], edges: dict[str, list[str]]) -> list[str]:
    # Iterative DFS (plans can be deep chains); colours: 1 = on the stack, 2 = finished.
    colour: dict[str, int] = {}
    order: list[str] = []
    for root in keys:
        if colour.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        colour[root] = 1
        while stack:
            node, i = stack[-1]
            preds = edges[node]
            if i < len(preds):
                stack[-1] = (node, i + 1)
                nxt = preds[i]
                state = colour.get(nxt)
                if state == 1:
                    path = [n for n, _ in stack]
                    cycle = [*path[path.index(nxt) :], nxt]
                    # edges point at prerequisites; print them in execution order
                    raise PlanError(f"dependency cycle: {' -> '.join(reversed(cycle))}")
                if state is None:
                    colour[nxt] = 1
                    stack.append((nxt, 0))
            else:
                stack.pop()
                colour[node] = 2
                order.append(node)
    return order
