"""Keystone role assignments: a user's roles on a project or domain, granted, checked and revoked
by admins (``/v3/{projects,domains}/{id}/users/{user}/roles/{role}``), and
``/v3/role_assignments`` with its filters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response
from lifecycle.lab.openstack.api import empty, keystone_fault
from lifecycle.lab.openstack.keystone.common import V3

if TYPE_CHECKING:
    from lifecycle.lab.openstack.keystone.service import Keystone


def roles_of(
    keystone: Keystone, user_id: str, project_id: str | None, domain_id: str | None
) -> list[dict[str, str]]:
    ids = {r for r, u, p, d in keystone.assignments if u == user_id and p == project_id and d == domain_id}
    return [{"id": keystone.roles[r]["id"], "name": keystone.roles[r]["name"]} for r in sorted(ids)]


def grant_target(keystone: Keystone, req: Request) -> tuple[str | None, str | None]:
    kind, target = req.params["kind"], req.params["target"]
    table = keystone.projects if kind == "projects" else keystone.domains
    if target not in table:
        raise keystone_fault(404, f"Could not find {kind[:-1]}: {target}.")
    return (target, None) if kind == "projects" else (None, target)


def register(keystone: Keystone) -> None:
    add = keystone.svc.router.add

    grant_path = V3 + r"/(?P<kind>projects|domains)/(?P<target>[^/]+)/users/(?P<user>[^/]+)/roles"

    def grants_list(req: Request) -> dict[str, Any]:
        keystone.need_admin(req)
        p, d = grant_target(keystone, req)
        with keystone.lock:
            return {
                "roles": [
                    keystone.role_view(keystone.roles[r["id"]])
                    for r in roles_of(keystone, req.params["user"], p, d)
                ],
                "links": keystone.links(req.path),
            }

    def grant_put(req: Request) -> Response:
        keystone.need_admin(req)
        p, d = grant_target(keystone, req)
        role, user = req.params["role"], req.params["user"]
        with keystone.lock:
            if role not in keystone.roles:
                raise keystone_fault(404, f"Could not find role: {role}.")
            if user not in keystone.users:
                raise keystone_fault(404, f"Could not find user: {user}.")
            keystone.assignments.add((role, user, p, d))
        return empty()

    def grant_check(req: Request) -> Response:
        keystone.need_admin(req)
        p, d = grant_target(keystone, req)
        with keystone.lock:
            if (req.params["role"], req.params["user"], p, d) not in keystone.assignments:
                raise keystone_fault(
                    404,
                    f"Could not find role assignment with role: "
                    f"{req.params['role']}, user or group: {req.params['user']}, "
                    f"project, domain, or system: {p or d}.",
                )
        return empty()

    def grant_delete(req: Request) -> Response:
        grant_check(req)
        p, d = grant_target(keystone, req)
        with keystone.lock:
            keystone.assignments.discard((req.params["role"], req.params["user"], p, d))
        return empty()

    add("GET", grant_path, grants_list)
    add("PUT", grant_path + r"/(?P<role>[^/]+)", grant_put)
    add("GET", grant_path + r"/(?P<role>[^/]+)", grant_check)
    add("DELETE", grant_path + r"/(?P<role>[^/]+)", grant_delete)

    def role_assignments(req: Request) -> dict[str, Any]:
        keystone.need_admin(req)
        names = req.arg("include_names") is not None
        with keystone.lock:
            out = []
            for role, user, p, d in sorted(keystone.assignments, key=lambda a: tuple(x or "" for x in a)):
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
                    entry["role"]["name"] = keystone.roles[role]["name"]
                    entry["user"]["name"] = keystone.users[user]["name"]
                    key = "project" if p else "domain"
                    entry["scope"][key]["name"] = (keystone.projects[p] if p else keystone.domains[d or ""])[
                        "name"
                    ]
                entry["links"] = {
                    "assignment": f"{keystone.url}/v3/{'projects' if p else 'domains'}/"
                    f"{p or d}/users/{user}/roles/{role}"
                }
                out.append(entry)
            return {"role_assignments": out, "links": keystone.links(req.path)}

    add("GET", V3 + r"/role_assignments", role_assignments)
