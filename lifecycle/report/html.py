"""The HTML report: one self-contained file (inline CSS, SVG and a little script, nothing
fetched), readable offline and printable, with the pictures drawn from the run and the site.

The page is ``templates/report.html.j2`` (autoescaped: every string from a run is text, never
markup); its style and script are package files beside it, inlined when the page is rendered.
The pictures come from ``lifecycle.report.svg`` as markup that escaped its own text.

>>> from lifecycle.report.document import Report, RunInfo, Outcome
>>> page = render_html(Report(run=RunInfo(id="r1", kind="rack", target="rack:c02", status="failed"),
...                           outcomes=[Outcome(kind="server", name="<c02-s01>", state="failed")]))
>>> page.startswith("<!DOCTYPE html>") and "&lt;c02-s01&gt;" in page and "<c02-s01>" not in page
True
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from lifecycle.report.document import Report
from lifecycle.report.svg import fabric as fabric_svg
from lifecycle.report.svg import rack as rack_svg
from lifecycle.report.svg import timeline as timeline_svg

TEMPLATES = Path(__file__).resolve().with_name("templates")


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = when
    return env


def when(value: object) -> str:
    """A time as operators read it (UTC, seconds), or an empty cell."""
    if value is None:
        return ""
    text = value.isoformat(sep=" ", timespec="seconds") if hasattr(value, "isoformat") else str(value)
    return text.replace("+00:00", " UTC")


def inline(name: str) -> Markup:
    """A package file (the page's CSS or script) inlined as it is: ours, not a run's text."""
    return Markup((TEMPLATES / name).read_text())


def pictures(doc: Report) -> dict[str, object]:
    return {
        "elevations": [rack_svg.elevation(r) for r in doc.racks],
        "fabric": fabric_svg.fabric(doc.fabric) if doc.fabric and (doc.fabric.nodes or doc.fabric.cables)
        else None,
        "timeline": timeline_svg.timeline(doc.timeline) if doc.timeline and doc.timeline.lanes else None,
    }


def render_html(doc: Report) -> str:
    """The report ``doc`` as one HTML page."""
    return _env().get_template("report.html.j2").render(
        doc=doc, run=doc.run, css=inline("report.css"), js=inline("report.js"), **pictures(doc))
