"""What the NetScaler does with its configuration: members, their monitors, who serves a VIP.

Rules, from NetScaler's documentation of ``add lb monitor``, ``disable service(group)`` and
``set lb vserver``:

- a member is probed by every enabled monitor bound to its group (``tcp-default`` when none is
  bound); it is UP when all of them are UP (monthreshold 0). A monitor goes UP after
  ``successretries`` consecutive successes (default 1) and DOWN after ``retries`` consecutive
  failures (default 3; ``failureretries`` when set); after going DOWN it waits ``downtime``
  (default 30 s) before probing again. A new member starts DOWN and is probed at once.
- ``disable`` with ``delay``: the member is GOING OUT OF SERVICE, takes no new clients, keeps its
  established connections until the delay ends, then is OUT OF SERVICE (connections cut).
  ``graceful YES`` without a delay: OUT OF SERVICE once its last connection closes. Neither:
  OUT OF SERVICE at once. A member going DOWN loses its connections (downstateflush ENABLED),
  and so does a member unbound: a drain with delay 0 followed at once by the unbind (what a
  ``drain_delay`` of 0 does) cuts the requests still in flight on it.
- a vserver is UP while one of its members is UP and enabled, OUT OF SERVICE when disabled.
- a GSLB service is in the state of the vserver at its IP and port (``gslb_state``).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from lifecycle.lab.netscaler.store import Store

UNITS = {"SEC": 1.0, "MSEC": 0.001, "MIN": 60.0}


def seconds(mon: dict[str, Any], key: str, unit_key: str) -> float:
    return float(mon[key]) * UNITS.get(str(mon.get(unit_key, "SEC")).upper(), 1.0)


@dataclass
class MonitorRun:
    state: str = "DOWN"
    successes: int = 0
    failures: int = 0
    next_at: float = 0.0  # monotonic
    lastresponse: str = ""
    probes: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Backend:
    """The member a request lands on."""

    group: str
    servername: str
    ip: str
    port: int


@dataclass
class Member:
    group: str  # the service group, or the service itself
    kind: str  # "servicegroup" | "service"
    servername: str
    ip: str
    port: int
    weight: int = 1
    state: str = "ENABLED"
    svrstate: str = "DOWN"
    graceful: str = "NO"
    delay: int = 0
    drain_until: float | None = None  # monotonic
    draining: bool = False
    changed_at: float = field(default_factory=time.time)
    runs: dict[str, MonitorRun] = field(default_factory=dict)
    connections: set[int] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.kind, self.group, self.servername, self.port)

    def backend(self) -> Backend:
        return Backend(self.group, self.servername, self.ip, self.port)


@dataclass
class Connection:
    """A client connection through a VIP, established on one member."""

    id: int
    vip: str
    port: int
    backend: Backend
    opened_at: float
    cut_at: float | None = None
    closed: bool = False


class Runtime:
    """Members and their state; the caller holds ``lock`` (the emulator's) around every call."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.members: dict[tuple[str, str, str, int], Member] = {}
        self.events: list[dict[str, Any]] = []
        self.vstate: dict[str, str] = {}
        self.gstate: dict[str, str] = {}  # gslbservice -> its last state (for the events)
        self.conns: dict[int, Connection] = {}
        self._ids = itertools.count(1)
        self._rr: dict[str, int] = {}

    # --- events ----------------------------------------------------------------------------------
    def record(self, kind: str, name: str, old: str, new: str, detail: str = "") -> None:
        self.events.append({"at": time.time(), "kind": kind, "name": name, "from": old, "to": new,
                            "detail": detail})

    # --- membership -----------------------------------------------------------------------------
    def add(self, m: Member) -> Member:
        self.members[m.key] = m
        self.record("member", self.label(m), "", m.svrstate, "bound")
        return m

    def remove(self, m: Member) -> None:
        self._cut(m, "unbound")
        del self.members[m.key]
        self.record("member", self.label(m), m.svrstate, "", "unbound")

    def of_group(self, kind: str, group: str) -> list[Member]:
        return [m for m in self.members.values() if m.kind == kind and m.group == group]

    def of_vserver(self, vs: str) -> list[Member]:
        out: list[Member] = []
        for sg in self.store.targets("lbvserver_servicegroup_binding", vs):
            out += self.of_group("servicegroup", sg)
        for svc in self.store.targets("lbvserver_service_binding", vs):
            out += self.of_group("service", svc)
        return out

    @staticmethod
    def label(m: Member) -> str:
        return f"{m.group}/{m.servername}:{m.port}"

    def monitors(self, m: Member) -> list[dict[str, Any]]:
        btype = "servicegroup_lbmonitor_binding" if m.kind == "servicegroup" else "service_lbmonitor_binding"
        names = self.store.targets(btype, m.group) or ["tcp-default"]
        mons = [self.store.objects["lbmonitor"].get(n) for n in names]
        return [mon for mon in mons if mon is not None and mon.get("state", "ENABLED") == "ENABLED"]

    # --- administrative state -------------------------------------------------------------------
    def admin_off(self, m: Member) -> bool:
        group = self.store.objects[m.kind].get(m.group, {})
        server = self.store.objects["server"].get(m.servername, {})
        return "DISABLED" in (m.state, group.get("state"), server.get("state"))

    def disable(self, m: Member, graceful: str, delay: int, now: float) -> None:
        """``disable`` reached this member (itself, its group or its server)."""
        m.graceful, m.delay = graceful, delay
        m.draining = m.svrstate == "UP" and (delay > 0 or graceful == "YES")
        m.drain_until = now + delay if m.draining and delay > 0 else None

    def enable(self, m: Member, now: float) -> None:
        """Back in service: probed again from DOWN before it takes new clients."""
        m.graceful, m.delay, m.drain_until, m.draining = "NO", 0, None, False
        m.runs = {}
        if m.svrstate in ("OUT OF SERVICE", "GOING OUT OF SERVICE"):
            self._set(m, "DOWN", "enabled")

    # --- state ----------------------------------------------------------------------------------
    def refresh(self, now: float) -> None:
        for m in list(self.members.values()):
            self._set(m, self._state(m, now), "")
        for vs, obj in self.store.objects["lbvserver"].items():
            new = self.vserver_state(vs, obj)
            old = self.vstate.get(vs, "")
            if new != old:
                self.vstate[vs] = new
                self.record("vserver", vs, old, new)
        for gone in set(self.vstate) - set(self.store.objects["lbvserver"]):
            self.record("vserver", gone, self.vstate.pop(gone), "", "removed")
        for name, obj in self.store.objects["gslbservice"].items():
            new, old = self.gslb_state(obj), self.gstate.get(name, "")
            if new != old:
                self.gstate[name] = new
                self.record("gslbservice", name, old, new)
        for gone in set(self.gstate) - set(self.store.objects["gslbservice"]):
            self.record("gslbservice", gone, self.gstate.pop(gone), "", "removed")

    def _state(self, m: Member, now: float) -> str:
        if self.admin_off(m):
            if m.draining and m.drain_until is not None and now < m.drain_until:
                return "GOING OUT OF SERVICE"
            if m.draining and m.drain_until is None and m.connections:
                return "GOING OUT OF SERVICE"
            return "OUT OF SERVICE"
        mons = self.monitors(m)
        if all(m.runs.get(mon["monitorname"], MonitorRun()).state == "UP" for mon in mons):
            return "UP"
        return "DOWN"

    def _set(self, m: Member, new: str, detail: str) -> None:
        if new == m.svrstate:
            return
        old, m.svrstate, m.changed_at = m.svrstate, new, time.time()
        if new in ("DOWN", "OUT OF SERVICE"):
            m.draining, m.drain_until = False, None
            self._cut(m, new)
        self.record("member", self.label(m), old, new, detail)

    def vserver_state(self, vs: str, obj: dict[str, Any]) -> str:
        if obj.get("state") == "DISABLED":
            return "OUT OF SERVICE"
        return "UP" if any(m.svrstate == "UP" for m in self.of_vserver(vs)) else "DOWN"

    def cs_state(self, cs: str, obj: dict[str, Any]) -> str:
        """A content switching vserver is UP while enabled whatever its targets' state, unless
        ``stateupdate`` is ENABLED: then UP while one of its target lbvservers is."""
        if obj.get("state") == "DISABLED":
            return "OUT OF SERVICE"
        if str(obj.get("stateupdate", "DISABLED")).upper() != "ENABLED":
            return "UP"
        lbs = self.store.objects["lbvserver"]
        rows = self.store.find("csvserver_cspolicy_binding", cs, {})
        targets = [str(r.get("targetlbvserver")) for r in rows]
        targets += [str(obj["lbvserver"])] if obj.get("lbvserver") else []
        return "UP" if any(t in lbs and self.vserver_state(t, lbs[t]) == "UP" for t in targets) else "DOWN"

    def gslb_state(self, obj: dict[str, Any]) -> str:
        """A GSLB service's state: OUT OF SERVICE when disabled; else, as NetScaler monitors a
        local service through the virtual server at its IP and port, that vserver's state (DOWN
        when no vserver of this appliance listens there)."""
        if obj.get("state") == "DISABLED":
            return "OUT OF SERVICE"
        ip, port = str(obj.get("ipaddress") or obj.get("ip")), int(obj.get("port") or 0)
        for kind, state in (("lbvserver", self.vserver_state), ("csvserver", self.cs_state)):
            for name, vs in self.store.objects[kind].items():
                if vs.get("ipv46") == ip and int(vs.get("port") or 0) == port:
                    return state(name, vs)
        return "DOWN"

    # --- monitoring -----------------------------------------------------------------------------
    def due(self, now: float) -> list[tuple[Member, dict[str, Any]]]:
        out = []
        for m in self.members.values():
            if self.admin_off(m):
                continue
            for mon in self.monitors(m):
                run = m.runs.setdefault(mon["monitorname"], MonitorRun(next_at=now))
                if run.next_at <= now:
                    out.append((m, mon))
        return out

    def next_wake(self, now: float) -> float:
        times = [r.next_at for m in self.members.values() for r in m.runs.values()]
        times += [m.drain_until for m in self.members.values() if m.drain_until is not None]
        return min(times, default=now + 1.0)

    def apply(self, m: Member, mon: dict[str, Any], ok: bool, detail: str, now: float) -> None:
        if self.members.get(m.key) is not m:  # unbound while probing
            return
        name = mon["monitorname"]
        run = m.runs.setdefault(name, MonitorRun())
        run.probes += 1
        run.lastresponse = f"{'Success' if ok else 'Failure'} - {detail}"
        run.next_at = now + seconds(mon, "interval", "units3")
        if ok:
            run.successes, run.failures = run.successes + 1, 0
            if run.state == "DOWN" and run.successes >= int(mon.get("successretries", 1)):
                run.state = "UP"
                self.record("monitor", f"{self.label(m)}/{name}", "DOWN", "UP", run.lastresponse)
            return
        run.failed += 1
        run.successes, run.failures = 0, run.failures + 1
        retries = int(mon.get("retries", 3))
        limit = int(mon.get("failureretries") or 0) or retries
        if run.state == "UP" and run.failures >= min(limit, retries):
            run.state = "DOWN"
            run.next_at = now + seconds(mon, "downtime", "units2")
            self.record("monitor", f"{self.label(m)}/{name}", "UP", "DOWN", run.lastresponse)

    # --- traffic --------------------------------------------------------------------------------
    def vserver_at(self, vip: str, port: int) -> tuple[str, dict[str, Any]] | None:
        for vs, obj in self.store.objects["lbvserver"].items():
            if obj.get("ipv46") == vip and int(obj.get("port", 0)) == int(port):
                return vs, obj
        return None

    def ready(self, vip: str, port: int) -> list[Member]:
        """The members a new client of ``vip:port`` may land on: UP and enabled."""
        found = self.vserver_at(vip, port)
        if found is None or found[1].get("state") == "DISABLED":
            return []
        return [m for m in self.of_vserver(found[0]) if m.svrstate == "UP" and not self.admin_off(m)]

    def pick(self, vip: str, port: int) -> Member | None:
        ready = self.ready(vip, port)
        if not ready:
            return None
        found = self.vserver_at(vip, port)
        assert found is not None  # ready() found it
        vs, obj = found
        turn = self._rr.get(vs, 0)
        self._rr[vs] = turn + 1
        if str(obj.get("lbmethod", "LEASTCONNECTION")).upper() == "LEASTCONNECTION":
            fewest = min(len(m.connections) for m in ready)
            ready = [m for m in ready if len(m.connections) == fewest]
        return ready[turn % len(ready)]

    def connect(self, vip: str, port: int) -> Connection | None:
        m = self.pick(vip, port)
        if m is None:
            return None
        conn = Connection(next(self._ids), vip, port, m.backend(), time.time())
        self.conns[conn.id] = conn
        m.connections.add(conn.id)
        return conn

    def close(self, conn: Connection) -> None:
        conn.closed = True
        self.conns.pop(conn.id, None)
        for m in self.members.values():
            m.connections.discard(conn.id)

    def _cut(self, m: Member, why: str) -> None:
        for cid in list(m.connections):
            conn = self.conns.pop(cid, None)
            if conn is not None and conn.cut_at is None:
                conn.cut_at = time.time()
        if m.connections:
            self.record("connections", self.label(m), str(len(m.connections)), "0", f"cut: {why}")
        m.connections.clear()
