"""Keystone v3: password authentication (unscoped, project- and domain-scoped tokens in
``X-Subject-Token``), token validation, the catalog, domains, projects, users, roles and role
assignments, with Keystone's version documents and its 401s.

>>> ks = Keystone(cloud)                                                   # doctest: +SKIP
>>> ks.create_project("digital-prd")["id"]                                 # doctest: +SKIP
'9c0e...'
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import HttpError, Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, Service, empty, hex_id, iso, keystone_fault, now, unauthorized

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cloud import OpenStackCloud

DEFAULT_DOMAIN = "default"
_V3 = r"/v3"
_ID = r"(?P<id>[^/]+)"
TOKEN_TTL = dt.timedelta(hours=1)


@dataclass
class Token:
    id: str
    user: dict[str, Any]
    roles: list[dict[str, str]]
    project: dict[str, Any] | None = None
    domain: dict[str, Any] | None = None
    methods: list[str] = field(default_factory=lambda: ["password"])
    issued: dt.datetime = field(default_factory=now)
    expires: dt.datetime = field(default_factory=lambda: now() + TOKEN_TTL)
    audit_id: str = field(
        default_factory=lambda: base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
    )

    @property
    def user_id(self) -> str:
        return str(self.user["id"])

    @property
    def project_id(self) -> str | None:
        return self.project["id"] if self.project else None

    @property
    def role_names(self) -> list[str]:
        return [r["name"] for r in self.roles]

    def __contains__(self, role: str) -> bool:  # "admin" in token.roles reads naturally
        return role in self.role_names


def _unauthorized(message: str = "The request you have made requires authentication.") -> HttpError:
    err = keystone_fault(401, message)
    return err


class Keystone:
    """The identity service of one cloud; state is guarded by the cloud's lock."""

    def __init__(self, cloud: OpenStackCloud):
        self.cloud = cloud
        self.lock = cloud.lock
        self.svc = Service(cloud, "keystone", authenticate=False)
        self.domains: dict[str, dict[str, Any]] = {}
        self.projects: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.passwords: dict[str, str] = {}
        self.roles: dict[str, dict[str, Any]] = {}
        # (role_id, user_id, project_id or None, domain_id or None)
        self.assignments: set[tuple[str, str, str | None, str | None]] = set()
        self.tokens: dict[str, Token] = {}
        self.domains[DEFAULT_DOMAIN] = {
            "id": DEFAULT_DOMAIN,
            "name": "Default",
            "description": "The default domain",
            "enabled": True,
            "tags": [],
            "options": {},
        }
        self._routes()

    @property
    def url(self) -> str:
        return self.svc.url

    # --- seeding (in-process) ---------------------------------------------------------------------
    def create_role(self, name: str) -> dict[str, Any]:
        with self.lock:
            for r in self.roles.values():
                if r["name"] == name:
                    return r
            role = {"id": hex_id(), "name": name, "domain_id": None, "description": None, "options": {}}
            self.roles[role["id"]] = role
            return role

    def create_project(
        self, name: str, domain_id: str = DEFAULT_DOMAIN, description: str = ""
    ) -> dict[str, Any]:
        with self.lock:
            for p in self.projects.values():
                if p["name"] == name and p["domain_id"] == domain_id:
                    return p
            proj = {
                "id": hex_id(),
                "name": name,
                "domain_id": domain_id,
                "description": description,
                "enabled": True,
                "parent_id": domain_id,
                "is_domain": False,
                "tags": [],
                "options": {},
            }
            self.projects[proj["id"]] = proj
            return proj

    def create_user(
        self, name: str, password: str, domain_id: str = DEFAULT_DOMAIN, default_project_id: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            user = {
                "id": hex_id(),
                "name": name,
                "domain_id": domain_id,
                "enabled": True,
                "password_expires_at": None,
                "options": {},
            }
            if default_project_id:
                user["default_project_id"] = default_project_id
            self.users[user["id"]] = user
            self.passwords[user["id"]] = password
            return user

    def grant(
        self, role_id: str, user_id: str, project_id: str | None = None, domain_id: str | None = None
    ) -> None:
        with self.lock:
            self.assignments.add((role_id, user_id, project_id, domain_id))

    def check(self, token_id: str | None) -> Token | None:
        """The valid token of that id (what keystonemiddleware asks for each request)."""
        if not token_id:
            return None
        with self.lock:
            tok = self.tokens.get(token_id)
            if tok is None or tok.expires <= now():
                return None
            return tok

    def find(self, table: dict[str, dict[str, Any]], id_or_name: str) -> dict[str, Any] | None:
        with self.lock:
            if id_or_name in table:
                return table[id_or_name]
            return next((v for v in table.values() if v.get("name") == id_or_name), None)

    # --- authentication ---------------------------------------------------------------------------
    def _domain_of(self, ref: dict[str, Any] | None) -> dict[str, Any] | None:
        if not ref:
            return None
        if ref.get("id"):
            return self.domains.get(ref["id"])
        return next((d for d in self.domains.values() if d["name"] == ref.get("name")), None)

    def _user_of(self, ref: dict[str, Any]) -> dict[str, Any] | None:
        if ref.get("id"):
            return self.users.get(ref["id"])
        domain = self._domain_of(ref.get("domain"))
        if domain is None:
            return None
        return next(
            (
                u
                for u in self.users.values()
                if u["name"] == ref.get("name") and u["domain_id"] == domain["id"]
            ),
            None,
        )

    def _roles(self, user_id: str, project_id: str | None, domain_id: str | None) -> list[dict[str, str]]:
        ids = {r for r, u, p, d in self.assignments if u == user_id and p == project_id and d == domain_id}
        return [{"id": self.roles[r]["id"], "name": self.roles[r]["name"]} for r in sorted(ids)]

    def authenticate(self, body: dict[str, Any]) -> Token:
        auth = body.get("auth") if isinstance(body, dict) else None
        if not isinstance(auth, dict) or not isinstance(auth.get("identity"), dict):
            raise keystone_fault(
                400,
                "Expecting to find identity in auth. The server could not comply "
                "with the request since it is either malformed or otherwise incorrect. "
                "The client is assumed to be in error.",
            )
        identity = auth["identity"]
        methods = identity.get("methods") or []
        with self.lock:
            if "password" in methods:
                ref = (identity.get("password") or {}).get("user") or {}
                user = self._user_of(ref)
                if user is None or not hmac.compare_digest(
                    self.passwords.get(user["id"], ""), str(ref.get("password", ""))
                ):
                    raise _unauthorized()
                base: Token | None = None
            elif "token" in methods:
                base = self.check((identity.get("token") or {}).get("id"))
                if base is None:
                    raise keystone_fault(404, "Could not find token.")
                user = self.users[base.user_id]
            else:
                raise _unauthorized()
            if not user.get("enabled", True):
                raise _unauthorized()
            scope = auth.get("scope")
            if scope is None and user.get("default_project_id") in self.projects:
                scope = {"project": {"id": user["default_project_id"]}}
            udom = self.domains[user["domain_id"]]
            tok_user = {
                "id": user["id"],
                "name": user["name"],
                "password_expires_at": None,
                "domain": {"id": udom["id"], "name": udom["name"]},
            }
            token = Token(
                hex_id() + secrets.token_hex(16),
                tok_user,
                [],
                methods=list(dict.fromkeys((base.methods if base else []) + methods)),
            )
            if isinstance(scope, dict) and "project" in scope:
                pref = scope["project"] or {}
                project = self.projects.get(pref.get("id", "")) if pref.get("id") else None
                if project is None and pref.get("name"):
                    dom = self._domain_of(pref.get("domain"))
                    project = next(
                        (
                            p
                            for p in self.projects.values()
                            if p["name"] == pref["name"] and dom is not None and p["domain_id"] == dom["id"]
                        ),
                        None,
                    )
                if project is None:
                    raise _unauthorized(f"Could not find project: {pref.get('id') or pref.get('name')}.")
                token.roles = self._roles(user["id"], project["id"], None)
                if not token.roles:
                    raise _unauthorized(f"User {user['id']} has no access to project {project['id']}")
                pdom = self.domains[project["domain_id"]]
                token.project = {
                    "id": project["id"],
                    "name": project["name"],
                    "domain": {"id": pdom["id"], "name": pdom["name"]},
                }
            elif isinstance(scope, dict) and "domain" in scope:
                dom = self._domain_of(scope["domain"])
                if dom is None:
                    raise _unauthorized(f"Could not find domain: {scope['domain']}.")
                token.roles = self._roles(user["id"], None, dom["id"])
                if not token.roles:
                    raise _unauthorized(f"User {user['id']} has no access to domain {dom['id']}")
                token.domain = {"id": dom["id"], "name": dom["name"]}
            self.tokens[token.id] = token
            return token

    def render(self, token: Token, *, catalog: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "methods": token.methods,
            "user": token.user,
            "audit_ids": [token.audit_id],
            "expires_at": iso(token.expires, micro=True),
            "issued_at": iso(token.issued, micro=True),
        }
        if token.project:
            out.update(project=token.project, is_domain=False, roles=token.roles)
        elif token.domain:
            out.update(domain=token.domain, roles=token.roles)
        if catalog and (token.project or token.domain):
            out["catalog"] = self.catalog(token)
        return {"token": out}

    def catalog(self, token: Token) -> list[dict[str, Any]]:
        entries = []
        for stype, name, url in self.cloud.catalog():
            if "%(project_id)s" in url or "%(tenant_id)s" in url:
                if not token.project_id:
                    continue  # keystone drops endpoints it cannot substitute
                url = url.replace("%(project_id)s", token.project_id).replace(
                    "%(tenant_id)s", token.project_id
                )
            sid = hex_id()[:32]
            endpoints = [
                {
                    "id": f"{sid[:24]}{i:08x}",
                    "interface": iface,
                    "region_id": self.cloud.region,
                    "region": self.cloud.region,
                    "url": url,
                }
                for i, iface in enumerate(("public", "internal", "admin"))
            ]
            entries.append({"id": sid, "type": stype, "name": name, "endpoints": endpoints})
        return entries

    # --- HTTP -------------------------------------------------------------------------------------
    def _need_token(self, req: Request) -> Token:
        tok = self.check(req.header("X-Auth-Token"))
        if tok is None:
            raise unauthorized(self.url)
        return tok

    def _need_admin(self, req: Request) -> Token:
        tok = self._need_token(req)
        if "admin" not in tok:
            raise keystone_fault(
                403, f"You are not authorized to perform the requested action: identity:{req.method.lower()}."
            )
        return tok

    def _version(self) -> dict[str, Any]:
        return {
            "id": f"v{self.cloud.facts.keystone}",
            "status": "stable",
            "updated": "2019-07-19T00:00:00Z",
            "links": [{"rel": "self", "href": f"{self.url}/v3/"}],
            "media-types": [
                {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
            ],
        }

    def _links(self, path: str) -> dict[str, Any]:
        return {"self": f"{self.url}{path}", "previous": None, "next": None}

    def _routes(self) -> None:
        add = self.svc.router.add

        def root(req: Request) -> Response:
            return json_response({"versions": {"values": [self._version()]}}, 300)

        def v3(req: Request) -> dict[str, Any]:
            return {"version": self._version()}

        add("GET", r"/?", root)
        add("GET", _V3, v3)

        def tokens_post(req: Request) -> Response:
            data = req.json()
            token = self.authenticate(data if isinstance(data, dict) else {})
            nocatalog = req.arg("nocatalog") is not None
            return json_response(
                self.render(token, catalog=not nocatalog), 201, {"X-Subject-Token": token.id}
            )

        def tokens_get(req: Request) -> Response:
            self._need_token(req)
            subject = self.check(req.header("X-Subject-Token"))
            if subject is None:
                raise keystone_fault(404, f"Could not find token: {req.header('X-Subject-Token')}.")
            return json_response(
                self.render(subject, catalog=req.arg("nocatalog") is None),
                200,
                {"X-Subject-Token": subject.id},
            )

        def tokens_delete(req: Request) -> Response:
            self._need_token(req)
            with self.lock:
                if self.tokens.pop(req.header("X-Subject-Token") or "", None) is None:
                    raise keystone_fault(404, f"Could not find token: {req.header('X-Subject-Token')}.")
            return empty()

        add("POST", _V3 + r"/auth/tokens", tokens_post)
        add("GET", _V3 + r"/auth/tokens", tokens_get)
        add("DELETE", _V3 + r"/auth/tokens", tokens_delete)

        def auth_catalog(req: Request) -> dict[str, Any]:
            tok = self._need_token(req)
            return {"catalog": self.catalog(tok), "links": self._links(req.path)}

        def auth_projects(req: Request) -> dict[str, Any]:
            tok = self._need_token(req)
            with self.lock:
                pids = {p for _, u, p, _ in self.assignments if u == tok.user_id and p}
                return {
                    "projects": [self._project(self.projects[p]) for p in sorted(pids)],
                    "links": self._links(req.path),
                }

        def auth_domains(req: Request) -> dict[str, Any]:
            tok = self._need_token(req)
            with self.lock:
                dids = {d for _, u, _, d in self.assignments if u == tok.user_id and d}
                return {
                    "domains": [self._domain(self.domains[d]) for d in sorted(dids)],
                    "links": self._links(req.path),
                }

        add("GET", _V3 + r"/auth/catalog", auth_catalog)
        add("GET", _V3 + r"/auth/projects", auth_projects)
        add("GET", _V3 + r"/auth/domains", auth_domains)

        self._crud(
            "projects",
            "project",
            self.projects,
            self._project,
            filters=("name", "domain_id", "enabled", "parent_id", "is_domain"),
        )
        self._crud("users", "user", self.users, self._user, filters=("name", "domain_id", "enabled"))
        self._crud("roles", "role", self.roles, self._role, filters=("name", "domain_id"))
        self._crud("domains", "domain", self.domains, self._domain, filters=("name", "enabled"))

        def user_projects(req: Request) -> dict[str, Any]:
            tok = self._need_token(req)
            uid = req.params["id"]
            if uid != tok.user_id and "admin" not in tok:
                raise keystone_fault(
                    403,
                    "You are not authorized to perform the requested action: identity:list_user_projects.",
                )
            with self.lock:
                pids = {p for _, u, p, _ in self.assignments if u == uid and p}
                return {
                    "projects": [self._project(self.projects[p]) for p in sorted(pids)],
                    "links": self._links(req.path),
                }

        add("GET", _V3 + rf"/users/{_ID}/projects", user_projects)

        grant_path = _V3 + r"/(?P<kind>projects|domains)/(?P<target>[^/]+)/users/(?P<user>[^/]+)/roles"

        def grants_list(req: Request) -> dict[str, Any]:
            self._need_admin(req)
            p, d = self._target(req)
            with self.lock:
                return {
                    "roles": [self._role(self.roles[r["id"]]) for r in self._roles(req.params["user"], p, d)],
                    "links": self._links(req.path),
                }

        def grant_put(req: Request) -> Response:
            self._need_admin(req)
            p, d = self._target(req)
            role, user = req.params["role"], req.params["user"]
            with self.lock:
                if role not in self.roles:
                    raise keystone_fault(404, f"Could not find role: {role}.")
                if user not in self.users:
                    raise keystone_fault(404, f"Could not find user: {user}.")
                self.assignments.add((role, user, p, d))
            return empty()

        def grant_check(req: Request) -> Response:
            self._need_admin(req)
            p, d = self._target(req)
            with self.lock:
                if (req.params["role"], req.params["user"], p, d) not in self.assignments:
                    raise keystone_fault(
                        404,
                        f"Could not find role assignment with role: "
                        f"{req.params['role']}, user or group: {req.params['user']}, "
                        f"project, domain, or system: {p or d}.",
                    )
            return empty()

        def grant_delete(req: Request) -> Response:
            grant_check(req)
            p, d = self._target(req)
            with self.lock:
                self.assignments.discard((req.params["role"], req.params["user"], p, d))
            return empty()

        add("GET", grant_path, grants_list)
        add("PUT", grant_path + r"/(?P<role>[^/]+)", grant_put)
        add("GET", grant_path + r"/(?P<role>[^/]+)", grant_check)
        add("DELETE", grant_path + r"/(?P<role>[^/]+)", grant_delete)

        def role_assignments(req: Request) -> dict[str, Any]:
            self._need_admin(req)
            names = req.arg("include_names") is not None
            with self.lock:
                out = []
                for role, user, p, d in sorted(self.assignments, key=lambda a: tuple(x or "" for x in a)):
                    if req.arg("user.id") and req.arg("user.id") != user:
                        continue
                    if req.arg("role.id") and req.arg("role.id") != role:
                        continue
                    if req.arg("scope.project.id") and req.arg("scope.project.id") != p:
                        continue
                    if req.arg("scope.domain.id") and req.arg("scope.domain.id") != d:
                        continue
                    entry: dict[str, Any] = {
                        "role": {"id": role},
                        "user": {"id": user},
                        "scope": {"project": {"id": p}} if p else {"domain": {"id": d}},
                    }
                    if names:
                        entry["role"]["name"] = self.roles[role]["name"]
                        entry["user"]["name"] = self.users[user]["name"]
                        key = "project" if p else "domain"
                        entry["scope"][key]["name"] = (self.projects[p] if p else self.domains[d or ""])[
                            "name"
                        ]
                    entry["links"] = {
                        "assignment": f"{self.url}/v3/{'projects' if p else 'domains'}/"
                        f"{p or d}/users/{user}/roles/{role}"
                    }
                    out.append(entry)
                return {"role_assignments": out, "links": self._links(req.path)}

        add("GET", _V3 + r"/role_assignments", role_assignments)

        def services(req: Request) -> dict[str, Any]:
            self._need_token(req)
            return {
                "services": [
                    {
                        "id": c["id"],
                        "type": c["type"],
                        "name": c["name"],
                        "enabled": True,
                        "description": None,
                    }
                    for c in self.catalog(self._need_token(req))
                ],
                "links": self._links(req.path),
            }

        def endpoints(req: Request) -> dict[str, Any]:
            tok = self._need_token(req)
            return {
                "endpoints": [
                    dict(e, service_id=c["id"], enabled=True)
                    for c in self.catalog(tok)
                    for e in c["endpoints"]
                ],
                "links": self._links(req.path),
            }

        def regions(req: Request) -> dict[str, Any]:
            self._need_token(req)
            return {
                "regions": [{"id": self.cloud.region, "description": "", "parent_region_id": None}],
                "links": self._links(req.path),
            }

        add("GET", _V3 + r"/services", services)
        add("GET", _V3 + r"/endpoints", endpoints)
        add("GET", _V3 + r"/regions", regions)

    def _target(self, req: Request) -> tuple[str | None, str | None]:
        kind, target = req.params["kind"], req.params["target"]
        table = self.projects if kind == "projects" else self.domains
        if target not in table:
            raise keystone_fault(404, f"Could not find {kind[:-1]}: {target}.")
        return (target, None) if kind == "projects" else (None, target)

    def _crud(
        self,
        plural: str,
        single: str,
        table: dict[str, dict[str, Any]],
        render: Any,
        filters: tuple[str, ...],
    ) -> None:
        """GET list/one for any token holder; POST/PATCH/DELETE for admins (Keystone's policy)."""
        add = self.svc.router.add
        base = _V3 + "/" + plural

        def one(rid: str) -> dict[str, Any]:
            rec = table.get(rid)
            if rec is None:
                raise keystone_fault(404, f"Could not find {single}: {rid}.")
            return rec

        def list_(req: Request) -> dict[str, Any]:
            self._need_token(req)
            with self.lock:
                items = [render(r) for r in table.values()]
            for f in filters:
                want = req.arg(f)
                if want is not None:
                    items = [i for i in items if _same(i.get(f), want)]
            return {plural: items, "links": self._links(req.path)}

        def get(req: Request) -> dict[str, Any]:
            self._need_token(req)
            with self.lock:
                return {single: render(one(req.params["id"]))}

        def create(req: Request) -> Response:
            self._need_admin(req)
            data = req.json()
            body = data.get(single) if isinstance(data, dict) else None
            if not isinstance(body, dict) or not body.get("name"):
                raise keystone_fault(
                    400, f"Invalid input for field '{single}': 'name' is a required property"
                )
            with self.lock:
                domain_id = body.get("domain_id", DEFAULT_DOMAIN if single in ("project", "user") else None)
                if any(r["name"] == body["name"] and r.get("domain_id") == domain_id for r in table.values()):
                    raise keystone_fault(
                        409,
                        f"Conflict occurred attempting to store {single} - Duplicate "
                        f"entry found with name {body['name']}.",
                    )
                if single == "project":
                    rec = self.create_project(body["name"], domain_id, body.get("description") or "")
                elif single == "user":
                    rec = self.create_user(
                        body["name"],
                        body.get("password") or secrets.token_hex(8),
                        domain_id,
                        body.get("default_project_id"),
                    )
                elif single == "role":
                    rec = self.create_role(body["name"])
                else:
                    rec = {
                        "id": hex_id(),
                        "name": body["name"],
                        "description": body.get("description") or "",
                        "enabled": True,
                        "tags": [],
                        "options": {},
                    }
                    table[rec["id"]] = rec
                for k, v in body.items():
                    if k not in ("id", "password", "name", "domain_id"):
                        rec[k] = v
                return json_response({single: render(rec)}, 201)

        def update(req: Request) -> dict[str, Any]:
            self._need_admin(req)
            data = req.json()
            body = data.get(single) if isinstance(data, dict) else None
            if not isinstance(body, dict):
                raise keystone_fault(400, f"Invalid input for field '{single}'.")
            with self.lock:
                rec = one(req.params["id"])
                for k, v in body.items():
                    if k == "password" and single == "user":
                        self.passwords[rec["id"]] = str(v)
                    elif k != "id":
                        rec[k] = v
                return {single: render(rec)}

        def delete(req: Request) -> Response:
            self._need_admin(req)
            with self.lock:
                rid = one(req.params["id"])["id"]
                del table[rid]
                self.assignments = {a for a in self.assignments if rid not in a}
            return empty()

        add("GET", base, list_)
        add("POST", base, create)
        add("GET", f"{base}/{_ID}", get)
        add("PATCH", f"{base}/{_ID}", update)
        add("DELETE", f"{base}/{_ID}", delete)

    # --- renderings -------------------------------------------------------------------------------
    def _link(self, kind: str, rid: str) -> dict[str, str]:
        return {"self": f"{self.url}/v3/{kind}/{rid}"}

    def _project(self, p: dict[str, Any]) -> dict[str, Any]:
        return {**p, "links": self._link("projects", p["id"])}

    def _user(self, u: dict[str, Any]) -> dict[str, Any]:
        return {**u, "links": self._link("users", u["id"])}

    def _role(self, r: dict[str, Any]) -> dict[str, Any]:
        return {**r, "links": self._link("roles", r["id"])}

    def _domain(self, d: dict[str, Any]) -> dict[str, Any]:
        return {**d, "links": self._link("domains", d["id"])}


def _same(value: Any, query: str) -> bool:
    if isinstance(value, bool):
        return str(value).lower() == query.lower()
    return value == query


def project_of(ctx: Ctx) -> str:
    """The caller's project (services need a project-scoped token for most calls)."""
    if not ctx.project_id:
        raise keystone_fault(401, "The request you have made requires authentication.")
    return ctx.project_id
