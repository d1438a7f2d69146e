"""Reads shared by concurrent callers: the moves of a wave ask a cloud (or VSD) the same question
at the same moment (a project's servers, a domain's ACL entries); one request answers them all.

A caller never gets an answer older than its question: it joins a request that has not started
yet, never one already under way (that one may have been sent before the caller's own last
change). While a request of a kind is under way, the callers that arrive form the next one,
which asks for everything they want at once (the union of their names) when the first ends. A
lone caller is not delayed; callers arriving together share one request, and when a kind is
busy (asked for within the last second) its first caller waits ``gather`` seconds for others.

Polls are the one exception: a caller waiting for something to happen (a boot, a deletion) says
since when an answer is new enough to it (``after``, its wait's start or its previous poll), and
takes the last answer sent since, if that covered its names. A request also asks for the names
of everyone waiting on its kind (:meth:`SharedReads.waiting`), so one poll serves them all.

>>> asked = []
>>> def read(names):
...     asked.append(sorted(names))
...     return {n: n.upper() for n in names}
>>> shared = SharedReads()
>>> shared.read("servers", ["a"], read)["a"]
'A'
>>> with shared.waiting("servers", ["b", "c"]):
...     shared.read("servers", ["b"], read)["b"], shared.read("servers", ["c"], read, after=0.0)["c"]
('B', 'C')
>>> asked
[['a'], ['b', 'c']]
"""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

#: How long the first caller of a busy kind of read waits for others to join it (seconds): about
#: one answer of a busy VSD or Nova. The moves of a wave reach the same step within a second or
#: so of one another: at 20 applications this saves about one VSD read in eight and one Nova
#: read in twelve (docs/performance.md); longer waits save more but slow every move.
GATHER = 0.05


class _Batch:
    """The callers that one request will answer."""

    def __init__(self) -> None:
        self.wants: set[Any] = set()
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class SharedReads:
    """One request per kind of read at a time, answering every caller that asked before it was
    sent (see the module's docstring). Thread-safe; ``key`` names the kind of read (a project's
    servers), ``wants`` what this caller needs of it, ``fetch`` reads the union."""

    def __init__(self, gather: float = 0.0) -> None:
        # how long the first caller of a busy kind waits for others to join (0: not at all); a
        # kind is busy when another caller asked within the last second
        self.gather = gather
        self._asked: dict[Hashable, float] = {}
        self._cond = threading.Condition()
        self._next: dict[Hashable, _Batch] = {}  # gathering callers, not sent yet
        self._busy: set[Hashable] = set()  # a request of this key is under way
        self._waiting: dict[Hashable, Counter[Any]] = {}  # names that pollers of a key wait on
        self._last: dict[Hashable, tuple[float, frozenset[Any], Any]] = {}  # (sent, names, answer)

    def pending(self, key: Hashable) -> int:
        """How many names the next request of ``key`` (not sent yet) asks for."""
        with self._cond:
            batch = self._next.get(key)
            return len(batch.wants) if batch is not None else 0

    @contextmanager
    def waiting(self, key: Hashable, wants: Iterable[Any]) -> Iterator[None]:
        """While inside, every request of ``key`` asks for ``wants`` too (a poller's names)."""
        names = list(wants)
        with self._cond:
            self._waiting.setdefault(key, Counter()).update(names)
        try:
            yield
        finally:
            with self._cond:
                left = self._waiting[key]
                left.subtract(names)
                if not +left:
                    del self._waiting[key]

    def read(self, key: Hashable, wants: Iterable[Any], fetch: Callable[[frozenset[Any]], T], *,
             after: float | None = None) -> T:
        """``fetch``'s answer for (at least) ``wants``, from a request sent after this call, or,
        for a poll (``after``: a ``time.monotonic()``), from the last one sent since ``after``."""
        wants = set(wants)
        with self._cond:
            if after is not None and key in self._last:
                sent, names, answer = self._last[key]
                if sent >= after and wants <= names:
                    return answer  # type: ignore[no-any-return]
            batch = self._next.get(key)
            lead = batch is None
            if batch is None:
                batch = self._next[key] = _Batch()
            batch.wants.update(wants)
            now = time.monotonic()
            hot, self._asked[key] = now - self._asked.get(key, -1e9) < 1.0, now
            if lead:  # the first caller sends it, once the request under way (if any) has ended
                until = now + self.gather if hot else now
                while key in self._busy or time.monotonic() < until:
                    self._cond.wait(max(0.0, until - time.monotonic()) or None)
                del self._next[key]  # from here on, callers form the next request
                self._busy.add(key)
                union = frozenset(batch.wants | set(+self._waiting.get(key, Counter())))
        if lead:
            try:
                sent = time.monotonic()
                batch.result = fetch(union)
                with self._cond:
                    self._last[key] = (sent, union, batch.result)
            except BaseException as exc:  # every caller of the batch gets it
                batch.error = exc
            finally:
                with self._cond:
                    self._busy.discard(key)
                    self._cond.notify_all()
                batch.done.set()
        else:
            batch.done.wait()
        if batch.error is not None:
            raise batch.error if lead else _own(batch.error)
        return batch.result


def _own(exc: BaseException) -> BaseException:
    """A copy of a shared error for one more caller (its traceback is its own), else itself."""
    try:
        return copy.copy(exc)
    except Exception:
        return exc
