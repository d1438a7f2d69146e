"""The Keystone service of one cloud: its state (domains, projects, users, passwords, roles,
assignments, tokens), seeding, token checks for the other services, policy checks, renderings and
its version documents. Each resource's routes are in their own module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import Service, hex_id, keystone_fault, now, unauthorized
from lifecycle.lab.openstack.keystone import assignments, auth, catalog, identity
from lifecycle.lab.openstack.keystone.common import DEFAULT_DOMAIN, V3
from lifecycle.lab.openstack.keystone.tokens import TOKEN_TTL, Token

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cloud import OpenStackCloud


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
        self.token_ttl = TOKEN_TTL  # [token] expiration: its owner may set another
        # (services, endpoints), registered on first use once every service listens (catalog.py)
        self.catalog_registry: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None
        self.domains[DEFAULT_DOMAIN] = {
            "id": DEFAULT_DOMAIN,
            "name": "Default",
            "description": "The default domain",
            "enabled": True,
            "tags": [],
            "options": {},
        }
        self._routes()
        auth.register(self)
        catalog.register(self)
        identity.register(self)
        assignments.register(self)

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

    # --- policy -----------------------------------------------------------------------------------
    def need_token(self, req: Request) -> Token:
        tok = self.check(req.header("X-Auth-Token"))
        if tok is None:
            raise unauthorized(self.url)
        return tok

    def need_admin(self, req: Request) -> Token:
        tok = self.need_token(req)
        if "admin" not in tok:
            raise keystone_fault(
                403, f"You are not authorized to perform the requested action: identity:{req.method.lower()}."
            )
        return tok

    # --- renderings -------------------------------------------------------------------------------
    def links(self, path: str) -> dict[str, Any]:
        return {"self": f"{self.url}{path}", "previous": None, "next": None}

    def link(self, kind: str, rid: str) -> dict[str, str]:
        return {"self": f"{self.url}/v3/{kind}/{rid}"}

    def project_view(self, p: dict[str, Any]) -> dict[str, Any]:
        return {**p, "links": self.link("projects", p["id"])}

    def user_view(self, u: dict[str, Any]) -> dict[str, Any]:
        return {**u, "links": self.link("users", u["id"])}

    def role_view(self, r: dict[str, Any]) -> dict[str, Any]:
        return {**r, "links": self.link("roles", r["id"])}

    def domain_view(self, d: dict[str, Any]) -> dict[str, Any]:
        return {**d, "links": self.link("domains", d["id"])}

    # --- versions ---------------------------------------------------------------------------------
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

    def _routes(self) -> None:
        add = self.svc.router.add

        def root(req: Request) -> Response:
            return json_response({"versions": {"values": [self._version()]}}, 300)

        def v3(req: Request) -> dict[str, Any]:
            return {"version": self._version()}

        add("GET", r"/?", root)
        add("GET", V3, v3)
