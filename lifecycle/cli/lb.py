"""``i2 lb``: the applications' virtual servers on the NetScalers: who serves, drain, enable.

Side a or b of an application environment is its members whose address is in the
environment's ``subnets.a`` or ``subnets.b`` (the site model). Exit codes: 0 done (or nothing to
do), 1 refused or failed (a drain that would leave no serving member, an unreachable NetScaler,
``status`` with a virtual server that serves nobody), 2 usage.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.text import Text

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.output import emit, make_table
from lifecycle.loadbalancer import LbError, LbIntent, LoadBalancer, Member, WouldStopServing, intents
from lifecycle.loadbalancer.layers import layers
from lifecycle.loadbalancer.lb import MEMBER_WEIGHT
from lifecycle.loadbalancer.members import drain_targets, enable_targets
from lifecycle.model.endpoints import SecretMissing, SecretStore


class _Devices:
    """One NITRO session per NetScaler the command needs, logged out at the end."""

    def __init__(self, ctx: Ctx):
        self.endpoints = ctx.endpoints()
        self.secrets = SecretStore(self.endpoints)
        self.open: dict[str, LoadBalancer] = {}

    def __call__(self, device: str) -> LoadBalancer:
        if device not in self.open:
            try:
                self.open[device] = LoadBalancer.connect(self.endpoints, self.secrets, device)
            except SecretMissing as exc:
                raise LbError(f"netscaler {device}: {exc}") from None
        return self.open[device]

    def close(self) -> None:
        for lb in self.open.values():
            lb.close()


def _intents(ctx: Ctx, app: str | None, env: str | None) -> list[LbIntent]:
    try:
        found = intents(ctx.site(), app, env)
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from None
    if not found:
        raise click.ClickException(f"no load-balanced environment for {app or 'any application'}"
                                   + (f" in {env}" if env else "") + " (environments.<env>.lb in the site)")
    return found


def side_ips(intent: LbIntent, members: list[Member], side: str) -> list[str]:
    """The bound members on ``side`` (their address in the side's subnet)."""
    return sorted({m.ip for m in members if intent.side_of(m.ip) == side})


def _member_text(intent: LbIntent, m: Member) -> Text:
    style = "green" if m.serving else "yellow" if m.state.upper() == "DISABLED" else "red"
    weight = f" weight {m.weight}" if m.weight not in (None, MEMBER_WEIGHT) else ""  # drift: shown
    return Text(f"{intent.side_of(m.ip) or '?'} {m.ip}:{m.port} {m.state.lower()} {m.svrstate}{weight}",
                style=style)


@click.group("lb")
def lb_group() -> None:
    """Load balancers (NetScaler, NITRO): virtual servers, members, graceful drains."""


@lb_group.command("status")
@click.argument("app", required=False)
@click.option("--env", help="Only this environment.")
@pass_ctx
def status_cmd(ctx: Ctx, app: str | None, env: str | None) -> None:
    """Each virtual server: state, monitor, members per side, who is serving, and the content
    switching policy and GSLB service above it (when the site declares them)."""
    devices, data, rows = _Devices(ctx), [], []
    try:
        for intent in _intents(ctx, app, env):
            item: dict[str, Any] = {"app": intent.key, "device": intent.device, "vserver": intent.name}
            try:
                lb = devices(intent.device)
                obs = lb.observe(intent)
                found = {x.kind: x.as_dict() for x in layers(intent, obs)}
                item.update(lb.who_serves(intent, obs), observed=obs.as_dict(),
                            drift=[str(c) for c in lb.diff(intent, obs)], error="",
                            cs=found.get("cs"), gslb=found.get("gslb"))
            except LbError as exc:
                item.update(state="error", serving_sides=[], drift=[], error=str(exc), cs=None, gslb=None)
            data.append(item)
            rows.append(_status_row(intent, item))
    finally:
        devices.close()
    emit(data, ctx.output, table=make_table("load balancing", [
        "app/env", "vserver / VIP", "state", "monitor", "members (side ip:port state health)", "serving",
        "content switching / GSLB", "drift / error"], rows))
    sys.exit(1 if any(d["error"] or not d["serving_sides"] for d in data) else 0)


def _status_row(intent: LbIntent, item: dict[str, Any]) -> tuple[Any, ...]:
    members = [_member_text(intent, m) for m in _observed_members(item)]
    bound = item.get("observed", {}).get("monitors", [intent.monitorname])
    monitor = intent.monitorname + ("" if intent.monitorname in bound else " (not bound)")
    problem = Text(item["error"], style="red") if item["error"] else Text("\n".join(item["drift"]))
    return (intent.key, f"{intent.name}\n{intent.vserver['ipv46']}:{intent.vserver['port']}",
            item.get("state", ""), monitor, Text("\n").join(members) if members else "none",
            ", ".join(item["serving_sides"]) or Text("nobody", style="red"), _layers_text(item), problem)


LAYER_STYLE = {"ok": "green", "bind": "yellow", "create": "yellow", "drift": "yellow", "down": "red",
               "conflict": "red"}


def _layers_text(item: dict[str, Any]) -> Text | str:
    """One line per layer the site declares: cs: csvserver -> policy -> target, gslb: gslbvserver
    -> service ip:port state; coloured by what i2 makes of it (yellow: lb-ensure binds it)."""
    lines = []
    for kind in ("cs", "gslb"):
        x = item.get(kind)
        if not x:
            continue
        if kind == "cs":
            text = f"cs {x['vserver']} -> {x['member']} -> {x.get('target') or 'unbound'}"
        else:
            text = f"gslb {x['vserver']} -> {x['member']} {x.get('endpoint') or ''} {x.get('state') or ''}"
        lines.append(Text(text.rstrip() + ("" if x["status"] == "ok" else f" ({x['status']})"),
                          style=LAYER_STYLE.get(x["status"], "")))
    return Text("\n").join(lines) if lines else "-"


def _observed_members(item: dict[str, Any]) -> list[Member]:
    return [Member(m["ip"], m["port"], m["state"], m["svrstate"], m.get("servername"),
                   weight=m.get("weight")) for m in item.get("observed", {}).get("members", [])]


def _move(ctx: Ctx, app: str, env: str, side: str, dry_run: bool, action: str, **kwargs: Any) -> None:
    intent = _intents(ctx, app, env)[0]
    devices = _Devices(ctx)
    refused: str | None = None
    try:
        lb = devices(intent.device)
        before = lb.members(intent.sg)
        ips = side_ips(intent, before, side)
        done: list[Member] = []
        if ips and not dry_run:
            done = getattr(lb, action)(intent.sg, ips, port=intent.port, **kwargs)
        elif action == "enable":
            done = enable_targets(before, ips, intent.port)
        else:  # what the drain would disable, and whether the guard would refuse it
            try:
                done = drain_targets(intent.sg, before, ips, intent.port, force=kwargs["force"])
            except WouldStopServing as exc:
                refused = str(exc)
        after = lb.members(intent.sg) if done and not dry_run else before
    except WouldStopServing as exc:
        raise click.ClickException(str(exc)) from None
    except LbError as exc:
        raise click.ClickException(f"{intent.key}: {exc}") from None
    finally:
        devices.close()
    verb = {"drain": "drained", "enable": "enabled"}[action]
    changed = {m.ip for m in done}
    data = {"app": intent.key, "side": side, "action": action, "dry_run": dry_run, "members": ips,
            verb: sorted(changed), "refused": refused, **kwargs,
            "after": [m.as_dict() for m in after if m.ip in ips]}
    rows = [(m.ip, m.port, m.state.lower(), m.svrstate,
             (("would be " if dry_run else "") + verb) if m.ip in changed else "unchanged")
            for m in after if m.ip in ips]
    title = f"{intent.key} side {side}: {action}" + (" (dry run)" if dry_run else "")
    emit(data, ctx.output, table=make_table(title, ["member", "port", "state", "health", "action"], rows),
         message=refused or (None if ips else f"no member of {intent.sg} is on side {side}: nothing to do"))
    sys.exit(1 if refused else 0)


SIDE = click.option("--side", type=click.Choice(["a", "b"]), required=True,
                    help="The side whose members move (their addresses in subnets.<side>).")
ENV = click.option("--env", required=True, help="The application environment.")
DRY_RUN = click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")


@lb_group.command("drain")
@click.argument("app")
@ENV
@SIDE
@click.option("--delay", type=click.IntRange(0), help="Seconds established connections are served "
              "(default: the environment's drain_delay).")
@click.option("--force", is_flag=True, help="Drain even if no enabled, UP member would remain.")
@DRY_RUN
@pass_ctx
def drain_cmd(ctx: Ctx, app: str, env: str, side: str, delay: int | None, force: bool, dry_run: bool) -> None:
    """Gracefully disable APP's members on one side (new connections go to the other side).
    Refused when no enabled, UP member would remain, unless --force."""
    intent = _intents(ctx, app, env)[0]
    _move(ctx, app, env, side, dry_run, "drain", delay=intent.drain_delay if delay is None else delay,
          force=force)


@lb_group.command("enable")
@click.argument("app")
@ENV
@SIDE
@DRY_RUN
@pass_ctx
def enable_cmd(ctx: Ctx, app: str, env: str, side: str, dry_run: bool) -> None:
    """Enable APP's members on one side again (undo a drain)."""
    _move(ctx, app, env, side, dry_run, "enable")
