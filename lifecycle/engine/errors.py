"""Engine exceptions and the vendor-free transient-error classifier.

Adapters raise :class:`TransientError` / :class:`PermanentError` when they know better; anything
else is classified by :func:`is_transient`, which adapters can extend::

    def oneview_busy(exc: BaseException) -> bool | None:
        return True if getattr(exc, "error_code", None) == "RESOURCE_BUSY" else None

    register_classifier(oneview_busy)
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ERROR_MAX = 4000  # error texts are cut to this length in the DB, to stay readable

# --- action outcome errors -----------------------------------------------------------------


class ActionError(Exception):
    """Base class for errors raised by actions to steer the engine."""


class TransientError(ActionError):
    """Retry later: the cause is expected to go away (busy API, lost connection...)."""


class PermanentError(ActionError):
    """Do not retry: the step fails and its target is quarantined."""


class StepTimeout(TransientError):
    """An attempt exceeded its timeout (counted as a transient failure)."""


# --- engine / store errors -------------------------------------------------------------------


class EngineError(Exception):
    """Base class for engine and store errors."""


class PlanError(EngineError, ValueError):
    """The plan is invalid (duplicate keys, unknown dependencies, cycles...)."""


class TargetLocked(EngineError):
    """Another unfinished run holds the target."""

    def __init__(self, target: str, run_id: str, status: str) -> None:
        self.target, self.run_id, self.status = target, run_id, status
        super().__init__(
            f"{target} is held by run {run_id} ({status}): resume or abort it first"
        )


@dataclass(frozen=True)
class LockHolder:
    """An unfinished run holding some of the resources another run asked for."""

    run_id: str
    kind: str
    target: str
    status: str
    resources: tuple[str, ...]  # the overlap, sorted


class ResourcesLocked(TargetLocked):
    """Unfinished runs hold resources (``server:x``, ``stack:cloud``...) a new run declares.

    ``str()`` names each holder (id, status, kind, target) and the overlapping resources; the
    :class:`TargetLocked` attributes describe the first holder.
    """

    def __init__(self, holders: Sequence[LockHolder]) -> None:
        self.holders = sorted(holders, key=lambda h: h.run_id)
        first = self.holders[0]
        self.target, self.run_id, self.status = first.resources[0], first.run_id, first.status
        parts = [f"run {h.run_id} ({h.status}), the {h.kind} run on {h.target}, "
                 f"holds {', '.join(h.resources)}" for h in self.holders]
        EngineError.__init__(
            self, f"{'; '.join(parts)}: resume or abort {'it' if len(parts) == 1 else 'them'} first"
        )

    @property
    def resources(self) -> list[str]:
        """Every overlapping resource."""
        return sorted({r for h in self.holders for r in h.resources})


class RunBusy(EngineError):
    """A live process owns the run."""

    def __init__(self, run_id: str, owner: str | None, detail: str = "") -> None:
        self.run_id, self.owner = run_id, owner
        msg = f"run {run_id} is owned by {owner or 'another process'}"
        super().__init__(f"{msg}: {detail}" if detail else msg)


class LeaseLost(RunBusy):
    """This process lost ownership of the run while executing it (heartbeat not renewed)."""


class RunNotFound(EngineError, LookupError):
    """No run matches the id or prefix."""


class AmbiguousRunId(RunNotFound):
    """A run id prefix matches several runs."""


class RunStateError(EngineError):
    """The run is in a state that does not allow the operation (e.g. resuming an aborted run)."""


class UnknownAction(EngineError, LookupError):
    """A step names an action that the registry does not know."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        listed = ", ".join(sorted(known)) or "none registered"
        super().__init__(f"unknown action {name!r} (known: {listed})")


# --- classification ----------------------------------------------------------------------------

TRANSIENT_HTTP_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
TRANSIENT_ERRNOS = frozenset(
    {errno.ECONNRESET, errno.ECONNREFUSED, errno.ETIMEDOUT, errno.EPIPE, errno.ECONNABORTED}
)

Classifier = Callable[[BaseException], bool | None]
"""Returns True (transient), False (permanent) or None (no opinion)."""

_classifiers: list[Classifier] = []
_classifiers_lock = threading.Lock()


def register_classifier(fn: Classifier) -> Classifier:
    """Add a classifier; the latest registered is asked first. Usable as a decorator."""
    with _classifiers_lock:
        if fn not in _classifiers:
            _classifiers.append(fn)
    return fn


def unregister_classifier(fn: Classifier) -> None:
    with _classifiers_lock:
        if fn in _classifiers:
            _classifiers.remove(fn)


def http_status(exc: BaseException) -> int | None:
    """The HTTP status an exception carries, if any (requests, httpx, vendor SDKs...)."""
    candidates = [getattr(exc, a, None) for a in ("status_code", "http_status", "status")]
    response = getattr(exc, "response", None)
    if response is not None:
        candidates.append(getattr(response, "status_code", None))
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    return None


def _builtin_transient(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError):  # socket.timeout is TimeoutError
        return True
    if isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS:
        return True
    return http_status(exc) in TRANSIENT_HTTP_STATUSES


def is_transient(exc: BaseException) -> bool:
    """Classify an exception raised by an action: True means "retry with backoff".

    Explicit :class:`TransientError` / :class:`PermanentError` win; then registered classifiers;
    then built-in rules. They are applied along the ``raise ... from`` chain (and the implicit
    context of OSErrors, which is how e.g. requests wraps urllib3), so a wrapped
    ``ConnectionResetError`` is still recognised.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 10:
        seen.add(id(current))
        if isinstance(current, PermanentError):
            return False
        if isinstance(current, TransientError):
            return True
        with _classifiers_lock:
            classifiers = list(reversed(_classifiers))
        for fn in classifiers:
            verdict = fn(current)
            if verdict is not None:
                return bool(verdict)
        if _builtin_transient(current):
            return True
        nxt = current.__cause__
        if nxt is None and isinstance(current, OSError) and not current.__suppress_context__:
            nxt = current.__context__
        current = nxt
    return False
