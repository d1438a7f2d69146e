"""The upgrade's report, built from the stored twin campaigns: each application environment's
outcome, the timeline (a lane per environment, its phases in order, the write freeze and
downtime the probes measured, waves), the recommissioned servers, how to resume or roll back."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.model import load_site
from lifecycle.report.build import build_report
from lifecycle.report.document import Report
from tests.report.stored import CAMPAIGN, DEMO, SITE, copy, open_store, run_of

ORDER = ("b_built", "volumes_moved", "in_service", "soak", "a_retired")


def report(tmp_path: Path, name: str, kind: str, status: str | None = None) -> tuple[list, Report]:
    with open_store(copy(tmp_path, name)) as st:
        run_id = run_of(st, kind, status)
        return st.get_steps(run_id), build_report(st, run_id, load_site(SITE))


def test_every_application_environment_moved_with_its_lane(tmp_path: Path):
    steps, doc = report(tmp_path, DEMO, "upgrade")
    site = load_site(SITE)
    moved = {f"{s.params['app']}/{s.params['env']}" for s in steps if s.target.startswith("app:")}
    assert {o.name for o in doc.outcomes if o.kind == "app"} == moved and len(moved) == 12
    assert {o.state for o in doc.outcomes if o.kind == "app"} == {"moved"}
    wave = {a: i for i, w in enumerate(site.upgrade.waves, 1) for a in w.applications}
    lanes = {ln.app: ln for ln in doc.timeline.lanes}
    assert set(lanes) == moved
    for key, ln in lanes.items():
        app = key.split("/")[0]
        assert (ln.wave, ln.wave_name) == (wave[app], f"wave{wave[app]}")
        names = [p.name for p in ln.phases]
        stateful = any(s.key.startswith(f"{key}/volume/") for s in steps)
        assert names == [n for n in ORDER if stateful or n != "volumes_moved"], key
        starts = [p.start for p in ln.phases]
        assert starts == sorted(starts) and all(p.end >= p.start for p in ln.phases)
        soak = next(s for s in steps if s.key == f"{key}/soak")
        span = next(p for p in ln.phases if p.name == "soak")
        assert (span.start, span.end) == (soak.started_at, soak.finished_at)
        ev = next(s for s in steps if s.key == f"{key}/evidence").outputs
        assert ln.probed and ln.downtime_ms == ev["downtime_ms"] and len(ln.downtime) == len(ev["windows"])
        if stateful:  # the freeze as long as the probes measured it, from when writers stopped
            (freeze,) = ln.freezes
            assert (freeze.end - freeze.start).total_seconds() * 1000 == pytest.approx(ev["write_freeze_ms"])
        else:
            assert ln.freezes == []
    # waves follow each other: wave 2 starts once wave 1's moves have begun
    assert [ln.wave for ln in doc.timeline.lanes] == sorted(ln.wave for ln in doc.timeline.lanes)
    assert doc.timeline.start == min(p.start for ln in doc.timeline.lanes for p in ln.phases)
    assert doc.timeline.end >= max(p.end for ln in doc.timeline.lanes for p in ln.phases)
    probes = [c for c in doc.evidence if c.name == "probes"]
    assert {c.target for c in probes} == moved and all("write freeze" in c.detail for c in probes)


def test_the_recommissioned_servers_and_their_rack(tmp_path: Path):
    steps, doc = report(tmp_path, DEMO, "upgrade")
    rec = {s.target.partition(":")[2] for s in steps
           if s.key.startswith("rec/") and s.target.startswith("server:")}
    servers = {o.name: o.state for o in doc.outcomes if o.kind == "server"}
    assert set(servers) == rec and set(servers.values()) == {"hypervisor"}
    assert [r.name for r in doc.racks] == ["c01"]
    assert {s.name for s in doc.racks[0].servers if s.outcome == "hypervisor"} == rec


def test_nothing_to_roll_back_once_a_is_deleted(tmp_path: Path):
    _, doc = report(tmp_path, DEMO, "upgrade")
    assert doc.next.rollback == "" and doc.next.resume == ""
    assert any("A side is deleted" in n for n in doc.next.notes)


def test_an_aborted_campaign_says_where_each_move_stopped_and_how_to_roll_back(tmp_path: Path):
    steps, doc = report(tmp_path, CAMPAIGN, "upgrade", "aborted")
    apps = {o.name: o for o in doc.outcomes if o.kind == "app"}
    stopped = {f"{s.params['app']}/{s.params['env']}": s.key for s in steps if str(s.status) == "running"}
    assert stopped and {k: o.state for k, o in apps.items()} == {k: "soak running" for k in stopped}
    for ln in doc.timeline.lanes:  # the soak never finished: no soak, nothing retired
        assert [p.name for p in ln.phases] == ["b_built", "volumes_moved", "in_service"]
        assert not ln.probed and ln.freezes[0].detail.endswith("(steps)")  # no evidence step ran
    assert doc.run.status == "aborted" and doc.next.resume == ""  # an aborted run does not resume
    back = sorted({k.split("/")[0] for k in apps})
    assert doc.next.rollback == "; ".join(f"i2 upgrade rollback {a}" for a in back)


def test_a_rollback_run(tmp_path: Path):
    steps, doc = report(tmp_path, CAMPAIGN, "upgrade-rollback")
    envs = {f"{s.params['app']}/{s.params['env']}" for s in steps if s.target.startswith("app:")}
    assert {o.name: o.state for o in doc.outcomes if o.kind == "app"} == {e: "rolled back" for e in envs}
    assert {ln.app for ln in doc.timeline.lanes} == envs and doc.quarantines == []


def test_any_other_run_gets_a_report_of_its_targets(tmp_path: Path):
    steps, doc = report(tmp_path, CAMPAIGN, "overcloud")
    assert {o.name for o in doc.outcomes} == {s.target.partition(":")[2] for s in steps}
    last = max(steps, key=lambda s: s.seq)
    assert doc.outcomes[-1].state == f"{last.key.rsplit('/', 1)[-1]} done"
    assert doc.quarantines == [] and doc.racks == [] and doc.timeline is None


def test_every_stored_run_builds_and_round_trips_as_json(tmp_path: Path):
    for name in (DEMO, CAMPAIGN):
        with open_store(copy(tmp_path, name)) as st:
            for run in st.list_runs():
                doc = build_report(st, run.id, load_site(SITE))
                data = doc.model_dump(mode="json", by_alias=True)
                assert data["schema"] == "i2.report/1" and data["run"]["id"] == run.id
                assert Report.model_validate(data) == doc
