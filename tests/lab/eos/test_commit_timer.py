"""The emulator's config-session commit timer (hazard 8): a timed commit holds until confirmed,
rolls back on abort or expiry, and only one may be pending at a time."""

from __future__ import annotations

import time

import pytest

from lifecycle.lab.eos import CliError, Switch


def _session() -> object:
    sw = Switch("leaf1", "DCS-7050SX3-48YC8", "JPE1", "44:4c:a8:00:00:01")
    s = sw.session()
    for line in ("configure", "hostname before", "end"):
        s.run(line)
    return s


def _timed(s, name: str, hostname: str, timer: str = "00:01:00") -> None:
    for line in (f"configure session {name}", f"hostname {hostname}", f"commit timer {timer}"):
        s.run(line)


def test_hazard8_emulator_timer_confirm_abort_and_expiry():
    s = _session()
    _timed(s, "a", "after")
    assert s.run("show hostname")["hostname"] == "after"
    assert s.run("show configuration sessions")["sessions"]["a"]["state"] == "pendingCommitTimer"
    with pytest.raises(CliError, match="commit timer pending"):
        _timed(s, "b", "other")  # one pending commit timer at a time
    s.run("end")
    s.run("configure session a abort")
    assert s.run("show hostname")["hostname"] == "before"  # aborted: rolled back at once
    _timed(s, "c", "confirmed")
    s.run("configure session c commit")
    assert s.run("show configuration sessions")["sessions"]["c"]["state"] == "completed"
    _timed(s, "d", "expires", "00:00:01")
    time.sleep(1.5)
    assert s.run("show hostname")["hostname"] == "confirmed"  # the timer rolled it back
    with pytest.raises(CliError):
        s.run("configure session d commit")  # too late to confirm
    with pytest.raises(CliError, match="Invalid input"):
        _timed(s, "e", "x", "1:99:00")
