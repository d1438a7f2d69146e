"""The report of any other run (overcloud, recommission, ...): one outcome per target, from its
steps in order (the last done step, or where it stopped and why), the checks its outputs hold."""

from __future__ import annotations

from typing import Any

from lifecycle.report.build import common
from lifecycle.report.document import Outcome, Report


def outcomes(steps: list[Any]) -> list[Outcome]:
    """One per target: where it stopped; quarantined as its target is (common.ENDED_BADLY)."""
    rows: dict[str, Outcome] = {}
    stopped: set[str] = set()
    bad = common.quarantined(steps)
    for st in common.ordered(steps):
        kind, _, name = st.target.partition(":")
        row = rows.setdefault(st.target, Outcome(kind=kind, name=name or st.target, state="pending",
                                                 quarantined=st.target in bad))
        status = str(st.status)
        if st.target in stopped:
            continue
        if status == "done":
            row.state = f"{common.stage(st)} done"
            seconds = (st.outputs or {}).get("seconds")
            if seconds is not None:
                row.evidence = f"{common.stage(st)} in {seconds} s"
        else:
            stopped.add(st.target)
            row.state = f"{common.stage(st)} {status}"
            row.error = st.last_error
    return list(rows.values())


def build(store: Any, run: Any, steps: list[Any], site: Any) -> Report:
    doc = Report(run=common.run_info(run, site.site.name if site is not None else ""))
    doc.outcomes = outcomes(steps)
    doc.quarantines = common.quarantines(steps)
    doc.evidence = common.checks(steps)
    doc.next = common.next_steps(run)
    return doc
