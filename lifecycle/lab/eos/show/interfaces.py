"""Interface shows: interfaces, status, description, ip interface, port-channel, vlan, counters."""

from __future__ import annotations

import time
from typing import Any

from lifecycle.lab.eos.names import short_name, sort_key
from lifecycle.lab.eos.show.registry import Ctx, command, table
from lifecycle.lab.eos.state import IntfOper, SwitchOper

_HARDWARE = {
    "Ethernet": "ethernet",
    "Port-Channel": "portChannel",
    "Vlan": "vlan",
    "Loopback": "loopback",
    "Management": "ethernet",
}


def _select(ctx: Ctx, values: dict[str, str], kinds: tuple[str, ...] | None = None) -> list[IntfOper]:
    intfs = ctx.oper.intfs
    wanted = values.get("names")
    names = [n for n in wanted.split(",") if n in intfs] if wanted else list(intfs)
    out = [intfs[n] for n in sorted(names, key=sort_key)]
    return [i for i in out if kinds is None or i.conf.kind in kinds]


def _mtu(io: IntfOper) -> int:
    if io.conf.mtu:
        return io.conf.mtu
    return 1500 if io.conf.routed else 9214


def _forwarding(io: IntfOper) -> str:
    if io.conf.channel_group:
        return "dataLink"
    return "routed" if io.conf.routed else "bridged"


def _addr(a: Any) -> dict[str, Any]:
    return {"address": str(a.ip), "maskLen": a.network.prefixlen}


def _xcvr_type(io: IntfOper) -> str:
    if io.conf.kind == "Management":
        return "10/100/1000"
    if io.conf.kind == "Port-Channel":
        return "N/A"
    if io.far is None:
        return "Not Present"
    return "100GBASE-SR4" if "/" in io.name else "25GBASE-SR"


def _counters(io: IntfOper, now: float) -> dict[str, Any]:
    up_for = max(0.0, now - io.since) if io.up else 0.0
    pkts = int(up_for / 30) * 2  # LLDP and LACP/BGP keepalives, roughly
    return {
        "inOctets": pkts * 128,
        "inUcastPkts": pkts // 2,
        "inMulticastPkts": pkts // 2,
        "inBroadcastPkts": 0,
        "inDiscards": 0,
        "inTotalPkts": pkts,
        "outOctets": pkts * 128,
        "outUcastPkts": pkts // 2,
        "outMulticastPkts": pkts // 2,
        "outBroadcastPkts": 0,
        "outDiscards": 0,
        "outErrors": 0,
        "inErrors": 0,
        "totalInErrors": 0,
        "totalOutErrors": 0,
        "inputErrorsDetail": {
            "runtFrames": 0,
            "giantFrames": 0,
            "fcsErrors": 0,
            "alignmentErrors": 0,
            "symbolErrors": 0,
            "rxPause": 0,
        },
        "outputErrorsDetail": {
            "collisions": 0,
            "lateCollisions": 0,
            "deferredTransmissions": 0,
            "txPause": 0,
        },
        "linkStatusChanges": 1 if io.up else 0,
        "lastClear": io.since,
        "counterRefreshTime": now,
    }


def interface_json(op: SwitchOper, io: IntfOper, now: float) -> dict[str, Any]:
    ic = io.conf
    out: dict[str, Any] = {
        "name": io.name,
        "forwardingModel": _forwarding(io),
        "lineProtocolStatus": io.proto,
        "interfaceStatus": io.status,
        "hardware": _HARDWARE.get(ic.kind, "ethernet"),
        "interfaceAddress": [],
        "physicalAddress": op.switch.system_mac,
        "description": ic.description,
        "bandwidth": io.bandwidth,
        "mtu": _mtu(io),
        "l3MtuConfigured": ic.mtu is not None,
        "l2Mru": 0,
        "lastStatusChangeTimestamp": io.since,
    }
    if ic.kind in ("Ethernet", "Management", "Port-Channel"):
        out["burnedInAddress"] = op.switch.system_mac
    if ic.routed:
        primary = ic.addrs[0] if ic.addrs else None
        out["interfaceAddress"] = [
            {
                "primaryIp": _addr(primary) if primary else {"address": "0.0.0.0", "maskLen": 0},
                "secondaryIps": {str(a.ip): _addr(a) for a in ic.addrs[1:]},
                "secondaryIpsOrderedList": [_addr(a) for a in ic.addrs[1:]],
                "virtualIp": {"address": "0.0.0.0", "maskLen": 0},
                "virtualSecondaryIps": {},
                "virtualSecondaryIpsOrderedList": [],
                "broadcastAddress": "255.255.255.255",
                "dhcp": False,
            }
        ]
    if ic.kind in ("Ethernet", "Management", "Port-Channel"):
        out["interfaceCounters"] = _counters(io, now)
        out["interfaceStatistics"] = {
            "updateInterval": 300.0,
            "inBitsRate": 0.0,
            "inPktsRate": 0.0,
            "outBitsRate": 0.0,
            "outPktsRate": 0.0,
        }
    if ic.kind == "Ethernet":
        out.update(
            {
                "duplex": "duplexFull",
                "autoNegotiate": "off",
                "loopbackMode": "loopbackNone",
                "lanes": 4 if "/" in io.name else 1,
            }
        )
    if ic.kind == "Port-Channel":
        out["memberInterfaces"] = {
            m: {"duplex": "duplexFull", "bandwidth": op.intfs[m].bandwidth} for m in io.active_members
        }
        out["fallbackEnabled"] = False
        out["fallbackEnabledType"] = "fallbackNone"
    return out


def _interfaces_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    out = []
    for name, i in d["interfaces"].items():
        state = (
            "administratively down"
            if i["interfaceStatus"] == "disabled"
            else ("up" if i["lineProtocolStatus"] == "up" else "down")
        )
        out.append(f"{name} is {state}, line protocol is {i['lineProtocolStatus']} ({i['interfaceStatus']})")
        out.append(f"  Hardware is {i['hardware'].capitalize()}, address is {i['physicalAddress']}")
        if i["description"]:
            out.append(f"  Description: {i['description']}")
        for a in i["interfaceAddress"]:
            out.append(f"  Internet address is {a['primaryIp']['address']}/{a['primaryIp']['maskLen']}")
        out.append(f"  IP MTU {i['mtu']} bytes, BW {i['bandwidth'] // 1000} kbit")
    return "\n".join(out) + "\n"


@command("show interfaces [<intfs:names>]", text=_interfaces_text)
def show_interfaces(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    now = time.time()
    return {"interfaces": {io.name: interface_json(ctx.oper, io, now) for io in _select(ctx, values)}}


def _vlan_info(io: IntfOper) -> dict[str, Any]:
    ic = io.conf
    if ic.channel_group:
        return {"interfaceForwardingModel": "dataLink", "vlanExplanation": f"in Po{ic.channel_group[0]}"}
    if ic.routed:
        return {"interfaceMode": "routed", "interfaceForwardingModel": "routed"}
    if ic.mode == "trunk":
        return {"interfaceMode": "trunk", "interfaceForwardingModel": "bridged"}
    return {"interfaceMode": "bridged", "vlanId": ic.access_vlan, "interfaceForwardingModel": "bridged"}


def _status_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    rows = []
    for name, s in d["interfaceStatuses"].items():
        vi = s["vlanInformation"]
        vlan = {"routed": "routed", "trunk": "trunk"}.get(
            vi.get("interfaceMode", ""), str(vi.get("vlanId", ""))
        )
        if vi.get("interfaceForwardingModel") == "dataLink":
            vlan = vi["vlanExplanation"]
        speed = f"{s['bandwidth'] // 1_000_000_000}G" if s["bandwidth"] else "auto"
        rows.append(
            [
                short_name(name),
                s["description"][:10],
                s["linkStatus"],
                vlan,
                "full",
                speed,
                s["interfaceType"],
            ]
        )
    return table(["Port", "Name", "Status", "Vlan", "Duplex", "Speed", "Type"], rows)


@command("show interfaces [<intfs:names>] status", text=_status_text)
def show_interfaces_status(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    out = {}
    for io in _select(ctx, values, ("Ethernet", "Port-Channel", "Management")):
        out[io.name] = {
            "description": io.conf.description,
            "linkStatus": io.status,
            "lineProtocolStatus": io.proto,
            "vlanInformation": _vlan_info(io),
            "bandwidth": io.bandwidth,
            "interfaceType": _xcvr_type(io),
            "duplex": "duplexFull",
            "autoNegotiateActive": False,
            "autoNegotigateActive": False,
        }
    return {"interfaceStatuses": out}


def _desc_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    rows = [
        [
            short_name(n),
            "admin down" if s["interfaceStatus"] == "adminDown" else s["interfaceStatus"],
            s["lineProtocolStatus"],
            s["description"],
        ]
        for n, s in d["interfaceDescriptions"].items()
    ]
    return table(["Interface", "Status", "Protocol", "Description"], rows, [30, 14, 18, 30])


@command("show interfaces [<intfs:names>] description", text=_desc_text)
def show_interfaces_description(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {
        "interfaceDescriptions": {
            io.name: {
                "description": io.conf.description,
                "interfaceStatus": io.admin_status,
                "lineProtocolStatus": io.proto,
            }
            for io in _select(ctx, values)
        }
    }


def _l3(ctx: Ctx, values: dict[str, str]) -> list[IntfOper]:
    return [
        io
        for io in _select(ctx, values)
        if io.conf.routed
        and not io.conf.channel_group
        and (io.conf.addrs or io.conf.kind in ("Vlan", "Loopback"))
    ]


def _brief_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    rows = []
    for n, i in d["interfaces"].items():
        ip = i["interfaceAddress"]["ipAddr"]
        addr = "unassigned" if ip["address"] == "0.0.0.0" else f"{ip['address']}/{ip['maskLen']}"
        status = {"connected": "up", "notconnect": "down", "disabled": "admin down"}[i["interfaceStatus"]]
        rows.append([n, addr, status, i["lineProtocolStatus"], i["mtu"], ""])
    return table(
        ["Interface", "IP Address", "Status", "Protocol", "MTU", "Owner"], rows, [17, 21, 12, 14, 11, 7]
    )


@command("show ip interface [<intfs:names>] brief", text=_brief_text)
def show_ip_interface_brief(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    out = {}
    for io in _l3(ctx, values):
        primary = io.conf.addrs[0] if io.conf.addrs else None
        out[io.name] = {
            "name": io.name,
            "interfaceStatus": io.status,
            "lineProtocolStatus": io.proto,
            "mtu": _mtu(io),
            "ipv4Routable240": False,
            "ipv4Routable0": False,
            "nonRoutableClassEIntf": False,
            "interfaceAddress": {
                "ipAddr": _addr(primary) if primary else {"address": "0.0.0.0", "maskLen": 0}
            },
        }
    return {"interfaces": out}


@command("show ip interface [<intfs:names>]")
def show_ip_interface(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    out = {}
    for io in _l3(ctx, values):
        primary = io.conf.addrs[0] if io.conf.addrs else None
        out[io.name] = {
            "name": io.name,
            "description": io.conf.description,
            "lineProtocolStatus": io.proto,
            "interfaceStatus": io.status,
            "mtu": _mtu(io),
            "vrf": io.conf.vrf,
            "proxyArp": False,
            "localProxyArp": None,
            "gratuitousArp": False,
            "urpf": "disable",
            "directedBroadcastEnabled": False,
            "maxMssIngress": 0,
            "maxMssEgress": 0,
            "addresslessForwarding": "isInvalid",
            "interfaceAddress": {
                "primaryIp": _addr(primary) if primary else {"address": "0.0.0.0", "maskLen": 0},
                "secondaryIpsOrderedList": [_addr(a) for a in io.conf.addrs[1:]],
                "virtualSecondaryIpsOrderedList": [],
                "broadcastAddress": "255.255.255.255",
                "virtualIp": {"address": "0.0.0.0", "maskLen": 0},
            },
        }
    return {"interfaces": out}


# -- port-channels, VLANs, counters ----------------------------------------------------------------


def _po_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    out = []
    for name, po in d["portChannels"].items():
        out.append(f"Port Channel {name} (Fallback State: Unconfigured):")
        out.append(
            f"  Minimum links: unconfigured\n  Minimum speed: unconfigured\n  Current weight/Max weight: "
            f"{po['currWeight']}/{po['maxWeight']}"
        )
        out.append("  Active Ports:" if po["activePorts"] else "  No Active Ports")
        if po["activePorts"]:
            out.append(
                "       Port               Time Became Active       Protocol       Mode         Weight"
                "    State"
            )
            out.append(
                "    ------------------ ------------------------ -------------- ------------ ---------"
                " -------"
            )
            for port, p in po["activePorts"].items():
                became = time.strftime("%H:%M:%S", time.localtime(p["timeBecameActive"]))
                out.append(
                    f"       {port:<18} {became:<24} {p['protocol'].upper():<14} "
                    f"{p['lacpMode'].capitalize():<12} {p['weight']:<9} Rx,Tx"
                )
        if values.get("all") and po["inactivePorts"]:
            out.append("  Configured, but inactive ports:")
            out.append("       Port             Time Became Inactive     Reason Unconfigured")
            for port in po["inactivePorts"]:
                out.append(f"       {port:<16} {'':<24} Link down")
    return "\n".join(out) + "\n"


@command("show port-channel [<int1-2000:id>] [(all-ports):all] [detailed]", text=_po_text)
def show_port_channel(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    out = {}
    for io in _select(ctx, {}, ("Port-Channel",)):
        if values.get("id") and io.name != f"Port-Channel{values['id']}":
            continue
        active = {}
        for m in io.active_members:
            mio = ctx.oper.intfs[m]
            mode = mio.conf.channel_group[1] if mio.conf.channel_group else "on"
            active[m] = {
                "protocol": "lacp" if mode != "on" else "static",
                "lacpMode": mode,
                "weight": 1,
                "timeBecameActive": mio.since,
            }
        out[io.name] = {
            "activePorts": active,
            "inactivePorts": {
                m: {"reasonUnconfigured": "waiting"} for m in io.members if m not in io.active_members
            },
            "recircFeature": [],
            "inactiveLag": not io.up,
            "fallbackState": "unconfigured",
            "minLinks": 0,
            "minSpeed": "0 gbps",
            "currWeight": len(active),
            "maxWeight": 16,
        }
    return {"portChannels": out}


def _vlan_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    rows = [
        [vid, v["name"], v["status"], ", ".join(short_name(i) for i in v["interfaces"])]
        for vid, v in d["vlans"].items()
    ]
    return table(["VLAN", "Name", "Status", "Ports"], rows, [5, 32, 9, 30])


@command("show vlan [<int1-4094:vid>]", text=_vlan_text)
def show_vlan(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    out = {}
    for vid, vc in sorted(ctx.view.vlans.items()):
        if values.get("vid") and vid != int(values["vid"]):
            continue
        members = {}
        for io in _select(ctx, {}, ("Ethernet", "Port-Channel")):
            ic = io.conf
            if ic.routed or ic.channel_group:
                continue
            if (
                ic.mode == "trunk"
                and vid in ic.allowed
                and (not vc.trunk_groups or vc.trunk_groups & ic.trunk_groups)
            ) or (ic.mode != "trunk" and ic.access_vlan == vid):
                members[io.name] = {"privatePromoted": False, "blocked": None}
        out[str(vid)] = {"name": vc.name, "dynamic": False, "status": vc.state, "interfaces": members}
    return {"vlans": out, "sourceDetail": ""}


@command("show interfaces [<intfs:names>] counters errors")
def show_counters_errors(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {
        "interfaceErrorCounters": {
            io.name: {
                "inErrors": 0,
                "frameTooLongs": 0,
                "outErrors": 0,
                "frameTooShorts": 0,
                "fcsErrors": 0,
                "alignmentErrors": 0,
                "symbolErrors": 0,
            }
            for io in _select(ctx, values, ("Ethernet", "Port-Channel", "Management"))
        }
    }


@command("show interfaces [<intfs:names>] counters discards")
def show_counters_discards(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {
        "inDiscardsTotal": 0,
        "outDiscardsTotal": 0,
        "interfaces": {
            io.name: {"outDiscards": 0, "inDiscards": 0}
            for io in _select(ctx, values, ("Ethernet", "Port-Channel"))
        },
    }
