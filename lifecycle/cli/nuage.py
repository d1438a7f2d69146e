"""``i2 nuage bootstrap plan|apply``: the VSD's organisation for the site's clouds
(lifecycle.nuage.bootstrap), outside a build-out run (a VSD brought up later, a new cloud's CMS
and plugin user, drift put back)."""

from __future__ import annotations

import sys
from collections import Counter
from typing import TYPE_CHECKING

import click
from rich.text import Text

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.execute import confirm
from lifecycle.cli.output import console, emit, make_table

if TYPE_CHECKING:
    from lifecycle.nuage.bootstrap import Plan

STYLE = {"create": "green", "update": "yellow", "differs": "yellow", "blocked": "red", "exists": "dim"}


@click.group("nuage")
def nuage_group() -> None:
    """The Nuage VSD: its organisation for the site's clouds (enterprise, domains, ACLs, CMS,
    each cloud's plugin user)."""


@nuage_group.group("bootstrap")
def bootstrap_group() -> None:
    """What the site's clouds need in the VSD, made idempotently; what others made is left alone."""


def _walk(ctx: Ctx, write: bool) -> tuple[Plan, bool]:
    from lifecycle.model.endpoints import SecretStore
    from lifecycle.nuage import Nuage, NuageError
    from lifecycle.nuage.bootstrap import BootstrapError, apply, intent, plan

    site, ep = ctx.site(), ctx.endpoints()
    try:
        want = intent(site, ep)
    except BootstrapError as exc:
        raise click.ClickException(str(exc)) from None
    secrets = SecretStore(ep)
    try:
        vsd = Nuage.connect(ep, secrets)
        done = (apply if write else plan)(vsd, want, ep, secrets)
    except NuageError as exc:
        raise click.ClickException(f"VSD: {exc}") from None
    counts = Counter(i.action for i in done.items)
    rows = [(i.kind, i.name, Text(i.action, style=STYLE.get(i.action, "")), i.detail) for i in done.items]
    rows += [("foreign", f, Text("left alone", style="dim"), "") for f in done.foreign]
    verb = "applied" if write else "plan"
    summary = ", ".join(f"{counts[k]} {k}" for k in ("create", "update", "differs", "blocked", "exists")
                        if counts[k]) + (f", {len(done.foreign)} foreign left alone" if done.foreign else "")
    emit({"applied": write, "items": [{"kind": i.kind, "name": i.name, "action": i.action, "detail": i.detail}
                                      for i in done.items],
          "foreign": done.foreign, "summary": dict(counts)}, ctx.output,
         table=make_table(f"VSD bootstrap: {verb}", ["kind", "object", "action", "detail"], rows),
         message=summary)
    return done, bool(done.blocked)


@bootstrap_group.command("plan")
@pass_ctx
def plan_cmd(ctx: Ctx) -> None:
    """Read the VSD; show what `apply` would make or fix (the plugin users' passwords are checked
    by logging in as them). Changes nothing. Exit 1 when something is blocked."""
    _, blocked = _walk(ctx, write=False)
    sys.exit(1 if blocked else 0)


@bootstrap_group.command("apply")
@click.option("--dry-run", is_flag=True, help="Show what would be made or fixed (as `plan`); change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def apply_cmd(ctx: Ctx, dry_run: bool, yes: bool) -> None:
    """Make what is missing and fix what drifted; a second apply changes nothing. Exit 1 when
    something is blocked (made all the rest)."""
    if dry_run:
        _, blocked = _walk(ctx, write=False)
        sys.exit(1 if blocked else 0)
    confirm(yes, "Bootstrap the VSD for the site's clouds?", "the VSD")
    _, blocked = _walk(ctx, write=True)
    if blocked and ctx.output == "table":
        console.print("blocked: fix it in the VSD, then `i2 nuage bootstrap apply` again")
    sys.exit(1 if blocked else 0)
