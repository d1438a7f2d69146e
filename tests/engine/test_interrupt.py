"""A stop is not a failure (issue 12, hazard 12): however the process is told to stop while a run
executes, the run ends ``interrupted`` (resumable), never ``failed: engine error``."""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from typing import Any

import pytest

from lifecycle.engine import RunObserver, RunStatus, Store

from .plans import engine_for, plan, step
from .toy import read_effects


class SignalAfter(RunObserver):
    """Sends this process SIGTERM once ``n`` steps ended (as systemd or an operator would)."""

    def __init__(self, n: int) -> None:
        self.n, self.ended = n, 0

    def on_step_end(self, step: Any, status: Any) -> None:
        self.ended += 1
        if self.ended == self.n:
            os.kill(os.getpid(), signal.SIGTERM)


def _chain(effects: str) -> Any:
    keys = [f"c{i}" for i in range(8)]
    return plan([step(k, deps=[keys[i - 1]] if i else []) for i, k in enumerate(keys)], effects)


def test_hazard12_a_host_handler_exiting_on_sigterm_leaves_the_run_interrupted(store: Store,
                                                                              effects: str) -> None:
    # A wrapper that turns SIGTERM into sys.exit(1) (many service shims do): SystemExit reaches
    # the run loop. It is a stop: interrupted and resumable, not "failed: engine error".
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        run_id = store.create_run(_chain(effects))
        with pytest.raises(SystemExit):
            engine_for(store, run_id, observer=SignalAfter(3)).execute(run_id)
    finally:
        signal.signal(signal.SIGTERM, previous)
    run = store.get_run(run_id)
    assert (run.status, run.owner) == ("interrupted", None), run.error
    assert "engine error" not in (run.error or "")
    assert 3 <= len(read_effects(effects)) < 8
    assert engine_for(store, run_id).execute(run_id).ok
    assert set(Counter(read_effects(effects)).values()) == {1}


def test_hazard12_sigterm_with_the_engine_s_handlers_is_a_graceful_stop(store: Store, effects: str) -> None:
    run_id = store.create_run(_chain(effects))
    result = engine_for(store, run_id, observer=SignalAfter(3),
                        install_signal_handlers=True).execute(run_id)
    assert result.status == RunStatus.INTERRUPTED and result.error == "stopped on request"
    counts = store.step_counts(run_id)
    assert counts.get("running", 0) == 0 and counts.get("pending", 0) > 0
    assert engine_for(store, run_id).execute(run_id).ok
    assert sorted(read_effects(effects)) == [f"c{i}" for i in range(8)]
