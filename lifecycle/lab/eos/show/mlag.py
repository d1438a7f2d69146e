"""MLAG shows."""

from __future__ import annotations

import time
from typing import Any

from lifecycle.lab.eos.mlag import MlagOper
from lifecycle.lab.eos.show.registry import Ctx, command, table


def _mlag(ctx: Ctx) -> MlagOper:
    assert ctx.oper.mlag is not None
    return ctx.oper.mlag


def _mlag_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    p = d["mlagPorts"]
    lines = [
        "MLAG Configuration:",
        f"domain-id                          :{d['domainId']:>24}",
        f"local-interface                    :{d['localIntf']:>24}",
        f"peer-address                       :{d['peerAddress']:>24}",
        f"peer-link                          :{d['peerLink']:>24}",
        "",
        "MLAG Status:",
        f"state                              :{d['state'].capitalize():>24}",
        f"negotiation status                 :{d['negStatus'].capitalize():>24}",
        f"peer-link status                   :{d['peerLinkStatus'].capitalize():>24}",
        f"local-int status                   :{d['localIntfStatus'].capitalize():>24}",
        f"system-id                          :{d['systemId']:>24}",
        "",
        "MLAG Ports:",
        *[f"{k:<35}:{v:>24}" for k, v in p.items()],
        "",
    ]
    return "\n".join(lines) + "\n"


@command("show mlag [(detail):detail]", text=_mlag_text)
def show_mlag(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    m = _mlag(ctx)
    c = m.conf
    out: dict[str, Any] = {
        "domainId": (c.domain_id or "") if c else "",
        "localIntf": (c.local_interface or "") if c else "",
        "peerAddress": (c.peer_address or "0.0.0.0") if c else "0.0.0.0",
        "peerLink": (c.peer_link or "") if c else "",
        "state": m.state,
        "negStatus": m.neg_status,
        "peerLinkStatus": m.peer_link_status,
        "localIntfStatus": m.local_intf_status,
        "systemId": m.system_id,
        "dualPrimaryDetectionState": "disabled",
        "dualPrimaryPortsErrdisabled": False,
        "dualPrimaryMlagRecoveryDelay": 0,
        "dualPrimaryNonMlagRecoveryDelay": 0,
        "configSanity": "consistent" if m.neg_status == "connected" else "",
        "portsErrdisabled": False,
        "mlagPorts": m.counts(),
        "reloadDelay": c.reload_delay if c else 300,
        "reloadDelayNonMlag": c.reload_delay_non_mlag if c else 300,
    }
    if values.get("detail"):
        peer_mac = ctx.fabric[m.peer].switch.system_mac if m.peer else "00:00:00:00:00:00"
        out["detail"] = {
            "mlagState": m.role or "disabled",
            "peerMlagState": {"primary": "secondary", "secondary": "primary"}.get(m.role, "unknown"),
            "stateChanges": m.changes,
            "lastStateChangeTime": m.since,
            "peerMacAddress": peer_mac,
            "primaryPriority": 32767,
            "peerPrimaryPriority": 32767,
            "heartbeatInterval": 4000,
            "effectiveHeartbeatInterval": 4000,
            "heartbeatTimeout": 60000,
            "dualPrimaryDetectionDelay": 0,
            "dualPrimaryAction": "none",
            "fastMacRedirectionEnabled": False,
            "mlagHwReady": True,
            "enabled": m.state != "disabled",
            "failover": False,
            "failoverCauseList": [],
            "failoverInitiated": False,
            "secondaryFromFailover": False,
            "heartbeatTimeoutsSinceReboot": 0,
            "udpHeartbeatAlive": m.neg_status == "connected",
            "udpHeartbeatsSent": int((time.time() - m.since) / 4),
            "udpHeartbeatsReceived": int((time.time() - m.since) / 4) if m.neg_status == "connected" else 0,
        }
    return out


@command("show mlag config-sanity")
def show_mlag_sanity(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    m = _mlag(ctx)
    return {
        "mlagActive": m.state == "active",
        "mlagConnected": m.neg_status == "connected",
        "globalConfiguration": {},
        "interfaceConfiguration": {},
        "response": "",
        "detail": {},
    }


def _mlag_intf_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    rows = [
        [
            k,
            v["localInterfaceDescription"],
            v["status"],
            v["localInterface"],
            v["peerInterface"],
            v["localInterfaceStatus"],
            v["peerInterfaceStatus"],
        ]
        for k, v in d["interfaces"].items()
    ]
    return table(["mlag", "desc", "state", "local", "remote", "local/remote status", ""], rows)


@command("show mlag interfaces", text=_mlag_intf_text)
def show_mlag_interfaces(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    m = _mlag(ctx)
    out = {}
    for p in m.ports:
        io = ctx.oper.intfs.get(p.local)
        out[str(p.mlag_id)] = {
            "localInterface": p.local,
            "peerInterface": p.peer or "",
            "status": p.status if m.neg_status == "connected" else "configured",
            "localInterfaceStatus": p.local_status,
            "peerInterfaceStatus": p.peer_status,
            "localInterfaceDescription": io.conf.description if io else "",
        }
    return {"interfaces": out}
