"""Run ownership: claim the run's lease, renew it from a heartbeat thread, and notice when it is
lost (another process took the run over after our heartbeats stopped reaching the DB)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .errors import RunBusy
from .store import Store

log = logging.getLogger("lifecycle.engine")


def claim(store: Store, run_id: str, owner: str, lease_seconds: float) -> None:
    """Become the run's owner, or raise :class:`RunBusy` naming the live one."""
    if not store.claim_run(run_id, owner, lease_seconds):
        current = store.get_run(run_id)
        raise RunBusy(run_id, current.owner, "it is executing elsewhere")


class Heartbeat:
    """Renews the lease every ``interval`` seconds on a daemon thread.

    ``lost`` is set (and ``on_lost`` called) once the run is no longer ours; a failed renewal
    is only logged, since the DB may come back before the lease expires.
    """

    def __init__(self, store: Store, run_id: str, owner: str, interval: float,
                 on_lost: Callable[[], None]) -> None:
        self.store = store
        self.run_id = run_id
        self.owner = owner
        self.interval = interval
        self.on_lost = on_lost
        self.lost = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.beat, name=f"i2-hb-{run_id}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def beat(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                if not self.store.heartbeat(self.run_id, self.owner):
                    if not self.stopped.is_set():
                        self.lost.set()
                        self.on_lost()
                    return
            except Exception:  # the DB may come back before the lease expires
                log.warning("heartbeat for run %s failed", self.run_id, exc_info=True)
