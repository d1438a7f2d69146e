"""What adapters implement (:class:`Action`) and what they are handed (:class:`StepView`,
:class:`ActionContext`); plus the registry and runbook loading used on resume."""

from __future__ import annotations

import importlib
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import UnknownAction

if TYPE_CHECKING:
    from .models import Run


class RetryPolicy(BaseModel):
    """Exponential backoff: ``base_delay * 2**(n-1)`` capped at ``max_delay``, +/- ``jitter``.

    ``max_attempts`` counts attempts within one execution (a resume gets a fresh budget).

    Example::

        RetryPolicy(max_attempts=3, base_delay=1.0).delay(2)  # ~2.0 s (+/- 50 %)
    """

    model_config = ConfigDict(frozen=True)

    max_attempts: int = Field(default=5, ge=1)
    base_delay: float = Field(default=0.5, ge=0)
    max_delay: float = Field(default=30.0, ge=0)
    jitter: float = Field(default=0.5, ge=0, le=1)

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """Delay before retry number ``retry`` (1 = after the first failed attempt)."""
        base = min(self.base_delay * 2 ** max(retry - 1, 0), self.max_delay)
        if self.jitter:
            base *= 1 + (rng or random).uniform(-self.jitter, self.jitter)
        return max(base, 0.0)


@dataclass(frozen=True)
class StepView:
    """Read-only view of a step handed to an action.

    ``attempt`` is 1-based and keeps counting across resumes; ``dep_outputs`` maps each hard
    dependency key to its (redacted) outputs. ``last_error`` is the step's latest error, as
    recorded (useful to observers).
    """

    key: str
    target: str
    action: str
    params: Mapping[str, Any]
    attempt: int
    dep_outputs: Mapping[str, Mapping[str, Any]]
    run_id: str
    system: str = "default"
    batch: str | None = None
    description: str = ""
    last_error: str | None = None


Emit = Callable[[str, str, Any], None]  # (kind, step key, payload) -> scheduler queue


class ActionContext:
    """Per-attempt context: cancellation, deadline, logging back into the run's events.

    Example::

        def apply(self, step, ctx):
            while not done():
                if ctx.cancelled.wait(2):   # timeout or hard stop: give up quickly
                    raise TransientError("cancelled")
                ctx.progress(0.5)
            ctx.log("enrolled", node=uuid)
    """

    def __init__(
        self,
        run_id: str,
        step_key: str,
        *,
        deadline: float | None = None,
        cancelled: threading.Event | None = None,
        emit: Emit | None = None,
    ) -> None:
        self.run_id = run_id
        self.step_key = step_key
        self.deadline = deadline  # time.monotonic() value, or None
        self.cancelled = cancelled or threading.Event()
        self._emit = emit

    def remaining(self) -> float | None:
        """Seconds left before the attempt times out (None = no timeout)."""
        return None if self.deadline is None else max(self.deadline - time.monotonic(), 0.0)

    def log(self, event: str, **data: Any) -> None:
        """Record an event (type ``log``) in the run journal; thread-safe."""
        if self._emit is not None:
            self._emit("log", self.step_key, (event, data))

    def progress(self, value: float | str) -> None:
        """Report progress (fraction 0..1 or a message) to the observer (not persisted)."""
        if self._emit is not None:
            self._emit("progress", self.step_key, value)


class Action:
    """Base class for an idempotent, observable operation.

    ``observe`` returns the outputs when the effect is *already* present in the real system
    (else None); ``apply`` performs it idempotently and returns JSON-able outputs. The engine
    calls ``observe`` before any attempt that follows an earlier intent (retry, resume), and
    before first attempts too when ``observe_first`` is set.

    Example::

        class Enroll(Action):
            name, system, timeout = "ironic.enroll", "ironic", 300.0

            def observe(self, step, ctx):
                node = ironic.find(step.params["bmc"])
                return {"uuid": node.uuid} if node else None

            def apply(self, step, ctx):
                return {"uuid": ironic.create(step.params["bmc"]).uuid}
    """

    name: str = ""
    system: str = "default"
    timeout: float | None = None
    retry: RetryPolicy | None = None
    observe_first: bool = False

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__}.apply")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} system={self.system!r}>"


class ActionRegistry:
    """Action name -> :class:`Action`.

    Example::

        registry = ActionRegistry()
        registry.register(Enroll())
        registry.get("ironic.enroll")
    """

    def __init__(self, actions: Iterable[Action] = ()) -> None:
        self._actions: dict[str, Action] = {}
        for action in actions:
            self.register(action)

    def register(self, action: Action, *, replace: bool = False) -> Action:
        if not action.name:
            raise ValueError(f"{action!r} has no name")
        if action.name in self._actions and not replace:
            raise ValueError(f"action {action.name!r} is already registered")
        self._actions[action.name] = action
        return action

    def get(self, name: str) -> Action:
        try:
            return self._actions[name]
        except KeyError:
            raise UnknownAction(name, list(self._actions)) from None

    __getitem__ = get

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def __iter__(self) -> Iterator[str]:
        return iter(self._actions)

    def __len__(self) -> int:
        return len(self._actions)

    def names(self) -> list[str]:
        return sorted(self._actions)


@dataclass
class RunbookContext:
    """Handed to a runbook factory to rebuild the actions of a run.

    ``params`` are the run's stored (non-secret) params; ``extra`` is filled by the CLI
    (endpoints, secrets provider, dry_run...).
    """

    run_id: str
    kind: str
    target: str
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_run(cls, run: Run, extra: Mapping[str, Any] | None = None) -> RunbookContext:
        return cls(
            run_id=run.id,
            kind=run.kind,
            target=run.target,
            params=dict(run.params or {}),
            extra=dict(extra or {}),
        )


RunbookFactory = Callable[[RunbookContext], ActionRegistry]


def load_runbook(path: str) -> RunbookFactory:
    """Import ``"package.module:factory"`` and return the factory.

    Example::

        registry = load_runbook(run.runbook)(RunbookContext.from_run(run, extra))
    """
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"runbook must be 'module:factory', got {path!r}")
    module = importlib.import_module(module_name)
    try:
        factory = getattr(module, attr)
    except AttributeError:
        raise ValueError(f"runbook {path!r}: module has no attribute {attr!r}") from None
    if not callable(factory):
        raise ValueError(f"runbook {path!r} is not callable")
    return factory  # type: ignore[no-any-return]
