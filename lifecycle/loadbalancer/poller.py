"""Reads of an appliance shared by the steps that ask at once: one NITRO read per poll for everyone.

When a wave moves many applications at once, each move waits for its new members' monitors to
say UP. Polling each service group apart costs one GET per move per poll; the
:class:`MemberPoller` reads every group's members at once (``GET
servicegroup_servicegroupmember_binding?bulkbindings=yes``) while anyone waits and hands each
waiter its group's members from that read. Every read a waiter gets started after it asked
(no cached state: a guard built on it judges the appliance as it was at most one poll ago).

A one-off read (:meth:`SharedRead.read`: a guard's, an observation's) is the next poll, made
``GATHER`` s after it asks (``GAP`` at most), so the steps of a wave that read at once share it
too; :func:`read_all` asks several types at once. The same
machinery (:class:`SharedRead`) shares the bulk reads of other types (every vserver, every
monitor, every service group: ``GET <type>``; every object's bindings: ``bulkbindings=yes``).

Polls back off like the clouds adapter's waits (quick at first, then further apart); adapters
share no code, so :func:`backoff` is this package's own copy of that schedule. And a type is
read once every ``GAP`` s on average (a token bucket: ``BURST`` reads at once, then one more per
``GAP``): while reads are frequent, a step that asks right after a read began (too late for it)
waits for the next, which serves every step that asked meanwhile; the moves of a wave reach their
guards seconds apart, and without it each guard's read was a read of its own (the wave's reads
grew with its moves, and with how slowly the appliance answered). A lone move's few reads in a
row (a drain's guard, its read after, the unbind's guard) are not held back.

Example (needs a reachable NetScaler)::

    poller = MemberPoller(nitro)
    with poller.waiting("sg_orders_prd", first=0.25, most=2.0) as w:
        members, read_at = w.next(timeout=60)
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lifecycle.loadbalancer.client import Nitro
from lifecycle.loadbalancer.errors import LbError
from lifecycle.loadbalancer.members import every_member

GATHER = 0.05  # s a one-off read waits for others to share it
GAP = 0.25  # s between the reads of one type, on average, while they are frequent
BURST = 3  # reads of one type at once before GAP holds them back


def backoff(first: float = 0.5, factor: float = 1.5, most: float = 5.0) -> Iterator[float]:
    """Seconds between polls: ``first``, then times ``factor`` up to ``most``.

    >>> import itertools
    >>> [round(x, 2) for x in itertools.islice(backoff(0.25, most=1.0), 5)]
    [0.25, 0.38, 0.56, 0.84, 1.0]
    """
    wait = first
    while True:
        yield wait
        wait = min(most, wait * factor)


@dataclass(eq=False)
class Waiter:
    """One step waiting on one key; :meth:`next` gives it each read after its last."""

    key: str
    schedule: Iterator[float]
    reader: SharedRead
    due: float  # monotonic time by which it wants its next read
    asked: float  # only a read started at or after this is fresh enough for it
    ready: bool = False  # a read is here and not yet taken
    value: Any = None
    read_at: float = 0.0
    error: LbError | None = None

    def next(self, timeout: float, cancelled: threading.Event | None = None) -> tuple[Any, float]:
        """The key's value from a read that started after the previous call returned (the
        reader's default when the appliance has no such object), and when NITRO answered.
        Raises the read's :class:`LbError`; TimeoutError after ``timeout`` s; InterruptedError
        when cancelled."""
        return self.reader.next(self, timeout, cancelled)


class _Waiting:
    def __init__(self, reader: SharedRead, w: Waiter):
        self.reader, self.w = reader, w

    def __enter__(self) -> Waiter:
        return self.w

    def __exit__(self, *exc: object) -> None:
        self.reader.leave(self.w)


class SharedRead:
    """One background reader of one bulk read (``fetch``: key -> value), running only while
    someone waits. Thread-safe. A read is made when a waiter that has taken its last read is due
    for the next one; every waiter that asked before the read started gets it. ``reads`` counts
    the reads made."""

    def __init__(self, fetch: Callable[[], dict[str, Any]], *, timeout: float, default: Any = None,
                 what: str = "objects", gap: float = GAP, burst: int = BURST):
        self.fetch, self.timeout, self.default, self.what = fetch, timeout, default, what
        self.gap, self.burst = gap, burst
        self.reads = 0
        self._tokens, self._stamp = float(burst), time.monotonic()  # the bucket, and when it was
        self._cond = threading.Condition()
        self._waiters: list[Waiter] = []
        self._thread: threading.Thread | None = None

    def waiting(self, key: str, *, first: float = 0.5, most: float = 5.0) -> _Waiting:
        """Register a waiter on ``key`` (a context manager giving the :class:`Waiter`); its first
        read comes ``first`` s from now, the next ones further apart up to ``most``."""
        schedule = backoff(first, most=max(first, most))
        now = time.monotonic()
        with self._cond:
            w = Waiter(key, schedule, self, due=now + next(schedule), asked=now)
            self._waiters.append(w)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"nitro-{self.what}", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return _Waiting(self, w)

    def read(self, key: str, *, gather: float = GATHER) -> Any:
        """``key``'s value from a read that starts after this call: the next poll, shared with
        whoever else asks within ``gather`` s (what a guard may judge: the appliance now)."""
        with self.waiting(key, first=gather) as w:
            return w.next(2 * self.timeout + gather + self.gap + 5)[0]

    def leave(self, w: Waiter) -> None:
        with self._cond:
            if w in self._waiters:
                self._waiters.remove(w)
            self._cond.notify_all()

    def next(self, w: Waiter, timeout: float, cancelled: threading.Event | None) -> tuple[Any, float]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not w.ready:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no read of {self.what} {w.key} within {timeout:.0f} s")
                if cancelled is not None and cancelled.is_set():
                    raise InterruptedError(w.key)
                self._cond.wait(min(left, 0.2))
            now = time.monotonic()
            w.ready, w.asked, w.due = False, now, now + next(w.schedule)
            self._cond.notify_all()
            if w.error is not None:
                raise w.error
            return w.value, w.read_at

    def _due(self) -> float | None:
        """Seconds until the next read (None: nobody waits); under the lock."""
        pending = [w.due for w in self._waiters if not w.ready]
        if not pending:
            return None
        now = time.monotonic()
        short = 1.0 - self._bucket(now)  # of a token: the read waits for it
        return max(0.0, min(pending) - now, short * self.gap)

    def _bucket(self, now: float) -> float:
        """The tokens in the bucket at ``now`` (one per ``gap`` s since it was last taken from)."""
        if self.gap <= 0:
            return float(self.burst)
        return min(float(self.burst), self._tokens + (now - self._stamp) / self.gap)

    def _run(self) -> None:
        while True:
            with self._cond:
                while (wait := self._due()) != 0.0:
                    if not self._waiters:
                        self._thread = None
                        return
                    self._cond.wait(wait if wait is not None else 0.5)
                started = time.monotonic()
                self._tokens, self._stamp = self._bucket(started) - 1.0, started
            found: dict[str, Any] = {}
            error: LbError | None = None
            try:
                self.reads += 1
                found = self.fetch()
            except LbError as exc:  # each waiter hears of it: its step decides (retry or fail)
                error = exc
            except Exception as exc:  # a bug must not leave the waiters hanging
                error = LbError(f"reading {self.what}: {type(exc).__name__}: {exc}")
            read_at = time.time()
            with self._cond:
                for w in self._waiters:
                    if w.asked <= started:
                        w.value, w.read_at, w.error = found.get(w.key, self.default), read_at, error
                        w.ready = True
                self._cond.notify_all()


def read_all(reads: list[tuple[SharedRead, str]], *, gather: float = GATHER) -> list[Any]:
    """Each ``(reader, key)``'s value as :meth:`SharedRead.read` gives it, the reads asked at
    once (each type's reader runs on its own: one wait for them all, not one after the other)."""
    with contextlib.ExitStack() as stack:
        ws = [stack.enter_context(r.waiting(key, first=gather)) for r, key in reads]
        return [w.next(2 * r.timeout + gather + r.gap + 5)[0] for w, (r, _) in zip(ws, reads, strict=True)]


class MemberPoller(SharedRead):
    """Every service group's members (``servicegroup_servicegroupmember_binding``,
    ``bulkbindings=yes``): key a service group, value its members (``[]``: no such group)."""

    def __init__(self, nitro: Nitro, *, gap: float = GAP, burst: int = BURST):
        super().__init__(lambda: every_member(nitro), timeout=nitro.timeout, default=[],
                         what="service group members", gap=gap, burst=burst)


__all__ = ["BURST", "GAP", "GATHER", "MemberPoller", "SharedRead", "Waiter", "backoff", "read_all"]
