"""The stored twin runs the report tests read (``tests/data/runstores``, written by i2 on the twin
of ``examples/ie1``; see its README), copied to a temporary directory before they are opened, and
the one edit the tests make to them: a server or a leaf quarantined the way the engine records it
(the failed step's error as the action raises it, the target's later steps quarantined, the run
partial), since the stored runs all succeeded."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from lifecycle.engine import Store

ROOT = Path(__file__).resolve().parents[2]
STORES = ROOT / "tests" / "data" / "runstores"
SITE = ROOT / "examples" / "ie1"
DEMO, CAMPAIGN = "demo-2af47a6.db", "campaign-2af47a6.db"


def copy(tmp: Path, name: str = DEMO) -> Path:
    dst = tmp / name
    shutil.copy(STORES / name, dst)
    return dst


def open_store(db: Path) -> Store:
    return Store.open(f"sqlite:///{db}")  # migrates the old schema to head, as i2 would


def run_of(store: Store, kind: str, status: str | None = None) -> str:
    """The oldest run of ``kind`` (and ``status``) in the store."""
    runs = [r for r in store.list_runs(kind=kind) if status is None or str(r.status) == status]
    assert runs, f"no {kind} run in the store"
    return runs[-1].id


def fail_step(db: Path, run_id: str, key: str, error: str) -> None:
    """``key`` failed with ``error``; the later steps of its target quarantined; the run partial."""
    conn = sqlite3.connect(db)
    try:
        seq, target = conn.execute("select seq, target from steps where run_id = ? and key = ?",
                                   (run_id, key)).fetchone()
        conn.execute("update steps set status = 'failed', outputs = null, last_error = ? "
                     "where run_id = ? and key = ?", (error, run_id, key))
        conn.execute("update steps set status = 'quarantined', outputs = null, last_error = null "
                     "where run_id = ? and target = ? and seq > ?", (run_id, target, seq))
        conn.execute("update runs set status = 'partial', error = '1 target(s) quarantined' where id = ?",
                     (run_id,))
        conn.commit()
    finally:
        conn.close()
