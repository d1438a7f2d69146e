"""LLDP shows: what each port hears, derived from the cabling and the far switch's config."""

from __future__ import annotations

import time
from typing import Any

from lifecycle.lab.eos.names import short_name, sort_key
from lifecycle.lab.eos.show.registry import Ctx, command, duration, table


def _ports(ctx: Ctx, values: dict[str, str]) -> list[str]:
    names = [n for n, io in ctx.oper.intfs.items() if io.conf.kind in ("Ethernet", "Management")]
    if values.get("names"):
        wanted = set(values["names"].split(","))
        names = [n for n in names if n in wanted]
    return sorted(names, key=sort_key)


def _summary_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    head = (
        f"Last table change time   : {duration(time.time() - d['tablesLastChangeTime'])} ago\n"
        f"Number of table inserts  : {d['tablesInserts']}\n"
        f"Number of table deletes  : {d['tablesDeletes']}\n"
        f"Number of table drops    : {d['tablesDrops']}\n"
        f"Number of table age-outs : {d['tablesAgeOuts']}\n\n"
    )
    rows = [
        [short_name(n["port"]), n["neighborDevice"], n["neighborPort"], n["ttl"]] for n in d["lldpNeighbors"]
    ]
    return head + table(["Port", "Neighbor Device ID", "Neighbor Port ID", "TTL"], rows, [10, 36, 22, 3])


@command("show lldp neighbors [<intfs:names>]", text=_summary_text)
def show_lldp_neighbors(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    op = ctx.oper
    rows = [
        {"port": name, "neighborDevice": n.system_name, "neighborPort": n.port, "ttl": 120}
        for name in _ports(ctx, values)
        for n in op.intfs[name].lldp
    ]
    inserts = len(rows) + op.lldp_changes
    return {
        "tablesLastChangeTime": op.lldp_since,
        "tablesAgeOuts": 0,
        "tablesInserts": inserts,
        "tablesDeletes": inserts - len(rows),
        "tablesDrops": 0,
        "lldpNeighbors": rows,
    }


def _detail_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    out = []
    for port, entry in d["lldpNeighbors"].items():
        infos = entry["lldpNeighborInfo"]
        out.append(f"Interface {port} detected {len(infos)} LLDP neighbors:\n")
        for n in infos:
            ni = n["neighborInterfaceInfo"]
            age = int(time.time() - n["lastChangeTime"])
            out.append(
                f"  Neighbor {n['chassisId']}/{ni['interfaceId']}, age {age}"
                f" seconds\n  Discovered {duration(time.time() - n['neighborDiscoveryTime'])} ago; "
                f"Last changed {duration(time.time() - n['lastChangeTime'])} ago\n"
                f"  - Chassis ID type: MAC address (4)\n    Chassis ID     : {n['chassisId']}\n"
                f"  - Port ID type: Interface name (5)\n    Port ID        : {ni['interfaceId']}\n"
                f"  - Time To Live: {n['ttl']} seconds\n"
                f'  - Port Description: "{ni["interfaceDescription"]}"\n'
                f'  - System Name: "{n["systemName"]}"\n'
                f'  - System Description: "{n["systemDescription"]}"\n'
            )
    return "".join(out)


@command("show lldp neighbors [<intfs:names>] detail", text=_detail_text)
def show_lldp_neighbors_detail(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _ports(ctx, values):
        infos = []
        for n in ctx.oper.intfs[name].lldp:
            mac = n.chassis_mac.replace(":", "")
            info: dict[str, Any] = {
                "chassisIdType": "macAddress",
                "chassisId": ".".join(mac[i : i + 4] for i in range(0, 12, 4)),
                "systemName": n.system_name,
                "systemDescription": n.system_description,
                "neighborDiscoveryTime": n.since,
                "lastChangeTime": n.since,
                "lastContactTime": time.time() - 5,
                "ttl": 120,
                "systemCapabilities": {"bridge": True, "router": True},
                "enabledCapabilities": {"bridge": True, "router": True},
                "managementAddresses": [
                    {"addressType": "ipv4", "address": n.mgmt_ip, "interfaceNum": 999001, "oidString": ""}
                ]
                if n.mgmt_ip
                else [],
                "neighborInterfaceInfo": {
                    "interfaceIdType": "interfaceName",
                    "interfaceId": f'"{n.port}"',
                    "interfaceId_v2": n.port,
                    "interfaceDescription": n.port_description,
                    "maxFrameSize": 9236,
                    "interfaceAdminStatus": "up",
                },
            }
            infos.append(info)
        out[name] = {"lldpNeighborInfo": infos}
    return {"lldpNeighbors": out}


@command("show lldp")
def show_lldp(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    run = ctx.view.lldp_run
    return {
        "enabled": run,
        "messageTxInterval": 30,
        "messageTxHoldTime": 120,
        "reinitializationTimer": 2,
        "lldpInterfaces": {
            n: {"txEnabled": run and io.conf.lldp_tx, "rxEnabled": run and io.conf.lldp_rx}
            for n, io in ctx.oper.intfs.items()
            if io.conf.kind == "Ethernet"
        },
    }
