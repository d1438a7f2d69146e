"""Keystone's projects, users, roles and domains: list and show for any token holder, create,
update and delete for admins (Keystone's policy), and the projects a user has roles on."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import empty, hex_id, keystone_fault
from lifecycle.lab.openstack.keystone.common import DEFAULT_DOMAIN, ID, V3

if TYPE_CHECKING:
    from lifecycle.lab.openstack.keystone.service import Keystone


def crud(
    keystone: Keystone,
    plural: str,
    single: str,
    table: dict[str, dict[str, Any]],
    render: Any,
    filters: tuple[str, ...],
) -> None:
    """GET list/one for any token holder; POST/PATCH/DELETE for admins (Keystone's policy)."""
    add = keystone.svc.router.add
    base = V3 + "/" + plural

    def one(rid: str) -> dict[str, Any]:
        rec = table.get(rid)
        if rec is None:
            raise keystone_fault(404, f"Could not find {single}: {rid}.")
        return rec

    def list_(req: Request) -> dict[str, Any]:
        keystone.need_token(req)
        with keystone.lock:
            items = [render(r) for r in table.values()]
        for f in filters:
            want = req.arg(f)
            if want is not None:
                items = [i for i in items if _same(i.get(f), want)]
        return {plural: items, "links": keystone.links(req.path)}

    def get(req: Request) -> dict[str, Any]:
        keystone.need_token(req)
        with keystone.lock:
            return {single: render(one(req.params["id"]))}

    def create(req: Request) -> Response:
        keystone.need_admin(req)
        data = req.json()
        body = data.get(single) if isinstance(data, dict) else None
        if not isinstance(body, dict) or not body.get("name"):
            raise keystone_fault(400, f"Invalid input for field '{single}': 'name' is a required property")
        with keystone.lock:
            domain_id = body.get("domain_id", DEFAULT_DOMAIN if single in ("project", "user") else None)
            if any(r["name"] == body["name"] and r.get("domain_id") == domain_id for r in table.values()):
                raise keystone_fault(
                    409,
                    f"Conflict occurred attempting to store {single} - Duplicate "
                    f"entry found with name {body['name']}.",
                )
            if single == "project":
                rec = keystone.create_project(body["name"], domain_id, body.get("description") or "")
            elif single == "user":
                rec = keystone.create_user(
                    body["name"],
                    body.get("password") or secrets.token_hex(8),
                    domain_id,
                    body.get("default_project_id"),
                )
            elif single == "role":
                rec = keystone.create_role(body["name"])
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
        keystone.need_admin(req)
        data = req.json()
        body = data.get(single) if isinstance(data, dict) else None
        if not isinstance(body, dict):
            raise keystone_fault(400, f"Invalid input for field '{single}'.")
        with keystone.lock:
            rec = one(req.params["id"])
            for k, v in body.items():
                if k == "password" and single == "user":
                    keystone.passwords[rec["id"]] = str(v)
                elif k != "id":
                    rec[k] = v
            return {single: render(rec)}

    def delete(req: Request) -> Response:
        keystone.need_admin(req)
        with keystone.lock:
            rid = one(req.params["id"])["id"]
            del table[rid]
            keystone.assignments = {a for a in keystone.assignments if rid not in a}
        return empty()

    add("GET", base, list_)
    add("POST", base, create)
    add("GET", f"{base}/{ID}", get)
    add("PATCH", f"{base}/{ID}", update)
    add("DELETE", f"{base}/{ID}", delete)


def register(keystone: Keystone) -> None:
    add = keystone.svc.router.add

    crud(
        keystone,
        "projects",
        "project",
        keystone.projects,
        keystone.project_view,
        filters=("name", "domain_id", "enabled", "parent_id", "is_domain"),
    )
    crud(
        keystone,
        "users",
        "user",
        keystone.users,
        keystone.user_view,
        filters=("name", "domain_id", "enabled"),
    )
    crud(keystone, "roles", "role", keystone.roles, keystone.role_view, filters=("name", "domain_id"))
    crud(keystone, "domains", "domain", keystone.domains, keystone.domain_view, filters=("name", "enabled"))

    def user_projects(req: Request) -> dict[str, Any]:
        tok = keystone.need_token(req)
        uid = req.params["id"]
        if uid != tok.user_id and "admin" not in tok:
            raise keystone_fault(
                403,
                "You are not authorized to perform the requested action: identity:list_user_projects.",
            )
        with keystone.lock:
            pids = {p for _, u, p, _ in keystone.assignments if u == uid and p}
            return {
                "projects": [keystone.project_view(keystone.projects[p]) for p in sorted(pids)],
                "links": keystone.links(req.path),
            }

    add("GET", V3 + rf"/users/{ID}/projects", user_projects)


def _same(value: Any, query: str) -> bool:
    if isinstance(value, bool):
        return str(value).lower() == query.lower()
    return value == query
