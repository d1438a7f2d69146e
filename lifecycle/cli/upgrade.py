"""``i2 upgrade plan|apply|status|rollback``: the immutable-cloud upgrade campaign."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import click
from rich.text import Text

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.execute import confirm, run_plan
from lifecycle.cli.output import console, emit, err_console, make_table
from lifecycle.cli.rack import EXIT, site_services
from lifecycle.engine import Plan, RunStatus
from lifecycle.model.limits import step_limits
from lifecycle.report.upgrade import lb_cell, report
from lifecycle.runbooks import upgrade as runbook
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.upgrade import UpgradeModelError, clouds

LEVEL = {"ok": "green", "info": "cyan", "warning": "yellow", "blocking": "red"}


def _services(ctx: Ctx) -> Services:
    return runbook.services(site_services(ctx))


def _check_clouds(svc: Services, from_cloud: str | None, to_cloud: str | None) -> tuple[str, str]:
    try:
        old, new = clouds(svc.site)
    except UpgradeModelError as exc:
        raise click.ClickException(str(exc)) from None
    for given, want, what in ((from_cloud, old.name, "--from"), (to_cloud, new.name, "--to")):
        if given is not None and given != want:
            raise click.ClickException(f"{what} {given}: the site's upgrade goes from {old.name} "
                                       f"to {new.name}")
    return old.name, new.name


@click.group("upgrade")
def upgrade_group() -> None:
    """The immutable-cloud upgrade: applications move subnet by subnet to the new cloud."""


def _steps_table(plan: Plan, title: str) -> Any:
    return make_table(title, ["step", "action", "after"],
                      [(s.key, s.action, ", ".join(s.deps)) for s in plan.steps])


@upgrade_group.command("plan")
@click.option("--from", "from_cloud", help="The old cloud (checked against the site).")
@click.option("--to", "to_cloud", help="The new cloud (checked against the site).")
@click.option("--wave", help="Only this wave.")
@click.option("--app", "apps", multiple=True, help="Only this application (repeatable).")
@click.option("--steps", "show_steps", is_flag=True, help="Also list every step of the run.")
@pass_ctx
def plan_cmd(ctx: Ctx, from_cloud: str | None, to_cloud: str | None, wave: str | None,
             apps: tuple[str, ...], show_steps: bool) -> None:
    """Readiness per wave and application; changes nothing. Exit 1 when something blocks."""
    svc = _services(ctx)
    old, new = _check_clouds(svc, from_cloud, to_cloud)
    try:
        findings = runbook.readiness(svc, wave=wave, apps=list(apps) or None)
        plan = runbook.build_plan(svc, wave=wave, apps=list(apps) or None)
    except UpgradeModelError as exc:
        raise click.ClickException(str(exc)) from None
    assert svc.site.upgrade is not None
    eta = runbook.eta_seconds(plan, svc.site.upgrade.soak_seconds)
    counts = Counter(f.level for f in findings)
    rows = [(f.wave, f.app, f.check, Text(f.level, style=LEVEL.get(f.level, "")), f.detail) for f in findings]
    summary = (f"{old} -> {new}: {len(plan.steps)} steps, ETA about {eta:.0f} s; "
               + ", ".join(f"{counts[k]} {k}" for k in ("blocking", "warning", "info", "ok") if counts[k]))
    data = {"from": old, "to": new, "findings": [f.as_dict() for f in findings],
            "summary": dict(counts), "steps": len(plan.steps), "eta_seconds": eta}
    if show_steps:
        data["plan"] = [s.model_dump(include={"key", "action", "deps", "description"}) for s in plan.steps]
    emit(data, ctx.output, table=make_table(f"upgrade {old} -> {new}: readiness",
                                            ["wave", "application", "check", "level", "detail"], rows),
         message=summary)
    if show_steps and ctx.output == "table":
        console.print(_steps_table(plan, "steps, in order"))
    sys.exit(1 if counts["blocking"] else 0)


def _runs(store: Any, kinds: tuple[str, ...] = ("upgrade", "upgrade-rollback")) -> list[Any]:
    runs = [r for k in kinds for r in store.list_runs(kind=k)]
    return sorted(runs, key=lambda r: r.created_at)


def _show_report(ctx: Ctx, store: Any, title: str,
                 extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    rows = report(store, [r.id for r in _runs(store)])

    def style(r: dict[str, Any]) -> str:
        return "green" if r["state"] == "moved" else "red" if r["error"] else "yellow"

    def ms(v: Any) -> str:
        return "-" if v is None else f"{v}"

    def vols(r: dict[str, Any]) -> str:
        return ", ".join(f"{k}: {(v['from'] or '')[:8]}->{(v['to'] or '')[:8]}"
                         for k, v in r["volumes"].items())

    table = make_table(title, ["application", "state", "downtime ms", "write freeze ms", "both served s",
                               "load balancer", "volumes", "error"],
                       [(r["app"], Text(r["state"], style=style(r)), ms(r["downtime_ms"]),
                         ms(r["write_freeze_ms"]), ms(r.get("both_served_s")), lb_cell(r.get("lb")),
                         vols(r), r["error"]) for r in rows])
    emit({**(extra or {}), "applications": rows}, ctx.output, table=table)
    return rows


def _execute(ctx: Ctx, svc: Services, plan: Plan, max_fail_percent: float, what: str) -> None:
    run_id, result = run_plan(ctx, plan, runbook.build, svc,
                              limits=step_limits(svc.endpoints, runbook.LIMITS),
                              max_fail_percent=max_fail_percent, what=what)
    store = ctx.store()
    final = store.get_run(run_id)
    _show_report(ctx, store, f"{what}: run {run_id} {final.status}",
                 {"run": run_id, "status": str(final.status)})
    if ctx.output == "table":
        console.print(f"run {run_id}: {final.status}" + (f" - {final.error}" if final.error else ""))
    sys.exit(EXIT.get(RunStatus(str(result.status)), 1))


@upgrade_group.command("apply")
@click.option("--wave", help="Only this wave.")
@click.option("--app", "apps", multiple=True, help="Only this application (repeatable).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--max-fail-percent", type=click.FloatRange(0, 100), default=34.0, show_default=True,
              help="Stop starting new work in a wave when more than this share of its "
              "applications failed.")
@click.option("--force", is_flag=True, help="Apply although the readiness report blocks.")
@click.option("--dry-run", is_flag=True, help="Show the steps; create no run.")
@pass_ctx
def apply_cmd(ctx: Ctx, wave: str | None, apps: tuple[str, ...], yes: bool, max_fail_percent: float,
              force: bool, dry_run: bool) -> None:
    """Move the applications (a resumable run), then print each one's state and downtime."""
    svc = _services(ctx)
    old, new = _check_clouds(svc, None, None)
    try:
        plan = runbook.build_plan(svc, wave=wave, apps=list(apps) or None)
    except UpgradeModelError as exc:
        raise click.ClickException(str(exc)) from None
    if dry_run:
        emit([s.model_dump(include={"key", "target", "action", "deps", "description"}) for s in plan.steps],
             ctx.output,
             table=_steps_table(plan, f"upgrade {old} -> {new}: {len(plan.steps)} steps (dry run)"))
        return
    findings = runbook.readiness(svc, wave=wave, apps=list(apps) or None)
    blocking = [f for f in findings if f.level == "blocking"]
    if blocking and not force:
        for f in blocking:
            err_console.print(f"blocking: {f.wave} {f.app} {f.check}: {f.detail}", markup=False)
        raise click.ClickException(f"{len(blocking)} blocking finding(s): see `i2 upgrade plan`; "
                                   "nothing was changed")
    confirm(yes, f"Move {len({s.params.get('app') for s in plan.steps} - {None})} application(s) "
                       f"from {old} to {new}?")
    _execute(ctx, svc, plan, max_fail_percent, f"upgrade {old} -> {new}")


@upgrade_group.command("rollback")
@click.argument("app")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def rollback_cmd(ctx: Ctx, app: str, yes: bool) -> None:
    """Return APP to its A side (volumes back included), while A still exists."""
    svc = _services(ctx)
    old, new = _check_clouds(svc, None, None)
    try:
        plan = runbook.build_rollback_plan(svc, app)
    except UpgradeModelError as exc:
        raise click.ClickException(str(exc)) from None
    confirm(yes, f"Roll {app} back from {new} to {old}?")
    _execute(ctx, svc, plan, 100.0, f"rollback {app}")


@upgrade_group.command("status")
@pass_ctx
def status_cmd(ctx: Ctx) -> None:
    """Each application's state across upgrade runs, its downtime and write freeze (ms) as the
    probes measured them, and the probes' live view when a probe service is configured."""
    store = ctx.store()
    live: list[dict[str, Any]] = []
    if ctx.endpoints_file is not None:
        from lifecycle.probes import Probes, ProbesError

        probes = Probes.connect(ctx.endpoints())
        if probes is not None:
            try:
                live = probes.status()
            except ProbesError as exc:
                err_console.print(f"probes: {exc}", markup=False)
    rows = _show_report(ctx, store, "upgrade status", {"probes": live})
    if live and ctx.output == "table":
        red = [p for p in live if not p["ok"]]
        console.print(f"probes: {len(live) - len(red)}/{len(live)} green"
                      + "".join(f"\n  red: {p['consumer']} -> {p['app']}/{p['env']}: {p.get('detail', '')}"
                                for p in red))
    sys.exit(1 if any(r["error"] for r in rows) else 0)
