"""Named configuration sessions: a candidate config that only reaches the running-config on commit.

EOS keeps at most five open (pending) sessions and remembers one completed one; a committed or
aborted name cannot be entered again.

>>> from lifecycle.lab.eos.config import Config
>>> store = Sessions()
>>> s = store.open("s1", Config("vEOS"))
>>> s.state, [x.name for x in store.pending()]
('pending', ['s1'])
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from lifecycle.lab.eos.config import CliError, Config

MAX_OPEN = 5
MAX_SAVED = 1


@dataclass
class ConfigSession:
    name: str
    candidate: Config
    state: str = "pending"  # pending | completed | aborted
    created: float = field(default_factory=time.time)
    completed: float | None = None
    user: str = ""


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
        self._all.clear()
