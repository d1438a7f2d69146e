"""``i2 fabric``: render, diff, push and verify switch configurations; stage ZTP for a rack."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.output import console, emit, err_console, make_table
from lifecycle.fabric import write_data_root
from lifecycle.fabric.dhcp import FORMATS, MissingMac, render_dhcp
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
from lifecycle.fabric.spines import SpinesUnhealthy, gate_rack, verify_spine
from lifecycle.fabric.ztp import write_private, ztp_spines
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


def _diffs(ctx: Ctx, target: str, keep: bool = False) -> tuple[dict[str, Review], Any, SecretStore]:
    """Each switch's config session diff against the site's config, explained. A user's hash
    the switch already holds for the same password is kept (another salt is no change); with
    ``keep``, so is every setting only the switch has."""
    ep = ctx.endpoints()
    secrets = SecretStore(ep)
    configs = _rendered(ctx, secrets)
    pw = ep.fabric.defaults.password
    password = secrets.get(pw) if pw is not None else None
    out = {n: review(connect(ep, secrets, n), configs[n], password, keep=keep)
           for n in _switches(ctx, target)}
    return out, ep, secrets


def _show_diffs(ctx: Ctx, reviews: dict[str, Review], keep: bool | None = None) -> None:
    """The diffs; for a push (``keep`` given) also what only the switches have and what the
    push does with it (kept, or removed/reset to the site's)."""
    if ctx.output != "table":
        if keep is None:
            emit({n: r.diff for n, r in reviews.items()}, ctx.output)
            return
        emit({"foreign": "kept" if keep else "removed",
              "switches": {n: {"diff": r.diff, "kept": r.kept,
                               "removed": [str(d) for d in r.drift if d.kind != "site-only"]}
                           for n, r in reviews.items()}}, ctx.output)
        return
    for name, r in reviews.items():
        own = f" ({len(r.kept)} setting(s) only on the switch kept)" if r.kept else ""
        if not r.diff.strip():
            console.print(f"[bold]{name}[/bold]: no change{own}")
            continue
        console.print(f"[bold]{name}[/bold]: {len(r.drift)} difference(s) in meaning, by section "
                      "(order, comments and equivalent syntax are not differences):")
        for d in r.drift:
            console.print(f"  {d}", markup=False, highlight=False)
        for k in r.kept:
            console.print(f"  kept, only on the switch: {k}", markup=False, highlight=False)
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
@click.option("--keep-foreign/--remove-foreign", default=False, show_default=True,
              help="Keep the settings only the switches have (typed by hand, not in the site), "
                   "or remove them so each switch is the site's config.")
@pass_ctx
def push_cmd(ctx: Ctx, target: str, yes: bool, dry_run: bool, confirm_within: int,
             settle: float, keep_foreign: bool) -> None:
    """Show the diffs, then push one switch at a time under a commit timer: each is verified
    (BGP, MLAG, LLDP, CVX connected) before its change is confirmed and saved; the first that
    does not verify is rolled back and nothing after it is pushed.

    By default a push makes each switch the site's config: what only the switch has goes
    (counted before asking). --keep-foreign pushes it back as it is instead; a setting the
    site also sets (another description, say) takes the site's value either way."""
    if settle >= confirm_within:
        raise click.BadParameter("must be shorter than --confirm-within", param_hint="--settle")
    reviews, ep, secrets = _diffs(ctx, target, keep=keep_foreign)
    _show_diffs(ctx, reviews, keep=keep_foreign)
    todo = [n for n, r in reviews.items() if r.diff.strip()]
    kept = sum(len(r.kept) for r in reviews.values())
    theirs = [f"{n}: {d}" for n in todo for d in reviews[n].drift if d.kind != "site-only"]
    if kept:
        err_console.print(f"{kept} setting(s) only on the switches kept as they are "
                          "(--keep-foreign)", markup=False, highlight=False)
    if theirs and keep_foreign:
        err_console.print(f"{len(theirs)} setting(s) the switches set otherwise would take the "
                          "site's value (see above)", markup=False, highlight=False)
    elif theirs:  # what only the switch has goes: say so before asking
        err_console.print(f"{len(theirs)} setting(s) only on the switches would be removed or "
                          "reset (see above; --keep-foreign keeps what the site does not set)",
                          markup=False, highlight=False)
    if dry_run or not todo:
        err_console.print("nothing to push" if not todo else
                          f"dry run: {len(todo)} to push, foreign settings "
                          f"{'kept' if keep_foreign else 'removed'}")
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
    """Verify a rack's leaves: MLAG, BGP to spines and peer, CVX, LLDP against the cabling plan;
    or 'spines': BGP to every leaf up so far (the rest expected down), LLDP, CVX."""
    ep = ctx.endpoints()
    secrets = SecretStore(ep)
    site = ctx.site()
    findings = []
    for i, name in enumerate(_switches(ctx, rack)):
        node = connect(ep, secrets, name)
        findings += verify_spine(node, site, name) if rack == "spines" else \
            verify_leaf(node, site, rack, i)
    rows = [(f.device, f.check, "ok" if f.ok else "FAIL", f.detail) for f in findings]
    emit([f.__dict__ for f in findings], ctx.output,
         table=make_table(rack if rack == "spines" else f"rack {rack}",
                          ["switch", "check", "result", "detail"], rows))
    raise SystemExit(0 if all(f.ok for f in findings) else 1)


@fabric_group.command("ztp")
@click.argument("target")
@click.option("--spine", "only", multiple=True, help="With 'spines': only this spine (repeatable).")
@click.option("--dry-run", is_flag=True, help="List the files that would change; write nothing.")
@pass_ctx
def ztp_cmd(ctx: Ctx, target: str, only: tuple[str, ...], dry_run: bool) -> None:
    """Stage TARGET on the ztpserver (data_root from the endpoints file): a rack's leaves, once
    the spines they hang off verify healthy, or 'spines' (static nodes by serial)."""
    ep = ctx.endpoints()
    if ep.ztp is None:
        raise click.ClickException("the endpoints file has no ztp section")
    site = ctx.site()
    try:
        hashed = fabric_secret_hash(site, ep)
    except (FabricConfigError, SecretMissing) as exc:
        raise click.ClickException(str(exc)) from None
    common = {"secret_hash": hashed, "username": ep.fabric.defaults.username or "i2",
              "cvx_hosts": tuple(ep.cvx_servers), "dry_run": dry_run}
    data_root = ep.path(ep.ztp.data_root)
    try:
        if target == "spines":
            changed = ztp_spines(site, data_root, spines=list(only) or None, **common)
        else:
            if only:
                raise click.BadParameter("only with 'spines'", param_hint="--spine")
            site.rack(target)  # an unknown rack is named before any spine is asked
            secrets = SecretStore(ep)
            gate_rack(site, target, lambda s: verify_spine(connect(ep, secrets, s, timeout=10),
                                                             site, s))
            changed = write_data_root(site, target, data_root, **common)
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from None
    except SpinesUnhealthy as exc:
        raise click.ClickException(str(exc)) from None
    what = "would change" if dry_run else "changed"
    emit({"target": target, "dry_run": dry_run, "changed": changed}, ctx.output,
         message=f"{target} staged on {ep.ztp.url}: {len(changed)} file(s) {what}"
         if not dry_run else f"dry run: {len(changed)} file(s) {what} for {target}")


@fabric_group.command("dhcp")
@click.argument("racks", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="isc", show_default=True,
              help="ISC dhcpd or dnsmasq syntax.")
@click.option("--router", help="Default gateway to hand out on the management network.")
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
@pass_ctx
def dhcp_cmd(ctx: Ctx, racks: tuple[str, ...], fmt: str, router: str | None, out: Path | None) -> None:
    """DHCP entries that send RACKS' new leaves to ZTP ('spines' among RACKS: every spine):
    address by system MAC, option 67 = the ztpserver bootstrap URL from the endpoints file."""
    ep = ctx.endpoints()
    if ep.ztp is None:
        raise click.ClickException("the endpoints file has no ztp section (url)")
    site = ctx.site()
    spines = [x.name for x in site.spines] if "spines" in racks else []
    racks = tuple(r for r in racks if r != "spines")
    try:
        text = render_dhcp(site, list(racks), ep.ztp.url, fmt=fmt, router=router, spines=spines)
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from None
    except MissingMac as exc:
        raise click.ClickException(str(exc)) from None
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
