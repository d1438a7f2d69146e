"""A report never contains a secret (hazard 11 of issue 12): the scan of tests/secret_scan.py
covers the Markdown, JSON and HTML of a twin run's report.

The stored twin runs hold no secret (the engine redacts before it writes), so the test also
plants secrets where a careless adapter would leak them (a step's error, outputs under a
secret-looking key and in free text, the run's error) in a copy of the run store, as an older
i2 without redaction would have written them, and registers them as reading the endpoints file
does: the report masks every one of them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from lifecycle.model import load_site
from lifecycle.redact import Redactor
from lifecycle.report.build import build_report
from tests.report.stored import DEMO, SITE, copy, open_store, run_of
from tests.secret_scan import db_texts, leaks, report_texts

SECRETS = ["oneview-Adm1n-s3cret", "ipmi-pw-7f3a9c2e1b", "-----line-of-a-key-9f8e7d"]


def plant(db: Path, run_id: str) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute("update steps set status = 'failed', outputs = null, last_error = ? where run_id = ? "
                     "and key = 'c02-s02/profile'",
                     (f"c02-s02: login as admin/{SECRETS[0]} refused", run_id))
        row = conn.execute("select outputs from steps where run_id = ? and key = 'c02-s01/check'",
                           (run_id,)).fetchone()
        out = json.loads(row[0])
        out.update(password=SECRETS[1], lldp={"nic1": f"c02-leaf1:Ethernet1 {SECRETS[2]}"})
        conn.execute("update steps set outputs = ? where run_id = ? and key = 'c02-s01/check'",
                     (json.dumps(out), run_id))
        conn.execute("update runs set status = 'partial', error = ? where id = ?",
                     (f"ipmi {SECRETS[1]} rejected", run_id))
        conn.commit()
    finally:
        conn.close()


def test_a_report_of_a_twin_run_holds_no_planted_secret(tmp_path: Path):
    db = copy(tmp_path, DEMO)
    with open_store(db) as st:
        run_id = run_of(st, "rack")
    plant(db, run_id)
    assert len(leaks(SECRETS, db_texts(db))) >= 3  # the scan sees them in the store: it is no no-op
    with open_store(db) as st:
        doc = build_report(st, run_id, load_site(SITE), redactor=Redactor(SECRETS))
    texts = list(report_texts(doc))
    assert {w.rsplit(".", 1)[-1] for w, _ in texts} == {"md", "json", "html"}
    assert leaks(SECRETS, texts) == []
    md = texts[0][1]
    assert "login as admin/*** refused" in md and "c02-s02" in md  # the error stays, masked


def test_the_stored_twin_runs_reports_are_clean(tmp_path: Path):
    """What the engine stored is reported as is: no secret-looking field, no key material."""
    with open_store(copy(tmp_path, DEMO)) as st:
        for run in st.list_runs():
            for where, text in report_texts(build_report(st, run.id, load_site(SITE))):
                assert "-----BEGIN" not in text, where
                assert not any(k in text.lower() for k in ('"password"', '"token"', "password:")), where
