"""A skipped step means the same in every builder that gives a verdict (rack, build-out, upgrade,
any other run). The engine skips a step when a hard dependency, another target's step, did not
end done (``StepStatus.SKIPPED``): its target is not at fault and waits for a resume. So a target
that stopped at a skipped step is shown there (``<step> skipped``, the dependency as its error),
is not quarantined nor among the quarantines, and an elevation draws a skipped server at the
state its last done step left it in. Only a target with a step failed or quarantined is quarantined.

The stored twin runs all succeeded: ``fail`` records a failure in one as the engine records it
(``lifecycle.engine.outcomes``: the step failed, the rest of its target quarantined, every step
downstream skipped, each with the engine's reason; the run partial)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from lifecycle.model import load_site
from lifecycle.report.build import build_report
from lifecycle.report.document import Report
from lifecycle.report.markdown import render_markdown
from tests.report.stored import SITE, copy, open_store, run_of

MISWIRED = ("c02-s03 nic1 (94:40:c9:03:03:01): LLDP sees c02-leaf1 Ethernet99, the cabling plan says "
            "c02-leaf1 Ethernet3")


def fail(db: Path, run_id: str, key: str, error: str) -> None:
    """``key`` failed with ``error`` as the engine records it; steps that had not ended done
    before it (the stored run's later ``done`` ones) are the ones still pending then."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("select key, seq, target, deps, status from steps where run_id = ?",
                            (run_id,)).fetchall()
        seq = {k: s for k, s, _, _, _ in rows}
        target = {k: t for k, _, t, _, _ in rows}
        pending = {k for k, s, _, _, status in rows if status == "done" and s > seq[key]}
        dependents: dict[str, list[str]] = {}
        for k, _, _, deps, _ in rows:
            for dep in json.loads(deps):
                dependents.setdefault(dep, []).append(k)
        ended = {key: ("failed", error)}
        for k in sorted(pending, key=seq.get):  # Outcomes.quarantine: the target's pending steps
            if target[k] == target[key]:
                ended[k] = ("quarantined", f"target {target[key]} quarantined: step {key} failed")
        stack = list(ended)
        while stack:  # Outcomes.skip_dependents: everything pending downstream
            cur = stack.pop()
            for k in dependents.get(cur, []):
                if k in pending and k not in ended:
                    ended[k] = ("skipped", f"dependency {cur} {ended[cur][0]}")
                    stack.append(k)
        for k, (status, why) in ended.items():
            conn.execute("update steps set status = ?, last_error = ?, outputs = null "
                         "where run_id = ? and key = ?", (status, why, run_id, k))
        conn.execute("update runs set status = 'partial', error = ? where id = ?",
                     (f"quarantined targets: {target[key]}", run_id))
        conn.commit()
    finally:
        conn.close()


def edit(db: Path, sql: str, *args: str) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute(sql, args)
        conn.commit()
    finally:
        conn.close()


def assert_one_verdict(doc: Report, targets: list[str], flagged: set[str]) -> None:
    """Only the quarantined targets are quarantines; only their outcomes are flagged, and the
    Markdown counts as many; every skipped outcome is not, and names the dependency it waits for."""
    assert [q.target for q in doc.quarantines] == targets
    assert {o.name for o in doc.outcomes if o.quarantined} == flagged
    assert flagged <= {t.partition(":")[2] for t in targets}
    skipped = [o for o in doc.outcomes if o.state.endswith(" skipped")]
    assert skipped and all(not o.quarantined and (o.error or "").startswith("dependency ") for o in skipped)
    assert f"; {len(flagged)} of {len(doc.outcomes)} quarantined." in render_markdown(doc)


@pytest.mark.parametrize("kind", ["rack", "buildout", "overcloud"])  # overcloud: the generic builder
def test_a_server_failed_the_rest_skipped_in_a_rack_run(tmp_path: Path, kind: str) -> None:
    db = copy(tmp_path)
    with open_store(db) as st:
        run_id = run_of(st, "rack")
    fail(db, run_id, "c02-s03/check", MISWIRED)
    edit(db, "update runs set kind = ? where id = ?", kind, run_id)
    if kind == "buildout":  # its cloud outcome is read from the overcloud's prove step
        edit(db, "update steps set key = 'overcloud/ie1-new/prove' where run_id = ? and "
                 "key = 'overcloud/ie1-new/deploy'", run_id)
    with open_store(db) as st:
        doc = build_report(st, run_id, load_site(SITE))
    assert_one_verdict(doc, ["server:c02-s03"], {"c02-s03"})
    out = {(o.kind, o.name): o for o in doc.outcomes}
    s03 = out[("server", "c02-s03")]
    assert (s03.state, s03.error) == ("check failed", MISWIRED)
    assert doc.quarantines[0].reason == f"check failed: {MISWIRED}"
    others = {name for (k, name) in out if k == "server"} - {"c02-s03"}
    assert len(others) == 7
    for name in others:  # the overcloud never deployed: their hypervisor steps did not run
        o = out[("server", name)]
        assert (o.state, o.quarantined) == ("hypervisor skipped", False)
        assert o.error == "dependency overcloud/ie1-new/deploy skipped"
    cloud = out[("overcloud", "ie1-new")]
    assert (cloud.state, cloud.quarantined, cloud.error) == \
        ("render skipped", False, "dependency c02-s03/provide quarantined")
    if kind == "buildout":
        assert (out[("cloud", "ie1-new")].state, out[("cloud", "ie1-new")].quarantined) == \
            ("prove skipped", False)
    if kind == "overcloud":
        assert doc.racks == []
        return
    drawn = {s.name: s for s in doc.racks[0].servers}
    assert (drawn["c02-s03"].outcome, drawn["c02-s03"].reason) == ("quarantined", doc.quarantines[0].reason)
    for name in others:  # where they got to: provided, waiting for the overcloud
        assert drawn[name].outcome == "available"
        assert drawn[name].reason == "hypervisor skipped: dependency overcloud/ie1-new/deploy skipped"


def test_the_vsd_failed_every_move_skipped_in_an_upgrade(tmp_path: Path) -> None:
    db = copy(tmp_path)
    with open_store(db) as st:
        run_id = run_of(st, "upgrade")
    fail(db, run_id, "net-partition", "VSD: net-partition ie1-new refused")
    fail(db, run_id, "rec/c01-s03/check", "c01-s03 nic1: no LLDP neighbour seen")
    with open_store(db) as st:
        doc = build_report(st, run_id, load_site(SITE))
    assert_one_verdict(doc, ["cloud:ie1-new", "server:c01-s03"], {"c01-s03"})  # the VSD's is no outcome
    apps = [o for o in doc.outcomes if o.kind == "app"]
    assert len(apps) == 12
    for o in apps:  # no move began: each waits for the net-partition
        assert (o.state, o.quarantined) == ("vsd-subnet skipped", False)
        assert o.error == "dependency net-partition failed"
    servers = {o.name: o for o in doc.outcomes if o.kind == "server"}
    assert (servers["c01-s03"].state, servers["c01-s03"].quarantined) == ("check failed", True)
    drawn = {s.name: s.outcome for s in doc.racks[0].servers}
    for name, o in servers.items():
        if name != "c01-s03":
            assert (o.state, o.quarantined) == ("hypervisor skipped", False)
            assert drawn[name] == "available"
    assert drawn["c01-s03"] == "quarantined"
