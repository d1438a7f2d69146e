"""The NetScaler's health checking: a thread that runs every due monitor probe at its interval.

The probe itself belongs to the lab: ``probe(ip, port, monitor) -> (ok, detail)`` where
``monitor`` is the lbmonitor as configured (type, httprequest, respcode, send, recv...). The
twin's lab answers it from its world (the VM is ACTIVE, its application answers, the VSD ACLs
let a SNIP reach it on that port). Probes run outside the emulator's lock, a few in parallel, as
a NetScaler's do; their results are applied in order under the lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lifecycle.lab.netscaler.runtime import Runtime

log = logging.getLogger("i2.lab.netscaler")

Probe = Callable[[str, int, dict[str, Any]], tuple[bool, str]]


def refuse_all(ip: str, port: int, monitor: dict[str, Any]) -> tuple[bool, str]:
    """The default probe until the lab wires its world: nothing answers."""
    return False, "TCP syn sent, no response received"


class MonitorEngine:
    def __init__(self, runtime: Runtime, lock: threading.RLock, probe: Probe, *, workers: int = 8,
                 max_sleep: float = 0.05):
        self.runtime, self.lock, self.probe = runtime, lock, probe
        self.max_sleep = max_sleep
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="twin-ns-probe")
        self._thread = threading.Thread(target=self._loop, name="twin-netscaler-monitor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def kick(self) -> None:
        """Configuration changed: look again now rather than at the next wake-up."""
        self._wake.set()

    def _run(self, ip: str, port: int, mon: dict[str, Any]) -> tuple[bool, str]:
        try:
            ok, detail = self.probe(ip, port, mon)
            return bool(ok), str(detail)
        except Exception as exc:  # a probe bug is a failed probe, not a dead monitor thread
            log.exception("netscaler probe of %s:%s failed", ip, port)
            return False, f"probe error: {exc}"

    def step(self) -> float:
        """Run the due probes once and apply them; returns the monotonic time of the next wake."""
        now = time.monotonic()
        with self.lock:
            self.runtime.refresh(now)
            due = [(m, dict(mon)) for m, mon in self.runtime.due(now)]
            for m, mon in due:  # not due again while in flight
                m.runs[mon["monitorname"]].next_at = float("inf")
        futures = [(m, mon, self._pool.submit(self._run, m.ip, int(mon.get("destport") or m.port), mon))
                   for m, mon in due]
        results = [(m, mon, f.result()) for m, mon, f in futures]
        with self.lock:
            now = time.monotonic()
            for m, mon, (ok, detail) in results:
                self.runtime.apply(m, mon, ok, detail, now)
            self.runtime.refresh(now)
            return self.runtime.next_wake(now)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                wake = self.step()
            except Exception:
                log.exception("netscaler monitor step failed")
                wake = time.monotonic() + self.max_sleep
            self._wake.wait(min(self.max_sleep, max(0.0, wake - time.monotonic())))
            self._wake.clear()
