"""``i2 buildout plan|apply DC``: an empty DC's racked hardware to a deployed, verified cloud."""

from __future__ import annotations

import sys
from collections import Counter

import click
from rich.text import Text

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.execute import confirm, run_plan
from lifecycle.cli.output import console, emit, make_table
from lifecycle.cli.rack import EXIT, STYLE, site_services
from lifecycle.engine import RunStatus
from lifecycle.model.limits import step_limits
from lifecycle.runbooks import buildout as runbook
from lifecycle.runbooks.buildout.floor import Floor, floors
from lifecycle.runbooks.buildout.observe import observe
from lifecycle.runbooks.buildout.plan import racks_of
from lifecycle.runbooks.rack.observe import Change


def _show_plan(ctx: Ctx, dc: str, changes: list[Change], floors: list[Floor] | None = None) -> Counter[str]:
    """The plan's rows; with ``floors``, each undercloud's inspection floor under them."""
    counts = Counter(c.action for c in changes)
    rows = [(c.system, c.object, Text(c.action, style=STYLE.get(c.action, "")), c.detail) for c in changes]
    summary = ", ".join(f"{counts[k]} {k}" for k in ("create", "change", "wait", "blocked", "error", "none")
                        if counts[k])
    data: dict[str, object] = {"dc": dc, "changes": [c.as_dict() for c in changes], "summary": dict(counts)}
    if floors is not None:
        data["inspection_floor"] = [f.as_dict() for f in floors]
        summary = "\n".join([summary, *(f.line() for f in floors)])
    emit(data, ctx.output,
         table=make_table(f"build-out {dc}: plan", ["system", "object", "action", "detail"], rows),
         message=summary)
    return counts


@click.group("buildout")
def buildout_group() -> None:
    """A DC from racked, cabled hardware to a deployed, verified cloud (fabric, OneView, Ironic,
    TripleO, NRFU), as one resumable run."""


@buildout_group.command("plan")
@click.argument("dc")
@click.option("--racks", "racks", multiple=True, help="Only these racks of the DC (repeatable).")
@pass_ctx
def plan_cmd(ctx: Ctx, dc: str, racks: tuple[str, ...]) -> None:
    """Observe every system of the DC; show what `apply` would do. Changes nothing. Exit 1 when
    something is blocked (an undercloud not ready, an unreachable system) or failed. Under the
    rows, each undercloud's inspection floor: servers to inspect x its ironic-inspector
    introspection_delay (read from it, or inspector's default 5 s, said so)."""
    svc = site_services(ctx)
    try:
        changes = observe(svc, dc, list(racks) or None)
        members = [s for r in racks_of(svc, dc, list(racks) or None) for s in svc.site.servers_in(r.name)]
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    counts = _show_plan(ctx, dc, changes, floors(svc, members, changes))
    sys.exit(1 if counts["blocked"] or counts["error"] else 0)


@buildout_group.command("apply")
@click.argument("dc")
@click.option("--racks", "racks", multiple=True, help="Only these racks of the DC (repeatable).")
@click.option("--parallel-racks", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Racks brought up at once (their ZTP, OneView and Ironic steps).")
@click.option("--max-fail-percent", type=click.FloatRange(0, 100), default=25.0, show_default=True,
              help="Stop starting new work when more than this share of a rack's devices failed "
                   "(the failing rack is quarantined; the others go on).")
@click.option("--power", type=click.Choice(["on", "off", "keep"]), default="off", show_default=True,
              help="Power state after the OneView profile is applied (Ironic takes over from there).")
@click.option("--ztp-timeout", type=float, default=900.0, show_default=True,
              help="Seconds to wait for each switch to finish ZTP.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Show the steps; create no run.")
@pass_ctx
def apply_cmd(ctx: Ctx, dc: str, racks: tuple[str, ...], parallel_racks: int, max_fail_percent: float,
              power: str, ztp_timeout: float, yes: bool, dry_run: bool) -> None:
    """Execute the build-out as a resumable run (`i2 runs resume` picks it up after a fix)."""
    svc = site_services(ctx)
    try:
        plan = runbook.build_plan(svc, dc, racks=list(racks) or None, parallel_racks=parallel_racks,
                                  power=power, ztp_timeout=ztp_timeout)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # OneView or an Ironic unreachable while planning
        raise click.ClickException(f"cannot plan the build-out of {dc}: {exc}") from None
    if dry_run:
        rows = [(s.key, s.action, s.batch or "", ", ".join(s.deps)) for s in plan.steps]
        emit([s.model_dump(include={"key", "target", "action", "batch", "deps", "after", "description"})
              for s in plan.steps], ctx.output,
             table=make_table(f"build-out {dc}: {len(rows)} steps (dry run)",
                              ["step", "action", "batch", "after"], rows))
        return
    if not yes:
        _show_plan(ctx, dc, observe(svc, dc, list(racks) or None))
        confirm(yes, f"Build out {dc} ({', '.join(plan.params['racks'])})?")
    limits = step_limits(svc.endpoints, runbook.LIMITS)
    run_id, result = run_plan(ctx, plan, runbook.build, svc, limits=limits,
                              max_fail_percent=max_fail_percent, what=f"build-out {dc}")
    final = ctx.store().get_run(run_id)
    steps = ctx.store().get_steps(run_id)
    by_batch: dict[str, Counter[str]] = {}
    for st in steps:
        by_batch.setdefault(st.batch or "", Counter())[str(st.status)] += 1
    rows = [(batch, ", ".join(f"{n} {s}" for s, n in sorted(c.items())))
            for batch, c in sorted(by_batch.items())]
    emit({"run": run_id, "status": str(final.status), "batches": {b: dict(c) for b, c in by_batch.items()}},
         ctx.output, table=make_table(f"build-out {dc}: run {run_id} {final.status}", ["batch", "steps"],
                                      rows))
    if ctx.output == "table":
        console.print(f"run {run_id}: {final.status}" + (f" - {final.error}" if final.error else ""))
    sys.exit(EXIT.get(RunStatus(str(result.status)), 1))
