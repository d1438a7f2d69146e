"""The command line's consoles and ``emit``: a rich table for people, JSON or YAML for machines.

The rendering itself is generic and lives in :mod:`lifecycle.report.render`; this module only
decides where it goes (stdout for results, stderr for diagnostics).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from lifecycle.report.render import FORMATS, MACHINE_FORMATS, render
from lifecycle.report.render import table as build_table

__all__ = ["FORMATS", "console", "emit", "err_console", "make_table"]

# Human output goes to stdout; diagnostics to stderr so `-o json | jq` stays clean.
console = Console()
err_console = Console(stderr=True)


def emit(data: Any, fmt: str, *, table: Table | None = None, message: str | None = None) -> None:
    """Print ``data`` in ``fmt``; in table mode print ``table`` (and ``message``) instead."""
    if fmt in MACHINE_FORMATS:
        text = render(data, fmt)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    if table is not None:
        console.print(table)
    if message:
        console.print(message)


def make_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A table of ``rows`` under ``columns`` (see :func:`lifecycle.report.render.table`)."""
    return build_table(title, columns, rows)
