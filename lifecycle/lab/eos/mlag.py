"""MLAG state of one switch, derived from both peers' configs and the peer link.

``disabled`` without a complete, enabled ``mlag configuration``; ``inactive`` (negotiation
``connecting``) while the local interface or the peer link is down; ``active`` once they are up,
and negotiation ``connected`` only when the peer answers on ``peer-address`` over that link with
the same domain-id and points back at us. The peer with the lower system MAC is primary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lifecycle.lab.eos.state import FabricOper, Memory, resolve
from lifecycle.lab.eos.view import MlagConf


@dataclass
class MlagPort:
    mlag_id: int
    local: str
    local_status: str  # up | down
    peer: str | None
    peer_status: str

    @property
    def status(self) -> str:
        """active-full | active-partial | inactive (the show mlag interfaces words)."""
        ups = [self.local_status == "up", self.peer_status == "up"]
        if all(ups):
            return "active-full"
        return "active-partial" if any(ups) else "inactive"


@dataclass
class MlagOper:
    conf: MlagConf | None
    state: str = "disabled"
    neg_status: str = ""
    local_intf_status: str = ""
    peer_link_status: str = ""
    peer: str | None = None  # fabric name of the peer switch
    role: str = ""
    system_id: str = "00:00:00:00:00:00"
    ports: list[MlagPort] = field(default_factory=list)
    since: float = 0.0
    changes: int = 0

    def counts(self) -> dict[str, int]:
        out = {"Disabled": 0, "Configured": 0, "Inactive": 0, "Active-partial": 0, "Active-full": 0}
        for port in self.ports:
            if self.neg_status != "connected":
                out["Configured"] += 1
            else:
                out[
                    {
                        "active-full": "Active-full",
                        "active-partial": "Active-partial",
                        "inactive": "Inactive",
                    }[port.status]
                ] += 1
        return out


def _status(fabric: FabricOper, sw: str, intf: str | None) -> str:
    io = fabric[sw].intfs.get(intf or "")
    return "up" if io is not None and io.up else "down"


def _usable(conf: MlagConf | None) -> bool:
    return conf is not None and conf.complete and not conf.shutdown


def derive_mlag(fabric: FabricOper, me: str, memory: Memory) -> MlagOper:
    op = fabric[me]
    conf = op.view.mlag
    out = MlagOper(conf)
    if conf is None or not _usable(conf):
        out.since, out.changes = memory.track(f"{me}:mlag", "disabled", fabric.at)
        return out
    assert conf.local_interface and conf.peer_link and conf.peer_address
    out.local_intf_status = _status(fabric, me, conf.local_interface)
    out.peer_link_status = _status(fabric, me, conf.peer_link)
    out.ports = [
        MlagPort(ic.mlag, ic.name, _status(fabric, me, ic.name), None, "down")
        for ic in op.view.intfs.values()
        if ic.mlag is not None
    ]
    if "down" in (out.local_intf_status, out.peer_link_status):
        out.state, out.neg_status = "inactive", "connecting"
    else:
        out.state, out.neg_status = "active", "connecting"
        found = resolve(fabric, me, conf.peer_address)
        if found and found[0] == conf.local_interface:
            _, peer, peer_intf = found
            pconf = fabric[peer].view.mlag
            mine = next((str(a.ip) for n, a in op.l3() if n == conf.local_interface), None)
            if (
                _usable(pconf)
                and pconf is not None
                and pconf.domain_id == conf.domain_id
                and pconf.peer_address == mine
                and pconf.local_interface == peer_intf
                and _status(fabric, peer, pconf.peer_link) == "up"
            ):
                out.neg_status, out.peer = "connected", peer
    if out.peer:
        macs = sorted([op.switch.system_mac, fabric[out.peer].switch.system_mac])
        out.role = "primary" if op.switch.system_mac == macs[0] else "secondary"
        first = int(macs[0][:2], 16) | 0x02  # locally administered, derived from the primary
        out.system_id = f"{first:02x}{macs[0][2:]}"
        peer_ports = {ic.mlag: ic.name for ic in fabric[out.peer].view.intfs.values() if ic.mlag}
        for port in out.ports:
            port.peer = peer_ports.get(port.mlag_id)
            port.peer_status = _status(fabric, out.peer, port.peer) if port.peer else "down"
    out.since, out.changes = memory.track(f"{me}:mlag", (out.state, out.neg_status), fabric.at)
    return out
