"""Version, login sessions, tasks, and the read-only catalogues (server hardware types, firmware
drivers, enclosure groups)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, Router
from lifecycle.lab.oneview.errors import OneViewError, not_found
from lifecycle.lab.oneview.resources.common import read_routes

if TYPE_CHECKING:
    from lifecycle.lab.oneview.emulator import OneViewEmulator

_ID = r"(?P<id>[^/]+)"


def register(router: Router, emu: OneViewEmulator) -> None:
    @router.route("GET", r"/rest/version")
    def version(req: Request) -> dict[str, Any]:
        return {"currentVersion": emu.max_api, "minimumVersion": emu.min_api}

    @router.route("POST", r"/rest/login-sessions")
    def login(req: Request) -> dict[str, Any]:
        body = emu.body(req)
        user, password = body.get("userName"), body.get("password")
        if not isinstance(user, str) or user.lower() != emu.username.lower() or password != emu.password:
            raise OneViewError(401, "AUTHN_AUTH_FAIL", "Invalid user name or password.",
                               "The user name or password is incorrect, or the account is disabled.",
                               actions=["Enter correct credentials and try again."])
        token = secrets.token_urlsafe(36)
        with emu.lock:
            emu.sessions[token] = user
        return {"sessionID": token, "partnerData": {}}

    @router.route("PUT", r"/rest/login-sessions")
    def reconnect(req: Request) -> dict[str, Any]:
        # hpOneView's login with credentials {"sessionID": ...}: reuse a session it already holds.
        token = req.header("auth") or ""
        with emu.lock:
            if token not in emu.sessions:
                raise OneViewError(401, "AUTHN_AUTH_FAIL", "The session is not valid or has expired.",
                                   actions=["Log in with a user name and password."])
        return {"sessionID": token, "partnerData": {}}

    @router.route("DELETE", r"/rest/login-sessions")
    def logout(req: Request) -> Response:
        with emu.lock:
            emu.sessions.pop(req.header("auth") or "", None)
        return Response(204)

    @router.route("GET", r"/rest/tasks")
    def tasks(req: Request) -> dict[str, Any]:
        api = emu.api(req)
        with emu.lock:
            members = [t.to_json(api) for t in emu.runner.tasks.values()]
        return emu.collection(req, "tasks", members)

    @router.route("GET", rf"/rest/tasks/{_ID}")
    def task(req: Request) -> dict[str, Any]:
        api = emu.api(req)
        with emu.lock:
            t = emu.runner.tasks.get(req.params["id"])
            if t is None:
                raise not_found(req.path)
            return t.to_json(api)

    read_routes(router, emu, "/rest/server-hardware-types", emu.shts, "server-hardware-types")
    read_routes(router, emu, "/rest/firmware-drivers", emu.baselines, "firmware-drivers")
    read_routes(router, emu, "/rest/enclosure-groups", emu.enclosure_groups, "enclosure-groups")
