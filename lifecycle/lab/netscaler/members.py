"""Service group members and services: binding, unbinding, enable/disable, and how GET shows them.

Shapes from the NITRO reference (``servicegroup_servicegroupmember_binding``: servicegroupname,
ip, port, servername, weight, state, svrstate, graceful, delay, statechangetimesec) and from
NetScaler's behaviour: a member bound by IP gets a ``server`` named after that IP; ``ip`` and
``servername`` together are refused with 1092 "[serverName, IP]"; disable takes ``servername``
(the IP for a member bound by IP), ``port``, ``graceful`` and ``delay``.
"""

from __future__ import annotations

import time
from typing import Any

from lifecycle.lab.netscaler.errors import (
    ALREADY_EXISTS,
    ARG_MISSING,
    ARGS_MUTEX,
    INVALID_ARGUMENT,
    NO_SUCH_RESOURCE,
    NitroError,
)
from lifecycle.lab.netscaler.runtime import Member, MonitorRun, Runtime
from lifecycle.lab.netscaler.store import check_ip

MEMBER_BINDING = "servicegroup_servicegroupmember_binding"


def _int(body: dict[str, Any], key: str, default: int | None = None) -> int:
    value = body.get(key, default)
    if value is None:
        raise NitroError(ARG_MISSING, key)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NitroError(INVALID_ARGUMENT, f"{key}, {value}") from None


def resolve_server(rt: Runtime, body: dict[str, Any]) -> tuple[str, str]:
    """(servername, ip) of a member or service from ``ip`` or ``servername``."""
    ip, name = body.get("ip") or body.get("ipaddress"), body.get("servername")
    if ip and name:
        raise NitroError(ARGS_MUTEX, "serverName, IP")
    servers = rt.store.objects["server"]
    if name:
        server = rt.store.get("server", str(name))
        return str(name), str(server.get("ipaddress", ""))
    if not ip:
        raise NitroError(ARG_MISSING, "serverName")
    ip = check_ip(ip, "IP")
    servers.setdefault(ip, {"name": ip, "ipaddress": ip, "state": "ENABLED"})
    return ip, ip


def bind_member(rt: Runtime, body: dict[str, Any]) -> Member:
    sg = body.get("servicegroupname")
    if not sg:
        raise NitroError(ARG_MISSING, "serviceGroupName")
    rt.store.get("servicegroup", str(sg))
    servername, ip = resolve_server(rt, body)
    port = _int(body, "port")
    if not 0 < port < 65536:
        raise NitroError(INVALID_ARGUMENT, f"port, {port}")
    if ("servicegroup", str(sg), servername, port) in rt.members:
        raise NitroError(ALREADY_EXISTS)
    state = str(body.get("state", "ENABLED")).upper()
    return rt.add(Member(str(sg), "servicegroup", servername, ip, port, _int(body, "weight", 1), state,
                         "OUT OF SERVICE" if state == "DISABLED" else "DOWN"))


def add_service(rt: Runtime, body: dict[str, Any]) -> None:
    servername, ip = resolve_server(rt, body)
    obj = rt.store.add("service", {k: v for k, v in body.items() if k not in ("ip", "ipaddress")}
                       | {"servername": servername, "ipaddress": ip})
    rt.add(Member(obj["name"], "service", servername, ip, int(obj["port"])))


def find_member(rt: Runtime, sg: str, args: dict[str, Any]) -> Member:
    rt.store.get("servicegroup", sg)
    servername, ip = args.get("servername"), args.get("ip")
    if servername and ip:
        raise NitroError(ARGS_MUTEX, "serverName, IP")
    if not (servername or ip):
        raise NitroError(ARG_MISSING, "serverName")
    port = _int(args, "port")
    for m in rt.of_group("servicegroup", sg):
        if m.port == port and ((servername and m.servername == servername) or (ip and m.ip == ip)):
            return m
    raise NitroError(NO_SUCH_RESOURCE)


def members_of(rt: Runtime, kind: str, group: str | None) -> list[Member]:
    return [m for m in rt.members.values() if m.kind == kind and (group is None or m.group == group)]


def set_state(rt: Runtime, kind: str, body: dict[str, Any], enable: bool) -> None:
    """``?action=enable|disable`` on lbvserver, servicegroup (or one member), service, server,
    lbmonitor, csvserver, gslbvserver, gslbservice."""
    now = time.monotonic()
    graceful = str(body.get("graceful", "NO")).upper()
    delay = _int(body, "delay", 0)
    state = "ENABLED" if enable else "DISABLED"
    key = {"servicegroup": "servicegroupname", "lbmonitor": "monitorname",
           "gslbservice": "servicename"}.get(kind, "name")
    name = body.get(key)
    if not name:
        raise NitroError(ARG_MISSING, key)
    if kind == "servicegroup" and body.get("servername"):
        targets = [find_member(rt, str(name), body)]
        for m in targets:
            m.state = state
    else:
        obj = rt.store.get(kind, str(name))
        obj["state"] = state
        if kind in ("lbvserver", "lbmonitor", "csvserver", "gslbservice", "gslbvserver"):
            return  # no members of their own: their state follows (runtime)
        targets = members_of(rt, kind, str(name)) if kind != "server" else \
            [m for m in rt.members.values() if m.servername == name]
    for m in targets:
        if enable:
            if not rt.admin_off(m):
                rt.enable(m, now)
        else:
            rt.disable(m, graceful, delay, now)


def member_row(rt: Runtime, m: Member) -> dict[str, Any]:
    now = time.time()
    return {"servicegroupname": m.group, "ip": m.ip, "port": m.port, "servername": m.servername,
            "weight": m.weight, "state": m.state, "svrstate": m.svrstate, "graceful": m.graceful,
            "delay": m.delay, "customserverid": "None",
            "statechangetimesec": time.strftime("%a %b %d %H:%M:%S %Y", time.localtime(m.changed_at)),
            "tickssincelaststatechange": int((now - m.changed_at) * 100)}


def monitor_rows(rt: Runtime, m: Member) -> list[dict[str, Any]]:
    """``service_lbmonitor_binding`` rows with the probe results NetScaler reports there."""
    out = []
    for mon in rt.monitors(m):
        run = m.runs.get(mon["monitorname"], MonitorRun())
        out.append({"name": m.group, "monitor_name": mon["monitorname"], "monstate": mon["state"],
                    "monitor_state": run.state, "lastresponse": run.lastresponse,
                    "totalprobes": run.probes, "totalfailedprobes": run.failed,
                    "failedprobes": run.failures})
    return out
