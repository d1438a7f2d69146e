"""``i2 fabric``: render, diff, push and verify switch configurations; stage ZTP for a rack."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.output import console, emit, err_console, make_table
from lifecycle.fabric import write_data_root
from lifecycle.fabric.dhcp import FORMATS, render_dhcp
from lifecycle.fabric.drift import Review, review
from lifecycle.fabric.eapi import (
    Finding,
    PushFailed,
    connect,
    health,
    push,
    verify_leaf,
    verify_unchanged,
)
from lifecycle.fabric.intent import FabricConfigError, fabric_secret_hash, intended_configs
from lifecycle.fabric.ztp import write_private
from lifecycle.model.endpoints import SecretMissing, SecretStore

TARGET_HELP = "A rack name (its leaf pair) or 'spines'."


def _switches(ctx: Ctx, target: str) -> list[str]:
    site = ctx.site()
    if target == "spines":
        return [s.name for s in site.spines]
    try:
        return [leaf.name for leaf in site.rack(target).leaves.leaves]
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from None


def _rendered(ctx: Ctx, secrets: SecretStore) -> dict[str, str]:
    try:
        return intended_configs(ctx.site(), ctx.endpoints(), secrets)
    except (FabricConfigError, SecretMissing) as exc:
        raise click.ClickException(str(exc)) from None


@click.group("fabric")
def fabric_group() -> None:
    """The Arista fabric: rendered configs, config-session diffs and pushes, verification."""


@fabric_group.command("render")
@click.argument("target")
@click.option("--out", type=click.Path(path_type=Path), help="Write NAME.cfg files here.")
@pass_ctx
def render_cmd(ctx: Ctx, target: str, out: Path | None) -> None:
    """Render the intended config of TARGET's switches (rack name or 'spines')."""
    configs = _rendered(ctx, SecretStore(ctx.endpoints()))
    names = _switches(ctx, target)
    if out:
        for n in names:  # they hold the admin password hash: 0600 in a 0700 dir
            write_private(out / f"{n}.cfg", configs[n])
        err_console.print(f"wrote {len(names)} config(s) to {out}")
        return
    emit({n: configs[n] for n in names}, ctx.output,
         message="\n".join(f"! ---- {n}\n{configs[n]}" for n in names))


def _diffs(ctx: Ctx, target: str) -> tuple[dict[str, Review], Any, SecretStore]:
    """Each switch's config session diff against the site's config, explained. A user's hash
    the switch already holds for the same password is kept (another salt is no change)."""
    ep = ctx.endpoints()
    secrets = SecretStore(ep)
    configs = _rendered(ctx, secrets)
    pw = ep.fabric.defaults.password
    password = secrets.get(pw) if pw is not None else None
    out = {n: review(connect(ep, secrets, n), configs[n], password) for n in _switches(ctx, target)}
    return out, ep, secrets


def _show_diffs(ctx: Ctx, reviews: dict[str, Review]) -> None:
    if ctx.output != "table":
        emit({n: r.diff for n, r in reviews.items()}, ctx.output)
        return
    for name, r in reviews.items():
        if not r.diff.strip():
            console.print(f"[bold]{name}[/bold]: no change")
            continue
        console.print(f"[bold]{name}[/bold]: {len(r.drift)} difference(s) in meaning, by section "
                      "(order, comments and equivalent syntax are not differences):")
        for d in r.drift:
            console.print(f"  {d}", markup=False, highlight=False)
        console.print(r.diff, markup=False, highlight=False)


@fabric_group.command("diff")
@click.argument("target")
@pass_ctx
def diff_cmd(ctx: Ctx, target: str) -> None:
    """Diff each switch's running config against its intended config (changes nothing).

    The switch's config session diff, and what it means section by section: what is only on the
    switch (a push removes it), what the site adds, what differs. Exit 0 when every switch
    already matches, 1 when some would change.
    """
    reviews, *_ = _diffs(ctx, target)
    _show_diffs(ctx, reviews)
    raise SystemExit(1 if any(r.diff.strip() for r in reviews.values()) else 0)


def _checker(ctx: Ctx, target: str, name: str, node: Any) -> Callable[[], list[Finding]]:
    """How ``name`` proves healthy after a push: a leaf against the site's intent (MLAG, BGP,
    LLDP, CVX connected), a spine by losing none of the BGP sessions/LLDP neighbours it had."""
    if target == "spines":
        before = health(node)
        return lambda: verify_unchanged(node, name, before)
    index = _switches(ctx, target).index(name)
    return lambda: verify_leaf(node, ctx.site(), target, index)


@fabric_group.command("push")
@click.argument("target")
@click.option("--yes", is_flag=True, help="Do not ask before committing.")
@click.option("--dry-run", is_flag=True, help="Show the diffs only.")
@click.option("--confirm-within", type=click.IntRange(60, 3600), default=600, show_default=True,
              help="Seconds the switch keeps an unconfirmed push before it rolls back by itself.")
@click.option("--settle", type=click.FloatRange(0, 3000), default=180, show_default=True,
              help="Seconds to wait for a pushed switch to verify healthy before rolling it back.")
@pass_ctx
def push_cmd(ctx: Ctx, target: str, yes: bool, dry_run: bool, confirm_within: int,
             settle: float) -> None:
    """Show the diffs, then push one switch at a time under a commit timer: each is verified
    (BGP, MLAG, LLDP, CVX connected) before its change is confirmed and saved; the first that
    does not verify is rolled back and nothing after it is pushed."""
    if settle >= confirm_within:
        raise click.BadParameter("must be shorter than --confirm-within", param_hint="--settle")
    reviews, ep, secrets = _diffs(ctx, target)
    _show_diffs(ctx, reviews)
    todo = [n for n, r in reviews.items() if r.diff.strip()]
    theirs = [f"{n}: {d}" for n in todo for d in reviews[n].drift if d.kind != "site-only"]
    if theirs:  # what only the switch has goes: say so before asking
        err_console.print(f"{len(theirs)} setting(s) only on the switches would be removed or "
                          "reset (see above)", markup=False, highlight=False)
    if dry_run or not todo:
        err_console.print("nothing to push" if not todo else f"dry run: {len(todo)} to push")
        return
    if not yes and not click.confirm(f"commit changes on {', '.join(todo)}?", err=True):
        raise SystemExit(1)
    for i, n in enumerate(todo):  # never two at once: MLAG peers and spines one by one
        node = connect(ep, secrets, n)
        try:
            push(node, reviews[n].config, check=_checker(ctx, target, n, node), device=n,
                 confirm_within=confirm_within, settle=settle)
        except PushFailed as exc:
            err_console.print(f"{exc}\nnot pushed: {', '.join(todo[i + 1:]) or 'nothing else'}",
                              markup=False, highlight=False)
            raise SystemExit(1) from None
        err_console.print(f"{n}: verified, confirmed and saved")


@fabric_group.command("verify")
@click.argument("rack")
@pass_ctx
def verify_cmd(ctx: Ctx, rack: str) -> None:
    """Verify a rack's leaves: MLAG, BGP to spines and peer, CVX, LLDP against the cabling plan."""
    ep = ctx.endpoints()
    secrets = SecretStore(ep)
    site = ctx.site()
    findings = []
    for i, name in enumerate(_switches(ctx, rack)):
        findings += verify_leaf(connect(ep, secrets, name), site, rack, i)
    rows = [(f.device, f.check, "ok" if f.ok else "FAIL", f.detail) for f in findings]
    emit([f.__dict__ for f in findings], ctx.output,
         table=make_table(f"rack {rack}", ["switch", "check", "result", "detail"], rows))
    raise SystemExit(0 if all(f.ok for f in findings) else 1)


@fabric_group.command("ztp")
@click.argument("rack")
@pass_ctx
def ztp_cmd(ctx: Ctx, rack: str) -> None:
    """Stage RACK's leaves on the ztpserver (data_root from the endpoints file)."""
    ep = ctx.endpoints()
    if ep.ztp is None:
        raise click.ClickException("the endpoints file has no ztp section")
    site = ctx.site()
    try:
        hashed = fabric_secret_hash(site, ep)
    except (FabricConfigError, SecretMissing) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        changed = write_data_root(site, rack, ep.path(ep.ztp.data_root), secret_hash=hashed,
                                  username=ep.fabric.defaults.username or "i2",
                                  cvx_hosts=tuple(ep.cvx_servers))
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from None
    emit({"rack": rack, "changed": changed}, ctx.output,
         message=f"rack {rack} staged on {ep.ztp.url}: {len(changed)} file(s) changed")


@fabric_group.command("dhcp")
@click.argument("racks", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="isc", show_default=True,
              help="ISC dhcpd or dnsmasq syntax.")
@click.option("--router", help="Default gateway to hand out on the management network.")
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
@pass_ctx
def dhcp_cmd(ctx: Ctx, racks: tuple[str, ...], fmt: str, router: str | None, out: Path | None) -> None:
    """DHCP entries that send RACKS' new leaves to ZTP: address by system MAC, option 67 =
    the ztpserver bootstrap URL from the endpoints file."""
    ep = ctx.endpoints()
    if ep.ztp is None:
        raise click.ClickException("the endpoints file has no ztp section (url)")
    try:
        text = render_dhcp(ctx.site(), list(racks), ep.ztp.url, fmt=fmt, router=router)
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from None
    except ValueError as exc:
        raise click.ClickException(f"--router: {exc}") from None
    if "host " not in text and "dhcp-host=" not in text:
        err_console.print(f"no planned leaves in {', '.join(racks)}: nothing to serve")
    if out:
        out.write_text(text)
        err_console.print(f"wrote {out}")
    elif ctx.output == "table":
        click.echo(text, nl=False)
    else:
        emit({"format": fmt, "racks": list(racks), "config": text}, ctx.output)
