"""The report of a rack run (and of a build-out's racks): every switch, server and overcloud of
the run with its state and evidence (the rows of :mod:`lifecycle.report.rack`, which ``i2 rack
report`` prints as a table), the rack elevations and the fabric with what LLDP proved."""

from __future__ import annotations

from typing import Any

from lifecycle.report import rack as rows_of
from lifecycle.report.build import common
from lifecycle.report.build.fabric import elevation, fabric
from lifecycle.report.document import Outcome, Report


def outcomes(store: Any, run_id: str, steps: list[Any]) -> list[Outcome]:
    """One per switch, server and overcloud; quarantined as its target is (common.ENDED_BADLY)."""
    bad = common.quarantined(steps)
    return [Outcome(kind=r["kind"], name=r["device"], state=r["state"], evidence=r["evidence"],
                    error=r["error"] or None, quarantined=f"{r['kind']}:{r['device']}" in bad)
            for r in rows_of.report(store, run_id)]


def server_states(doc: Report, steps: list[Any]) -> dict[str, tuple[str, str]]:
    """Each server outcome as the elevation draws it, (outcome, reason): quarantined with the
    quarantine's reason; skipped (a step it waits for did not run) at the state its last done
    step left it in, the skip as the reason; else where it stands, with its evidence."""
    reasons = {q.target.partition(":")[2]: q.reason for q in doc.quarantines}
    states: dict[str, tuple[str, str]] = {}
    for o in doc.outcomes:
        if o.kind != "server":
            continue
        if o.quarantined:
            states[o.name] = ("quarantined", reasons.get(o.name, o.error or ""))
        elif o.state.endswith("skipped"):
            why = o.error or "a step it waits for did not run"
            states[o.name] = (last_done(steps, o.name), f"{o.state}: {why}")
        else:
            states[o.name] = (o.state, o.evidence)
    return states


def last_done(steps: list[Any], server: str) -> str:
    """The state a server's last done step left it in ("untouched" if none is done)."""
    done = [st for st in steps if st.target == f"server:{server}" and str(st.status) == "done"]
    if not done:
        return "untouched"
    stage = max(done, key=lambda st: st.seq).key.rsplit("/", 1)[-1]
    return rows_of.DONE.get(stage, f"{stage} done")


def racks_of(run: Any, steps: list[Any], site: Any) -> list[str]:
    """The racks the run worked on: its target's, its stage steps' and its servers' racks."""
    names = {t.partition(":")[2] for t in [run.target, *(s.target for s in steps)] if t.startswith("rack:")}
    servers = {s.target.partition(":")[2] for s in steps if s.target.startswith("server:")}
    if site is not None:
        names |= {s.rack for s in site.servers if s.name in servers}
        known = {r.name for r in site.racks}
        return [r.name for r in site.racks if r.name in names & known]
    return sorted(names)


def fill(doc: Report, store: Any, run: Any, steps: list[Any], site: Any) -> Report:
    """Outcomes, quarantines, evidence, racks and fabric of a run made of rack steps."""
    doc.outcomes = outcomes(store, run.id, steps)
    doc.quarantines = common.quarantines(steps)
    doc.evidence = common.checks(steps)
    if site is None:
        return doc
    racks = racks_of(run, steps, site)
    states = server_states(doc, steps)
    doc.racks = [elevation(site, r, states) for r in racks]
    doc.fabric = fabric(site, racks, steps)
    return doc


def build(store: Any, run: Any, steps: list[Any], site: Any) -> Report:
    doc = Report(run=common.run_info(run, site.site.name if site is not None else ""))
    fill(doc, store, run, steps, site)
    rack = (run.params or {}).get("rack") or run.target.partition(":")[2]
    doc.next = common.next_steps(run)
    doc.next.notes.append(f"`i2 rack report {rack}` prints the same devices as a table; nothing in a "
                          "rack run is undone automatically: a quarantined server stays out of the cloud")
    return doc
