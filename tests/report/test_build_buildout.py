"""The build-out's report reuses the rack steps' report (no stored build-out run exists yet: the
stored twin rack run, relabelled as the build-out of its DC, stands for one; the build-out's own
steps, spines, undercloud gate and NRFU, each add an outcome and their checks)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lifecycle.model import load_site
from lifecycle.report.build import build_report
from tests.report.stored import SITE, copy, open_store, run_of


def test_a_buildout_report_has_its_racks_servers_and_fabric(tmp_path: Path):
    db = copy(tmp_path)
    with open_store(db) as st:
        run_id = run_of(st, "rack")
    conn = sqlite3.connect(db)
    conn.execute("update runs set kind = 'buildout', target = 'dc:ie1-dc1' where id = ?", (run_id,))
    conn.commit()
    conn.close()
    site = load_site(SITE)
    with open_store(db) as st:
        doc = build_report(st, run_id, site)
    assert [r.name for r in doc.racks] == ["c02"]  # found from the servers and the ZTP stage step
    assert {o.name for o in doc.outcomes if o.kind == "server"} == {s.name for s in site.servers_in("c02")}
    assert doc.fabric is not None and {c.status for c in doc.fabric.cables} == {"planned"}
    assert any("i2 buildout apply" in n for n in doc.next.notes)
