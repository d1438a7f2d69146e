"""How a run ends: its final status from its steps, and the record written when it ends."""

from __future__ import annotations

import logging
import os

from lifecycle.redact import Redactor

from .errors import ERROR_MAX
from .events import EventJournal
from .models import Run, RunStatus, StepStatus, utcnow
from .state import RunGraph
from .store import Store

log = logging.getLogger("lifecycle.engine")


def final_status(graph: RunGraph, threshold_error: str | None) -> tuple[RunStatus, str | None]:
    """``succeeded`` only if every step is done; ``partial`` when all ended but some targets
    were quarantined or steps skipped; ``failed`` past the threshold; else ``interrupted``."""
    if threshold_error is not None:
        return RunStatus.FAILED, threshold_error
    if not graph.all_terminal():
        return RunStatus.INTERRUPTED, "stopped on request"
    order = graph.order
    if all(st.status == StepStatus.DONE for st in order):
        return RunStatus.SUCCEEDED, None
    bad = sorted({st.row.target for st in order if st.status == StepStatus.FAILED})
    return RunStatus.PARTIAL, "quarantined targets: " + ", ".join(bad) if bad else "some steps skipped"


def close_run(run: Run, status: RunStatus, error: str | None) -> None:
    """Set the final status and give up ownership (the caller commits)."""
    now = utcnow()
    run.status = status.value
    run.error = error
    run.finished_at = now
    run.updated_at = now
    run.owner = None
    run.heartbeat_at = None


def record_abort(store: Store, run_id: str, owner: str, error: str, *, failed: bool,
                 redactor: Redactor, events_dir: str | os.PathLike[str] | None) -> None:
    """Best effort after a hard stop or engine error; a fresh session since ours may be broken.

    Step rows are left as they are: ``running`` ones get re-observed on resume.
    """
    status = RunStatus.FAILED if failed else RunStatus.INTERRUPTED
    try:
        with store.session() as s, s.begin():
            run = s.get(Run, run_id)
            if run is None or run.owner != owner:
                return
            close_run(run, status, redactor.redact_text(error)[:ERROR_MAX])
            journal = EventJournal(run_id, redactor, events_dir)
            journal.add(s, "run_end", f"{status}: {error}", data={"status": status.value})
        journal.flush_file()
        journal.close()
    except Exception:
        log.exception("could not record the end of run %s", run_id)
