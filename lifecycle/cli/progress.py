"""Rich progress for a run: one bar over the run's steps, retries and failures as they come."""

from __future__ import annotations

from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from lifecycle.cli.output import err_console
from lifecycle.engine import RunObserver


class RichObserver(RunObserver):
    """Draws on stderr so that ``-o json`` on stdout stays machine-readable."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=err_console,
            disable=not enabled,
        )
        self.task: Any = None

    def on_run_start(self, run: Any, steps: Any) -> None:
        steps = list(steps)
        done = sum(1 for s in steps if str(s.status) == "done")
        self.progress.start()
        self.task = self.progress.add_task(f"{run.kind} {run.target}", total=len(steps),
                                           completed=done, note="")

    def on_step_start(self, step: Any) -> None:
        if self.task is not None:
            self.progress.update(self.task, note=f"{step.key}")

    def on_step_end(self, step: Any, status: Any) -> None:
        if self.task is None:
            return
        self.progress.advance(self.task)
        if str(status) not in ("done", "StepStatus.DONE"):
            detail = f" - {step.last_error}" if getattr(step, "last_error", None) else ""
            err_console.print(Text(f"{step.key}: {status}{detail}", style="yellow"))

    def on_retry(self, step: Any, error: Any, delay: float) -> None:
        if self.enabled:
            err_console.print(Text(f"{step.key}: retry in {delay:.1f}s after {error}", style="dim"))

    def on_run_end(self, result: Any) -> None:
        self.progress.stop()


class StreamObserver(RichObserver):
    """The progress bar, plus every line a step streams (an undercloud's deploy output, already
    redacted), on stderr: it shows with ``-o json`` too, which keeps stdout."""

    def on_progress(self, step: Any, progress: Any) -> None:
        if isinstance(progress, str):
            err_console.print(Text(progress), highlight=False, soft_wrap=True)
