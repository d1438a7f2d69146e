"""BGP and routing shows: summaries (legacy and multi-AF), neighbors, BGP table, IP routes."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from lifecycle.lab.eos.bgp import PeerOper, connected
from lifecycle.lab.eos.show.registry import Ctx, command, duration, table


def _by_ip(peers: dict[str, PeerOper]) -> list[tuple[str, PeerOper]]:
    return sorted(peers.items(), key=lambda kv: ipaddress.IPv4Address(kv[0]))


def _vrfs(ctx: Ctx, values: dict[str, str]) -> bool:
    """True when the request covers the default VRF (the only one the twin routes in)."""
    return values.get("vrf", "default") in ("default", "all") and ctx.oper.bgp is not None


def _msgs(p: PeerOper, now: float) -> tuple[int, int]:
    if not p.established:
        return 0, 0
    keepalives = int((now - p.since) / 60)
    return 3 + keepalives + p.advertised, 3 + keepalives + p.received


def _legacy_peer(p: PeerOper, now: float) -> dict[str, Any]:
    sent, received = _msgs(p, now)
    out: dict[str, Any] = {
        "msgSent": sent,
        "inMsgQueue": 0,
        "prefixReceived": p.received,
        "upDownTime": p.since,
        "version": 4,
        "msgReceived": received,
        "prefixAccepted": p.accepted,
        "peerState": p.state,
        "outMsgQueue": 0,
        "underMaintenance": False,
        "asn": p.conf.remote_as or "",
    }
    if p.conf.description:
        out["description"] = p.conf.description
    if p.state == "Idle":
        out["peerStateIdleReason"] = p.idle_reason or "NoInterface"
    return out


def _summary_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    out = []
    for vrf, v in d["vrfs"].items():
        out.append(f"BGP summary information for VRF {vrf}")
        out.append(f"Router identifier {v['routerId']}, local AS number {v['asn']}")
        out.append("Neighbor Status Codes: m - Under maintenance")
        rows = []
        for ip, p in v["peers"].items():
            state = p.get("peerState", "")
            pfx = p.get("prefixReceived", p.get("ipv4Unicast", {}).get("nlrisReceived", 0))
            acc = p.get("prefixAccepted", p.get("ipv4Unicast", {}).get("nlrisAccepted", 0))
            up = duration(time.time() - p["upDownTime"]) if "upDownTime" in p else ""
            rows.append(
                [
                    f"  {ip}",
                    4,
                    p.get("asn", p.get("peerAsn", "")),
                    p.get("msgReceived", 0),
                    p.get("msgSent", 0),
                    0,
                    0,
                    up,
                    "Estab" if state == "Established" else state,
                    pfx,
                    acc,
                ]
            )
        out.append(
            table(
                [
                    "  Neighbor",
                    "V",
                    "AS",
                    "MsgRcvd",
                    "MsgSent",
                    "InQ",
                    "OutQ",
                    "Up/Down",
                    "State",
                    "PfxRcd",
                    "PfxAcc",
                ],
                rows,
            ).rstrip("\n")
        )
    return "\n".join(out) + "\n"


def _legacy(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    if not _vrfs(ctx, values):
        return {"vrfs": {}}
    bgp = ctx.oper.bgp
    assert bgp is not None
    now = time.time()
    return {
        "vrfs": {
            "default": {
                "routerId": bgp.router_id,
                "asn": bgp.asn,
                "vrf": "default",
                "peers": {ip: _legacy_peer(p, now) for ip, p in _by_ip(bgp.peers)},
            }
        }
    }


command("show ip bgp summary [vrf <word:vrf>]", text=_summary_text)(_legacy)
command("show bgp ipv4 unicast summary [vrf <word:vrf>]", text=_summary_text)(_legacy)


@command("show bgp summary [vrf <word:vrf>]", text=_summary_text)
def show_bgp_summary(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    if not _vrfs(ctx, values):
        return {"vrfs": {}}
    bgp = ctx.oper.bgp
    assert bgp is not None
    peers = {}
    for ip, p in _by_ip(bgp.peers):
        entry: dict[str, Any] = {
            "peerState": p.state,
            "peerAsn": p.conf.remote_as or "",
            "upDownTime": p.since,
        }
        if p.conf.description:
            entry["description"] = p.conf.description
        if p.ipv4:
            entry["ipv4Unicast"] = {
                "afiSafiState": "negotiated" if p.established else "advertised",
                "nlrisReceived": p.received,
                "nlrisAccepted": p.accepted,
            }
        peers[ip] = entry
    return {
        "vrfs": {"default": {"routerId": bgp.router_id, "asn": bgp.asn, "vrf": "default", "peers": peers}}
    }


def _neighbor(ctx: Ctx, p: PeerOper, now: float) -> dict[str, Any]:
    bgp = ctx.oper.bgp
    assert bgp is not None
    sent, received = _msgs(p, now)
    up = p.established
    caps: dict[str, Any] = {"multiprotocolCaps": {}}
    if p.ipv4:
        caps["multiprotocolCaps"]["ipv4Unicast"] = {"advertised": True, "received": up, "enabled": up}
    for cap in ("fourOctetAsnCap", "routeRefreshCap", "enhancedRouteRefreshCap"):
        caps[cap] = {"advertised": True, "received": up, "enabled": up}
    out: dict[str, Any] = {
        "peerAddress": p.address,
        "asn": p.conf.remote_as or "",
        "linkType": "internal" if p.ibgp else "external",
        "routerId": p.peer_router_id if up else "0.0.0.0",
        "vrf": "default",
        "localAsn": bgp.asn,
        "localRouterId": bgp.router_id,
        "state": p.state,
        "lastState": "OpenConfirm" if up else "Idle",
        "establishedTime": int(now - p.since) if up else 0,
        "establishedTransitions": (p.transitions + 1) // 2,
        "updownTime": p.since,
        "holdTime": 180,
        "keepaliveTime": 60,
        "configuredHoldTime": 180,
        "configuredKeepaliveTime": 60,
        "connectTimeLeft": 0,
        "updateGroupIndex": 0,
        "peerGroupName": p.conf.peer_group,
        "description": p.conf.description or None,
        "maxTotalRoutes": p.conf.maximum_routes,
        "totalRoutesWarnLimit": p.conf.maximum_routes,
        "neighborCapabilities": caps,
        "peerTcpInfo": {
            "state": "ESTABLISHED" if up else "CLOSED",
            "outputQueueLength": 0,
            "inputQueueLength": 0,
            "localPort": 179 if not p.ibgp else 33612,
            "remotePort": 33612 if not p.ibgp else 179,
        },
        "localAddress": p.local_ip or None,
        "prefixesReceived": p.received,
        "prefixesSent": p.advertised,
        "statsReceived": {
            "opens": 1 if up else 0,
            "notifications": 0,
            "updates": p.received if up else 0,
            "keepalives": max(0, received - 1 - p.received),
            "rtRefreshes": 0,
        },
        "statsSent": {
            "opens": 1 if up else 0,
            "notifications": 0,
            "updates": p.advertised if up else 0,
            "keepalives": max(0, sent - 1 - p.advertised),
            "rtRefreshes": 0,
        },
        "dropStats": {
            "inDropAsloop": 0,
            "inDropClusterIdLoop": 0,
            "inDropMalformedMpbgp": 0,
            "inDropOrigId": 0,
            "inDropNhLocal": 0,
            "inDropNhAfV6": 0,
            "prefixDroppedMartianV4": 0,
            "prefixDroppedMaxRouteLimitViolatedV4": 0,
            "prefixDroppedMartianV6": 0,
            "prefixDroppedMaxRouteLimitViolatedV6": 0,
            "prefixLuDroppedV4": 0,
            "prefixLuDroppedMartianV4": 0,
            "prefixLuDroppedMaxRouteLimitViolatedV4": 0,
            "prefixLuDroppedV6": 0,
            "prefixLuDroppedMartianV6": 0,
            "prefixLuDroppedMaxRouteLimitViolatedV6": 0,
            "prefixEvpnDroppedUnsupportedRouteType": 0,
            "prefixBgpLsDroppedReceptionUnsupported": 0,
            "outDropV4LocalAddr": 0,
            "outDropV6LocalAddr": 0,
            "prefixVpnIpv4DroppedImportMatchFailure": 0,
            "prefixVpnIpv4DroppedMaxRouteLimitViolated": 0,
            "prefixVpnIpv6DroppedImportMatchFailure": 0,
            "prefixVpnIpv6DroppedMaxRouteLimitViolated": 0,
            "prefixEvpnDroppedImportMatchFailure": 0,
            "prefixEvpnDroppedMaxRouteLimitViolated": 0,
            "prefixRtMembershipDroppedLocalAsReject": 0,
            "prefixRtMembershipDroppedMaxRouteLimitViolated": 0,
        },
        "ttl": 1,
        "maxTtlHops": 1 if not p.ibgp else 255,
    }
    if not up:
        out["idleReason"] = p.idle_reason or "Connect failed"
    return {k: v for k, v in out.items() if v is not None}


def _neighbors_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    out = []
    for vrf, v in d["vrfs"].items():
        for p in v["peerList"]:
            out.append(f"BGP neighbor is {p['peerAddress']}, remote AS {p['asn']}, {p['linkType']} link")
            if p.get("description"):
                out.append(f"  Description: {p['description']}")
            out.append(f"  BGP version 4, remote router ID {p['routerId']}, VRF {vrf}")
            out.append(f"  BGP state is {p['state']}, up for {duration(p['establishedTime'])}")
            out.append(f"  Local AS is {p['localAsn']}, local router ID {p['localRouterId']}")
    return "\n".join(out) + "\n"


def _neighbors(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    if not _vrfs(ctx, values):
        return {"vrfs": {}}
    bgp = ctx.oper.bgp
    assert bgp is not None
    now = time.time()
    peers = [p for ip, p in _by_ip(bgp.peers) if not values.get("peer") or ip == values["peer"]]
    return {"vrfs": {"default": {"peerList": [_neighbor(ctx, p, now) for p in peers]}}}


command("show bgp neighbors [<ip:peer>] [vrf <word:vrf>]", text=_neighbors_text)(_neighbors)
command("show ip bgp neighbors [<ip:peer>] [vrf <word:vrf>]", text=_neighbors_text)(_neighbors)


@command("show ip bgp [vrf <word:vrf>]")
def show_ip_bgp(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    if not _vrfs(ctx, values):
        return {"vrfs": {}}
    bgp = ctx.oper.bgp
    assert bgp is not None
    entries = {}
    for net, r in sorted(bgp.rib.items(), key=lambda kv: (int(kv[0].network_address), kv[0].prefixlen)):
        entries[str(net)] = {
            "address": str(net.network_address),
            "maskLength": net.prefixlen,
            "bgpRoutePaths": [
                {
                    "nextHop": r.next_hop,
                    "asPathEntry": {"asPath": " ".join(r.path) or "i", "asPathType": None},
                    "localPreference": 100,
                    "med": 0,
                    "weight": 0 if r.peer else 32768,
                    "routeType": {
                        "valid": True,
                        "active": True,
                        "ecmpHead": False,
                        "ecmp": False,
                        "ecmpContributor": False,
                        "atomicAggregator": False,
                        "queued": False,
                        "stale": False,
                        "suppressed": False,
                        "backup": False,
                        "luRoute": False,
                        "origin": "Igp",
                        "waitForConvergence": False,
                    },
                    "peerEntry": {"peerRouterId": "0.0.0.0", "peerAddr": r.peer or ""},
                }
            ],
        }
    return {
        "vrfs": {
            "default": {
                "routerId": bgp.router_id,
                "asn": bgp.asn,
                "vrf": "default",
                "bgpRouteEntries": entries,
            }
        }
    }


# -- IP routes ---------------------------------------------------------------------------------------


def _routes(ctx: Ctx) -> dict[str, Any]:
    op = ctx.oper
    routes: dict[ipaddress.IPv4Network, dict[str, Any]] = {}
    if op.bgp is not None and op.view.ip_routing:
        for net, r in op.bgp.rib.items():
            if r.peer is None:
                continue
            routes[net] = {
                "routeType": "iBGP" if r.ibgp else "eBGP",
                "hardwareProgrammed": True,
                "kernelProgrammed": True,
                "directlyConnected": False,
                "preference": 200 if r.ibgp else 20,
                "metric": 0,
                "vias": [{"nexthopAddr": r.next_hop, "interface": r.interface}],
            }
    for net, via in op.view.static_routes:
        routes[net] = {
            "routeType": "static",
            "hardwareProgrammed": True,
            "kernelProgrammed": True,
            "directlyConnected": False,
            "preference": 1,
            "metric": 0,
            "vias": [{"nexthopAddr": via, "interface": ""}],
        }
    for net, intf in connected(op).items():
        routes[net] = {
            "routeType": "connected",
            "hardwareProgrammed": True,
            "kernelProgrammed": True,
            "directlyConnected": True,
            "preference": 0,
            "metric": 0,
            "vias": [{"interface": intf}],
        }
    return {str(n): routes[n] for n in sorted(routes, key=lambda n: (int(n.network_address), n.prefixlen))}


def _route_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    codes = {"connected": "C", "static": "S", "eBGP": "B E", "iBGP": "B I"}
    out = ["VRF: default", "Codes: C - connected, S - static, B I - iBGP, B E - eBGP", ""]
    for vrf in d["vrfs"].values():
        if vrf["routingDisabled"]:
            out.append("! IP routing not enabled")
        for prefix, r in vrf["routes"].items():
            via = r["vias"][0]
            if r["directlyConnected"]:
                out.append(f" {codes[r['routeType']]:<7} {prefix} is directly connected, {via['interface']}")
            else:
                out.append(
                    f" {codes[r['routeType']]:<7} {prefix} [{r['preference']}/{r['metric']}] "
                    f"via {via['nexthopAddr']}, {via['interface']}"
                )
    return "\n".join(out) + "\n"


@command("show ip route [vrf <word:vrf>] [<network:prefix>]", text=_route_text)
def show_ip_route(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    if values.get("vrf", "default") not in ("default", "all"):
        return {"vrfs": {}}
    routes = _routes(ctx)
    if values.get("prefix"):
        want = ipaddress.IPv4Network(values["prefix"])
        routes = {p: r for p, r in routes.items() if ipaddress.IPv4Network(p).overlaps(want)}
    return {
        "vrfs": {
            "default": {
                "routes": routes,
                "allRoutesProgrammedHardware": True,
                "allRoutesProgrammedKernel": True,
                "routingDisabled": not ctx.view.ip_routing,
                "defaultRouteState": "notSet",
            }
        }
    }
