"""The Markdown report (for tickets and git): ``templates/report.md.j2`` over the report document.

Table cells are escaped (pipes, line breaks) so a step's error cannot break the table.

>>> from lifecycle.report.document import Report, RunInfo, Outcome, Quarantine
>>> text = render_markdown(Report(run=RunInfo(id="r1", kind="rack", target="rack:c02", status="partial"),
...     outcomes=[Outcome(kind="server", name="c02-s03", state="check failed", quarantined=True)],
...     quarantines=[Quarantine(target="server:c02-s03", reason="LLDP sees a|b")]))
>>> "- **server:c02-s03**: LLDP sees a\\\\|b" in text, "1 of 1 quarantined" in text
(True, True)
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import cache
from pathlib import Path

import jinja2

from lifecycle.report.document import Lane, Report

TEMPLATES = Path(__file__).resolve().with_name("templates")
PHASES = ("b_built", "volumes_moved", "in_service", "soak", "a_retired")


def cell(value: object) -> str:
    """Text safe in a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(value or "").split()).replace("|", "\\|")


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def duration(start: datetime | None, end: datetime | None) -> str:
    if not start or not end:
        return "-"
    s = (end - start).total_seconds()
    return f"{s:.1f} s" if s < 120 else f"{s / 60:.1f} min"


def phase_cell(lane: Lane, name: str) -> str:
    span = next((p for p in lane.phases if p.name == name), None)
    if span is None:
        return "-"
    return f"{span.start:%H:%M:%S} +{(span.end - span.start).total_seconds():.1f} s"


def freeze_cell(lane: Lane) -> str:
    if not lane.freezes:
        return "-"
    ms = sum((f.end - f.start).total_seconds() * 1000 for f in lane.freezes)
    return f"{ms:.0f} ms"


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(cell=cell, when=when)
    env.globals.update(duration=duration, phase_cell=phase_cell, freeze_cell=freeze_cell, phases=PHASES)
    return env


def summary(doc: Report) -> str:
    """One sentence: how many of the run's devices or applications ended where, how many quarantined."""
    if not doc.outcomes:
        return f"The run is {doc.run.status}."
    states = Counter(o.state for o in doc.outcomes)
    bad = sum(1 for o in doc.outcomes if o.quarantined)
    parts = ", ".join(f"{n} {s}" for s, n in states.most_common())
    return f"{len(doc.outcomes)} target(s): {parts}; {bad} of {len(doc.outcomes)} quarantined."


def render_markdown(doc: Report) -> str:
    cables = doc.fabric.cables if doc.fabric else []
    by = Counter(c.status for c in cables)
    cable_summary = (f"{len(cables)} planned cable(s): " + ", ".join(f"{n} {s.replace('_', ' ')}"
                     for s, n in sorted(by.items())) + ".") if cables else "No cable in the plan."
    results = Counter(c.result for c in doc.evidence)
    evidence_summary = ", ".join(f"{n} {r}" for r, n in sorted(results.items())) + "."
    text = _env().get_template("report.md.j2").render(
        doc=doc, summary=summary(doc), cable_summary=cable_summary, evidence_summary=evidence_summary,
        bad_cables=[c for c in cables if c.status in ("miswired", "not_seen")])
    # collapse the blank lines the template's conditionals leave
    out: list[str] = []
    for line in text.splitlines():
        if line.strip() or (out and out[-1].strip()):
            out.append(line.rstrip())
    return "\n".join(out).strip() + "\n"
