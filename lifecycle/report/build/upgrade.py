"""The report of an upgrade (or rollback) run: each application environment's outcome (the rows
of :mod:`lifecycle.report.upgrade`, which ``i2 upgrade status`` prints), the recommissioned
servers, and the campaign timeline: one lane per application environment, its phases from the
steps' start and finish times, the write freeze and the downtime windows the probes measured.

Phases, from the move's steps (``<app>/<env>/<stage>``; a rollback's under ``rollback/``)::

    b_built        vsd-subnet .. boot          volumes_moved  freeze .. attach (stateful only)
    in_service     healthy .. in-service       soak           soak
    a_retired      retire .. delete-vsd-a (or unbind-a)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lifecycle.report import upgrade as rows_of
from lifecycle.report.build import common
from lifecycle.report.build import rack as rack_build
from lifecycle.report.build.fabric import elevation, fabric
from lifecycle.report.document import Check, Lane, Outcome, Report, Span, Timeline

PHASES = (("b_built", ("vsd-subnet", "acl-mirror", "network", "boot"), "boot"),
          ("volumes_moved", ("freeze", "volume/"), "attach"),
          ("in_service", ("healthy",), "in-service"),
          ("soak", ("soak",), "soak"),
          ("a_retired", ("retire",), ("delete-vsd-a", "unbind-a", "delete-vsd-b", "retire")))


def app_evidence(row: dict[str, Any]) -> str:
    parts = []
    if row["downtime_ms"] is not None:
        parts.append(f"downtime {row['downtime_ms']} ms")
    if row["write_freeze_ms"] is not None:
        parts.append(f"write freeze {row['write_freeze_ms']} ms")
    for vol, ids in sorted(row["volumes"].items()):
        parts.append(f"volume {vol} {ids['from']} -> {ids['to']}")
    if row["lb"]:
        parts.append(rows_of.lb_cell(row["lb"]))
    return "; ".join(parts)


def _span(name: str, steps: dict[str, Any], first: tuple[str, ...], last: str | tuple[str, ...],
          detail: str = "") -> Span | None:
    starts = [s.started_at for k, s in steps.items() if s.started_at and any(
        k == f or (f.endswith("/") and k.startswith(f)) for f in first)]
    ends = [steps[k].finished_at for k in ((last,) if isinstance(last, str) else last)
            if k in steps and steps[k].finished_at]
    if not starts or not ends:
        return None
    return Span(name=name, start=min(starts), end=max(ends), detail=detail)


def lane(key: str, steps: dict[str, Any], wave: tuple[int, str]) -> Lane:
    """One application environment's lane from its steps (stage -> step)."""
    out = Lane(app=key, wave=wave[0], wave_name=wave[1])
    for name, first, last in PHASES:
        if name == "volumes_moved" and not any(k.startswith("volume/") for k in steps):
            continue
        span = _span(name, steps, first, last)
        if span is not None and span.end >= span.start:
            out.phases.append(span)
    ev = (steps.get("evidence").outputs or {}) if "evidence" in steps and steps["evidence"].outputs else {}
    out.downtime_ms = float(ev.get("downtime_ms") or 0)
    out.probed = ev.get("downtime_ms") is not None
    for w in ev.get("windows") or []:
        start, end = common.ts(w.get("start")), common.ts(w.get("end"))
        if start and end:
            out.downtime.append(Span(name="downtime", start=start, end=end, detail=str(w.get("why", ""))))
    freeze = steps.get("freeze")
    if freeze is not None and str(freeze.status) == "done":
        start = common.ts((freeze.outputs or {}).get("at")) or freeze.started_at
        ms = ev.get("write_freeze_ms")
        if ms is not None and start:  # the probes' measure of the freeze, from when writers stopped
            out.freezes.append(Span(name="freeze", start=start, end=start + timedelta(milliseconds=float(ms)),
                                    detail=f"write freeze {ms} ms (probes)"))
        elif start and "attach" in steps and steps["attach"].finished_at:
            out.freezes.append(Span(name="freeze", start=start, end=steps["attach"].finished_at,
                                    detail="writers stopped until B's volumes were attached (steps)"))
    both = ((ev.get("lb") or {}).get("both_served") or {}).get("seconds")
    out.both_serving_ms = None if both is None else float(both) * 1000
    return out


def timeline(steps: list[Any], site: Any) -> Timeline:
    waves: dict[str, int] = {}
    if site is not None and site.upgrade is not None:
        waves = {w.name: i for i, w in enumerate(site.upgrade.waves, 1)}
    by_app: dict[str, dict[str, Any]] = {}
    wave_of: dict[str, tuple[int, str]] = {}
    for st in common.ordered(steps):
        if not st.target.startswith("app:"):
            continue
        key = _env(st)
        stage = st.key[len(key) + 1:].removeprefix("rollback/")
        by_app.setdefault(key, {})[stage] = st
        name = (st.batch or "").partition(":")[2] if (st.batch or "").startswith("wave:") else ""
        if name and key not in wave_of:
            wave_of[key] = (waves.get(name) or len({n for _, n in wave_of.values()} | {name}), name)
    lanes = [lane(k, v, wave_of.get(k, (0, ""))) for k, v in by_app.items()]
    lanes.sort(key=lambda ln: (ln.wave, min((p.start.isoformat() for p in ln.phases), default="~"), ln.app))
    spans = [s for ln in lanes for s in (*ln.phases, *ln.freezes, *ln.downtime)]
    return Timeline(start=min((s.start for s in spans), default=None),
                    end=max((s.end for s in spans), default=None), lanes=lanes)


def build(store: Any, run: Any, steps: list[Any], site: Any) -> Report:
    doc = Report(run=common.run_info(run, site.site.name if site is not None else ""))
    rows = rows_of.report(store, [run.id])
    # an environment is quarantined when one of its own steps is (its app's target is shared by
    # the app's environments: one that had moved before another failed stays moved)
    bad = {_env(st) for st in steps if st.target.startswith("app:") and str(st.status) in common.ENDED_BADLY}
    doc.outcomes = [Outcome(kind="app", name=r["app"], state=r["state"], evidence=app_evidence(r),
                            error=r["error"] or None, quarantined=r["app"] in bad) for r in rows]
    doc.outcomes += rack_build.outcomes(store, run.id, steps)  # recommissioned servers, the new overcloud
    doc.quarantines = common.quarantines(steps)
    doc.evidence = common.checks(steps) + probe_checks(steps)
    doc.timeline = timeline(steps, site)
    if site is not None and any(s.target.startswith("server:") for s in steps):
        racks = rack_build.racks_of(run, steps, site)
        states = rack_build.server_states(doc, steps)
        doc.racks = [elevation(site, r, states) for r in racks]
        doc.fabric = fabric(site, racks, steps)
    doc.next = common.next_steps(run)
    if run.kind == "upgrade":
        back = sorted({r["app"].split("/")[0] for r in rows
                       if not _a_deleted(steps, r["app"]) and r["state"] != "pending"})
        doc.next.rollback = "; ".join(f"i2 upgrade rollback {a}" for a in back)
        if not back:
            doc.next.notes.append("no rollback: every moved application's A side is deleted")
        else:
            doc.next.notes.append("a rollback returns an application to its A side, volumes included, "
                                  "while A still exists")
    return doc


def probe_checks(steps: list[Any]) -> list[Check]:
    """What the probes measured of each move (its evidence step): downtime, write freeze, samples
    and the outage windows; a move without a probe service says why there is no measure."""
    out = []
    for st in common.ordered(steps):
        if common.stage(st) != "evidence" or str(st.status) != "done" or not st.target.startswith("app:"):
            continue
        o = st.outputs or {}
        app = _env(st)
        if o.get("downtime_ms") is None:
            out.append(Check(name="probes", target=app, result="skip", detail=str(o.get("note") or "")))
            continue
        windows = "; ".join(_window(w) for w in o.get("windows") or []
                            if w.get("start") is not None and w.get("end") is not None)
        measured = (f"downtime {o['downtime_ms']} ms, write freeze {o.get('write_freeze_ms')} ms, "
                    f"{o.get('samples')} samples")
        out.append(Check(name="probes", target=app, result="pass" if not o["downtime_ms"] else "info",
                         detail=measured + (f"; windows: {windows}" if windows else "")))
    return out


def _window(w: dict[str, Any]) -> str:
    start = common.ts(w["start"])
    length = float(w["end"]) - float(w["start"])
    return f"{start:%H:%M:%S}.{start.microsecond // 1000:03d} +{length:.3f} s ({w.get('why', '')})"


def _env(st: Any) -> str:
    """The application environment an app step moves: ``<app>/<env>``, as the rows name it."""
    return f"{st.params.get('app')}/{st.params.get('env')}"


def _a_deleted(steps: list[Any], app: str) -> bool:
    return any(s.key == f"{app}/delete-a-vms" and str(s.status) == "done" for s in steps)
