"""What the VSD tells about changes: the push channel (``GET /events``) and event logs.

Every create, update, assignment and delete the store makes is journalled once, as the VSD's
push notification describes it: ``{"entityType", "type" (CREATE|UPDATE|DELETE), "updateMechanism",
"entities": [the object as it now is, or was], "eventReceivedTime" (ms), "enterpriseName",
"requestID", "sourceEnterpriseID"}``. bambou's ``NURESTPushCenter`` long-polls ``/events``: the first
call (no ``uuid``) opens a channel and answers ``{"uuid": ID, "events": []}`` at once; each
``/events?uuid=ID`` answers the events since that channel's last answer, waiting up to
``timeout`` seconds for one (then an empty list). An unknown or expired channel is a 404, on
which bambou opens a new one. The journal keeps the last ``MAX_EVENTS``; a channel that fell
behind that window restarts at its oldest event.

``/{entities}/{id}/eventlogs`` lists the events of that object (its NUEventLog: ``type``,
``entityType``, ``entityID``, ``entityParentType``/``ID``, ``entities``, ``user``, ``diff`` of an
update), oldest first, as the VSD's audit of the object shows them.

>>> j = Journal()
>>> j.record("CREATE", "enterprise", {"ID": "e1", "name": "ie1", "parentID": None, "parentType": None},
...          user="u1")
>>> uid = j.open()
>>> j.record("UPDATE", "enterprise", {"ID": "e1", "name": "ie2", "parentID": None, "parentType": None},
...          old={"ID": "e1", "name": "ie1"}, user="u1")
>>> [(e["type"], e["entities"][0]["name"]) for e in j.poll(uid, timeout=0)]
[('UPDATE', 'ie2')]
>>> [(e["type"], e["diff"]) for e in j.logs("e1")]
[('CREATE', None), ('UPDATE', {'name': {'oldValue': 'ie1', 'newValue': 'ie2'}})]
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections import deque
from typing import Any

MAX_EVENTS = 10_000  # the journal's window (push channels and event logs)
MAX_LOGS = 200  # event logs kept per object
CHANNEL_IDLE = 600.0  # a channel not polled for this long is forgotten


class Journal:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.events: deque[tuple[int, dict[str, Any]]] = deque(maxlen=MAX_EVENTS)
        self.seq = 0
        self.channels: dict[str, tuple[int, float]] = {}  # uuid -> (last seq seen, last poll)
        self.per_entity: dict[str, deque[dict[str, Any]]] = {}
        self.closed = False

    def record(self, kind: str, entity_type: str, doc: dict[str, Any], *, old: dict[str, Any] | None = None,
               user: str | None = None, enterprise: str | None = None,
               enterprise_id: str | None = None) -> None:
        ts = int(time.time() * 1000)
        entity = doc  # a rendered copy, read-only from here (answers copy it again)
        event = {"entityType": entity_type, "type": kind, "updateMechanism": "DEFAULT", "entities": [entity],
                 "eventReceivedTime": ts, "enterpriseName": enterprise, "requestID": str(uuid.uuid4()),
                 "sourceEnterpriseID": enterprise_id}
        diff = None
        if old is not None:
            diff = {k: {"oldValue": old.get(k), "newValue": v} for k, v in entity.items()
                    if k in old and old.get(k) != v and k not in ("lastUpdatedDate", "lastUpdatedBy")} or None
        log = {"ID": str(uuid.uuid4()), "parentID": entity.get("ID"), "parentType": entity_type,
               "type": kind, "entityType": entity_type, "entityID": entity.get("ID"),
               "entityParentID": entity.get("parentID"), "entityParentType": entity.get("parentType"),
               "entities": [entity], "user": user, "enterprise": enterprise, "requestID": event["requestID"],
               "eventReceivedTime": float(ts), "diff": diff, "entityScope": "ENTERPRISE", "externalID": None,
               "embeddedMetadata": None, "creationDate": ts, "lastUpdatedDate": ts, "owner": user,
               "lastUpdatedBy": user}
        with self.cond:
            self.seq += 1
            self.events.append((self.seq, event))
            logs = self.per_entity.setdefault(str(entity.get("ID")), deque(maxlen=MAX_LOGS))
            logs.append(log)
            if kind == "DELETE":
                self.per_entity.pop(str(entity.get("ID")), None)  # nobody can ask a deleted object
            self.cond.notify_all()

    def logs(self, oid: str) -> list[dict[str, Any]]:
        with self.cond:
            return [copy.deepcopy(x) for x in self.per_entity.get(oid, ())]

    def open(self) -> str:
        with self.cond:
            self._forget_idle()
            uid = str(uuid.uuid4())
            self.channels[uid] = (self.seq, time.monotonic())
            return uid

    def known(self, uid: str) -> bool:
        with self.cond:
            return uid in self.channels

    def poll(self, uid: str, timeout: float) -> list[dict[str, Any]]:
        """The events since the channel's last answer, waiting up to ``timeout`` for one."""
        deadline = time.monotonic() + timeout
        with self.cond:
            seen = self.channels[uid][0]
            while self.seq <= seen and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            out = [copy.deepcopy(e) for s, e in self.events if s > seen]
            self.channels[uid] = (self.seq, time.monotonic())
            return out

    def close(self) -> None:
        """Release every waiting poll (the server is stopping)."""
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for uid, (_, last) in list(self.channels.items()):
            if now - last > CHANNEL_IDLE:
                del self.channels[uid]
