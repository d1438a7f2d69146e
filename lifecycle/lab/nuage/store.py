"""The VSD's objects, in memory, behind one lock.

Each object is its wire document (remote attribute names, every attribute of its vspk class, null
when unset) plus its place in the tree: ``parentID``/``parentType`` as the VSD reports them,
the child lists used for listing and cascading deletes, and member links (policy groups and
vports, groups and users, ...) kept as undirected edges so both sides list each other.

Listing ``/{parent}/{id}/{children}`` returns the parent's own children when that parent kind
owns them (``/zones/{id}/subnets``), and otherwise every object of that kind below it
(``/domains/{id}/subnets``, ``/subnets/{id}/vms``), following the tree and the references the
VSD follows (a VM interface's vport, a domain's template, a group's permissions).

>>> store = VsdStore()
>>> ent = store.create("enterprise", {"name": "ie1-old"})
>>> store.create("enterprise", {"name": "ie1-old"})
Traceback (most recent call last):
...
lifecycle.lab.nuage.errors.VsdError: HTTP 409
>>> [g["name"] for g in store.list("group", ent["ID"])]
['Administrators', 'Everybody', 'Network Designers']
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lifecycle.lab.nuage import errors
from lifecycle.lab.nuage.errors import VsdError
from lifecycle.lab.nuage.events import Journal
from lifecycle.lab.nuage.schema import AUDITED, DEFAULTS, Attr, Kind, Schema, schema

if TYPE_CHECKING:
    from lifecycle.lab.nuage.reach import Decision

# Kinds whose changes can change a reachability answer (the reachability index is rebuilt then).
REACH_KINDS = frozenset({
    "domain", "zone", "subnet", "vport", "vm", "vminterface", "policygroup", "enterprisenetwork",
    "networkmacrogroup", "ingressacltemplate", "egressacltemplate", "ingressaclentrytemplate",
    "egressaclentrytemplate",
})

# Kinds whose name is unique among siblings of the same kind (the VSD refuses a duplicate with 2510).
UNIQUE_NAME = frozenset({
    "enterprise", "domaintemplate", "l2domaintemplate", "domain", "l2domain", "zonetemplate", "zone",
    "subnettemplate", "subnet", "group", "policygroup", "ingressacltemplate", "egressacltemplate",
    "enterprisenetwork", "networkmacrogroup", "redirectiontarget", "vport",
})


def now_ms() -> int:
    return int(time.time() * 1000)


def coerce(attr: Attr, value: Any) -> Any:
    """A body value as the VSD stores it (the Nuage plugin sends ``protocol: 6``; VSD keeps "6")."""
    if value is None:
        return None
    t, ok = attr.type, True
    if t is bool:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        ok = isinstance(value, bool)
    elif t is int:
        if (isinstance(value, str) and value.strip().lstrip("-").isdigit()) or (
                isinstance(value, float) and value.is_integer()):
            value = int(value)
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif t is float:
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                ok = False
        ok = ok and isinstance(value, int | float) and not isinstance(value, bool)
    elif t is str:
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        ok = isinstance(value, str)
    elif t is list:
        ok = isinstance(value, list)
    elif t is dict:
        ok = isinstance(value, dict)
    if not ok:
        raise errors.invalid(attr.remote, f"Invalid value {value!r} for {attr.remote}: "
                                          f"expected {t.__name__}.")
    if attr.choices and value not in attr.choices:
        raise errors.invalid(attr.remote, f"Invalid value {value!r} for {attr.remote}. "
                                          f"Possible values are {', '.join(attr.choices)}.")
    return value


class VsdStore:
    """Thread-safe object store with the VSD's rules (see :mod:`lifecycle.lab.nuage.rules`).

    ``generation`` changes whenever something reachability depends on changes.
    """

    def __init__(self, model: Schema | None = None, csp_enterprise_id: str | None = None):
        self.schema = model or schema()
        self.lock = threading.RLock()
        self.csp_id = csp_enterprise_id or str(uuid.uuid4())
        self.docs: dict[str, dict[str, Any]] = {}
        self.kinds: dict[str, str] = {}  # id -> rest name
        self.by_kind: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.children: dict[str, list[str]] = defaultdict(list)
        self.edges: dict[str, set[str]] = defaultdict(set)
        self.secrets: dict[str, str] = {}  # user id -> password (never rendered)
        self.generation = 0
        self.version = 0
        self._reach: Any = None
        self.journal = Journal()  # push notifications and event logs (events.py)
        from lifecycle.lab.nuage import rules

        self.rules = rules

    # --- reading ------------------------------------------------------------------------------
    def get(self, oid: str, rest: str | None = None) -> dict[str, Any] | None:
        """The object's wire document (a copy), or None (also when it is not of kind ``rest``)."""
        with self.lock:
            doc = self.docs.get(oid)
            if doc is None or (rest is not None and self.kinds[oid] != rest):
                return None
            return self.render(doc)

    def kind_of(self, oid: str) -> str | None:
        return self.kinds.get(oid)

    def raw(self, oid: str) -> dict[str, Any]:
        """The stored document itself (call with the lock held; do not modify)."""
        return self.docs[oid]

    def render(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(doc)
        self.rules.render(self, self.kinds[doc["ID"]], out)
        return out

    def list(self, rest: str, parent_id: str | None = None) -> list[dict[str, Any]]:
        """Objects of kind ``rest`` under ``parent_id`` (None: every one, as at the API root)."""
        with self.lock:
            return [self.render(self.docs[i]) for i in self.list_ids(rest, parent_id)]

    def find(self, rest: str, **attrs: Any) -> list[dict[str, Any]]:
        """Objects of kind ``rest`` whose attributes equal ``attrs``: ``find("zone", name="app")``."""
        with self.lock:
            return [self.render(d) for d in self.by_kind.get(rest, {}).values()
                    if all(d.get(k) == v for k, v in attrs.items())]

    def list_ids(self, rest: str, parent_id: str | None) -> list[str]:
        if parent_id is None:
            return list(self.by_kind.get(rest, {}))
        pkind = self.kinds[parent_id]
        if self.schema.owns(pkind, rest):
            ids = [c for c in self.children.get(parent_id, ()) if self.kinds[c] == rest]
        else:
            ids = [o for o in self.by_kind.get(rest, {}) if parent_id in self.ancestors(o)]
        seen = set(ids)
        ids += [e for e in self.edges.get(parent_id, ()) if self.kinds.get(e) == rest and e not in seen]
        return ids

    def ancestors(self, oid: str) -> set[str]:
        """Everything ``oid`` is listed under: its parents and the objects it refers to, transitively."""
        out: set[str] = set()
        todo = [oid]
        while todo:
            cur = todo.pop()
            doc = self.docs.get(cur)
            if doc is None:
                continue
            for up in [doc.get("parentID"), *self.rules.links(self, self.kinds[cur], doc)]:
                if up and up not in out and up in self.docs:
                    out.add(up)
                    todo.append(up)
        return out

    def parent(self, doc: dict[str, Any]) -> dict[str, Any] | None:
        pid = doc.get("parentID")
        return self.docs.get(pid) if pid else None

    def up(self, doc: dict[str, Any], rest: str) -> dict[str, Any] | None:
        """The nearest parent of kind ``rest`` (a subnet's domain, a vport's zone)."""
        cur = self.parent(doc)
        while cur is not None and self.kinds[cur["ID"]] != rest:
            cur = self.parent(cur)
        return cur

    def descendants(self, oid: str) -> list[str]:
        out, todo = [], list(self.children.get(oid, ()))
        while todo:
            cur = todo.pop()
            out.append(cur)
            todo.extend(self.children.get(cur, ()))
        return out

    # --- writing --------------------------------------------------------------------------------
    def create(self, rest: str, body: dict[str, Any], parent_id: str | None = None,
               user: str | None = None) -> dict[str, Any]:
        """Create a ``rest`` object under ``parent_id`` (None: the API root), as POST does."""
        with self.lock:
            kind = self.schema.kind(rest)
            parent = self.docs.get(parent_id) if parent_id else None
            if parent_id and parent is None:
                raise errors.not_found(f"parent {parent_id}")
            pkind = self.kinds[parent_id] if parent_id else "me"
            if not self.schema.may_create(pkind, rest):
                raise VsdError(405 if self.schema.kind(pkind).relation(rest) else 404,
                               f"Cannot create {rest} under {pkind}.", errors.NOT_ALLOWED)
            doc = kind.blank()
            self._apply(kind, doc, body, creating=True)
            ts = now_ms()
            doc.update({"ID": str(uuid.uuid4()), "parentID": parent_id,
                        "parentType": pkind if parent_id else None, "creationDate": ts,
                        "lastUpdatedDate": ts, "owner": user, "lastUpdatedBy": user})
            if "entityScope" in doc and doc["entityScope"] is None:
                doc["entityScope"] = "ENTERPRISE"
            self.rules.prepare(self, kind, doc, parent, None, body)
            self._check(kind, doc)
            self._unique(kind, doc, parent_id)
            self._insert(rest, doc)
            self._event("CREATE", doc, user=user)
            try:
                self.rules.created(self, kind, doc, body, user)
            except Exception:
                self._event("DELETE", doc, user=user)
                self._remove(doc["ID"])
                raise
            self._changed(rest)
            return self.render(doc)

    def update(self, oid: str, body: dict[str, Any], user: str | None = None) -> dict[str, Any]:
        """PUT: the writable attributes in ``body`` replace the stored ones; 409 2039 if nothing changes."""
        with self.lock:
            old = self.docs.get(oid)
            if old is None:
                raise errors.not_found(oid)
            rest = self.kinds[oid]
            kind = self.schema.kind(rest)
            doc = copy.deepcopy(old)
            self._apply(kind, doc, body, creating=False)
            self.rules.prepare(self, kind, doc, self.parent(old), old, body)
            self._check(kind, doc)
            if all(doc.get(k) == old.get(k) for k in kind.attrs if k not in AUDITED):
                raise errors.conflict(errors.NO_CHANGE,
                                      "There are no attribute changes to modify the entity.")
            self._unique(kind, doc, old.get("parentID"))
            doc["lastUpdatedDate"] = max(now_ms(), (old.get("lastUpdatedDate") or 0) + 1)
            doc["lastUpdatedBy"] = user
            before = self.render(old)
            old.clear()
            old.update(doc)
            self.rules.updated(self, kind, old)
            self._event("UPDATE", old, previous=before, user=user)
            self._changed(rest)
            return self.render(old)

    def delete(self, oid: str, confirmed: bool = True) -> None:
        """DELETE ``oid`` and everything below it. Unconfirmed, an object with children answers 300."""
        with self.lock:
            doc = self.docs.get(oid)
            if doc is None:
                raise errors.not_found(oid)
            self.rules.deleting(self, self.kinds[oid], doc)
            if not confirmed and self.children.get(oid):
                raise MultipleChoices(self.kinds[oid], doc.get("name"))
            kinds = {self.kinds[i] for i in [oid, *self.descendants(oid)]}
            for gone in [*reversed(self.descendants(oid)), oid]:
                self._event("DELETE", self.docs[gone])
            self._remove(oid)
            for k in kinds:
                self._changed(k)

    def assign(self, parent_id: str, rest: str, ids: Iterable[str]) -> None:
        """PUT /{parent}/{id}/{children} with a list of IDs: the parent's members become exactly these."""
        with self.lock:
            if parent_id not in self.docs:
                raise errors.not_found(parent_id)
            wanted = list(dict.fromkeys(ids))
            for i in wanted:
                if self.kinds.get(i) != rest:
                    raise errors.not_found(f"{rest} {i}")
            self.rules.assigning(self, self.kinds[parent_id], self.docs[parent_id], rest, wanted)
            for other in [e for e in self.edges.get(parent_id, ()) if self.kinds.get(e) == rest]:
                self.edges[parent_id].discard(other)
                self.edges[other].discard(parent_id)
            for i in wanted:
                self.edges[parent_id].add(i)
                self.edges[i].add(parent_id)
            self._changed(rest)
            self._changed(self.kinds[parent_id])
            self._event("UPDATE", self.docs[parent_id])  # its member list changed

    # --- internals (lock held) ----------------------------------------------------------------
    def _apply(self, kind: Kind, doc: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        locked = AUDITED + self.rules.derived(kind.rest)
        for key, value in body.items():
            attr = kind.attrs.get(key)
            if attr is None or key in locked:
                continue  # unknown keys and what the VSD computes itself are ignored, as vspk sends them
            doc[key] = coerce(attr, value)
        for key, value in DEFAULTS.get(kind.rest, {}).items():
            if key in doc and doc[key] is None:
                doc[key] = value

    def _check(self, kind: Kind, doc: dict[str, Any]) -> None:
        for attr in kind.attrs.values():
            if attr.required and doc.get(attr.remote) in (None, "") and attr.remote not in AUDITED:
                raise errors.invalid(attr.remote, f"{attr.remote}: This value is mandatory.")

    def _unique(self, kind: Kind, doc: dict[str, Any], parent_id: str | None) -> None:
        siblings = (self.by_kind.get(kind.rest, {}).values() if parent_id is None else
                    [self.docs[c] for c in self.children.get(parent_id, ()) if self.kinds[c] == kind.rest])
        key = "userName" if kind.rest == "user" else "name"
        for other in siblings:
            if other["ID"] == doc["ID"]:
                continue
            if (kind.rest in UNIQUE_NAME or kind.rest == "user") and doc.get(key) is not None \
                    and other.get(key) == doc.get(key):
                code = errors.MACRO_DUPLICATE if kind.rest == "enterprisenetwork" else errors.DUPLICATE
                raise errors.conflict(code, f"Another {kind.cls.__name__[2:]} with the same {key} = "
                                            f"{doc.get(key)} exists.", key)
            if doc.get("externalID") and other.get("externalID") == doc["externalID"]:
                raise errors.conflict(errors.DUPLICATE, f"Another {kind.cls.__name__[2:]} with the same "
                                      f"externalID = {doc['externalID']} exists.", "externalID")

    def _insert(self, rest: str, doc: dict[str, Any]) -> None:
        oid = doc["ID"]
        self.docs[oid] = doc
        self.kinds[oid] = rest
        self.by_kind[rest][oid] = doc
        if doc.get("parentID"):
            self.children[doc["parentID"]].append(oid)

    def _remove(self, oid: str) -> None:
        for child in list(self.children.get(oid, ())):
            self._remove(child)
        doc = self.docs.pop(oid, None)
        if doc is None:
            return
        rest = self.kinds.pop(oid)
        self.by_kind[rest].pop(oid, None)
        self.children.pop(oid, None)
        pid = doc.get("parentID")
        if pid and oid in self.children.get(pid, ()):
            self.children[pid].remove(oid)
        for other in self.edges.pop(oid, set()):
            self.edges[other].discard(oid)
        self.secrets.pop(oid, None)
        self.rules.removed(self, rest, doc)

    def _event(self, kind: str, doc: dict[str, Any], *, previous: dict[str, Any] | None = None,
               user: str | None = None) -> None:
        """Journal a change for push channels and event logs, with the object's enterprise."""
        ent = doc if self.kinds.get(doc["ID"]) == "enterprise" else self.up(doc, "enterprise")
        self.journal.record(kind, self.kinds[doc["ID"]], self.render(doc), old=previous,
                            user=user or doc.get("lastUpdatedBy"),
                            enterprise=ent.get("name") if ent else None,
                            enterprise_id=ent["ID"] if ent else None)

    def _changed(self, rest: str) -> None:
        self.version += 1
        if rest in REACH_KINDS:
            self.generation += 1

    # --- reachability -----------------------------------------------------------------------------
    def reach_index(self) -> Any:
        """The reachability index of the current generation (policy decisions read it too)."""
        from lifecycle.lab.nuage.reach import Reachability

        if self._reach is None:
            self._reach = Reachability(self)
        return self._reach.index()

    def reachable(self, src: str, dst: str, port: int | None = None, protocol: str | int = "tcp", *,
                  source_port: int | None = None, src_domain: str | None = None,
                  dst_domain: str | None = None) -> Decision:
        """May ``src`` reach ``dst`` on ``protocol``/``port``? See :mod:`lifecycle.lab.nuage.reach`."""
        from lifecycle.lab.nuage.reach import Reachability

        if self._reach is None:
            self._reach = Reachability(self)
        return self._reach.decide(src, dst, port, protocol, source_port=source_port,
                                  src_domain=src_domain, dst_domain=dst_domain)


class MultipleChoices(VsdError):
    """300: the VSD asks for confirmation before deleting an object with children."""

    def __init__(self, rest: str, name: str | None):
        super().__init__(300, f"Deleting {rest} {name or ''} also deletes everything it contains. "
                              "Resend with responseChoice=1 to confirm.".replace("  ", " "), None,
                         title="Delete confirmation")
        self.body["choices"] = [{"id": 1, "label": "OK"}, {"id": 0, "label": "Cancel"}]
