"""Named configuration sessions: a candidate config that only reaches the running-config on commit.

EOS keeps at most five open (pending) sessions and remembers one completed one; a committed or
aborted name cannot be entered again. ``commit timer hh:mm:ss`` commits for a while only: the
session stays ``pendingCommitTimer`` until ``configure session NAME commit`` confirms it; when the
timer expires first (or on ``configure session NAME abort``) the previous running-config returns.

>>> from lifecycle.lab.eos.config import Config
>>> store = Sessions()
>>> s = store.open("s1", Config("vEOS"))
>>> s.state, [x.name for x in store.pending()]
('pending', ['s1'])
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lifecycle.lab.eos.config import CliError, Config

if TYPE_CHECKING:
    from lifecycle.lab.eos.switch import Switch

MAX_OPEN = 5
MAX_SAVED = 1


@dataclass
class ConfigSession:
    name: str
    candidate: Config
    state: str = "pending"  # pending | pendingCommitTimer | completed | aborted
    created: float = field(default_factory=time.time)
    completed: float | None = None
    user: str = ""
    previous: Config | None = None  # the running-config a pending commit timer returns to
    timer: threading.Timer | None = None


class Sessions:
    def __init__(self) -> None:
        self._all: dict[str, ConfigSession] = {}
        self._counter = 0

    def new_name(self) -> str:
        self._counter += 1
        return f"session{int(time.time()) % 100000}{self._counter:03d}"

    def get(self, name: str) -> ConfigSession | None:
        return self._all.get(name)

    def all(self) -> list[ConfigSession]:
        return list(self._all.values())

    def pending(self) -> list[ConfigSession]:
        return [s for s in self._all.values() if s.state == "pending"]

    def open(self, name: str, running: Config) -> ConfigSession:
        sess = self._all.get(name)
        if sess is not None:
            if sess.state != "pending":
                raise CliError(f"Cannot enter session {name} (session already {sess.state})", 1000)
            return sess
        if len(self.pending()) >= MAX_OPEN:
            raise CliError(f"Maximum number of pending sessions has been reached ({MAX_OPEN})", 1000)
        sess = ConfigSession(name, running.copy())
        self._all[name] = sess
        return sess

    def finish(self, name: str, state: str) -> ConfigSession:
        sess = self._all[name]
        sess.state = state
        sess.completed = time.time()
        done = [s for s in self._all.values() if s.state != "pending"]
        for old in sorted(done, key=lambda s: s.completed or 0)[:-MAX_SAVED]:
            del self._all[old.name]
        return sess

    def abort(self, name: str) -> None:
        self._all.pop(name, None)

    def clear(self) -> None:
        for s in self._all.values():
            if s.timer is not None:
                s.timer.cancel()
        self._all.clear()


def parse_timer(text: str) -> float:
    """``hh:mm:ss`` -> seconds (EOS takes 1 second to 24 hours)."""
    try:
        h, m, s = (int(x) for x in text.split(":"))
    except ValueError:
        raise CliError(f"Invalid input (timer {text!r}: expected hh:mm:ss)") from None
    seconds = h * 3600 + m * 60 + s
    if not 0 < seconds <= 86400 or m > 59 or s > 59:
        raise CliError(f"Invalid input (timer {text!r} out of range)")
    return float(seconds)


def commit_timer(switch: Switch, name: str, seconds: float) -> None:
    """Commit ``name`` now and roll it back after ``seconds`` unless confirmed first."""
    with switch.lock:
        if any(s.state == "pendingCommitTimer" for s in switch.sessions.all()):
            raise CliError("Another session has a commit timer pending", 1000)
        sess = switch.sessions.get(name)
        if sess is None or sess.state != "pending":
            raise CliError(f"Cannot commit session {name}", 1000)
        sess.previous = switch.running
        switch.running = sess.candidate.copy()
        sess.state = "pendingCommitTimer"
        sess.timer = threading.Timer(seconds, _expire, (switch, name))
        sess.timer.daemon = True
        sess.timer.start()
        switch.changed()


def _expire(switch: Switch, name: str) -> None:
    end_pending(switch, name, confirm=False)


def end_pending(switch: Switch, name: str, *, confirm: bool) -> bool:
    """Confirm or roll back a pending commit timer; False when ``name`` has none pending."""
    with switch.lock:
        sess = switch.sessions.get(name)
        if sess is None or sess.state != "pendingCommitTimer":
            return False
        if sess.timer is not None:
            sess.timer.cancel()
        if not confirm and sess.previous is not None:
            switch.running = sess.previous
            switch.changed()
        sess.previous = sess.timer = None
        switch.sessions.finish(name, "completed" if confirm else "aborted")
        return True
