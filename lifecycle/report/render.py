"""Generic renderers: plain data as a table, JSON or YAML.

Commands and reports build plain data (lists of dicts); these turn it into text, so ``-o json``
always carries the same facts as the table.

>>> rows = [{"name": "c02-s01", "state": "available", "since": date(2024, 5, 1)}]
>>> print(render(rows, "json"))
[
  {
    "name": "c02-s01",
    "state": "available",
    "since": "2024-05-01"
  }
]
>>> print(render(rows, "yaml"), end="")
- name: c02-s01
  state: available
  since: '2024-05-01'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "json", "yaml")
MACHINE_FORMATS = ("json", "yaml")


def plain(value: Any) -> Any:
    """``value`` as JSON/YAML-safe data: dates in ISO 8601, paths and other objects as strings.

    >>> plain({"at": datetime(2024, 5, 1, 12, 0), "dir": Path("/srv/ztp"), "ids": (1, 2), 3: None})
    {'at': '2024-05-01T12:00:00', 'dir': '/srv/ztp', 'ids': [1, 2], '3': None}
    """
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def render(data: Any, fmt: str) -> str:
    """``data`` as JSON (indented, keys in their order) or YAML; other formats are the caller's."""
    if fmt == "json":
        return json.dumps(plain(data), indent=2, sort_keys=False)
    if fmt == "yaml":
        return yaml.safe_dump(plain(data), sort_keys=False)
    raise ValueError(f"not a machine format: {fmt!r} (one of {', '.join(MACHINE_FORMATS)})")


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    """A rich table of ``rows``: cells as literal text (``None`` empty), long values folded.

    >>> t = table("nodes", ["name", "state"], [["c02-s01", None], ["servers[c02-s02]", "active"]])
    >>> [c.header for c in t.columns], [str(c) for c in t.columns[0].cells]
    (['name', 'state'], ['c02-s01', 'servers[c02-s02]'])
    """
    out = Table(title=title, show_lines=False, header_style="bold")
    for col in columns:
        out.add_column(col, overflow="fold")
    for row in rows:
        # Text, not str: field paths like servers[c02-s02] must not be read as rich markup.
        out.add_row(*(Text("" if v is None else str(v)) for v in row))
    return out
