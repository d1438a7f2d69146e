"""Wait for many nodes with one list call per interval instead of one poller per node.

Ironic is one CPU-bound conductor: every GET competes with the transitions it is running. A
rack's worth of steps each waiting on its own node would poll N times per interval; the
:class:`NodeWatcher` lists every node once per interval (only the fields it needs) while anyone
waits and hands each waiter the snapshot of its node.

Example (needs a reachable Ironic)::

    watcher = NodeWatcher(conn)
    conn.baremetal.set_node_provision_state(uuid, "manage")
    watcher.wait(uuid, lambda n: n["provision_state"] == "manageable")
    # {'uuid': '...', 'provision_state': 'manageable', ...}
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Snapshot = dict[str, Any]

FIELDS = ("uuid", "name", "provision_state", "target_provision_state", "power_state",
          "last_error", "maintenance", "maintenance_reason")


class WaitTimeout(Exception):
    def __init__(self, uuid: str, seconds: float, last: Snapshot | None):
        state = (last or {}).get("provision_state")
        super().__init__(f"node {uuid} still {state!r} after {seconds:.0f} s")
        self.last = last


class WaitFailed(Exception):
    def __init__(self, uuid: str, reason: str, last: Snapshot):
        super().__init__(reason)
        self.uuid = uuid
        self.last = last


class WaitCancelled(Exception):
    pass


@dataclass
class _Waiter:
    uuid: str
    done: Callable[[Snapshot], bool]
    failed: Callable[[Snapshot], str | None]
    after: int  # only lists started after this one count (the transition was already submitted)
    event: threading.Event = field(default_factory=threading.Event)
    result: Snapshot | None = None
    error: str | None = None
    last: Snapshot | None = None


class NodeWatcher:
    """One background poller shared by every waiter of one Ironic.

    ``calls`` counts list calls made (the bench reports API calls per node). The thread runs
    only while someone waits. Subclasses list something else by overriding :meth:`list_nodes`
    (ironic-inspector's introspections: lifecycle.baremetal.introspection).
    """

    missing = "node disappeared from Ironic"  # a waited-for record absent from a list

    def __init__(self, conn: Any, *, interval: float = 0.5):
        self.conn = conn
        self.interval = interval
        self.calls = 0
        self._lock = threading.Lock()
        self._waiters: list[_Waiter] = []
        self._started = 0  # lists started so far
        self._thread: threading.Thread | None = None

    def list_nodes(self) -> dict[str, Snapshot]:
        """One list call (paged by the SDK) with only :data:`FIELDS`."""
        self.calls += 1
        return {n.id: {f: getattr(n, "id" if f == "uuid" else f, None) for f in FIELDS}
                for n in self.conn.baremetal.nodes(fields=list(FIELDS))}

    def wait(self, uuid: str, done: Callable[[Snapshot], bool], *,
             failed: Callable[[Snapshot], str | None] = lambda n: None, timeout: float = 600.0,
             cancelled: threading.Event | None = None) -> Snapshot:
        """Block until ``done(snapshot)``; raise :class:`WaitFailed` when ``failed`` names a
        reason, :class:`WaitTimeout` after ``timeout`` s, :class:`WaitCancelled` if cancelled."""
        with self._lock:
            w = _Waiter(uuid, done, failed, after=self._started)
            self._waiters.append(w)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="ironic-watch", daemon=True)
                self._thread.start()
        deadline = time.monotonic() + timeout
        try:
            while not w.event.wait(0.2):
                if cancelled is not None and cancelled.is_set():
                    raise WaitCancelled(uuid)
                if time.monotonic() > deadline:
                    raise WaitTimeout(uuid, timeout, w.last)
        finally:
            with self._lock:
                if w in self._waiters:
                    self._waiters.remove(w)
        if w.error is not None:
            raise WaitFailed(uuid, w.error, w.last or {})
        assert w.result is not None
        return w.result

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._waiters:
                    self._thread = None
                    return
                self._started += 1
                seq = self._started
            try:
                nodes = self.list_nodes()
            except Exception:  # a failed poll is retried on the next tick
                nodes = None
            if nodes is not None:
                with self._lock:
                    waiters = [w for w in self._waiters if seq > w.after]
                for w in waiters:
                    snap = nodes.get(w.uuid)
                    if snap is None:
                        w.error, w.last = self.missing, {}
                        w.event.set()
                        continue
                    w.last = snap
                    reason = w.failed(snap)
                    if reason:
                        w.error = reason
                        w.event.set()
                    elif w.done(snap):
                        w.result = snap
                        w.event.set()
            time.sleep(self.interval)
