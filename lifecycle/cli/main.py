"""``i2``: lifecycle automation for a private OpenStack estate on bare metal.

Exit codes: 0 success, 1 failure (invalid input, a failed or partial run), 2 usage error,
130 interrupted (Ctrl-C; the run is resumable with ``i2 runs resume``).
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
from importlib import metadata
from pathlib import Path

import click

from lifecycle import __version__
from lifecycle.cli.baremetal import baremetal_group
from lifecycle.cli.buildout import buildout_group
from lifecycle.cli.context import Ctx
from lifecycle.cli.fabric import fabric_group
from lifecycle.cli.lb import lb_group
from lifecycle.cli.nuage import nuage_group
from lifecycle.cli.output import FORMATS
from lifecycle.cli.overcloud import overcloud_group
from lifecycle.cli.rack import rack_group
from lifecycle.cli.runs import runs_group
from lifecycle.cli.servers import servers_group
from lifecycle.cli.site import site_group
from lifecycle.cli.upgrade import upgrade_group

# The one place product code names the twin: loaded by ``load_lab`` only, when an operator asks
# for ``i2 lab`` (tests/test_layering.py holds the product to exactly this).
LAB_GROUP = "lifecycle.lab.cli:lab_group"
LAB_EXTRA = "lab"
LAB_INSTALL = "pip install 'i2-lifecycle[lab]'"
LAB_HINT = f"the twin is not installed: {LAB_INSTALL}"


def lab_missing(dist: str = "i2-lifecycle") -> list[str]:
    """The distributions of i2's ``[lab]`` extra that are not installed.

    Read from i2's own metadata, so pyproject.toml stays the one list. Empty when i2 itself is
    not installed (running from a source tree): the import in ``load_lab`` decides then.

    >>> lab_missing("no-such-distribution")
    []
    """
    try:
        requires = metadata.requires(dist) or []
    except metadata.PackageNotFoundError:
        return []
    missing = []
    for req in requires:
        spec, _, marker = req.partition(";")
        if not re.search(rf"""extra\s*==\s*["']{LAB_EXTRA}["']""", marker):
            continue
        name = re.split(r"[\s\[<>=!~;]", spec.strip(), maxsplit=1)[0]
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def lab_not_installed(missing: list[str]) -> click.Command:
    """Stands in for ``i2 lab``: any invocation (``--help`` too) says how to install the twin."""

    def fail(args: tuple[str, ...]) -> None:
        raise click.ClickException(f"{LAB_HINT} (missing: {', '.join(missing)})")

    return click.Command(
        "lab", callback=fail, help=f"The digital twin, not installed: {LAB_INSTALL}",
        short_help=f"The digital twin, not installed: {LAB_INSTALL}",
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                          "help_option_names": []})


def load_lab() -> click.Command:
    """``i2 lab`` from the twin's package, or a stand-in naming the extra when it is missing."""
    missing = lab_missing()
    if missing:
        return lab_not_installed(missing)
    module, _, attr = LAB_GROUP.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except ImportError as exc:
        # A twin-only dependency the metadata did not name (e.g. a source tree); i2's own
        # modules failing to import is a bug, not a missing extra.
        if (exc.name or "").split(".")[0] == "lifecycle":
            raise
        return lab_not_installed([exc.name or str(exc)])


class LazyGroup(click.Group):
    """Commands loaded on use: ``i2 lab`` lives in the twin, which the product never imports."""

    lazy = {"lab": load_lab}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            return self.lazy[cmd_name]()
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "I2"})
@click.option("--site", "site_dir", type=click.Path(path_type=Path), envvar="I2_SITE",
              help="Site directory (YAML intent). Env: I2_SITE.")
@click.option("--endpoints", "endpoints_file", type=click.Path(path_type=Path),
              envvar="I2_ENDPOINTS", help="Endpoints file (addresses, secret references). "
              "Env: I2_ENDPOINTS.")
@click.option("--db", "db_url", envvar="I2_DB",
              help="Run store: sqlite:///PATH or postgresql+psycopg://... Env: I2_DB. "
              "Default: ~/.local/state/i2/i2.db")
@click.option("-o", "--output", type=click.Choice(FORMATS), default="table", show_default=True,
              help="Output format.")
@click.option("-v", "--verbose", count=True, help="More detail (repeatable).")
@click.version_option(__version__, prog_name="i2")
@click.pass_context
def cli(ctx: click.Context, site_dir: Path | None, endpoints_file: Path | None,
        db_url: str | None, output: str, verbose: int) -> None:
    """i2: rack, upgrade and build out an OpenStack estate on HPE, Arista and Nuage."""
    # pyeapi logs every refused connection with a traceback; a switch still in ZTP refuses by
    # design. Its errors reach the operator through i2's own messages; -v shows the library's.
    logging.getLogger("pyeapi").setLevel(logging.DEBUG if verbose > 1 else logging.CRITICAL)
    ctx.obj = Ctx(site_dir=site_dir, endpoints_file=endpoints_file, db_url=db_url,
                  output=output, verbose=verbose)


cli.add_command(site_group)
cli.add_command(runs_group)
cli.add_command(fabric_group)
cli.add_command(rack_group)
cli.add_command(buildout_group)
cli.add_command(servers_group)
cli.add_command(baremetal_group)
cli.add_command(upgrade_group)
cli.add_command(overcloud_group)
cli.add_command(lb_group)
cli.add_command(nuage_group)


def main() -> None:
    try:
        cli.main(prog_name="i2", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
