"""What adapters implement (:class:`Action`) and what they are handed (:class:`StepView`,
:class:`ActionContext`); plus the registry and runbook loading used on resume."""

from __future__ import annotations

import importlib
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import PermanentError, PlanError, UnknownAction
from .typed import StepOutputs, StepParams, first_error

if TYPE_CHECKING:
    from .models import Run


class RetryPolicy(BaseModel):
    """Exponential backoff: ``base_delay * 2**(n-1)`` capped at ``max_delay``, +/- ``jitter``.

    ``max_attempts`` counts attempts within one execution (a resume gets a fresh budget).

    >>> RetryPolicy(base_delay=1.0, jitter=0).delay(3)      # 1 s, 2 s, 4 s ...
    4.0
    >>> 1.0 <= RetryPolicy(base_delay=1.0).delay(2) <= 3.0   # 2 s +/- 50 %
    True
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


P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class StepView:
    """Read-only view of a step handed to an action.

    ``params`` is the action's :class:`StepParams` model when it declares one (read
    ``step.params.server``), else the stored mapping (observers always get the mapping).
    ``attempt`` is 1-based and keeps counting across resumes; ``dep_outputs`` maps each hard
    dependency key to its (redacted) outputs, read typed with :meth:`output`. ``last_error``
    is the step's latest error, as recorded (useful to observers).
    """

    key: str
    target: str
    action: str
    params: Any
    attempt: int
    dep_outputs: Mapping[str, Mapping[str, Any]]
    run_id: str
    system: str = "default"
    batch: str | None = None
    description: str = ""
    last_error: str | None = None

    def output(self, key: str, model: type[P]) -> P:
        """The outputs of hard dependency ``key``, validated by ``model``.

        >>> class Net(StepOutputs):
        ...     network_id: str
        >>> view = StepView(key="boot", target="app:x", action="upgrade.boot", params={},
        ...                 attempt=1, dep_outputs={"net": {"network_id": "n-1"}}, run_id="r")
        >>> view.output("net", Net).network_id
        'n-1'
        >>> view.output("vol", Net)
        Traceback (most recent call last):
        ...
        PermanentError: step 'boot' reads the outputs of 'vol', which is not one of its dependencies (net)
        """
        if key not in self.dep_outputs:
            raise PermanentError(f"step {self.key!r} reads the outputs of {key!r}, which is not one of "
                                 f"its dependencies ({', '.join(self.dep_outputs) or 'none'})")
        try:
            return model.model_validate(dict(self.dep_outputs[key]))
        except ValidationError as exc:
            raise PermanentError(f"step {self.key!r}: outputs of {key!r} do not fit {model.__name__}: "
                                 f"{first_error(exc)}") from None


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
    #: Typed params and outputs (None: a plain mapping, for actions that predate them).
    Params: ClassVar[type[StepParams] | None] = None
    Outputs: ClassVar[type[StepOutputs] | None] = None
    #: Names this action had in earlier versions: stored runs that use them still resume.
    aliases: ClassVar[tuple[str, ...]] = ()

    def parse_params(self, params: Mapping[str, Any], *, step: str = "") -> Any:
        """``params`` as this action's :class:`StepParams` (unchanged when it declares none).

        Raises :class:`PlanError` naming the step, the action and the field.
        """
        if self.Params is None:
            return params
        try:
            return self.Params.model_validate(dict(params))
        except ValidationError as exc:
            where = f"step {step!r} " if step else ""
            raise PlanError(f"{where}({self.name}): params do not fit {self.Params.__name__}: "
                            f"{first_error(exc)}") from None

    def store_outputs(self, value: Any) -> Any:
        """What ``apply``/``observe`` returned, as the JSON mapping the store keeps.

        With ``Outputs`` declared, anything else than an instance of it (a dict, another model)
        must fit it: else :class:`PermanentError` naming the field.
        """
        if self.Outputs is not None and isinstance(value, self.Outputs):
            return value.stored()
        if isinstance(value, StepOutputs):
            value = value.stored()
        elif isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        if self.Outputs is not None and isinstance(value, Mapping):
            try:
                return self.Outputs.model_validate(dict(value)).stored()
            except ValidationError as exc:
                raise PermanentError(f"{self.name}: outputs do not fit {self.Outputs.__name__}: "
                                     f"{first_error(exc)}") from None
        return value

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
        self._aliases: dict[str, str] = {}
        for action in actions:
            self.register(action)

    def register(self, action: Action, *, replace: bool = False) -> Action:
        if not action.name:
            raise ValueError(f"{action!r} has no name")
        if action.name in self._actions and not replace:
            raise ValueError(f"action {action.name!r} is already registered")
        # A name that means two actions would make stored runs ambiguous.
        clash = [n for n in (action.name, *action.aliases) if self._owner(n) not in (None, action.name)]
        if clash:
            raise ValueError(f"action {action.name!r}: name(s) {', '.join(clash)} already "
                             f"registered as an action or alias")
        self._actions[action.name] = action
        for old in action.aliases:
            self._aliases[old] = action.name
        return action

    def _owner(self, name: str) -> str | None:
        """The action that ``name`` (its own name first, else an alias) stands for."""
        return name if name in self._actions else self._aliases.get(name)

    def get(self, name: str) -> Action:
        """The action named ``name`` or, for a stored run of an older version, aliased so.

        >>> class Delete(Action):
        ...     name, aliases = "upgrade.delete_network", ("upgrade.delete_a_network",)
        >>> registry = ActionRegistry([Delete()])
        >>> registry.get("upgrade.delete_a_network").name
        'upgrade.delete_network'
        >>> registry.get("upgrade.delete_b_network")
        Traceback (most recent call last):
        ...
        UnknownAction: unknown action 'upgrade.delete_b_network' (known: upgrade.delete_network)
        """
        owner = self._owner(name)
        if owner is None:
            raise UnknownAction(name, list(self._actions))
        return self._actions[owner]

    __getitem__ = get

    def __contains__(self, name: object) -> bool:
        return name in self._actions or name in self._aliases

    def check(self, steps: Iterable[Any]) -> None:
        """Validate each step's params against its action's model (plan time).

        ``steps`` are :class:`~lifecycle.engine.plan.StepSpec` (or anything with ``key``,
        ``action`` and ``params``). Raises :class:`PlanError` for the first unknown action or
        params that do not fit, naming the step.
        """
        for st in steps:
            if st.action not in self:
                raise PlanError(f"step {st.key!r}: unknown action {st.action!r}; "
                                f"registered: {', '.join(self.names())}")
            self.get(st.action).parse_params(st.params, step=st.key)

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
