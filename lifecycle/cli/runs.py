"""``i2 runs``: list, inspect, resume and abort runs in the run store."""

from __future__ import annotations

from collections import Counter
from typing import Any

import click

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.output import emit, err_console, make_table
from lifecycle.cli.progress import RichObserver
from lifecycle.engine import (
    Engine,
    RunbookContext,
    RunBusy,
    RunNotFound,
    RunStateError,
    RunStatus,
    UnknownAction,
    load_runbook,
)

# Exit codes by final run status: a partial run is a failure the operator must look at.
EXIT = {RunStatus.SUCCEEDED: 0, RunStatus.INTERRUPTED: 130}


def _run_dict(run: Any, counts: dict[str, int] | None = None) -> dict[str, Any]:
    out = {
        "id": run.id, "kind": run.kind, "target": run.target, "status": str(run.status),
        "created_at": run.created_at, "updated_at": run.updated_at,
        "started_at": run.started_at, "finished_at": run.finished_at,
        "site_digest": run.site_digest, "runbook": run.runbook, "owner": run.owner,
        "error": run.error,
    }
    if counts is not None:
        out["steps"] = counts
    return out


def _step_dict(step: Any) -> dict[str, Any]:
    return {
        "key": step.key, "target": step.target, "action": step.action, "system": step.system,
        "status": str(step.status), "attempts": step.attempts, "last_error": step.last_error,
        "outputs": step.outputs, "started_at": step.started_at, "finished_at": step.finished_at,
    }


def _get(ctx: Ctx, run_id: str) -> Any:
    try:
        return ctx.store().get_run(run_id)
    except RunNotFound as exc:
        raise click.ClickException(str(exc)) from None


@click.group("runs")
def runs_group() -> None:
    """Runs in the run store: list, show, resume, abort."""


@runs_group.command("list")
@click.option("--status", help="Only runs with this status.")
@click.option("--kind", help="Only runs of this runbook kind.")
@click.option("--limit", default=50, show_default=True, help="At most this many runs.")
@pass_ctx
def list_runs(ctx: Ctx, status: str | None, kind: str | None, limit: int) -> None:
    """List runs, newest first."""
    store = ctx.store()
    runs = store.list_runs(limit=limit, status=status, kind=kind)
    counts = store.step_counts_by_run([r.id for r in runs])
    data = [_run_dict(run, counts.get(run.id, {})) for run in runs]
    rows = [(d["id"], d["kind"], d["target"], d["status"],
             f"{d['steps'].get('done', 0)}/{sum(d['steps'].values())}",
             d["created_at"], d["updated_at"]) for d in data]
    table = make_table(None, ["id", "kind", "target", "status", "done", "created", "updated"],
                       rows) if data else None
    emit(data, ctx.output, table=table, message=None if data else "no runs yet")


@runs_group.command("show")
@click.argument("run_id")
@click.option("--events", "n_events", default=20, show_default=True,
              help="How many of the latest events to show.")
@pass_ctx
def show(ctx: Ctx, run_id: str, n_events: int) -> None:
    """Show a run (ID or a unique prefix), its steps and its latest events."""
    store = ctx.store()
    run = _get(ctx, run_id)
    steps = store.get_steps(run.id)
    events = store.get_events(run.id, limit=n_events)
    counts = dict(Counter(str(s.status) for s in steps))
    data = {**_run_dict(run, counts), "step_list": [_step_dict(s) for s in steps],
            "events": [{"ts": e.ts, "type": e.type, "step": e.step_key, "message": e.message}
                       for e in events]}
    if ctx.output != "table":
        emit(data, ctx.output)
        return
    head = make_table(f"run {run.id}", ["field", "value"], [
        ("kind", run.kind), ("target", run.target), ("status", run.status),
        ("steps", ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))),
        ("created", run.created_at), ("finished", run.finished_at), ("error", run.error),
    ])
    steps_table = make_table("steps", ["step", "target", "action", "status", "attempts",
                                       "last error"],
                             [(s.key, s.target, s.action, s.status, s.attempts, s.last_error)
                              for s in steps])
    ev_table = make_table(f"last {len(events)} events", ["time", "type", "step", "message"],
                          [(e.ts, e.type, e.step_key, e.message) for e in events])
    emit(data, "table", table=head)
    emit(data, "table", table=steps_table)
    emit(data, "table", table=ev_table)


@runs_group.command("resume")
@click.argument("run_id")
@click.option("--max-fail-percent", type=float, default=None,
              help="Stop the run when more than this share of a batch's targets failed.")
@click.option("--dry-run", is_flag=True, help="Show what resuming would do; change nothing.")
@pass_ctx
def resume(ctx: Ctx, run_id: str, max_fail_percent: float | None, dry_run: bool) -> None:
    """Resume a run: in-flight steps are re-observed, failed ones retried, done ones kept."""
    store = ctx.store()
    run = _get(ctx, run_id)
    if str(run.status) in (RunStatus.SUCCEEDED, RunStatus.ABORTED):
        raise click.ClickException(f"run {run.id} is {run.status}: nothing to resume")
    if dry_run:
        todo = [s for s in store.get_steps(run.id) if str(s.status) != "done"]
        how = {"running": "re-observe, then complete or redo", "pending": "run",
               "failed": "re-observe, then retry", "quarantined": "re-observe, then retry",
               "skipped": "run once its dependencies are done"}
        rows = [(s.key, s.target, s.action, s.status, how.get(str(s.status), "run"))
                for s in todo]
        emit([{"key": r[0], "target": r[1], "action": r[2], "status": str(r[3]), "will": r[4]}
              for r in rows], ctx.output,
             table=make_table(f"resume {run.id} would act on {len(rows)} step(s)",
                              ["step", "target", "action", "status", "will"], rows))
        return
    extra: dict[str, Any] = {"site_dir": ctx.site_dir, "endpoints_file": ctx.endpoints_file,
                             "ctx": ctx}
    try:
        factory = load_runbook(run.runbook)
    except Exception as exc:  # an import error names the runbook the run was created with
        raise click.ClickException(f"cannot load runbook {run.runbook!r}: {exc}") from None
    registry = factory(RunbookContext(run_id=run.id, kind=run.kind, target=run.target,
                                      params=run.params or {}, extra=extra))
    kwargs: dict[str, Any] = {}
    if max_fail_percent is not None:
        kwargs["max_fail_percent"] = max_fail_percent
    engine = Engine(store, registry, observer=RichObserver(ctx.output == "table"),
                    install_signal_handlers=True, events_dir=ctx.events_dir(), **kwargs)
    try:
        result = engine.execute(run.id)
    except (RunBusy, RunStateError, UnknownAction) as exc:
        raise click.ClickException(str(exc)) from None
    final = store.get_run(run.id)
    emit(_run_dict(final), ctx.output,
         message=f"run {final.id}: {final.status}" + (f" - {final.error}" if final.error else ""))
    raise SystemExit(EXIT.get(RunStatus(str(result.status)), 1))


@runs_group.command("abort")
@click.argument("run_id")
@click.option("--force", is_flag=True, help="Abort even if a live process owns the run.")
@pass_ctx
def abort(ctx: Ctx, run_id: str, force: bool) -> None:
    """Abort a run and release its target lock. Nothing is undone."""
    run = _get(ctx, run_id)
    try:
        ctx.store().abort_run(run.id, force=force)
    except RunBusy as exc:
        raise click.ClickException(f"{exc} (use --force if that process is gone)") from None
    err_console.print(f"run {run.id} aborted; target {run.target} released")
