"""``i2 site``: validate and summarise a site model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from lifecycle.cli.context import Ctx, pass_ctx
from lifecycle.cli.output import emit, err_console, make_table
from lifecycle.model import validate_site
from lifecycle.model.schema import Site


@click.group("site")
def site_group() -> None:
    """Validate and inspect a site model (a directory of YAML files)."""


def _summary(site: Site) -> dict:
    per_rack = Counter(s.rack for s in site.servers)
    return {
        "site": site.site.name,
        "digest": site.digest,
        "dcs": len(site.dcs),
        "spines": len(site.spines),
        "racks": [
            {"name": r.name, "kind": r.kind, "state": r.state, "servers": per_rack[r.name],
             "leaves": [leaf.name for leaf in r.leaves.leaves]}
            for r in site.racks
        ],
        "servers": len(site.servers),
        "cables": len(site.cables),
        "clouds": [{"name": c.name, "release": c.release, "osp": c.osp_version} for c in site.clouds],
        "applications": len(site.applications),
        "waves": [w.name for w in site.upgrade.waves] if site.upgrade else [],
        "hardware_profiles": sorted(site.hardware_profiles),
    }


@site_group.command("validate")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@pass_ctx
def validate(ctx: Ctx, directory: Path | None) -> None:
    """Validate DIRECTORY (default: --site); print every problem with file, line and field.

    Exits 0 when the site is valid, 1 when it has problems.
    """
    root = directory or ctx.require_site_dir()
    site, problems = validate_site(root)
    if problems:
        data = {"site": str(root), "valid": False, "problems": [p.as_dict() for p in problems]}
        table = make_table(
            f"{root}: {len(problems)} problem(s)",
            ["file:line", "field", "problem"],
            [(f"{p.file}:{p.line}" if p.line else p.file, p.field, p.message) for p in problems],
        )
        emit(data, ctx.output, table=table)
        if ctx.output == "table":
            err_console.print(f"[red]site {root} is not valid: {len(problems)} problem(s)[/red]")
        raise SystemExit(1)
    assert site is not None
    summary = _summary(site)
    rows = [(r["name"], r["kind"], r["state"], ", ".join(r["leaves"]), r["servers"])
            for r in summary["racks"]]
    emit(
        {"site": str(root), "valid": True, "summary": summary},
        ctx.output,
        table=make_table(f"site {site.site.name}", ["rack", "kind", "state", "leaves", "servers"],
                         rows),
        message=(
            f"[green]valid[/green]: {summary['servers']} servers, {summary['cables']} cables, "
            f"{len(site.clouds)} clouds, {summary['applications']} applications; {site.digest}"
        ),
    )
