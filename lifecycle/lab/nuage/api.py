"""The VSD REST API over the store: ``/nuage/api/v6/...``, at most three path levels.

=================================  ==========================================================
``GET|HEAD /me``                   login (password) or whoami (API key): ``[me]``
``GET|HEAD /{res}``                every object of that kind (root fetchers of ``NUMe``)
``POST /{res}``                    create at the root (enterprises, VMs, CMS, ...): 201 ``[obj]``
``GET /{res}/{id}``                ``[obj]``; 404 when there is no ``res`` with that id
``PUT /{res}/{id}``                update: 204, or 409 2039 when nothing changes
``DELETE /{res}/{id}``             204; 300 for an object with children unless ``responseChoice=1``
``GET|HEAD /{res}/{id}/{child}``   the parent's ``child`` objects (its fetcher's relation)
``POST /{res}/{id}/{child}``       create under the parent where the VSD allows it
``PUT /{res}/{id}/{child}``        assign: the body is the list of IDs the parent now has
``GET /events[?uuid=ID]``          push channel, long-polled (:mod:`events`)
``GET /{res}/{id}/eventlogs``      the object's event log (:mod:`events`)
``GET /{iface}/{id}/policydecisions``  the interface's policy decision (:mod:`decisions`)
=================================  ==========================================================

Lists honour ``X-Nuage-Filter`` (+ ``X-Nuage-FilterType``), ``X-Nuage-OrderBy`` (``name``,
``priority DESC``, comma-separated), ``X-Nuage-Page`` (from 0) and ``X-Nuage-PageSize`` (50 by
default, at most 500), and answer ``X-Nuage-Count`` (the total matching), ``X-Nuage-Page`` and
``X-Nuage-PageSize``. An empty page is 200 with an empty body (bambou's get() returns ``[]``;
a 204 would make it return None).
"""

from __future__ import annotations

from typing import Any

from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.nuage import decisions, errors
from lifecycle.lab.nuage.auth import Account, Accounts
from lifecycle.lab.nuage.filters import FilterError, parse
from lifecycle.lab.nuage.schema import Kind
from lifecycle.lab.nuage.store import VsdStore

PREFIX = "/nuage/api/v6"
# the role /me shows for a user in several groups: the most capable first
ROLES = ("CSPROOT", "CMS", "ORGADMIN", "ORGNETWORKDESIGNER", "USER")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, bool | int | float):
        return (1, float(value))
    return (2, str(value))


def order(docs: list[dict[str, Any]], spec: str, kind: Kind) -> list[dict[str, Any]]:
    """``X-Nuage-OrderBy``: ``field [ASC|DESC]`` items, the first one most significant."""
    for part in reversed([p.strip() for p in spec.split(",") if p.strip()]):
        name, _, direction = part.partition(" ")
        attr = kind.attr(name)
        if attr is None:
            raise errors.bad_request(f"Cannot order by unknown attribute {name!r}.")
        docs = sorted(docs, key=lambda d, f=attr.remote: _sort_key(d.get(f)),
                      reverse=direction.strip().upper() == "DESC")
    return docs


def _int_header(req: Request, name: str, default: int) -> int:
    raw = req.header(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)  # type: ignore[arg-type]
    except ValueError:
        raise errors.bad_request(f"{name} must be an integer, not {raw!r}.") from None


class VsdApi:
    def __init__(self, store: VsdStore, accounts: Accounts, push_timeout: float = 30.0):
        self.store = store
        self.accounts = accounts
        self.schema = store.schema
        self.push_timeout = push_timeout  # how long GET /events?uuid= waits for an event

    def handle(self, req: Request) -> Response:
        if not (req.path == PREFIX or req.path.startswith(PREFIX + "/")):
            raise errors.not_found(f"Resource {req.path}")
        parts = [p for p in req.path[len(PREFIX):].split("/") if p]
        if not parts or len(parts) > 3:
            raise errors.not_found(f"Resource {req.path} (the API has at most three path levels)")
        login = parts == ["me"] and req.method in ("GET", "HEAD")
        account = self.accounts.authenticate(req.header("X-Nuage-Organization"), req.header("Authorization"),
                                             login=login, store=self.store)
        if parts == ["me"]:
            if not login:
                raise errors.VsdError(405, f"{req.method} is not supported on /me by the twin.")
            return json_response([self.me(account)])
        if parts == ["events"]:
            return self._events(req)
        self._authorise(req, account, parts)
        kind = self._kind(parts[0])
        if len(parts) == 1:
            return self._root(req, kind, account)
        if len(parts) == 2:
            return self._object(req, kind, parts[1], account)
        return self._children(req, kind, parts[1], self._kind(parts[2]), account)

    def _authorise(self, req: Request, account: Account, parts: list[str]) -> None:
        """What a user of no privileged group (role USER) may not do: act for another user
        (``X-Nuage-ProxyUser``, CMS users only: 401, which the Nuage plugin reports as its user
        not being in the CMS group) or manage users, groups and permissions (403)."""
        role = self.role(account)
        if role not in ("CSPROOT", "CMS") and req.header("X-Nuage-ProxyUser"):
            raise errors.VsdError(401, "Proxy user requests are allowed to CMS users only.", None,
                                  title="Unauthorized")
        if role == "USER" and req.method in ("POST", "PUT", "DELETE") and \
                {"users", "groups", "permissions"} & set(parts):
            raise errors.VsdError(403, f"User {account.username} is not allowed to {req.method} "
                                       f"/{'/'.join(parts)}: it needs the CMS or an administrator role.")

    # --- levels -----------------------------------------------------------------------------------
    def _kind(self, resource: str) -> Kind:
        kind = self.schema.by_resource.get(resource)
        if kind is None:
            raise errors.not_found(f"Resource {resource}")
        return kind

    def _root(self, req: Request, kind: Kind, account: Account) -> Response:
        if self.schema.kind("me").relation(kind.rest) is None:
            raise errors.not_found(f"Resource /{kind.resource}")
        if req.method in ("GET", "HEAD"):
            return self._list(req, kind, None)
        if req.method == "POST":
            return self._create(req, kind, None, account)
        raise errors.VsdError(405, f"{req.method} is not allowed on /{kind.resource}.")

    def _object(self, req: Request, kind: Kind, oid: str, account: Account) -> Response:
        with self.store.lock:
            doc = self.store.get(oid, kind.rest)
            if doc is None and kind.rest == "policydecision" and req.method in ("GET", "HEAD"):
                iid = decisions.interface_of(self.store, oid)
                doc = decisions.policy_decision(self.store, iid) if iid else None
        if doc is None:
            raise errors.not_found(f"{kind.cls.__name__[2:]} with ID {oid}")
        if req.method in ("GET", "HEAD"):
            return json_response([doc])
        if req.method == "PUT":
            body = req.json()
            if not isinstance(body, dict):
                raise errors.bad_request("The body of an update is a JSON object.")
            self.store.update(oid, body, account.user_id)
            return Response(204, b"", {})
        if req.method == "DELETE":
            self.store.delete(oid, confirmed=req.arg("responseChoice") == "1")
            return Response(204, b"", {})
        raise errors.VsdError(405, f"{req.method} is not allowed on /{kind.resource}/{oid}.")

    def _children(self, req: Request, pkind: Kind, pid: str, kind: Kind, account: Account) -> Response:
        if self.store.get(pid, pkind.rest) is None:
            raise errors.not_found(f"{pkind.cls.__name__[2:]} with ID {pid}")
        relation = pkind.relation(kind.rest)
        if relation is None:
            raise errors.not_found(f"Resource /{pkind.resource}/{pid}/{kind.resource}")
        if req.method in ("GET", "HEAD") and kind.rest == "eventlog":
            return self._answer(req, kind, self.store.journal.logs(pid))
        if req.method in ("GET", "HEAD") and kind.rest == "policydecision" \
                and pkind.rest in decisions.INTERFACE_KINDS:
            with self.store.lock:
                return self._answer(req, kind, [decisions.policy_decision(self.store, pid)])
        if req.method in ("GET", "HEAD"):
            return self._list(req, kind, pid)
        if req.method == "POST":
            return self._create(req, kind, pid, account)
        if req.method == "PUT":
            if relation != "member" and self.schema.owns(pkind.rest, kind.rest):
                raise errors.VsdError(405, f"{kind.resource} of a {pkind.rest} are created, not assigned.")
            ids = req.json()
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise errors.bad_request("An assignment's body is the list of IDs to assign.")
            self.store.assign(pid, kind.rest, ids)
            return Response(204, b"", {})
        raise errors.VsdError(405, f"{req.method} is not allowed on /{pkind.resource}/{pid}/{kind.resource}.")

    # --- operations ---------------------------------------------------------------------------------
    def _create(self, req: Request, kind: Kind, parent_id: str | None, account: Account) -> Response:
        body = req.json()
        if isinstance(body, list):
            raise errors.bad_request("Bulk creation is not supported by the twin: create objects one by one.")
        if not isinstance(body, dict):
            raise errors.bad_request("The body of a create is a JSON object.")
        doc = self.store.create(kind.rest, body, parent_id, account.user_id)
        return json_response([doc], 201)

    def _events(self, req: Request) -> Response:
        if req.method != "GET":
            raise errors.VsdError(405, f"{req.method} is not allowed on /events.")
        uid = req.arg("uuid")
        journal = self.store.journal
        if not uid:
            return json_response({"uuid": journal.open(), "events": []})
        if not journal.known(uid):
            raise errors.not_found(f"Push channel {uid}")
        return json_response({"uuid": uid, "events": journal.poll(uid, self.push_timeout)})

    def _list(self, req: Request, kind: Kind, parent_id: str | None) -> Response:
        return self._answer(req, kind, self.store.list(kind.rest, parent_id))

    def _answer(self, req: Request, kind: Kind, docs: list[dict[str, Any]]) -> Response:
        """A list answer: filter, order and page ``docs`` as the request asks."""
        text = req.header("X-Nuage-Filter") or ""
        ftype = req.header("X-Nuage-FilterType") or ""
        headers: dict[str, str] = {}
        if text:
            def resolve(name: str) -> str | None:
                attr = kind.attr(name)
                return attr.remote if attr else None

            try:
                pred = parse(text, resolve, predicate_only=ftype.lower() == "predicate")
            except FilterError as exc:
                raise errors.bad_request(f"Invalid filter {text!r}: {exc}") from None
            docs = [d for d in docs if pred(d)]
            headers["X-Nuage-Filter"] = text
            if ftype:
                headers["X-Nuage-FilterType"] = ftype
        spec = req.header("X-Nuage-OrderBy")
        if spec:
            docs = order(docs, spec, kind)
            headers["X-Nuage-OrderBy"] = spec
        page = max(0, _int_header(req, "X-Nuage-Page", 0))
        size = min(MAX_PAGE_SIZE, max(1, _int_header(req, "X-Nuage-PageSize", DEFAULT_PAGE_SIZE)))
        chunk = docs[page * size:(page + 1) * size]
        headers.update({"X-Nuage-Count": str(len(docs)), "X-Nuage-Page": str(page),
                        "X-Nuage-PageSize": str(size)})
        if req.method == "HEAD" or not chunk:
            return json_response(None, 200, headers)
        return json_response(chunk, 200, headers)

    def me(self, account: Account) -> dict[str, Any]:
        """The logged-in user as ``GET /me`` shows it, with the API key to use from now on."""
        doc = self.schema.kind("me").blank()
        with self.store.lock:
            stored = self.store.get(account.user_id) or {}
        doc.update({k: v for k, v in stored.items() if k in doc})
        doc.update({
            "ID": account.user_id, "userName": account.username, "enterpriseID": account.enterprise_id,
            "enterpriseName": account.enterprise_name, "role": self.role(account), "APIKey": account.api_key,
            "APIKeyExpiry": int(account.expiry * 1000), "entityScope": "ENTERPRISE", "password": None,
        })
        if not stored:
            doc.update({"firstName": account.username, "lastName": account.username,
                        "email": f"{account.username}@twin.invalid"})
        return doc

    def role(self, account: Account) -> str:
        """An enterprise user's role is its groups' (a CMS group member logs in as CMS, an
        Administrators member as ORGADMIN); the root user's is CSPROOT."""
        with self.store.lock:
            roles = {self.store.docs[g].get("role") for g in self.store.edges.get(account.user_id, ())
                     if self.store.kinds.get(g) == "group"}
        return next((r for r in ROLES if r in roles), account.role)
