"""SIGINT/SIGTERM while a run executes: the first asks for a graceful stop (start nothing new,
let attempts in flight finish), the second is a hard stop (``KeyboardInterrupt``)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any


class StopSignals:
    """Installs the handlers on :meth:`install` (main thread only) and puts back the previous
    ones on :meth:`restore`. ``on_first`` runs inside the handler: it must only set a flag."""

    def __init__(self, on_first: Callable[[], None]) -> None:
        self.on_first = on_first
        self.received = 0
        self.previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal.signal() only works there; the caller handles stops itself
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.previous[sig] = signal.getsignal(sig)
            signal.signal(sig, self.handle)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        # Signal-safe: only set flags (the run loop polls them at least every POLL seconds).
        self.received += 1
        if self.received >= 2:
            raise KeyboardInterrupt
        self.on_first()

    def restore(self) -> None:
        previous, self.previous = self.previous, {}
        for sig, fn in previous.items():
            signal.signal(sig, fn)
