"""``i2 runs``: list, inspect, resume and abort runs in the run store."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.execute import execute
from lifecycle.cli.insecure import warn_unverified_tls
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
from lifecycle.engine.replan import apply_replan, compare, site_changed
from lifecycle.model import SiteInvalid, load_site
from lifecycle.model.limits import step_limits
from lifecycle.runbooks.common import Services

# Exit codes by final run status: a partial run is a failure the operator must look at.
EXIT = {RunStatus.SUCCEEDED: 0, RunStatus.INTERRUPTED: 130}


def _run_dict(run: Any, counts: dict[str, int] | None = None) -> dict[str, Any]:
    out = {
        "id": run.id, "kind": run.kind, "target": run.target, "status": str(run.status),
        "created_at": run.created_at, "updated_at": run.updated_at,
        "started_at": run.started_at, "finished_at": run.finished_at,
        "site_digest": run.site_digest, "runbook": run.runbook, "owner": run.owner,
        "created_by": run.created_by, "error": run.error,
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


@runs_group.command("report")
@click.argument("run_id")
@click.option("--md", "md_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the Markdown report to this file.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML report (one self-contained file) to this file.")
@pass_ctx
def report(ctx: Ctx, run_id: str, md_file: Path | None, html_file: Path | None) -> None:
    """The report of a run (ID or a unique prefix), from the run store and the site alone: what
    ran, when, who, each device's or application's outcome, quarantines, evidence, how to go on.

    Without --md/--html it prints the Markdown (-o json: the document, schema i2.report/1)."""
    from lifecycle.report.build import build_report
    from lifecycle.report.markdown import render_markdown
    from lifecycle.report.write import as_json, write

    run = _get(ctx, run_id)
    doc = build_report(ctx.store(), run.id, site_dir=ctx.site_dir)
    written = write(doc, md=md_file, html=html_file)
    if ctx.output == "json":
        click.echo(as_json(doc))
    elif ctx.output == "yaml":
        emit(doc.model_dump(mode="json", by_alias=True), "yaml")
    elif not written:
        click.echo(render_markdown(doc), nl=False)
    for path in written:
        err_console.print(f"report: {path}", markup=False)


@runs_group.command("resume")
@click.argument("run_id")
@click.option("--max-fail-percent", type=float, default=None,
              help="Stop the run when more than this share of a batch's targets failed.")
@click.option("--dry-run", is_flag=True, help="Show what resuming would do; change nothing.")
@click.option("--replan", is_flag=True,
              help="The site changed since the run was planned: re-plan its unfinished steps on the "
                   "current site (done steps stay done) and resume.")
@pass_ctx
def resume(ctx: Ctx, run_id: str, max_fail_percent: float | None, dry_run: bool, replan: bool) -> None:
    """Resume a run: in-flight steps are re-observed, failed ones retried, done ones kept.

    A run planned on another version of the site is refused, naming the unfinished steps the
    change affects, unless --replan."""
    store = ctx.store()
    run = _get(ctx, run_id)
    if str(run.status) in (RunStatus.SUCCEEDED, RunStatus.ABORTED):
        raise click.ClickException(f"run {run.id} is {run.status}: nothing to resume")
    digest = _site_check(ctx, run, replan=replan, dry_run=dry_run)
    if dry_run and site_changed(run, digest):
        return  # the change is shown
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
    defaults = getattr(sys.modules[factory.__module__], "LIMITS", None)
    if defaults is not None:  # the runbook's limits under the endpoints file's, as at creation
        kwargs["limits"] = step_limits(ctx.endpoints(), defaults)
    engine = Engine(store, registry, observer=RichObserver(ctx.output == "table"),
                    install_signal_handlers=True, events_dir=ctx.events_dir(), **kwargs)
    warn_unverified_tls(ctx, run.id)
    try:
        result = execute(engine, run.id, site_digest=digest, site_dir=ctx.site_dir)
    except (RunBusy, RunStateError, UnknownAction) as exc:
        raise click.ClickException(str(exc)) from None
    final = store.get_run(run.id)
    emit(_run_dict(final), ctx.output,
         message=f"run {final.id}: {final.status}" + (f" - {final.error}" if final.error else ""))
    raise SystemExit(EXIT.get(RunStatus(str(result.status)), 1))


def _site_check(ctx: Ctx, run: Any, *, replan: bool, dry_run: bool) -> str | None:
    """The current site's digest (None for a run not planned on a site). If the site changed since
    the run was planned: refuse, listing the unfinished steps the change affects; with ``replan``
    re-plan the run on the current site first (and return the digest the run now has)."""
    planned_on = (run.params or {}).get("site_dir")
    if not planned_on or not run.site_digest:
        return None
    site_dir = Path(ctx.site_dir or planned_on)
    try:
        site = load_site(site_dir)
    except SiteInvalid as exc:
        raise click.ClickException(f"site {site_dir} is not valid ({len(exc.problems)} problem(s)): "
                                   f"{exc.problems[0]}; run `i2 site validate {site_dir}`") from None
    if not site_changed(run, site.digest):
        return site.digest
    store = ctx.store()
    fresh = _fresh_plan(ctx, run, site_dir, site)
    drift = compare(store, run.id, fresh)
    rows = drift.rows() or [("(none)", "no unfinished step changes; the run's new site digest is recorded")]
    table = make_table(f"run {run.id}: the site changed since it was planned", ["step", "change"], rows)
    if replan and not dry_run:  # stdout stays the run's own record
        if ctx.output == "table":
            err_console.print(table)
    else:
        emit(drift.as_dict(), ctx.output, table=table)
    if dry_run:
        return site.digest
    if not replan:
        raise click.ClickException(
            f"run {run.id} was planned on another version of the site ({len(drift.affected)} unfinished "
            f"step(s) affected): not resumed. Re-plan on the current site with `i2 runs resume {run.id} "
            "--replan` (done steps stay done), or abort it with `i2 runs abort`")
    try:
        apply_replan(store, run.id, fresh, events_dir=ctx.events_dir())
    except (RunBusy, RunStateError) as exc:
        raise click.ClickException(str(exc)) from None
    err_console.print(f"run {run.id}: re-planned on the current site: {len(drift.added)} step(s) added, "
                      f"{len(drift.removed)} removed, {len(drift.changed)} changed")
    return fresh.site_digest


def _fresh_plan(ctx: Ctx, run: Any, site_dir: Path, site: Any) -> Any:
    """The run's runbook planned again on the current site: its ``replan(svc, params, steps)``
    (the runbook module's, else its ``plan`` module's)."""
    module = run.runbook.partition(":")[0]
    hook = None
    for path in (f"{module}:replan", f"{module}.plan:replan"):
        try:
            hook = load_runbook(path)
            break
        except (ImportError, ValueError):
            continue
    if hook is None:
        raise click.ClickException(f"run {run.id}: the site changed since it was planned and runbook "
                                   f"{run.runbook} cannot re-plan: abort the run and start a new one")
    endpoints = ctx.endpoints_file or (run.params or {}).get("endpoints_file") or ""
    svc = Services(site_dir=site_dir, endpoints_file=endpoints, site=site)
    try:
        return hook(svc, dict(run.params or {}), ctx.store().get_steps(run.id))
    except Exception as exc:  # the site no longer has the rack, Ironic unreachable, ...
        raise click.ClickException(f"cannot re-plan run {run.id} on site {site_dir}: {exc}") from None


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
