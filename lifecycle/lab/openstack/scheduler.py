"""Deferred work of a cloud (a server finishing its boot, a volume finishing its manage) on one
thread: hundreds of booting servers cost one thread, not hundreds.

>>> timers = Timers("demo").start()
>>> done = threading.Event()
>>> timers.after(0.01, done.set)
>>> done.wait(1)
True
>>> timers.stop()
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("i2.lab.openstack")


class Timers:
    def __init__(self, name: str):
        self.name = name
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def start(self) -> Timers:
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def after(self, delay: float, fn: Callable[[], None]) -> None:
        with self._cv:
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._seq), fn))
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._cv.wait(None if not self._heap else self._heap[0][0] - time.monotonic())
                if self._stopped:
                    return
                _, _, fn = heapq.heappop(self._heap)
            try:
                fn()
            except Exception:  # one broken callback must not stop every later one
                log.exception("%s: deferred work failed", self.name)

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()
        if self._thread:
            self._thread.join(2)
