"""CVX shows: the server side (``show cvx``, connections) and the client side (``show management cvx``).

A client is connected when ``management cvx`` is enabled and one of its ``server host`` addresses
belongs to a booted switch with ``cvx`` / ``no shutdown`` (its management address or an up
interface address); the out-of-band network is assumed to reach every management address.
"""

from __future__ import annotations

import time
from typing import Any

from lifecycle.lab.eos.show.registry import Ctx, command, duration, table


def _owner(ctx: Ctx, ip: str) -> str | None:
    for name, op in ctx.fabric.switches.items():
        cvx = op.view.cvx
        if cvx is None or not cvx.enabled:
            continue
        if (op.switch.mgmt_ip or "").split("/")[0] == ip or op.owns(ip):
            return name
    return None


def _cvx_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    lines = [
        "CVX Server",
        f"  Status: {'Enabled' if d['enabled'] else 'Disabled'}",
        f"  Heartbeat interval: {d['heartbeatInterval']:.0f}",
        f"  Heartbeat timeout: {d['heartbeatTimeout']:.0f}",
        f"  Cluster mode: {'Yes' if d['clusterMode'] else 'No'}",
    ]
    if d.get("clusterStatus"):
        lines.append(f"  Role: {d['clusterStatus']['role']}")
        for peer, p in d["clusterStatus"]["peerStatus"].items():
            lines.append(f"  Peer {peer}: {p['registrationState']}")
    return "\n".join(lines) + "\n"


@command("show cvx", text=_cvx_text)
def show_cvx(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    cvx = ctx.view.cvx
    enabled = bool(cvx and cvx.enabled)
    out: dict[str, Any] = {
        "enabled": enabled,
        "clusterMode": bool(cvx and cvx.peers),
        "heartbeatInterval": float(cvx.heartbeat_interval if cvx else 20),
        "heartbeatTimeout": float(cvx.heartbeat_timeout if cvx else 60),
    }
    if cvx and cvx.peers:
        members = [ctx.switch.mgmt_ip or ""]
        peers = {}
        for peer in cvx.peers:
            owner = _owner(ctx, peer)
            peers[peer] = {
                "peerName": peer,
                "registrationState": "Registration complete" if owner and enabled else "Connecting",
                "peerVersion": ctx.switch.version,
            }
            if owner:
                members.append(peer)
        master = sorted(m for m in members if m)[0] if any(members) else ""
        out["clusterStatus"] = {
            "role": ("Master" if master == ctx.switch.mgmt_ip else "Standby") if enabled else "Disconnected",
            "peerStatus": peers,
            "clusterName": "default",
        }
    return out


def _connections(ctx: Ctx) -> list[dict[str, Any]]:
    now = time.time()
    return [
        {
            "switchId": c.system_mac,
            "hostname": c.hostname,
            "oobConnectionActive": True,
            "oobConnectionSecured": False,
            "inBandConnectionActive": False,
            "oobConnectionAge": now - c.since,
            "connectionTimestamp": c.since,
            "ipAddress": c.server_ip,
        }
        for c in sorted(ctx.oper.cvx_clients, key=lambda c: c.hostname)
    ]


def _conn_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    rows = [
        [c["switchId"], c["hostname"], "Active", duration(c["oobConnectionAge"])] for c in d["connections"]
    ]
    return table(["Switch", "Hostname", "OOB Connection", "Age"], rows)


@command("show cvx connections [brief]", text=_conn_text)
def show_cvx_connections(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {"connections": _connections(ctx)}


@command("show cvx mounts")
def show_cvx_mounts(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    services = ctx.view.cvx.services if ctx.view.cvx else {}
    conns = []
    for c in _connections(ctx):
        mounts = []
        if services.get("mcs"):
            mounts.append(
                {
                    "service": "Mcs",
                    "mountStates": [
                        {
                            "pathStates": [
                                {
                                    "path": "mcs/v1/apiCfgRedStatus",
                                    "type": "Mcs::ApiConfigRedundancyStatus",
                                    "state": "mountStateMountComplete",
                                },
                                {
                                    "path": "mcs/v1/activeflows",
                                    "type": "Mcs::ActiveFlows",
                                    "state": "mountStateMountComplete",
                                },
                                {
                                    "path": "mcs/switch/status",
                                    "type": "Mcs::Client::Status",
                                    "state": "mountStateMountComplete",
                                },
                            ]
                        }
                    ],
                }
            )
        conns.append({"hostname": c["hostname"], "switchId": c["switchId"], "mounts": mounts})
    return {"connections": conns}


def _mgmt_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    cs = d["clusterStatus"]
    lines = [
        "CVX Client Status",
        f"  Status: {'Enabled' if cs['enabled'] else 'Disabled'}",
        f"  Source interface: {cs.get('sourceIntf') or 'Not configured'}",
    ]
    for ip, s in cs.get("controllerStatus", {}).items():
        lines.append(f"  Controller {ip}: {s['connectionStatus']}, negotiation {s['negotiationStatus']}")
    return "\n".join(lines) + "\n"


@command("show management cvx", text=_mgmt_text)
def show_management_cvx(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    client = ctx.view.mgmt_cvx
    if client is None:
        return {"clusterStatus": {"enabled": False, "controllerStatus": {}}}
    now = time.time()
    status = {}
    for ip in client.servers:
        conn = ctx.oper.cvx_servers.get(ip)
        status[ip] = {
            "connectionStatus": "connected" if conn else "disconnected",
            "negotiationStatus": "established" if conn else "notEstablished",
            "leader": bool(conn),
            "oobConnectionActive": bool(conn),
            "connectionTimestamp": conn.since if conn else 0.0,
            "lastHeartbeatSent": now - 3 if conn else 0.0,
            "lastHeartbeatReceived": now - 3 if conn else 0.0,
            "heartbeatInterval": float(client.heartbeat_interval),
            "heartbeatTimeout": float(client.heartbeat_timeout),
        }
    return {
        "clusterStatus": {
            "enabled": client.enabled,
            "clusterName": "",
            "controllerStatus": status,
            "sourceIntf": client.source_interface or "",
            "heartbeatInterval": float(client.heartbeat_interval),
            "heartbeatTimeout": float(client.heartbeat_timeout),
        }
    }


@command("show management cvx mounts")
def show_management_cvx_mounts(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    states = []
    mac = ctx.switch.system_mac.replace(":", "-")
    for ip, conn in ctx.oper.cvx_servers.items():
        if conn is None:
            continue
        server = _owner(ctx, ip)
        services = ctx.fabric[server].view.cvx.services if server and ctx.fabric[server].view.cvx else {}
        if services.get("mcs"):
            states.append(
                {
                    "path": f"mcs/v1/toSwitch/{mac}",
                    "type": "Mcs::DeviceConfigV1",
                    "state": "mountStateMountComplete",
                }
            )
    return {"mountStates": states}
