"""Hooks for progress displays (the CLI plugs rich in here; the engine never imports it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .models import RunStatus, StepStatus

if TYPE_CHECKING:
    from .actions import StepView
    from .models import Run, Step


@dataclass(frozen=True)
class RunResult:
    """Outcome of :meth:`Engine.execute`: final status, step counts by status, error if any."""

    run_id: str
    status: RunStatus
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, status: StepStatus | str) -> int:
        return self.counts.get(str(status), 0)

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.SUCCEEDED


class RunObserver:
    """No-op hooks, all called on the engine's scheduler thread (keep them quick).

    Example::

        class Printer(RunObserver):
            def on_step_end(self, step, status):
                print(step.key, status)

        Engine(store, registry, observer=Printer())
    """

    def on_run_start(self, run: Run, steps: Sequence[Step]) -> None:
        """``steps`` are detached snapshots (all statuses, after resume resets)."""

    def on_step_start(self, step: StepView) -> None:
        """An attempt is about to run (its intent is committed)."""

    def on_step_end(self, step: StepView, status: StepStatus) -> None:
        """A step reached a terminal status (done/failed/skipped/quarantined)."""

    def on_retry(self, step: StepView, error: str, delay: float) -> None:
        """An attempt failed transiently; the next one starts in ``delay`` seconds."""

    def on_progress(self, step: StepView, progress: Any) -> None:
        """An action called ``ctx.progress(...)``."""

    def on_run_end(self, result: RunResult) -> None:
        """The run stopped (any status)."""
