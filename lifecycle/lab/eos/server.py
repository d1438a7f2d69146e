"""eAPI on the wire: one listener per transport (HTTPS, HTTP, unix socket) of a switch.

``POST /command-api`` takes JSON-RPC (see :mod:`lifecycle.lab.eos.eapi`) with HTTP Basic auth
checked against the switch's ``username`` lines (and the credentials it was created with);
``HEAD /command-api`` answers 200 (ANTA probes it before anything else); ``POST /login`` /
``/logout`` give the cookie sessions asynceapi's ``use_session_auth`` uses. The unix socket
needs no auth and accepts any path, as the local socket on EOS does.

A listener answers only while ``management api http-commands`` is enabled with its protocol
(connection closed otherwise, like a port nobody listens on); while the switch is down or
reloading it does not answer at all.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import EmulatorServer, Request, Response, json_response
from lifecycle.lab.eos.eapi import rpc_error, run_request

if TYPE_CHECKING:
    from lifecycle.lab.eos.switch import Switch

_UNAUTHORIZED = b"<html><body><h1>401 Unauthorized</h1>Unable to authenticate user</body></html>"
_UNAVAILABLE = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
_SESSIONS: dict[str, tuple[str, str]] = {}  # cookie -> (switch name, user)
_SESSIONS_LOCK = threading.Lock()


class EapiListener(EmulatorServer):
    def __init__(self, switch: Switch, transport: str, **kwargs: Any):
        super().__init__(f"{switch.name}-{transport}", component=switch.component, **kwargs)
        self.switch = switch
        self.transport = transport
        self._local = threading.local()

    def enabled(self) -> bool:
        sw = self.switch
        with sw.lock:
            api = sw.oper.view.api if sw.booted else None
        if api is None or not api.enabled:
            return False
        return {"https": api.https, "http": api.http, "unix": api.unix}[self.transport]

    def pick_fault(self, req: Request) -> str | None:
        if not self.switch.booted:
            return "timeout"
        if not self.enabled():
            return "reset"
        kind = super().pick_fault(req)
        if kind == "http5xx":  # answered in handle(): nginx's HTML page, not the base server's JSON
            self._local.http5xx = True
            return None
        return kind

    # -- requests ----------------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        if getattr(self._local, "http5xx", False):
            self._local.http5xx = False
            return Response(503, _UNAVAILABLE, {"Content-Type": "text/html"})
        path = req.path.rstrip("/") or "/"
        if self.transport == "unix":
            if req.method == "POST":
                return self._rpc(req)
            return Response(200, b"", {"Content-Type": "application/json"})
        if path == "/login" and req.method == "POST":
            return self._login(req)
        if path == "/logout" and req.method == "POST":
            cookie = _cookie(req)
            with _SESSIONS_LOCK:
                _SESSIONS.pop(cookie or "", None)
            return json_response({}, headers={"Set-Cookie": "Session=; Path=/; Max-Age=0"})
        if path == "/command-api":
            if not self._authorized(req):
                return Response(
                    401,
                    _UNAUTHORIZED,
                    {"Content-Type": "text/html", "WWW-Authenticate": 'Basic realm="Command API"'},
                )
            if req.method == "POST":
                return self._rpc(req)
            if req.method in ("HEAD", "GET"):
                return Response(200, b"", {"Content-Type": "application/json"})
            return Response(405, b"", {"Allow": "GET, HEAD, POST"})
        if path == "/" and req.method in ("GET", "HEAD"):
            return Response(
                200, b"<html><body>Command API Explorer</body></html>", {"Content-Type": "text/html"}
            )
        return Response(404, b"", {"Content-Type": "text/html"})

    def _rpc(self, req: Request) -> Response:
        try:
            payload = json.loads(req.body or b"null")
        except ValueError:
            return json_response(rpc_error(-32700, "Parse error", None))
        return json_response(run_request(self.switch, payload))

    def _authorized(self, req: Request) -> bool:
        cookie = _cookie(req)
        if cookie:
            with _SESSIONS_LOCK:
                owner = _SESSIONS.get(cookie)
            if owner and owner[0] == self.switch.name:
                return True
        header = req.header("authorization") or ""
        if not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        with self.switch.lock:
            return self.switch.authenticate(user, password)

    def _login(self, req: Request) -> Response:
        try:
            body = json.loads(req.body or b"{}")
            user, password = str(body["username"]), str(body["password"])
        except (ValueError, KeyError, TypeError):
            return Response(400, b"", {})
        with self.switch.lock:
            ok = self.switch.authenticate(user, password)
        if not ok:
            return Response(401, _UNAUTHORIZED, {"Content-Type": "text/html"})
        token = secrets.token_urlsafe(24)
        with _SESSIONS_LOCK:
            _SESSIONS[token] = (self.switch.name, user)
        return json_response(
            {"sessionId": token}, headers={"Set-Cookie": f"Session={token}; Path=/; HttpOnly"}
        )


def _cookie(req: Request) -> str | None:
    for part in (req.header("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "Session" and value:
            return value
    return None
