"""What the load balancer itself shows of a move, for the run's evidence: its members' monitor
transitions (``svrstate`` changes, with the time NetScaler made each one), and the state it
ended in (the vserver's state, each side's members).

NetScaler keeps only a member's *last* change (``tickssincelaststatechange``), so transitions are
collected from successive reads: each read is compared with the previous one, and a changed
member's transition is dated by NetScaler's own change time (:attr:`Member.since`), not by when i2
happened to read it. A member seen for the first time comes ``from`` None (bound); one that is
gone goes ``to`` None (unbound).

>>> side = {"10.1.0.5": "a", "10.1.0.70": "b"}.get
>>> w = MemberWatch(side)
>>> w.see([Member("10.1.0.70", 80, "ENABLED", "DOWN", since=10.0)], seen_at=10.2)
[{'ip': '10.1.0.70', 'port': 80, 'side': 'b', 'from': None, 'to': 'DOWN', 'state': 'ENABLED',
  'at': 10.0, 'seen_at': 10.2}]
>>> [t["to"] for t in w.see([Member("10.1.0.70", 80, "ENABLED", "UP", since=12.5)], seen_at=13.0)]
['UP']
>>> w.see([Member("10.1.0.70", 80, "ENABLED", "UP", since=12.5)], seen_at=14.0)
[]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from lifecycle.loadbalancer.members import Member

SideOf = Callable[[str], "str | None"]


class MemberWatch:
    """The members' ``svrstate`` as last seen, and the transitions successive reads show."""

    def __init__(self, side_of: SideOf, last: dict[tuple[str, int], str] | None = None):
        self.side_of = side_of
        self.last: dict[tuple[str, int], str] = dict(last or {})
        self.transitions: list[dict[str, Any]] = []

    @classmethod
    def from_rows(cls, side_of: SideOf, rows: Iterable[dict[str, Any]]) -> MemberWatch:
        """Seeded from the members an earlier step stored (``lb_state``'s ``members``)."""
        return cls(side_of, {(str(r["ip"]), int(r["port"])): str(r["svrstate"]) for r in rows})

    def _record(self, ip: str, port: int, old: str | None, new: str | None, state: str | None,
                at: float, seen_at: float) -> dict[str, Any]:
        t = {"ip": ip, "port": port, "side": self.side_of(ip), "from": old, "to": new, "state": state,
             "at": round(at, 3), "seen_at": round(seen_at, 3)}
        self.transitions.append(t)
        return t

    def see(self, members: Iterable[Member], seen_at: float, *,
            complete: bool = False) -> list[dict[str, Any]]:
        """Compare a read with the last one; the new transitions. ``complete``: the read holds every
        member of the group, so one missing from it was unbound (at ``seen_at``)."""
        out = []
        present = set()
        for m in members:
            key = (m.ip, m.port)
            present.add(key)
            old = self.last.get(key)
            if old != m.svrstate:
                at = m.since if m.since is not None and m.since <= seen_at else seen_at
                out.append(self._record(m.ip, m.port, old, m.svrstate, m.state, at, seen_at))
                self.last[key] = m.svrstate
        if complete:
            for key in [k for k in self.last if k not in present]:
                out.append(self._record(key[0], key[1], self.last.pop(key), None, None, seen_at, seen_at))
        return out

    def bound(self, keys: Iterable[tuple[str, int]], at: float) -> list[dict[str, Any]]:
        """``(ip, port)`` members were bound at ``at``: NetScaler starts a new member DOWN until its
        monitor passes (a read may already show it UP: the monitor probes a new member at once)."""
        out = []
        for ip, port in keys:
            self.last[(ip, port)] = "DOWN"
            out.append(self._record(ip, port, None, "DOWN", "ENABLED", at, at))
        return out

    def unbound(self, members: Iterable[Member], at: float) -> list[dict[str, Any]]:
        """``members`` were unbound at ``at``."""
        out = []
        for m in members:
            old = self.last.pop((m.ip, m.port), m.svrstate)
            out.append(self._record(m.ip, m.port, old, None, m.state, at, at))
        return out


def sides(members: Iterable[Member], side_of: SideOf) -> dict[str, list[dict[str, Any]]]:
    """Each side's members (``other``: an address in neither subnet) with ``state``/``svrstate``
    and since when NetScaler has had that svrstate."""
    out: dict[str, list[dict[str, Any]]] = {}
    for m in members:
        out.setdefault(side_of(m.ip) or "other", []).append(
            {"ip": m.ip, "port": m.port, "state": m.state, "svrstate": m.svrstate, "serving": m.serving,
             "since": m.since})
    return out


def ordered(transitions: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Transitions in the order NetScaler made them, each once (steps re-read what an earlier one saw)."""
    seen, out = set(), []
    for t in sorted(transitions, key=lambda t: (t.get("at") or 0.0, t.get("ip") or "")):
        key = (t.get("ip"), t.get("port"), t.get("from"), t.get("to"), t.get("at"))
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


__all__ = ["MemberWatch", "ordered", "sides"]
