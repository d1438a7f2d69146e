"""``i2 rack plan|apply|report``: bring a racked rack to hypervisors of its cloud."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import click
from rich.text import Text

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.execute import confirm, run_plan
from lifecycle.cli.output import console, emit, make_table
from lifecycle.engine import RunStatus
from lifecycle.model.limits import step_limits
from lifecycle.report.rack import report
from lifecycle.runbooks import rack as runbook
from lifecycle.runbooks.common import Services

EXIT = {RunStatus.SUCCEEDED: 0, RunStatus.PARTIAL: 1, RunStatus.FAILED: 1, RunStatus.INTERRUPTED: 130}
STYLE = {"create": "green", "change": "yellow", "wait": "cyan", "blocked": "red", "error": "red",
         "none": "dim"}


def site_services(ctx: Ctx) -> Services:
    """The site and endpoints of the command line, as a runbook's services."""
    ctx.site()  # validates and reports a bad site with file and line before anything else
    ctx.endpoints()
    return Services(site_dir=ctx.require_site_dir(), endpoints_file=ctx.endpoints_file or "",
                    site=ctx.site(), endpoints=ctx.endpoints())




def _rack_or_fail(svc: Services, rack: str) -> None:
    try:
        svc.site.rack(rack)
    except KeyError:
        known = ", ".join(r.name for r in svc.site.racks)
        raise click.ClickException(f"no rack {rack!r} in site {svc.site.site.name} (racks: {known})"
                                   ) from None


def _show_plan(ctx: Ctx, rack: str, changes: list[runbook.Change]) -> Counter[str]:
    counts = Counter(c.action for c in changes)
    rows = [(c.system, c.object, Text(c.action, style=STYLE.get(c.action, "")), c.detail) for c in changes]
    summary = ", ".join(f"{counts[k]} {k}" for k in ("create", "change", "wait", "blocked", "error", "none")
                        if counts[k])
    emit({"rack": rack, "changes": [c.as_dict() for c in changes], "summary": dict(counts)},
         ctx.output, table=make_table(f"rack {rack}: plan", ["system", "object", "action", "detail"], rows),
         message=summary)
    return counts


@click.group("rack")
def rack_group() -> None:
    """A rack from racked hardware to hypervisors (fabric, OneView, Ironic, TripleO)."""


@rack_group.command("plan")
@click.argument("rack")
@pass_ctx
def plan_cmd(ctx: Ctx, rack: str) -> None:
    """Observe ZTP, the leaves, OneView and Ironic; show what `apply` would do. Changes nothing.

    Exit 1 when something is blocked (unreachable system, missing or mismatched server) or
    failed (refused credentials, TLS, a bug: the row says which)."""
    svc = site_services(ctx)
    _rack_or_fail(svc, rack)
    counts = _show_plan(ctx, rack, runbook.observe(svc, rack))
    sys.exit(1 if counts["blocked"] or counts["error"] else 0)


def _report(ctx: Ctx, store: Any, run_id: str, title: str) -> list[dict[str, Any]]:
    rows = report(store, run_id)

    def style(r: dict[str, Any]) -> str:
        done = ("available", "verified", "deployed", "hypervisor")
        return "green" if r["state"] in done else "red" if r["error"] else "yellow"

    table = make_table(title, ["device", "state", "evidence", "error"],
                       [(r["device"], Text(r["state"], style=style(r)), r["evidence"], r["error"])
                        for r in rows])
    emit({"run": run_id, "devices": rows}, ctx.output, table=table)
    return rows


@rack_group.command("apply")
@click.argument("rack")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--parallel", type=click.IntRange(1, 256), default=None,
              help="Servers driven through each Ironic at once (default: the endpoints file's limits, "
                   "else 32; waiting is shared: one list call per poll).")
@click.option("--max-fail-percent", type=click.FloatRange(0, 100), default=25.0, show_default=True,
              help="Stop starting new work when more than this share of the rack's devices failed.")
@click.option("--power", type=click.Choice(["on", "off", "keep"]), default="off", show_default=True,
              help="Power state after the OneView profile is applied (Ironic takes over from there).")
@click.option("--server", "servers", multiple=True, help="Only these servers of the rack (repeatable).")
@click.option("--ztp-timeout", type=float, default=900.0, show_default=True,
              help="Seconds to wait for each leaf to finish ZTP.")
@click.option("--dry-run", is_flag=True, help="Show the plan and the steps; create no run.")
@pass_ctx
def apply_cmd(ctx: Ctx, rack: str, yes: bool, parallel: int | None, max_fail_percent: float, power: str,
              servers: tuple[str, ...], ztp_timeout: float, dry_run: bool) -> None:
    """Execute the rack plan as a resumable run, then print every device's state and evidence."""
    svc = site_services(ctx)
    _rack_or_fail(svc, rack)
    try:
        plan = runbook.build_plan(svc, rack, power=power, ztp_timeout=ztp_timeout,
                                  servers=list(servers) or None)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # Ironic unreachable while allocating node indices, ...
        raise click.ClickException(f"cannot plan rack {rack}: {exc}") from None
    if dry_run:
        rows = [(s.key, s.action, ", ".join(s.deps)) for s in plan.steps]
        emit([s.model_dump(include={"key", "target", "action", "deps", "description"}) for s in plan.steps],
             ctx.output, table=make_table(f"rack {rack}: {len(rows)} steps (dry run)",
                                          ["step", "action", "after"], rows))
        return
    if not yes:
        _show_plan(ctx, rack, runbook.observe(svc, rack))
        confirm(yes, f"Apply to rack {rack}?")
    limits = step_limits(svc.endpoints, runbook.LIMITS, {"ironic": parallel} if parallel else None)
    run_id, result = run_plan(ctx, plan, runbook.build, svc, limits=limits,
                              max_fail_percent=max_fail_percent, what=f"rack {rack}")
    store = ctx.store()
    final = store.get_run(run_id)
    _report(ctx, store, run_id, f"rack {rack}: run {run_id} {final.status}")
    if ctx.output == "table":
        console.print(f"run {run_id}: {final.status}" + (f" - {final.error}" if final.error else ""))
    sys.exit(EXIT.get(RunStatus(str(result.status)), 1))


@rack_group.command("report")
@click.argument("rack_or_run")
@pass_ctx
def report_cmd(ctx: Ctx, rack_or_run: str) -> None:
    """Every device of a rack run (the latest run of RACK, or run RUN): state, evidence, errors."""
    store = ctx.store()
    runs = [r for r in store.list_runs(kind="rack") if r.target == f"rack:{rack_or_run}"]
    run = runs[0] if runs else None
    if run is None:
        try:
            run = store.get_run(rack_or_run)
        except Exception:
            raise click.ClickException(f"no rack run for {rack_or_run!r}") from None
    rows = _report(ctx, store, run.id, f"{run.target}: run {run.id} {run.status}")
    sys.exit(1 if any(r["error"] for r in rows) else 0)
