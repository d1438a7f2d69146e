"""Service group members: what the upgrade moves. Bind B's VMs, wait for their monitors, drain A
gracefully (``action=disable`` with ``graceful: YES`` and the drain delay), unbind A. Binds,
drains, enables and unbinds of one side are one bulk request each (:meth:`Nitro.bulk`), sent
through ``writes``: the :class:`Nitro` itself, or the appliance's
:class:`~lifecycle.loadbalancer.writes.WriteCoalescer` that puts the moves' requests of a wave
in one.

A member is *serving* when it is enabled and its monitor says UP; a drain or unbind that would
leave the service group (so its virtual server) with no serving member is refused with
:class:`WouldStopServing` unless forced: the runbook's guard builds on that.

>>> m = Member("10.1.0.5", 8080, "ENABLED", "UP")
>>> (m.serving, Member("10.1.0.6", 8080, "DISABLED", "UP").serving)
(True, False)
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from lifecycle.loadbalancer.client import Nitro
from lifecycle.loadbalancer.errors import NitroError, WouldStopServing
from lifecycle.loadbalancer.writes import BulkWriter

MEMBER_BINDING = "servicegroup_servicegroupmember_binding"


@dataclass(frozen=True)
class Member:
    ip: str
    port: int
    state: str  # ENABLED | DISABLED (the operator's switch)
    svrstate: str  # UP | DOWN | OUT OF SERVICE | TROFS (graceful drain in progress) | ...
    servername: str | None = None  # the server object NetScaler made for the IP (its name)
    # when svrstate last changed, on i2's clock: the read's time less NITRO's
    # tickssincelaststatechange (10 ms ticks), so the appliance's clock and time zone do not matter
    since: float | None = field(default=None, compare=False)
    weight: int | None = field(default=None, compare=False)  # NITRO's weight (None: not read)

    @property
    def serving(self) -> bool:
        """Takes new connections: enabled and its monitor UP."""
        return self.state.upper() == "ENABLED" and self.svrstate.upper() == "UP"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "serving": self.serving}


def parse_member(obj: dict[str, Any], read_at: float | None = None) -> Member:
    """A member from its binding row; ``read_at``: when NITRO answered (for ``since``).

    >>> parse_member({"ip": "10.1.0.5", "port": 8080, "svrstate": "UP",
    ...               "tickssincelaststatechange": "250"}, read_at=1000.0).since
    997.5
    """
    return Member(ip=str(obj.get("ip") or obj.get("servername") or ""), port=int(obj.get("port") or 0),
                  state=str(obj.get("state") or "ENABLED"), svrstate=str(obj.get("svrstate") or "UNKNOWN"),
                  servername=obj.get("servername"), since=_since(obj, read_at), weight=_weight(obj))


def _weight(obj: dict[str, Any]) -> int | None:
    try:
        return int(obj["weight"])
    except (KeyError, TypeError, ValueError):
        return None


def _since(obj: dict[str, Any], read_at: float | None) -> float | None:
    # NITRO sends the ticks as a string ("13580"); absent on old firmware
    try:
        ticks = float(obj["tickssincelaststatechange"])
    except (KeyError, TypeError, ValueError):
        return None
    return None if read_at is None or ticks < 0 else round(read_at - ticks / 100.0, 3)


def parse_rows(rows: Iterable[dict[str, Any]], read_at: float) -> list[Member]:
    """Members from binding rows, in a stable order."""
    return sorted((parse_member(o, read_at) for o in rows), key=lambda m: (m.ip, m.port))


def members(nitro: Nitro, sg: str) -> list[Member]:
    """The service group's members (none when the group does not exist)."""
    try:
        found = nitro.get(MEMBER_BINDING, sg)
    except NitroError as exc:
        if exc.absent:
            return []
        raise
    return parse_rows(found, time.time())


def every_member(nitro: Nitro) -> dict[str, list[Member]]:
    """Every service group's members in one read (``bulkbindings=yes``): group -> members."""
    found = nitro.get(MEMBER_BINDING, bulk=True)
    read_at = time.time()
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in found:
        groups.setdefault(str(row.get("servicegroupname")), []).append(row)
    return {sg: parse_rows(rows, read_at) for sg, rows in groups.items()}


def bind_members(nitro: Nitro, sg: str, ips: Iterable[str], port: int, *,
                 current: list[Member] | None = None, writes: BulkWriter | None = None) -> list[str]:
    """Bind each ``ip:port`` not yet bound (NetScaler starts it DOWN until its monitor passes);
    the IPs newly bound. ``current``: the members as the caller has just read them."""
    bound = {(m.ip, m.port) for m in (members(nitro, sg) if current is None else current)}
    new = [ip for ip in sorted(set(ips)) if (ip, port) not in bound]
    # one request for all (bulk bind); one bound meanwhile (273) is bound, as wanted
    (writes or nitro).bind_many(MEMBER_BINDING, [{"servicegroupname": sg, "ip": ip, "port": port}
                                                 for ip in new])
    return new


def members_up(nitro: Nitro, sg: str, ips: Iterable[str], port: int | None = None) -> bool:
    """Every one of ``ips`` is bound, enabled and UP (so serving)."""
    serving = {m.ip for m in members(nitro, sg) if m.serving and (port is None or m.port == port)}
    return set(ips) <= serving


def _targets(current: list[Member], ips: Iterable[str], port: int | None) -> list[Member]:
    wanted = set(ips)
    return [m for m in current if m.ip in wanted and (port is None or m.port == port)]


def guard(sg: str, current: list[Member], leaving: list[Member], what: str, force: bool) -> None:
    """Raise :class:`WouldStopServing` when taking ``leaving`` out of ``current`` leaves no
    serving member (unless ``force``)."""
    remaining = [m for m in current if m.serving and m not in leaving]
    if leaving and not remaining and not force:
        up = ", ".join(f"{m.ip}:{m.port}" for m in current if m.serving) or "none"
        raise WouldStopServing(
            f"refused: {what} {', '.join(f'{m.ip}:{m.port}' for m in leaving) or 'nothing'} would leave "
            f"service group {sg} with no enabled, UP member (serving now: {up}); bring the other side "
            "UP first, or force")


def drain_targets(sg: str, current: list[Member], ips: Iterable[str], port: int | None, *,
                  force: bool = False) -> list[Member]:
    """The members a drain of ``ips`` disables (enabled ones), after the guard (what a dry run shows)."""
    targets = [m for m in _targets(current, ips, port) if m.state.upper() != "DISABLED"]
    guard(sg, current, targets, "draining", force)
    return targets


def enable_targets(current: list[Member], ips: Iterable[str], port: int | None) -> list[Member]:
    """The members an enable of ``ips`` switches back on (the disabled ones)."""
    return [m for m in _targets(current, ips, port) if m.state.upper() == "DISABLED"]


def drain(nitro: Nitro, sg: str, ips: Iterable[str], delay: int, *, port: int | None = None,
          force: bool = False, current: list[Member] | None = None,
          writes: BulkWriter | None = None) -> list[Member]:
    """Gracefully disable ``ips``: no new connections, established ones served for ``delay``
    seconds. The members disabled by this call (already disabled ones are left as they are).
    ``current``: the members as the caller has just read them (the guard judges that read)."""
    targets = drain_targets(sg, members(nitro, sg) if current is None else current, ips, port, force=force)
    (writes or nitro).action_many("servicegroup", "disable", [
        {"servicegroupname": sg, "servername": m.servername or m.ip, "port": m.port, "graceful": "YES",
         "delay": delay} for m in targets])
    return targets


def enable(nitro: Nitro, sg: str, ips: Iterable[str], *, port: int | None = None,
           current: list[Member] | None = None, writes: BulkWriter | None = None) -> list[Member]:
    """Enable ``ips`` again (a rollback of a drain); the members that were disabled."""
    targets = enable_targets(members(nitro, sg) if current is None else current, ips, port)
    (writes or nitro).action_many("servicegroup", "enable", [
        {"servicegroupname": sg, "servername": m.servername or m.ip, "port": m.port} for m in targets])
    return targets


def unbind(nitro: Nitro, sg: str, ips: Iterable[str], *, port: int | None = None,
           force: bool = False, current: list[Member] | None = None,
           writes: BulkWriter | None = None) -> list[Member]:
    """Unbind ``ips`` (one ``POST ...binding?action=unbind`` with an array: NITRO's bulk unbind);
    refused, like a drain, when no serving member would remain. The members unbound (one found
    unbound already, 258, is unbound as wanted)."""
    current = members(nitro, sg) if current is None else current
    targets = _targets(current, ips, port)
    guard(sg, current, targets, "unbinding", force)
    (writes or nitro).unbind_many(MEMBER_BINDING, [{"servicegroupname": sg, "ip": m.ip, "port": m.port}
                                                   for m in targets])
    return targets
