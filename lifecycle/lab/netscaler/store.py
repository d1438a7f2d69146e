"""The NetScaler's configuration as NITRO shows it: objects by type and name, plain bindings.

Members of service groups are not here: they carry run-time state (see ``runtime``). Defaults are
NetScaler's documented defaults (``add lb vserver``: lbmethod LEASTCONNECTION; ``add lb monitor``:
interval 5 s, resptimeout 2 s, downtime 30 s, retries 3, successretries 1, failureretries 0).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from lifecycle.lab.netscaler.errors import (
    ALREADY_EXISTS,
    ARG_MISSING,
    INVALID_ARGUMENT,
    NO_SUCH_RESOURCE,
    NitroError,
)


@dataclass(frozen=True)
class TypeSpec:
    key: str
    required: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    ints: tuple[str, ...] = ()


_MON_DEFAULTS = {"interval": 5, "units3": "SEC", "resptimeout": 2, "units4": "SEC", "downtime": 30,
                 "units2": "SEC", "retries": 3, "successretries": 1, "failureretries": 0,
                 "state": "ENABLED", "reverse": "NO", "lrtm": "DISABLED"}
TYPES: dict[str, TypeSpec] = {
    "lbvserver": TypeSpec("name", ("name", "servicetype"),
                          {"lbmethod": "LEASTCONNECTION", "ipv46": "0.0.0.0", "port": 0,
                           "state": "ENABLED"}, ("port",)),
    "servicegroup": TypeSpec("servicegroupname", ("servicegroupname", "servicetype"),
                             {"state": "ENABLED", "healthmonitor": "YES"}),
    "service": TypeSpec("name", ("name", "servicetype", "port"), {"state": "ENABLED"}, ("port",)),
    "server": TypeSpec("name", ("name",), {"state": "ENABLED"}),
    "lbmonitor": TypeSpec("monitorname", ("monitorname", "type"), _MON_DEFAULTS,
                          ("interval", "resptimeout", "downtime", "retries", "successretries",
                           "failureretries", "destport")),
    "nsip": TypeSpec("ipaddress", ("ipaddress", "netmask"), {"type": "SNIP", "state": "ENABLED"}),
    "csvserver": TypeSpec("name", ("name", "servicetype"), {"state": "ENABLED", "port": 0}, ("port",)),
    "cspolicy": TypeSpec("policyname", ("policyname",)),
    "gslbvserver": TypeSpec("name", ("name", "servicetype"), {"lbmethod": "LEASTCONNECTION",
                                                              "state": "ENABLED"}),
    # add gslb site <siteName> <siteIPAddress>; add gslb service <name> (<serverName>|<IP>)
    # <serviceType> <port> -siteName <site>: the site must exist, and an IP or a server
    "gslbsite": TypeSpec("sitename", ("sitename", "siteipaddress"), {"sitetype": "LOCAL"}),
    "gslbservice": TypeSpec("servicename", ("servicename", "servicetype", "port", "sitename"),
                            {"state": "ENABLED", "healthmonitor": "YES"}, ("port",)),
}
# Built in on every NetScaler (``show lb monitor``); they cannot be removed.
BUILTIN_MONITORS = {"ping-default": "PING", "tcp-default": "TCP", "ping": "PING", "tcp": "TCP",
                    "http": "HTTP", "https": "HTTP"}


@dataclass(frozen=True)
class BindSpec:
    parent_type: str
    parent_key: str  # the payload field naming the parent object
    target_type: str  # the bound object's type
    target_key: str  # the payload field naming it


BINDINGS: dict[str, BindSpec] = {
    "lbvserver_servicegroup_binding": BindSpec("lbvserver", "name", "servicegroup", "servicegroupname"),
    "lbvserver_service_binding": BindSpec("lbvserver", "name", "service", "servicename"),
    "servicegroup_lbmonitor_binding": BindSpec("servicegroup", "servicegroupname", "lbmonitor",
                                               "monitor_name"),
    "service_lbmonitor_binding": BindSpec("service", "name", "lbmonitor", "monitor_name"),
    "csvserver_cspolicy_binding": BindSpec("csvserver", "name", "cspolicy", "policyname"),
    "gslbvserver_gslbservice_binding": BindSpec("gslbvserver", "name", "gslbservice", "servicename"),
}


def check_ip(value: Any, name: str) -> str:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        raise NitroError(INVALID_ARGUMENT, f"{name}, {value}") from None


class Store:
    """Objects (type -> name -> attributes) and plain binding rows (type -> list of rows)."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in TYPES}
        self.rows: dict[str, list[dict[str, Any]]] = {b: [] for b in BINDINGS}
        for name, kind in BUILTIN_MONITORS.items():
            self.objects["lbmonitor"][name] = {**_MON_DEFAULTS, "monitorname": name, "type": kind}

    def get(self, kind: str, name: str) -> dict[str, Any]:
        obj = self.objects[kind].get(name)
        if obj is None:
            raise NitroError(NO_SUCH_RESOURCE, f"{TYPES[kind].key}, {name}")
        return obj

    def add(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        spec = TYPES[kind]
        missing = [k for k in spec.required if body.get(k) in (None, "")]
        if missing:
            raise NitroError(ARG_MISSING, missing[0])
        name = str(body[spec.key])
        if name in self.objects[kind]:
            raise NitroError(ALREADY_EXISTS)
        if kind == "gslbservice":
            if not (body.get("ip") or body.get("servername")):
                raise NitroError(ARG_MISSING, "serverName")
            self.get("gslbsite", str(body["sitename"]))
        obj = {**spec.defaults, **self._typed(spec, body)}
        if kind == "gslbservice":  # by IP (a server named after it) or by server; GET shows ipaddress
            ip = obj.get("ip") or self.get("server", str(obj["servername"])).get("ipaddress")
            obj["ip"] = obj["ipaddress"] = check_ip(ip, "IP")
            obj.setdefault("servername", obj["ip"])
        for k in ("ipv46", "ipaddress", "siteipaddress"):
            if k in obj and kind != "lbmonitor":
                obj[k] = check_ip(obj[k], k)
        self.objects[kind][name] = obj
        return obj

    def update(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        spec = TYPES[kind]
        if body.get(spec.key) in (None, ""):
            raise NitroError(ARG_MISSING, spec.key)
        obj = self.get(kind, str(body[spec.key]))
        obj.update(self._typed(spec, body))
        return obj

    def delete(self, kind: str, name: str) -> dict[str, Any]:
        obj = self.get(kind, name)
        if kind == "lbmonitor" and name in BUILTIN_MONITORS:
            raise NitroError(INVALID_ARGUMENT, f"monitorName, {name}")
        del self.objects[kind][name]
        for btype, spec in BINDINGS.items():  # bindings of and to the object go with it
            self.rows[btype] = [r for r in self.rows[btype]
                                if not (spec.parent_type == kind and r[spec.parent_key] == name)
                                and not (spec.target_type == kind and r[spec.target_key] == name)]
        return obj

    @staticmethod
    def _typed(spec: TypeSpec, body: dict[str, Any]) -> dict[str, Any]:
        out = dict(body)
        for k in spec.ints:
            if k in out:
                try:
                    out[k] = int(out[k])
                except (TypeError, ValueError):
                    raise NitroError(INVALID_ARGUMENT, f"{k}, {out[k]}") from None
        return out

    # --- plain bindings -------------------------------------------------------------------------
    def bind(self, btype: str, body: dict[str, Any]) -> dict[str, Any]:
        spec = BINDINGS[btype]
        for k in (spec.parent_key, spec.target_key):
            if body.get(k) in (None, ""):
                raise NitroError(ARG_MISSING, k)
        self.get(spec.parent_type, str(body[spec.parent_key]))
        self.get(spec.target_type, str(body[spec.target_key]))
        if btype == "csvserver_cspolicy_binding" and body.get("targetlbvserver"):
            self.get("lbvserver", str(body["targetlbvserver"]))
        if self.find(btype, str(body[spec.parent_key]), {spec.target_key: body[spec.target_key]}):
            raise NitroError(ALREADY_EXISTS)
        row = dict(body)
        self.rows[btype].append(row)
        return row

    def find(self, btype: str, parent: str | None, args: dict[str, str]) -> list[dict[str, Any]]:
        spec = BINDINGS[btype]
        return [r for r in self.rows[btype]
                if (parent is None or r[spec.parent_key] == parent)
                and all(str(r.get(k)) == str(v) for k, v in args.items())]

    def unbind(self, btype: str, parent: str, args: dict[str, str]) -> None:
        spec = BINDINGS[btype]
        if spec.target_key not in args:
            raise NitroError(ARG_MISSING, spec.target_key)
        gone = self.find(btype, parent, {spec.target_key: args[spec.target_key]})
        if not gone:
            raise NitroError(NO_SUCH_RESOURCE)
        self.rows[btype] = [r for r in self.rows[btype] if r not in gone]

    def targets(self, btype: str, parent: str) -> list[str]:
        spec = BINDINGS[btype]
        return [str(r[spec.target_key]) for r in self.find(btype, parent, {})]
