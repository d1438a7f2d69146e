"""NITRO v1 config API: ``/nitro/v1/config/<type>[/<name>]`` with GET, POST (add,
``?action=enable|disable``; ``?action=unbind`` on a binding type), PUT (update, bind), DELETE
(``?args=`` for bindings). POST and PUT take an array body too (bulk add, bind, action, unbind),
answered 207 per object on a failure (``_apply``). The bulk unbind is the NITRO SDK's bulk delete
of a ``_binding`` type (``base_resource.delete_bulk_request``: POST, ``action=unbind``, the
objects as an array under the type's name); one object's failure (258: not bound) is its own.

Query options as in the NITRO reference: ``filter=k:v,k2:v2`` (a value ``/re/`` is a regex),
``attrs=a,b``, ``count=yes`` (``{"<type>": [{"__count": N}]}``), ``args=k:v`` (GET/DELETE).
A binding type is read per object (``<type>_binding/<name>``); every object's bindings at once
only with ``bulkbindings=yes`` (NetScaler 11.1 on, CTX218111 and the reference's "get (all)"),
without it the parent's name is a required argument (1095; the code is the emulator's choice). Names
in the path are URL-decoded twice: the Ansible collection double-encodes them, other clients
encode once (a name containing ``%`` is the one case this cannot tell apart).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from lifecycle.lab.base import Request, Router
from lifecycle.lab.netscaler import members as mb
from lifecycle.lab.netscaler.errors import (
    ARG_MISSING,
    BULK_FAILED,
    DONE,
    INVALID_ACTION,
    INVALID_ARGUMENT,
    NO_SUCH_RESOURCE,
    NitroError,
    envelope,
)
from lifecycle.lab.netscaler.runtime import MonitorRun
from lifecycle.lab.netscaler.store import BINDINGS, TYPES

if TYPE_CHECKING:
    from lifecycle.lab.netscaler.emulator import NetScalerEmulator

PATH = r"/nitro/v1/config/(?P<type>[A-Za-z_0-9]+)(?:/(?P<name>[^/]+))?"
AGGREGATES = {"lbvserver_binding": ("lbvserver", "name", ("lbvserver_servicegroup_binding",
                                                          "lbvserver_service_binding")),
              "servicegroup_binding": ("servicegroup", "servicegroupname",
                                       (mb.MEMBER_BINDING, "servicegroup_lbmonitor_binding"))}
_SPLIT = re.compile(r",(?=[A-Za-z_0-9]+:)")


def pairs(text: str | None) -> dict[str, str]:
    """``ip:10.0.0.1,port:80`` -> {"ip": "10.0.0.1", "port": "80"} (values may hold commas)."""
    out: dict[str, str] = {}
    for item in _SPLIT.split(text or ""):
        key, sep, value = item.partition(":")
        if key and sep:
            out[key.strip()] = value
    return out


def _matches(row: dict[str, Any], filters: dict[str, str]) -> bool:
    for key, want in filters.items():
        have = "" if row.get(key) is None else str(row.get(key))
        if len(want) > 1 and want.startswith("/") and want.endswith("/"):
            if not re.search(want[1:-1], have):
                return False
        elif have != want:
            return False
    return True


def register(router: Router, emu: NetScalerEmulator) -> None:
    def name_of(req: Request) -> str | None:
        raw = req.params.get("name")
        return None if raw is None else unquote(unquote(raw))

    def kind_of(req: Request) -> str:
        kind = req.params["type"]
        if kind not in TYPES and kind not in BINDINGS and kind not in AGGREGATES \
                and kind != mb.MEMBER_BINDING:
            raise NitroError(NO_SUCH_RESOURCE, f"resource type, {kind}")
        return kind

    @router.route("GET", PATH)
    def get(req: Request) -> Any:
        kind, name = kind_of(req), name_of(req)
        if name is None and kind not in TYPES and req.arg("bulkbindings") != "yes":
            raise NitroError(ARG_MISSING, _parent_key(kind))
        with emu.lock:
            rows = _rows(emu, kind, name)
        rows = [r for r in rows if _matches(r, pairs(req.arg("args")) | pairs(req.arg("filter")))]
        if req.arg("count") == "yes":
            return {**DONE, kind: [{"__count": len(rows)}]}
        attrs = [a for a in (req.arg("attrs") or "").split(",") if a]
        if attrs:
            rows = [{k: r[k] for k in attrs if k in r} for r in rows]
        return {**DONE, kind: rows} if rows else dict(DONE)

    @router.route("POST", PATH)
    def post(req: Request) -> Any:
        kind, action = kind_of(req), req.arg("action")
        binding = kind == mb.MEMBER_BINDING or kind in BINDINGS
        if action not in (None, "enable", "disable") and not (action == "unbind" and binding):
            raise NitroError(INVALID_ACTION, str(action))
        payload = _payload(req, kind)
        if action == "unbind":  # NITRO rolls back adds and binds only: rollback stops like exit
            return _apply(req, emu, payload, lambda item: _unbind(emu, kind, item), 200)
        if action:
            return _apply(req, emu, payload, lambda item: mb.set_state(emu.runtime, kind, item,
                                                                        action == "enable"), 200)
        return _apply(req, emu, payload, lambda item: _add(emu, kind, item), 201,
                      undo=lambda item: _undo(emu, kind, item))

    @router.route("PUT", PATH)
    def put(req: Request) -> Any:
        kind = kind_of(req)
        payload = _payload(req, kind)
        binds = kind == mb.MEMBER_BINDING or kind in BINDINGS
        return _apply(req, emu, payload, lambda item: _update(emu, kind, item), 200,
                      undo=(lambda item: _undo(emu, kind, item)) if binds else None)

    @router.route("DELETE", PATH)
    def delete(req: Request) -> Any:
        kind, name = kind_of(req), name_of(req)
        if name is None:
            raise NitroError(ARG_MISSING, TYPES[kind].key if kind in TYPES else "name")
        emu.mutate(lambda: _delete(emu, kind, name, pairs(req.arg("args"))))
        return 200, dict(DONE)


def _payload(req: Request, kind: str) -> Any:
    body = req.json()
    if not isinstance(body, dict) or not isinstance(body.get(kind), (dict, list)):
        raise NitroError(ARG_MISSING, kind)
    return body[kind]


def _apply(req: Request, emu: NetScalerEmulator, payload: Any, one: Any, status: int,
           undo: Any = None) -> Any:
    """One object, or a bulk list (NITRO's "Error Handling" page): all done answers ``status``;
    a failure answers 207 / 1243 with ``response``: with ``X-NITRO-ONERROR: continue`` one
    envelope per object in order, with ``exit`` (the default) and ``rollback`` only the failed
    object's (those before it stay done, or with ``rollback`` are undone: add and bind only,
    ``undo``; for other operations rollback stops like exit, the emulator's reading)."""
    if isinstance(payload, dict):
        emu.mutate(lambda: one(payload))
        return status, dict(DONE)
    onerror = (req.header("X-NITRO-ONERROR") or req.arg("onerror") or "exit").lower()
    results: list[dict[str, Any]] = []
    done: list[dict[str, Any]] = []
    for item in payload:
        if not isinstance(item, dict):
            results.append(envelope(INVALID_ARGUMENT, "not an object"))
        else:
            try:
                emu.mutate(lambda item=item: one(item))
                results.append(dict(DONE))
                done.append(item)
                continue
            except NitroError as err:
                results.append(envelope(err.code) | {"message": err.body["message"]})
        if onerror != "continue":
            if onerror == "rollback" and undo is not None:
                for item in reversed(done):
                    emu.mutate(lambda item=item: undo(item))
            results = results[-1:]
            break
    if all(r["errorcode"] == 0 for r in results):
        return status, dict(DONE)
    return 207, {**envelope(BULK_FAILED), "response": results}


def _add(emu: NetScalerEmulator, kind: str, item: dict[str, Any]) -> None:
    rt = emu.runtime
    if kind == mb.MEMBER_BINDING:
        mb.bind_member(rt, item)
    elif kind == "service":
        mb.add_service(rt, item)
    elif kind in BINDINGS:
        rt.store.bind(kind, item)
    elif kind in TYPES:
        rt.store.add(kind, item)
    else:
        raise NitroError(INVALID_ACTION, kind)


def _undo(emu: NetScalerEmulator, kind: str, item: dict[str, Any]) -> None:
    """Take back an add or bind of a rolled-back bulk request."""
    rt = emu.runtime
    if kind == mb.MEMBER_BINDING:
        rt.remove(mb.find_member(rt, str(item["servicegroupname"]), item))
    elif kind in BINDINGS:
        spec = BINDINGS[kind]
        rt.store.unbind(kind, str(item[spec.parent_key]), {spec.target_key: item[spec.target_key]})
    elif kind in TYPES:
        _delete(emu, kind, str(item[TYPES[kind].key]), {"type": str(item.get("type", ""))})


def _update(emu: NetScalerEmulator, kind: str, item: dict[str, Any]) -> None:
    if kind == mb.MEMBER_BINDING or kind in BINDINGS:  # binds by PUT, as the Ansible collection does
        _add(emu, kind, item)
    elif kind in TYPES:
        obj = emu.runtime.store.update(kind, item)
        if kind == "server" and "ipaddress" in item:
            for m in emu.runtime.members.values():
                if m.servername == obj["name"]:
                    m.ip = obj["ipaddress"]
    else:
        raise NitroError(INVALID_ACTION, kind)


def _delete(emu: NetScalerEmulator, kind: str, name: str, args: dict[str, str]) -> None:
    rt = emu.runtime
    if kind == mb.MEMBER_BINDING:
        rt.remove(mb.find_member(rt, name, args))
    elif kind in BINDINGS:
        rt.store.unbind(kind, name, args)
    elif kind in TYPES:
        if kind == "lbmonitor" and "type" not in args:
            raise NitroError(ARG_MISSING, "type")
        rt.store.delete(kind, name)
        gone = [m for m in rt.members.values()
                if (m.kind == kind and m.group == name) or (kind == "server" and m.servername == name)]
        for m in gone:
            rt.remove(m)
    else:
        raise NitroError(INVALID_ACTION, kind)


def _unbind(emu: NetScalerEmulator, kind: str, item: dict[str, Any]) -> None:
    """One object of a bulk unbind: the parent's name and what identifies the binding, as the
    DELETE's ``args`` would name them."""
    parent = _parent_key(kind)
    name = item.get(parent)
    if not name:
        raise NitroError(ARG_MISSING, parent)
    _delete(emu, kind, str(name), {k: v for k, v in item.items() if k != parent})


def _parent_key(kind: str) -> str:
    if kind in AGGREGATES:
        return AGGREGATES[kind][1]
    return "servicegroupname" if kind == mb.MEMBER_BINDING else BINDINGS[kind].parent_key


def _rows(emu: NetScalerEmulator, kind: str, name: str | None) -> list[dict[str, Any]]:
    rt = emu.runtime
    if kind in AGGREGATES:
        parent_type, key, parts = AGGREGATES[kind]
        if name is None:  # bulkbindings=yes: one aggregate row per object of the parent type
            return [r for n in sorted(rt.store.objects[parent_type]) for r in _rows(emu, kind, n)]
        rt.store.get(parent_type, name)
        row: dict[str, Any] = {key: name}
        for part in parts:
            if found := _rows(emu, part, name):
                row[part] = found
        return [row]
    if kind == mb.MEMBER_BINDING:
        if name is not None:
            rt.store.get("servicegroup", name)
        return [mb.member_row(rt, m) for m in mb.members_of(rt, "servicegroup", name)]
    if kind in BINDINGS:
        spec = BINDINGS[kind]
        if name is not None:
            rt.store.get(spec.parent_type, name)
        rows = [dict(r) for r in rt.store.find(kind, name, {})]
        if kind == "service_lbmonitor_binding":
            for r in rows:
                m = next(iter(mb.members_of(rt, "service", r["name"])), None)
                run = m.runs.get(r["monitor_name"], MonitorRun()) if m else MonitorRun()
                r.update({"monitor_state": run.state, "lastresponse": run.lastresponse,
                          "totalprobes": run.probes, "totalfailedprobes": run.failed})
        if kind == "gslbvserver_gslbservice_binding":  # the bound service's address and state
            for r in rows:
                svc = rt.store.objects["gslbservice"].get(str(r["servicename"]), {})
                state = rt.gslb_state(svc) if svc else "DOWN"
                r.update({"ipaddress": svc.get("ipaddress"), "port": svc.get("port"),
                          "gslbboundsvctype": svc.get("servicetype"), "weight": r.get("weight", 1),
                          "curstate": state, "svreffgslbstate": state})
        return rows
    objs = rt.store.objects[kind]
    chosen = [rt.store.get(kind, name)] if name is not None else list(objs.values())
    return [_render(emu, kind, o) for o in chosen]


def _render(emu: NetScalerEmulator, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    rt, out = emu.runtime, dict(obj)
    if kind == "lbvserver":
        ms = rt.of_vserver(obj["name"])
        up = [m for m in ms if m.svrstate == "UP"]
        state = rt.vserver_state(obj["name"], obj)
        out.update({"curstate": state, "effectivestate": state, "type": "ADDRESS",
                    "totalservices": len(ms), "activeservices": len(up),
                    "health": int(100 * len(up) / len(ms)) if ms else 0})
    elif kind == "servicegroup":
        ms = mb.members_of(rt, "servicegroup", obj["servicegroupname"])
        up = sum(m.svrstate == "UP" for m in ms)
        out["servicegroupeffectivestate"] = ("UP" if ms and up == len(ms) else
                                             "PARTIAL-UP" if up else "DOWN")
        out["numofconnections"] = sum(len(m.connections) for m in ms)
    elif kind == "service":
        m = next(iter(mb.members_of(rt, "service", obj["name"])), None)
        out["svrstate"] = m.svrstate if m else "DOWN"
    elif kind == "csvserver":
        state = rt.cs_state(obj["name"], obj)
        out.update({"curstate": state, "effectivestate": state})
    elif kind == "gslbservice":
        state = rt.gslb_state(obj)
        out.update({"svrstate": state, "svreffgslbstate": state, "gslb": "LOCAL"
                    if rt.store.objects["gslbsite"].get(str(obj["sitename"]), {}).get("sitetype", "LOCAL")
                    == "LOCAL" else "REMOTE"})
    return out

