"""``i2 servers``: HPE servers through OneView (templates, profiles, identity, facts for Ironic)."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.output import emit, err_console, make_table
from lifecycle.model.schema import Server


def _ov(ctx: Ctx) -> Any:
    from lifecycle.oneview import OneViewError, OneViewServers, connect

    try:
        return OneViewServers(connect(ctx.endpoints()))
    except OneViewError as exc:
        raise click.ClickException(str(exc)) from None


def _servers(ctx: Ctx, rack: str, only: tuple[str, ...] = ()) -> list[Server]:
    site = ctx.site()
    try:
        site.rack(rack)
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from None
    servers = site.servers_in(rack)
    unknown = sorted(set(only) - {s.name for s in servers})
    if unknown:
        raise click.ClickException(f"not servers of rack {rack}: {', '.join(unknown)}")
    return [s for s in servers if not only or s.name in only]


@click.group("servers")
def servers_group() -> None:
    """HPE servers in OneView: profile templates, profiles, identity checks."""


@servers_group.group("templates")
def templates_group() -> None:
    """Server profile templates generated from hardware-profiles/."""


@templates_group.command("sync")
@click.option("--profile", "profiles", multiple=True, help="Only this hardware profile (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@pass_ctx
def templates_sync(ctx: Ctx, profiles: tuple[str, ...], dry_run: bool) -> None:
    """Create each template, or update only what differs from its hardware profile."""
    from lifecycle.oneview import OneViewError

    site = ctx.site()
    unknown = sorted(set(profiles) - set(site.hardware_profiles))
    if unknown:
        raise click.ClickException(f"unknown hardware profile(s): {', '.join(unknown)} "
                                   f"(known: {', '.join(sorted(site.hardware_profiles))})")
    ov = _ov(ctx)
    rows, data, failed = [], [], False
    for name in sorted(profiles or site.hardware_profiles):
        try:
            ch = (ov.observe_template if dry_run else ov.sync_template)(site.hardware_profiles[name])
            item = {"profile": name, "template": ch.name, "action": ch.action, "changes": ch.changes}
        except OneViewError as exc:
            failed = True
            item = {"profile": name, "template": f"i2-{name}", "action": "failed", "changes": [str(exc)]}
        data.append(item)
        action = item["action"] if not dry_run or item["action"] in ("unchanged", "failed") else \
            f"would be {item['action']}"
        rows.append((name, item["template"], action, "\n".join(item["changes"])))
    emit(data, ctx.output, table=make_table("server profile templates" + (" (dry run)" if dry_run else ""),
                                            ["profile", "template", "action", "changes"], rows))
    sys.exit(1 if failed else 0)


@servers_group.command("list")
@click.argument("rack")
@pass_ctx
def list_cmd(ctx: Ctx, rack: str) -> None:
    """Each server of RACK in OneView: state, power, profile, compliance, iLO, problems."""
    from lifecycle.oneview import OneViewError, ServerMissing

    site = ctx.site()
    ov = _ov(ctx)
    data, rows = [], []
    for s in _servers(ctx, rack):
        profile = site.hardware_profiles[s.hardware_profile]
        item: dict[str, Any] = {"server": s.name, "serial": s.serial}
        try:
            hw = ov.hardware(s)
            problems = ov.identity_mismatches(s, hw, profile)
            compliance, _ = ov.compliance(s)
            item.update(state=hw.get("state"), power=hw.get("powerState"),
                        profile=ov.profile_name(hw), compliance=compliance,
                        ilo=", ".join(a.get("address", "") for a in (hw.get("mpHostInfo") or {}).get(
                            "mpIpAddresses", [])), problems=problems)
        except ServerMissing as exc:
            item.update(state="missing", problems=[exc.message])
        except OneViewError as exc:
            item.update(state="error", problems=[str(exc)])
        data.append(item)
        rows.append((s.name, s.serial, item.get("state") or "", item.get("power") or "",
                     item.get("profile") or "", item.get("compliance") or "", item.get("ilo") or "",
                     Text("\n".join(item["problems"]), style="red")))
    emit(data, ctx.output, table=make_table(f"rack {rack} in OneView", [
        "server", "serial", "state", "power", "profile", "compliance", "iLO", "problems"], rows))
    sys.exit(1 if any(d["problems"] for d in data) else 0)


def _serving_refusals(ctx: Ctx, servers: list[Server]) -> list[str]:
    """Hazard 1, the rule `i2 rack apply` applies: each serving server (its Ironic node in its cloud's
    undercloud deployed) whose profile would change, with why. Observes only; a system that cannot
    answer refuses the command (serving or not is unknown)."""
    from lifecycle.baremetal import BaremetalError
    from lifecycle.cli.rack import site_services
    from lifecycle.oneview import OneViewError
    from lifecycle.runbooks.rack.plan import serving_refusals

    try:
        return serving_refusals(site_services(ctx), servers)
    except (BaremetalError, OneViewError) as exc:
        raise click.ClickException(f"cannot tell whether the servers are serving, so nothing was touched: "
                                   f"{exc}") from None


@servers_group.command("apply")
@click.argument("rack")
@click.option("--server", "only", multiple=True, help="Only these servers (repeatable).")
@click.option("--power", type=click.Choice(["on", "off", "keep"]), default="keep", show_default=True,
              help="Power state after the profile is applied.")
@click.option("--dry-run", is_flag=True, help="Show what would be done; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def apply_cmd(ctx: Ctx, rack: str, only: tuple[str, ...], power: str, dry_run: bool, yes: bool) -> None:
    """Sync the templates RACK uses, then give each server its profile from its template.

    Servers are powered off first (gracefully) only when OneView must apply BIOS, storage,
    connections or firmware. A serving server (its Ironic node deployed) whose profile would
    change is refused before anything is touched: drain it through the upgrade's recommission
    first (docs/safety.md, hazard 1). For a resumable run across OneView and Ironic use
    `i2 rack apply`."""
    from lifecycle.oneview import OneViewError

    site = ctx.site()
    servers = _servers(ctx, rack, only)
    refused = _serving_refusals(ctx, servers)
    if refused and not dry_run:
        raise click.ClickException("refused: serving servers, drain them first through the upgrade's "
                                   "recommission (nothing was touched):\n  " + "\n  ".join(refused))
    ov = _ov(ctx)
    uris: dict[str, str | None] = {}
    for p in sorted({s.hardware_profile for s in servers}):
        try:
            ch = (ov.observe_template if dry_run else ov.sync_template)(site.hardware_profiles[p])
        except OneViewError as exc:
            raise click.ClickException(str(exc)) from None
        uris[p] = ch.uri
    if dry_run:
        why = {line.split(":", 1)[0]: line for line in refused}
        data = [{"server": s.name, "state": f"refused: {why[s.name]}" if s.name in why else
                 ov.observe_server(s, uris[s.hardware_profile])} for s in servers]
        emit(data, ctx.output, table=make_table(f"rack {rack}: profiles (dry run)", ["server", "would"],
                                                [(d["server"], d["state"]) for d in data]))
        sys.exit(1 if refused else 0)
    if not yes and not click.confirm(f"apply server profiles to {len(servers)} server(s) of {rack}?",
                                     err=True):
        sys.exit(1)
    data = []
    with Progress(TextColumn("[bold]profiles"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}"), console=err_console,
                  disable=ctx.output != "table") as bar:
        task = bar.add_task("", total=len(servers))
        for s in servers:
            bar.update(task, description=s.name)
            try:
                res = ov.apply_profile(s, str(uris[s.hardware_profile]), power=power)
                data.append({"server": s.name, "action": res.action, "compliance": res.compliance,
                             "powered_off_first": res.powered_off, "error": ""})
            except OneViewError as exc:
                data.append({"server": s.name, "action": "failed", "compliance": "", "error": str(exc)})
            bar.advance(task)
    rows = [(d["server"], d["action"], d["compliance"], d["error"]) for d in data]
    emit(data, ctx.output, table=make_table(f"rack {rack}: profiles",
                                            ["server", "action", "compliance", "error"], rows))
    sys.exit(1 if any(d["error"] for d in data) else 0)


@servers_group.command("facts")
@click.argument("rack")
@pass_ctx
def facts_cmd(ctx: Ctx, rack: str) -> None:
    """What Ironic needs from OneView (iLO address, MAC per NIC), cross-checked with the site."""
    from lifecycle.oneview import OneViewError

    site = ctx.site()
    ov = _ov(ctx)
    data = []
    for s in _servers(ctx, rack):
        try:
            f = ov.ironic_facts(s, site.hardware_profiles[s.hardware_profile])
            data.append({"server": s.name, "ilo": f.ilo, "macs": f.macs, "error": ""})
        except OneViewError as exc:
            data.append({"server": s.name, "ilo": "", "macs": {}, "error": str(exc)})
    rows = [(d["server"], d["ilo"], " ".join(f"{k}={v}" for k, v in d["macs"].items()), d["error"])
            for d in data]
    emit(data, ctx.output, table=make_table(f"rack {rack}: facts for Ironic",
                                            ["server", "iLO", "MACs", "error"], rows))
    sys.exit(1 if any(d["error"] for d in data) else 0)
