"""Writes of one appliance shared by the steps that ask at once: one NITRO bulk request for many.

When a wave moves many applications at once, each move binds its new members, drains its old
ones and unbinds them. Each of those is one bulk request per move already (an array body,
:meth:`Nitro.bulk`); the :class:`WriteCoalescer` puts the requests of the same kind (method,
type, action) that the steps ask for within ``GATHER`` s of each other into one. A request of a
kind waits for the previous one of that kind to be answered, and the steps that ask meanwhile
join it (a group commit: the slower the appliance answers, the more each request carries).

Each step still gets its own answer: the request goes with ``X-NITRO-ONERROR: continue`` (every
object is tried, whoever asked for it), NITRO answers one envelope per object in the order sent
(207 when any failed), and each step is handed the envelopes of its own objects and judges them
(:meth:`Nitro.checked`: 273 on a bind, 258 on an unbind are "done already"; any other failure
raises for that step alone, naming its objects). A request that fails as a whole (unreachable,
401, an answer not per object) fails every step in it, each with the same error. Nothing is
sent before the step has asked (its intent is recorded before it calls), and the step returns
only once NITRO has answered for its objects.

Example (needs a reachable NetScaler)::

    writes = WriteCoalescer(nitro)
    writes.bind_many("servicegroup_servicegroupmember_binding",
                     [{"servicegroupname": "sg_orders_prd", "ip": "10.20.1.70", "port": 8080}])
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from lifecycle.loadbalancer.client import Nitro
from lifecycle.loadbalancer.errors import ALREADY_EXISTS, NO_SUCH_RESOURCE, NitroResult

GATHER = 0.05  # s the first step of a request waits for others to join it
MOST = 200  # objects in one request at most (NITRO documents no limit; bodies stay a few tens of kB)

Key = tuple[str, str, str | None]  # method, type, action


class BulkWriter(Protocol):
    """What member moves write through: a :class:`Nitro` (one request per call) or a
    :class:`WriteCoalescer` (one request per kind for the calls made at once)."""

    def bind_many(self, binding: str, objs: list[Mapping[str, Any]]) -> list[bool]: ...

    def action_many(self, rtype: str, action: str, objs: list[Mapping[str, Any]]) -> None: ...

    def unbind_many(self, binding: str, objs: list[Mapping[str, Any]]) -> list[bool]: ...


@dataclass(eq=False)
class _Batch:
    key: Key
    objs: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False
    results: list[NitroResult] = field(default_factory=list)
    error: BaseException | None = None


class WriteCoalescer:
    """Bulk writes of one appliance, shared by the threads that ask at once. Thread-safe.
    ``requests`` counts the requests sent, ``objects`` the objects they carried."""

    def __init__(self, nitro: Nitro, *, gather: float = GATHER, most: int = MOST):
        self.nitro, self.gather, self.most = nitro, gather, most
        self.requests = self.objects = 0
        self._cond = threading.Condition()
        self._open: dict[Key, _Batch] = {}  # the request of a kind still taking objects
        self._busy: set[Key] = set()  # kinds with a request in flight

    def submit(self, method: str, rtype: str, objs: list[Mapping[str, Any]],
               action: str | None = None) -> list[NitroResult]:
        """Send ``objs`` with whatever else of the same kind is asked now; their envelopes, in
        order. Raises what the request as a whole raised."""
        if not objs:
            return []
        key: Key = (method, rtype, action)
        with self._cond:
            batch = self._open.get(key)
            lead = batch is None or len(batch.objs) + len(objs) > self.most
            if lead:
                batch = self._open[key] = _Batch(key)
            assert batch is not None
            start = len(batch.objs)
            batch.objs.extend(dict(o) for o in objs)
            if lead:
                # gather the others; then one request of a kind at a time (those asking meanwhile join)
                until = time.monotonic() + self.gather
                while (left := until - time.monotonic()) > 0 or key in self._busy:
                    self._cond.wait(left if left > 0 else 1.0)
                if self._open.get(key) is batch:
                    del self._open[key]
                self._busy.add(key)
                self.requests += 1
                self.objects += len(batch.objs)
        if lead:
            self._send(batch)
        else:
            with self._cond:
                while not batch.done:
                    self._cond.wait(1.0)
        if batch.error is not None:
            raise _copy(batch.error)
        return batch.results[start:start + len(objs)]

    def _send(self, batch: _Batch) -> None:
        method, rtype, action = batch.key
        try:
            batch.results = self.nitro.bulk(method, rtype, batch.objs,
                                            params={"action": action} if action else None)
        except BaseException as exc:  # every step in the request hears of it; its step decides
            batch.error = exc
        finally:
            with self._cond:
                batch.done = True
                self._busy.discard(batch.key)
                self._cond.notify_all()

    # -- what members.py calls: Nitro's bulk methods, shared --------------------------------------

    def bind_many(self, binding: str, objs: list[Mapping[str, Any]]) -> list[bool]:
        """As :meth:`Nitro.bind_many` (True bound now, False bound already), shared."""
        objs = list(objs)
        return self.nitro.checked(f"PUT {binding}", objs, self.submit("PUT", binding, objs),
                                  ok=frozenset({ALREADY_EXISTS}))

    def action_many(self, rtype: str, action: str, objs: list[Mapping[str, Any]]) -> None:
        """As :meth:`Nitro.action_many` (``enable``, ``disable``), shared."""
        objs = list(objs)
        self.nitro.checked(f"POST {rtype}?action={action}", objs, self.submit("POST", rtype, objs, action))

    def unbind_many(self, binding: str, objs: list[Mapping[str, Any]]) -> list[bool]:
        """As :meth:`Nitro.unbind_many` (True unbound now, False not bound), shared."""
        objs = list(objs)
        return self.nitro.checked(f"POST {binding}?action=unbind", objs,
                                  self.submit("POST", binding, objs, "unbind"),
                                  ok=frozenset({NO_SUCH_RESOURCE}))


def _copy(exc: BaseException) -> BaseException:
    """Each waiting thread raises its own copy: one exception raised in several threads at once
    would share (and garble) one traceback."""
    try:
        return copy.copy(exc)
    except Exception:  # an exception that cannot be copied is raised as it is
        return exc


__all__ = ["GATHER", "MOST", "BulkWriter", "WriteCoalescer"]
