"""Where reports go and how they are written: ``<reports dir>/<run id>.md`` and ``.html``.

The reports dir sits next to the run store: ``reports/`` beside a SQLite store's file
(``$I2_DB=sqlite:///state/demo/i2.db`` -> ``state/demo/reports/``); for a PostgreSQL store,
``$I2_STATE_DIR/reports`` (else beside ``$I2_EVENTS_DIR``, else ``~/.local/state/i2/reports``).
``$I2_REPORTS_DIR`` overrides both.

>>> reports_dir("sqlite:////srv/i2/i2.db")
PosixPath('/srv/i2/reports')
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lifecycle.report.document import Report
from lifecycle.report.markdown import render_markdown

ENV = "I2_REPORTS_DIR"


def reports_dir(store_url: str) -> Path:
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    from sqlalchemy.engine import make_url

    url = make_url(store_url)
    db = url.database or ""
    if url.get_backend_name() == "sqlite" and db not in ("", ":memory:") and not db.startswith("file:"):
        return Path(db).expanduser().resolve().parent / "reports"
    from lifecycle.tripleo.deploy import state_dir

    return state_dir() / "reports"


def as_json(doc: Report) -> str:
    """The document as ``-o json`` prints it (schema ``i2.report/1``)."""
    return json.dumps(doc.model_dump(mode="json", by_alias=True), indent=2)


def render_html(doc: Report) -> str:
    from lifecycle.report.html import render_html as html

    return html(doc)


def write(doc: Report, md: Path | None = None, html: Path | None = None,
          json_file: Path | None = None) -> list[Path]:
    """Write the formats asked for (parents created, files private: a report names the estate's
    hosts); returns the paths written."""
    out = []
    for path, render in ((md, render_markdown), (html, render_html), (json_file, as_json)):
        if path is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(doc)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        out.append(path)
    return out

