"""Keystone authentication: password and token methods, project and domain scopes with
Keystone's 401s, the token document (``/v3/auth/tokens``: issue, validate, revoke) and the
scopes a token's user may ask for (``/v3/auth/projects``, ``/v3/auth/domains``)."""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import HttpError, Request, Response, json_response
from lifecycle.lab.openstack.api import empty, hex_id, iso, keystone_fault, now
from lifecycle.lab.openstack.keystone.assignments import roles_of
from lifecycle.lab.openstack.keystone.catalog import catalog_for
from lifecycle.lab.openstack.keystone.common import V3
from lifecycle.lab.openstack.keystone.tokens import Token

if TYPE_CHECKING:
    from lifecycle.lab.openstack.keystone.service import Keystone


def _unauthorized(message: str = "The request you have made requires authentication.") -> HttpError:
    err = keystone_fault(401, message)
    return err


def domain_of(keystone: Keystone, ref: dict[str, Any] | None) -> dict[str, Any] | None:
    if not ref:
        return None
    if ref.get("id"):
        return keystone.domains.get(ref["id"])
    return next((d for d in keystone.domains.values() if d["name"] == ref.get("name")), None)


def user_of(keystone: Keystone, ref: dict[str, Any]) -> dict[str, Any] | None:
    if ref.get("id"):
        return keystone.users.get(ref["id"])
    domain = domain_of(keystone, ref.get("domain"))
    if domain is None:
        return None
    return next(
        (
            u
            for u in keystone.users.values()
            if u["name"] == ref.get("name") and u["domain_id"] == domain["id"]
        ),
        None,
    )


def authenticate(keystone: Keystone, body: dict[str, Any]) -> Token:
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
    with keystone.lock:
        if "password" in methods:
            ref = (identity.get("password") or {}).get("user") or {}
            user = user_of(keystone, ref)
            if user is None or not hmac.compare_digest(
                keystone.passwords.get(user["id"], ""), str(ref.get("password", ""))
            ):
                raise _unauthorized()
            base: Token | None = None
        elif "token" in methods:
            base = keystone.check((identity.get("token") or {}).get("id"))
            if base is None:
                raise keystone_fault(404, "Could not find token.")
            user = keystone.users[base.user_id]
        else:
            raise _unauthorized()
        if not user.get("enabled", True):
            raise _unauthorized()
        scope = auth.get("scope")
        if scope is None and user.get("default_project_id") in keystone.projects:
            scope = {"project": {"id": user["default_project_id"]}}
        udom = keystone.domains[user["domain_id"]]
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
            expires=base.expires if base else now() + keystone.token_ttl,
        )
        if isinstance(scope, dict) and "project" in scope:
            pref = scope["project"] or {}
            project = keystone.projects.get(pref.get("id", "")) if pref.get("id") else None
            if project is None and pref.get("name"):
                dom = domain_of(keystone, pref.get("domain"))
                project = next(
                    (
                        p
                        for p in keystone.projects.values()
                        if p["name"] == pref["name"] and dom is not None and p["domain_id"] == dom["id"]
                    ),
                    None,
                )
            if project is None:
                raise _unauthorized(f"Could not find project: {pref.get('id') or pref.get('name')}.")
            token.roles = roles_of(keystone, user["id"], project["id"], None)
            if not token.roles:
                raise _unauthorized(f"User {user['id']} has no access to project {project['id']}")
            pdom = keystone.domains[project["domain_id"]]
            token.project = {
                "id": project["id"],
                "name": project["name"],
                "domain": {"id": pdom["id"], "name": pdom["name"]},
            }
        elif isinstance(scope, dict) and "domain" in scope:
            dom = domain_of(keystone, scope["domain"])
            if dom is None:
                raise _unauthorized(f"Could not find domain: {scope['domain']}.")
            token.roles = roles_of(keystone, user["id"], None, dom["id"])
            if not token.roles:
                raise _unauthorized(f"User {user['id']} has no access to domain {dom['id']}")
            token.domain = {"id": dom["id"], "name": dom["name"]}
        keystone.tokens[token.id] = token
        return token


def render(keystone: Keystone, token: Token, *, catalog: bool = True) -> dict[str, Any]:
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
        out["catalog"] = catalog_for(keystone, token)
    return {"token": out}


def register(keystone: Keystone) -> None:
    add = keystone.svc.router.add

    def tokens_post(req: Request) -> Response:
        data = req.json()
        token = authenticate(keystone, data if isinstance(data, dict) else {})
        nocatalog = req.arg("nocatalog") is not None
        return json_response(
            render(keystone, token, catalog=not nocatalog), 201, {"X-Subject-Token": token.id}
        )

    def tokens_get(req: Request) -> Response:
        keystone.need_token(req)
        subject = keystone.check(req.header("X-Subject-Token"))
        if subject is None:
            raise keystone_fault(404, f"Could not find token: {req.header('X-Subject-Token')}.")
        return json_response(
            render(keystone, subject, catalog=req.arg("nocatalog") is None),
            200,
            {"X-Subject-Token": subject.id},
        )

    def tokens_delete(req: Request) -> Response:
        keystone.need_token(req)
        with keystone.lock:
            if keystone.tokens.pop(req.header("X-Subject-Token") or "", None) is None:
                raise keystone_fault(404, f"Could not find token: {req.header('X-Subject-Token')}.")
        return empty()

    add("POST", V3 + r"/auth/tokens", tokens_post)
    add("GET", V3 + r"/auth/tokens", tokens_get)
    add("DELETE", V3 + r"/auth/tokens", tokens_delete)

    def auth_projects(req: Request) -> dict[str, Any]:
        tok = keystone.need_token(req)
        with keystone.lock:
            pids = {p for _, u, p, _ in keystone.assignments if u == tok.user_id and p}
            return {
                "projects": [keystone.project_view(keystone.projects[p]) for p in sorted(pids)],
                "links": keystone.links(req.path),
            }

    def auth_domains(req: Request) -> dict[str, Any]:
        tok = keystone.need_token(req)
        with keystone.lock:
            dids = {d for _, u, _, d in keystone.assignments if u == tok.user_id and d}
            return {
                "domains": [keystone.domain_view(keystone.domains[d]) for d in sorted(dids)],
                "links": keystone.links(req.path),
            }

    add("GET", V3 + r"/auth/projects", auth_projects)
    add("GET", V3 + r"/auth/domains", auth_domains)
