"""What every command that changes the estate shares: ask first, create the run (its target
locked), execute it with the engine and progress on the terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from lifecycle.cli.context import Ctx
from lifecycle.cli.insecure import warn_unverified_tls
from lifecycle.cli.output import err_console
from lifecycle.cli.progress import StreamObserver
from lifecycle.engine import Engine, Plan, RunbookContext, RunResult, RunStatus, TargetLocked

INTERRUPTED = 130  # the shell's code for "stopped by a signal": a graceful stop is no failure


def confirm(yes: bool, question: str, what: str = "the estate") -> None:
    """Ask on a terminal; without one, refuse unless --yes."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise click.ClickException(f"refusing to change {what} without --yes (stdin is not a terminal)")
    click.confirm(question, abort=True)


def run_plan(ctx: Ctx, plan: Plan, build: Any, services: Any, *, limits: dict[str, int], what: str,
             max_fail_percent: float | None = None) -> tuple[str, RunResult]:
    """Create the run (a locked target is a clear error naming what to do), rebuild its actions
    with ``build`` (the runbook's factory) and execute it; returns (run id, result)."""
    store = ctx.store()
    try:
        run_id = store.create_run(plan)
    except TargetLocked as exc:
        raise click.ClickException(f"{exc}: resume it with `i2 runs resume RUN` or abort it with "
                                   "`i2 runs abort RUN`") from None
    err_console.print(f"run {run_id}: {what}, {len(plan.steps)} steps")
    warn_unverified_tls(ctx, run_id)
    registry = build(RunbookContext(run_id=run_id, kind=plan.kind, target=plan.target,
                                    params=plan.params, extra={"services": services}))
    kwargs: dict[str, Any] = {} if max_fail_percent is None else {"max_fail_percent": max_fail_percent}
    engine = Engine(store, registry, limits=limits, observer=StreamObserver(ctx.output == "table"),
                    install_signal_handlers=True, events_dir=ctx.events_dir(), **kwargs)
    try:
        site = services.site  # the site the plan was built from, for the run's report
    except Exception:
        site = None
    return run_id, execute(engine, run_id, site=site)


def execute(engine: Engine, run_id: str, site_digest: str | None = None, *, site: Any = None,
            site_dir: Path | None = None) -> RunResult:
    """Execute with the engine; a stop (Ctrl-C, SIGTERM) ends the run ``interrupted`` and says how
    to go on. A second signal is a hard stop: exit 130 here, since click would turn the
    KeyboardInterrupt into "Aborted!" and exit 1. Whatever the end, the run's reports are written
    next to the run store (see :func:`write_reports`)."""
    try:
        result = engine.execute(run_id, site_digest=site_digest)
    except KeyboardInterrupt:
        err_console.print(f"run {run_id}: interrupted (hard stop; steps in flight are re-observed on "
                          f"resume): resume with `i2 runs resume {run_id}`")
        raise SystemExit(INTERRUPTED) from None
    if result.status == RunStatus.INTERRUPTED:
        err_console.print(f"run {run_id}: interrupted: resume with `i2 runs resume {run_id}`")
    write_reports(engine.store, run_id, site=site, site_dir=site_dir)
    return result


def write_reports(store: Any, run_id: str, *, site: Any = None, site_dir: Path | None = None) -> list[Path]:
    """Write the run's Markdown and HTML reports (``<reports dir>/<run id>.md``/``.html``) and print
    their paths. A report that cannot be written is a warning: the run's outcome stands."""
    from lifecycle.report.build import build_report, load_site_for
    from lifecycle.report.write import reports_dir, write

    try:
        if site is None and site_dir is not None:
            site = load_site_for(store.get_run(run_id), site_dir)
        doc = build_report(store, run_id, site)
        where = reports_dir(store.url)
        paths = write(doc, md=where / f"{doc.run.id}.md", html=where / f"{doc.run.id}.html")
    except Exception as exc:  # the run is done; its report is a by-product
        err_console.print(f"run {run_id}: report not written: {exc}", markup=False)
        return []
    for path in paths:
        err_console.print(f"report: {path}", markup=False)
    return paths
