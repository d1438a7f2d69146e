"""Find a lab's secrets where i2 must never put them: the run store, the events journal, logs and
reports (hazard 11 of issue 12).

The secrets are read as i2 reads them, every reference of the endpoints file resolved (a key
file's lines each count: a leak of one line is a leak), plus the passwords in the lab's
clouds.yaml files (admin and the teams' secure.yaml).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from lifecycle.model.endpoints import SecretRef, SecretStore, load_endpoints

MIN_LEN = 8  # the lab's generated secrets are 16 characters; shorter strings would match by chance


def _refs(obj: Any) -> Iterator[SecretRef]:
    if isinstance(obj, SecretRef):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _refs(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _refs(v)
    elif hasattr(obj, "__pydantic_fields__"):
        for name in type(obj).model_fields:
            yield from _refs(getattr(obj, name))


def _passwords(obj: Any) -> Iterator[str]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "password" and isinstance(v, str):
                yield v
            else:
                yield from _passwords(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _passwords(v)


def lab_secrets(endpoints_file: Path) -> set[str]:
    """Every secret value the endpoints file resolves to, and the clouds.yaml passwords beside it."""
    ep = load_endpoints(endpoints_file)
    store = SecretStore(ep)
    values: set[str] = set()
    for ref in _refs(ep):
        value = store.get(ref)
        values.add(value)
        values.update(line.strip() for line in value.splitlines()
                      if len(line.strip()) >= MIN_LEN and not line.startswith("-----"))
    for f in endpoints_file.parent.glob("*.yaml"):
        if "clouds" in f.name or "secure" in f.name:
            values.update(_passwords(yaml.safe_load(f.read_text()) or {}))
    return {v for v in values if len(v) >= MIN_LEN}


def db_texts(db: Path) -> Iterator[tuple[str, str]]:
    """(``table.column``, text) for every text cell of every table of the run store."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")]
        for t in tables:
            cur = conn.execute(f'select * from "{t}"')
            cols = [d[0] for d in cur.description]
            for row in cur:
                for col, cell in zip(cols, row, strict=True):
                    if isinstance(cell, bytes):
                        cell = cell.decode(errors="replace")
                    if isinstance(cell, str):
                        yield f"{t}.{col}", cell
    finally:
        conn.close()


def leaks(secrets: Iterable[str], texts: Iterable[tuple[str, str]]) -> list[str]:
    """``where: secret[:4]...`` for each secret found in each text (the secret itself not shown)."""
    secrets = list(secrets)
    return [f"{where}: {s[:3]}..." for where, text in texts for s in secrets if s in text]


def report_texts(doc: Any) -> Iterator[tuple[str, str]]:
    """(``report.<format>``, text) for a run's report as i2 writes it: Markdown, JSON and HTML."""
    from lifecycle.report.markdown import render_markdown
    from lifecycle.report.write import as_json, render_html

    yield f"report {doc.run.id}.md", render_markdown(doc)
    yield f"report {doc.run.id}.json", as_json(doc)
    yield f"report {doc.run.id}.html", render_html(doc)


def files(*roots: Path, pattern: str = "*") -> Iterator[tuple[str, str]]:
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob(pattern) if p.is_file())
        for p in paths:
            yield str(p), p.read_text(errors="replace")
