"""Rendering for every command: a rich table for people, JSON or YAML for machines.

Commands build plain data (lists of dicts) and hand it here, so ``-o json`` always shows the
same facts the table does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "json", "yaml")

# Human output goes to stdout; diagnostics to stderr so `-o json | jq` stays clean.
console = Console()
err_console = Console(stderr=True)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def emit(data: Any, fmt: str, *, table: Table | None = None, message: str | None = None) -> None:
    """Print ``data`` in ``fmt``; in table mode print ``table`` (and ``message``) instead."""
    if fmt == "json":
        sys.stdout.write(json.dumps(_plain(data), indent=2, sort_keys=False) + "\n")
    elif fmt == "yaml":
        sys.stdout.write(yaml.safe_dump(_plain(data), sort_keys=False))
    else:
        if table is not None:
            console.print(table)
        if message:
            console.print(message)


def make_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    table = Table(title=title, show_lines=False, header_style="bold")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        # Text, not str: field paths like servers[c02-s02] must not be read as rich markup.
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    return table
