"""ManagedProcess: the lab supervisor's handle on a real external process."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from lifecycle.lab.ironic import ManagedProcess, ProcessError
from lifecycle.lab.process import alive

SPAWNS_CHILD = ["/bin/sh", "-c", "sleep 300 & echo child $!; wait"]


def child_pid(mp: ManagedProcess) -> int:
    for _ in range(100):
        m = re.search(r"child (\d+)", mp.log_path.read_text())
        if m:
            return int(m.group(1))
        time.sleep(0.05)
    raise AssertionError(f"no child reported in {mp.log_path}")


def test_stop_takes_the_whole_process_group(tmp_path: Path) -> None:
    mp = ManagedProcess("sleeper", SPAWNS_CHILD, log_path=tmp_path / "sleeper.log").start()
    assert mp.alive() and mp.pid_path.read_text().split()[0] == str(mp.pid)
    child = child_pid(mp)
    mp.stop(grace=2)
    assert not mp.alive() and not alive(child)
    assert not mp.pid_path.exists()


def test_start_reaps_a_leftover_of_an_earlier_run(tmp_path: Path) -> None:
    first = ManagedProcess("sleeper", SPAWNS_CHILD, log_path=tmp_path / "sleeper.log").start()
    old = first.pid
    # A new supervisor (say after a crash) knows the leftover only by its PID file.
    second = ManagedProcess("sleeper", SPAWNS_CHILD, log_path=tmp_path / "sleeper.log").start()
    try:
        first.alive()  # reap the zombie: it is our child in this test
        assert not alive(old) and second.alive()
        assert second.pid_path.read_text().split()[0] == str(second.pid)
    finally:
        second.stop(grace=2)


def test_wait_until_reports_an_early_exit_with_the_log(tmp_path: Path) -> None:
    mp = ManagedProcess("broken", ["/bin/sh", "-c", "echo config is broken; exit 3"],
                        log_path=tmp_path / "broken.log").start()
    with pytest.raises(ProcessError, match=r"(?s)exited \(code 3\).*config is broken"):
        mp.wait_until(lambda: False, 30, "readiness")
