"""The report of a build-out: the rack steps of every rack (as a rack run's report: elevations,
fabric, servers), the spines, the undercloud gate and the NRFU, whose checks are the evidence."""

from __future__ import annotations

from typing import Any

from lifecycle.report.build import common
from lifecycle.report.build import rack as rack_build
from lifecycle.report.document import Outcome, Report


def build(store: Any, run: Any, steps: list[Any], site: Any) -> Report:
    doc = Report(run=common.run_info(run, site.site.name if site is not None else ""))
    rack_build.fill(doc, store, run, steps, site)
    # spines, the undercloud gate and the NRFU are no rack device: one outcome each
    bad = common.quarantined(steps)
    for st in common.ordered(steps):
        kind, _, name = st.target.partition(":")
        if st.key.endswith("/verify") and kind == "switch" and name in {
                s.name for s in (site.spines if site is not None else [])}:
            doc.outcomes.append(_outcome("spine", name, st, bad))
        elif st.key == "nrfu" or st.key.endswith("/ready"):
            doc.outcomes.append(_outcome("nrfu" if st.key == "nrfu" else "undercloud", name, st, bad))
        elif kind == "overcloud" and st.key.endswith("/prove"):
            doc.outcomes.append(_outcome("cloud", name, st, bad))
        elif st.key == "vsd/bootstrap":
            doc.outcomes.append(_outcome("vsd", "bootstrap", st, bad))
    doc.next = common.next_steps(run)
    doc.next.notes.append("a build-out is not undone: re-run `i2 buildout apply` after a fix, every done "
                          "step observes its effect already present")
    return doc


def _outcome(kind: str, name: str, st: Any, bad: set[str]) -> Outcome:
    """The outcome of one step; quarantined as its target is (``bad``: common.quarantined)."""
    status = str(st.status)
    o = st.outputs or {}
    evidence = ""
    if "checks" in o:
        evidence = f"{sum(1 for c in o['checks'] if c.get('ok'))}/{len(o['checks'])} checks ok"
    elif "objects" in o:
        evidence = f"{o['objects']} objects, {len(o.get('changes') or [])} made or fixed"
    elif "succeeded" in o:
        evidence = f"{o['succeeded']}/{len(o.get('results') or [])} ANTA tests succeeded"
    state = "verified" if status == "done" else f"{common.stage(st)} {status}"
    return Outcome(kind=kind, name=name, state=state,
                   evidence=evidence, error=st.last_error, quarantined=st.target in bad)
