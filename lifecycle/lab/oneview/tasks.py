"""Asynchronous tasks (``/rest/tasks/{id}``), run on their own threads.

A mutating call answers 202 with ``Location: /rest/tasks/{id}`` and the task in the body. The
task goes New -> Running (percentComplete rising) -> Completed | Error, and takes the duration the
latency profile gives its kind: a client polling it sees it pending until then. hpOneView's
TaskMonitor raises ``HPOneViewTaskError(taskErrors[0].message, errorCode)`` on Error, and on
success GETs ``associatedResource.resourceUri`` (except for tasks named Delete/Remove).

The work of a task is a generator: it mutates the emulator's state under the emulator's lock and
``yield``s the fraction of the task's duration to wait before its next step. It raises
:class:`TaskFailed` (after undoing what it did) to end the task in Error.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lifecycle.lab.oneview.catalog import resource_type

log = logging.getLogger("i2.lab.oneview")

PENDING = ("New", "Starting", "Pending", "Running", "Suspended", "Stopping")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_etag() -> str:
    # The appliance's eTags are opaque strings; a millisecond stamp plus a nonce never repeats.
    return f"{int(time.time() * 1000)}/{uuid.uuid4().hex[:8]}"


class TaskFailed(Exception):
    """End the task in Error with this entry in ``taskErrors``."""

    def __init__(self, code: str, message: str, details: str = "", actions: Iterable[str] = (),
                 status: str | None = None):
        super().__init__(message)
        self.error = {"errorCode": code, "message": message, "details": details,
                      "recommendedActions": list(actions), "errorSource": None,
                      "nestedErrors": [], "data": {}}
        self.status = status or message


@dataclass
class Task:
    name: str  # "Create", "Update", "Delete", "Power off", ...
    owner: str
    resource_uri: str | None
    resource_name: str
    resource_category: str
    duration: float
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = "New"
    status: str = ""
    percent: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    progress: list[dict[str, Any]] = field(default_factory=list)
    created: str = field(default_factory=now_iso)
    modified: str = field(default_factory=now_iso)
    etag: str = field(default_factory=new_etag)
    # Injected by the fault plan: the work raises it at its commit point (see check_fault).
    fault: TaskFailed | None = None

    @property
    def uri(self) -> str:
        return f"/rest/tasks/{self.id}"

    @property
    def pending(self) -> bool:
        return self.state in PENDING

    def check_fault(self) -> None:
        if self.fault is not None:
            raise self.fault

    def note(self, text: str) -> None:
        self.status = text
        self.progress.append({"timestamp": now_iso(), "statusUpdate": text, "id": len(self.progress) + 1})

    def to_json(self, api: int) -> dict[str, Any]:
        return {
            "type": resource_type("tasks", api),
            "category": "tasks",
            "uri": self.uri,
            "name": self.name,
            "owner": self.owner,
            "taskState": self.state,
            "taskStatus": self.status,
            "stateReason": None,
            "percentComplete": self.percent,
            "computedPercentComplete": self.percent,
            "completedSteps": self.percent,
            "totalSteps": 100,
            "expectedDuration": max(1, round(self.duration)),
            "associatedResource": {
                "resourceName": self.resource_name,
                "resourceUri": self.resource_uri,
                "resourceCategory": self.resource_category,
                "associationType": "MANAGED_BY",
            },
            "associatedTaskUri": None,
            "parentTaskUri": None,
            "taskErrors": [dict(e) for e in self.errors],
            "taskOutput": [],
            "progressUpdates": [dict(p) for p in self.progress],
            "taskType": "User",
            "userInitiated": True,
            "isCancellable": False,
            "hidden": False,
            "data": None,
            "created": self.created,
            "modified": self.modified,
            "eTag": self.etag,
        }


Work = Callable[[Task], Iterator[float]]


class TaskRunner:
    """Runs each task's work on a daemon thread; all state changes happen under ``lock``."""

    def __init__(self, lock: threading.RLock):
        self.lock = lock
        self.tasks: dict[str, Task] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, task: Task, work: Work) -> Task:
        with self.lock:
            self.tasks[task.id] = task
        t = threading.Thread(target=self._run, args=(task, work), name=f"oneview-task-{task.name}",
                             daemon=True)
        self._threads = [x for x in self._threads if x.is_alive()] + [t]
        t.start()
        return task

    def _set(self, task: Task, **changes: Any) -> None:
        with self.lock:
            for k, v in changes.items():
                setattr(task, k, v)
            task.modified = now_iso()
            task.etag = new_etag()

    def _run(self, task: Task, work: Work) -> None:
        # New -> Running after a short while: a client's first poll may see either.
        if self._stop.wait(task.duration * 0.05):
            return
        self._set(task, state="Running")
        done = 0.05
        try:
            for fraction in work(task):
                if not self._wait(task, done, max(0.0, fraction)):
                    self._set(task, state="Terminated", status="The appliance was shut down.")
                    return
                done += max(0.0, fraction)
        except TaskFailed as failed:
            self._set(task, state="Error", percent=100, errors=[failed.error], status=failed.status)
            return
        except Exception as exc:  # an emulator bug must end the task, not leave it running
            log.exception("oneview task %s (%s) failed", task.name, task.id)
            self._set(task, state="Error", percent=100, status="Internal error",
                      errors=[TaskFailed("INTERNAL_ERROR", f"twin internal error: {exc}").error])
            return
        self._set(task, state="Completed", percent=100, status=task.status or f"{task.name} completed.")

    def _wait(self, task: Task, done: float, fraction: float) -> bool:
        """Wait ``fraction`` of the task's duration, percentComplete rising meanwhile; False if stopped."""
        end = time.monotonic() + fraction * task.duration
        while (left := end - time.monotonic()) > 0:
            if self._stop.wait(min(left, 0.5)):
                return False
            elapsed = fraction - max(0.0, end - time.monotonic()) / task.duration
            self._set(task, percent=min(99, int((done + elapsed) * 100)))
        return True

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
