"""A NITRO REST session to one NetScaler, over ``requests``, as the NetScaler Ansible collection
speaks it (the NITRO Python SDK is no longer published).

- ``auth="session"``: ``POST /nitro/v1/config/login`` once; the appliance answers with the
  ``NITRO_AUTH_TOKEN`` cookie, sent back on every request; an expired session (HTTP 401, errorcode
  444) is logged in again once and the request repeated; ``close()`` logs out.
- ``auth="headers"``: ``X-NITRO-USER``/``X-NITRO-PASS`` on every request, no session.
- TLS: certificate chain and hostname verified (``verify`` is a CA bundle path or True for the
  system store); False only when the endpoints file acknowledges it (:class:`Tls`).
- At most ``connections`` HTTP connections: further requests wait for one (``pool_block``).

Writes of many objects of one type go in one request where NITRO takes an array body (adds,
binds, ``action=enable|disable``, and unbinds as ``POST <binding>?action=unbind``: the NITRO SDK's
bulk delete of a binding type), with ``X-NITRO-ONERROR: continue``: a partial failure is answered
207 with one envelope per object, in order (:meth:`Nitro.bulk`; the sources are cited in
docs/loadbalancer.md, "Bulk requests"). :mod:`.writes` lets the steps of a wave share them.

Reads take ``filter=`` (``name:value`` pairs), ``attrs=`` and ``count=yes``, and a binding type's
every object at once ``bulkbindings=yes`` (NetScaler 11.1 on); unbinds and deletes
take ``args=`` (``name:value`` pairs, values URL-encoded). Names in a path are URL-encoded.

>>> resource_path("lbvserver", "vs web/1")
'/nitro/v1/config/lbvserver/vs%20web%2F1'
>>> pairs({"ip": "10.0.0.5", "port": 80, "servername": "a,b"})
'ip:10.0.0.5,port:80,servername:a%2Cb'
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from lifecycle.loadbalancer.errors import (
    ALREADY_EXISTS,
    INVALID_CREDENTIALS,
    NO_SUCH_RESOURCE,
    NitroError,
    NitroResult,
    bulk_results,
    error_from,
)
from lifecycle.model.endpoints_lb import NetScaler
from lifecycle.redact import redact

CONFIG = "/nitro/v1/config"
JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def resource_path(rtype: str, name: str | None = None) -> str:
    """``/nitro/v1/config/<type>[/<name>]``, the name URL-encoded (``/`` included)."""
    return f"{CONFIG}/{rtype}" + (f"/{quote(str(name), safe='')}" if name is not None else "")


def pairs(values: Mapping[str, Any]) -> str:
    """NITRO's ``filter=``/``args=`` value: ``k:v,k:v``, each value URL-encoded so that a ``,`` or
    ``:`` in it is data, the separators literal (the query is sent as built, not re-encoded)."""
    return ",".join(f"{k}:{quote(str(v), safe='')}" for k, v in values.items())


def query(params: Mapping[str, str] | None) -> str:
    """``?k=v&...`` as NITRO reads it: values already encoded by :func:`pairs` (or plain words).

    >>> query({"args": pairs({"ip": "10.0.0.5", "port": 80})})
    '?args=ip:10.0.0.5,port:80'
    """
    return "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""


class Nitro:
    """One appliance's NITRO API. Thread-safe: steps running at once share it."""

    def __init__(self, url: str, username: str, password: str, *, verify: bool | str = True,
                 auth: str = "session", timeout: float = 30.0, connections: int = 4,
                 session_timeout: int | None = None):
        self.url = url.rstrip("/")
        self.username = username
        self._password = password
        self.verify = verify  # per request: REQUESTS_CA_BUNDLE would override a session's verify
        self.auth = auth
        self.timeout = timeout
        self.session_timeout = session_timeout
        self.http = requests.Session()
        pool = HTTPAdapter(pool_connections=1, pool_maxsize=connections, pool_block=True, max_retries=0)
        self.http.mount("https://", pool)
        self.http.mount("http://", pool)
        self._login_lock = threading.Lock()
        self._token: str | None = None
        self.calls = 0  # NITRO requests sent (logins included): the upgrade's call budget counts them

    @classmethod
    def from_endpoint(cls, ns: NetScaler, password: str, base_dir: Path | None = None) -> Nitro:
        verify: bool | str = True
        if ns.ca_file:
            p = Path(ns.ca_file).expanduser()
            verify = str(p if p.is_absolute() or base_dir is None else base_dir / p)
        return cls(ns.url, ns.username, password, verify=verify if ns.verify else False, auth=ns.auth,
                   timeout=ns.timeout, connections=ns.connections, session_timeout=ns.session_timeout)

    # -- transport -------------------------------------------------------------------------------

    def _send(self, method: str, path: str, params: Mapping[str, str] | None, body: Any,
              headers: Mapping[str, str]) -> requests.Response:
        what = f"{method} {path.removeprefix(CONFIG + '/')}"
        self.calls += 1
        try:
            return self.http.request(method, f"{self.url}{path}{query(params)}", json=body,
                                     headers={**JSON, **headers}, verify=self.verify,
                                     timeout=self.timeout, allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            # a certificate problem does not fix itself: permanent, and says which check failed
            raise NitroError(f"{what}: TLS to {self.url} refused: {exc}", transient=False) from None
        except requests.RequestException as exc:
            raise NitroError(f"{what}: {self.url} unreachable: {type(exc).__name__}: {exc}",
                             transient=True) from None

    def _auth_headers(self) -> dict[str, str]:
        if self.auth == "headers":
            return {"X-NITRO-USER": self.username, "X-NITRO-PASS": self._password}
        return {"Cookie": f"NITRO_AUTH_TOKEN={self._token}"} if self._token else {}

    def login(self) -> None:
        """Start a session (``auth="session"``); a no-op with header authentication."""
        if self.auth == "headers":
            return
        with self._login_lock:
            self._login()

    def _login(self) -> None:
        body: dict[str, Any] = {"username": self.username, "password": self._password}
        if self.session_timeout:
            body["timeout"] = self.session_timeout
        resp = self._send("POST", f"{CONFIG}/login", None, {"login": body}, {})
        data = _json(resp)
        if resp.status_code not in (200, 201) or (isinstance(data, dict) and data.get("errorcode", 0) != 0):
            raise error_from(resp.status_code, data, f"POST login as {self.username}")
        token = resp.cookies.get("NITRO_AUTH_TOKEN") or (data or {}).get("sessionid")
        if not token:
            raise NitroError(f"POST login as {self.username}: no session in the answer", transient=False)
        self._token = str(token)
        self.http.cookies.clear()  # the token travels in our own header; one source of truth

    def close(self) -> None:
        """Log out (best effort: the session expires anyway) and drop the connections."""
        token, self._token = self._token, None
        if token and self.auth == "session":
            # an appliance gone or unreachable at exit is no reason to fail what was done
            with contextlib.suppress(NitroError, OSError):
                self._send("POST", f"{CONFIG}/logout", None, {"logout": {}},
                           {"Cookie": f"NITRO_AUTH_TOKEN={token}"})
        self.http.close()

    def __enter__(self) -> Nitro:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _exchange(self, method: str, path: str, params: Mapping[str, str] | None, body: Any,
                  headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
        """Send one request (logging in again once if the session ended); its status and JSON."""
        if self.auth == "session" and self._token is None:
            self.login()
        sent_with = self._token
        resp = self._send(method, path, params, body, {**self._auth_headers(), **(headers or {})})
        data = _json(resp)
        if resp.status_code == 401 and self.auth == "session" and _code(data) != INVALID_CREDENTIALS:
            # the session expired or was killed (444): the request was not run, so log in
            # again (once, whichever thread gets here first) and send it again
            with self._login_lock:
                if self._token == sent_with:
                    self._login()
            resp = self._send(method, path, params, body, {**self._auth_headers(), **(headers or {})})
            data = _json(resp)
        return resp.status_code, data

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                body: Any = None) -> Any:
        """Send one request; the answer's JSON, or :class:`NitroError` from its envelope."""
        status, data = self._exchange(method, path, params, body)
        if status in (200, 201) and _code(data) in (None, 0):
            return data if isinstance(data, dict) else {}
        raise error_from(status, data, f"{method} {path.removeprefix(CONFIG + '/')}")

    def bulk(self, method: str, rtype: str, objs: list[Mapping[str, Any]], *,
             params: Mapping[str, str] | None = None) -> list[NitroResult]:
        """One request for many objects of ``rtype`` (an array body; ``X-NITRO-ONERROR:
        continue``: every object is tried). Each object's outcome, in the order sent: all
        successes on 200/201, NITRO's per-object envelopes on 207. Any other answer raises."""
        if not objs:
            return []
        status, data = self._exchange(method, resource_path(rtype), params, {rtype: [dict(o) for o in objs]},
                                      {"X-NITRO-ONERROR": "continue"})
        what = f"{method} {rtype}" + (f"?action={params['action']}" if params and "action" in params else "")
        if status in (200, 201) and _code(data) in (None, 0):
            return [NitroResult(0, "Done", "NONE") for _ in objs]
        items = bulk_results(data) if status == 207 else []
        if len(items) != len(objs):  # not per object: the request as a whole failed
            raise error_from(status, data, f"{what} ({len(objs)} objects)")
        return items

    def checked(self, what: str, objs: list[Mapping[str, Any]], results: list[NitroResult], *,
                ok: frozenset[int] = frozenset()) -> list[bool]:
        """Per object: True done, False when its errorcode is one of ``ok`` (273 for a bind:
        already bound, so done by someone before). Any other failure raises one
        :class:`NitroError` naming each failed object (the others were done: ``continue``)."""
        failed = [(o, r) for o, r in zip(objs, results, strict=True) if not r.ok and r.errorcode not in ok]
        if failed:
            text = "; ".join(f"{pairs(o)}: NITRO {r.errorcode} {redact(r.message)}" for o, r in failed)
            raise NitroError(f"{what}: {len(failed)} of {len(objs)} failed: {text}",
                             errorcode=failed[0][1].errorcode, http_status=207, items=results)
        return [r.ok for r in results]

    # -- NITRO operations ------------------------------------------------------------------------

    def get(self, rtype: str, name: str | None = None, *, filter: Mapping[str, Any] | None = None,
            attrs: list[str] | None = None, bulk: bool = False) -> list[dict[str, Any]]:
        """Objects of ``rtype`` (one name, or all matching ``filter``); a binding type with a
        name gives that object's bindings, ``bulk`` every object's. An empty list when there are
        none; 258 raises."""
        params: dict[str, str] = {"bulkbindings": "yes"} if bulk else {}
        if filter:
            params["filter"] = pairs(filter)
        if attrs:
            params["attrs"] = ",".join(quote(a, safe="") for a in attrs)
        data = self.request("GET", resource_path(rtype, name), params=params or None)
        found = data.get(rtype, [])
        return [o for o in (found if isinstance(found, list) else [found]) if isinstance(o, dict)]

    def get_one(self, rtype: str, name: str, *, attrs: list[str] | None = None) -> dict[str, Any] | None:
        """The named object, or None when NITRO says there is no such resource (258)."""
        try:
            found = self.get(rtype, name, attrs=attrs)
        except NitroError as exc:
            if exc.absent:
                return None
            raise
        return found[0] if found else None

    def count(self, rtype: str, *, filter: Mapping[str, Any] | None = None) -> int:
        params = {"count": "yes", **({"filter": pairs(filter)} if filter else {})}
        data = self.request("GET", resource_path(rtype), params=params)
        found = data.get(rtype) or [{}]
        return int(found[0].get("__count", 0))

    def add(self, rtype: str, obj: Mapping[str, Any]) -> bool:
        """Create; False when it already existed (273): the caller compares what exists."""
        try:
            self.request("POST", resource_path(rtype), body={rtype: dict(obj)})
        except NitroError as exc:
            if exc.errorcode == ALREADY_EXISTS:
                return False
            raise
        return True

    def update(self, rtype: str, obj: Mapping[str, Any]) -> None:
        self.request("PUT", resource_path(rtype), body={rtype: dict(obj)})

    def delete(self, rtype: str, name: str, *, args: Mapping[str, Any] | None = None) -> None:
        self.request("DELETE", resource_path(rtype, name), params={"args": pairs(args)} if args else None)

    def bind_many(self, binding: str, objs: list[Mapping[str, Any]]) -> list[bool]:
        """Bind several in one request (NITRO's bulk bind: PUT with an array). Per object: True
        bound now, False already bound (273). Other per-object failures raise, naming each."""
        objs = list(objs)
        return self.checked(f"PUT {binding}", objs, self.bulk("PUT", binding, objs),
                            ok=frozenset({ALREADY_EXISTS}))

    def action_many(self, rtype: str, action: str, objs: list[Mapping[str, Any]]) -> None:
        """``POST <type>?action=<action>`` for several objects in one request (NITRO's bulk
        action, as in the reference's bulk ``enable``); any object's failure raises, naming it."""
        objs = list(objs)
        results = self.bulk("POST", rtype, objs, params={"action": action})
        self.checked(f"POST {rtype}?action={action}", objs, results)

    def unbind_many(self, binding: str, objs: list[Mapping[str, Any]]) -> list[bool]:
        """Unbind several in one request: ``POST <binding>?action=unbind`` with an array (what the
        NITRO SDK's bulk delete of a ``_binding`` type sends). Per object: True unbound now, False
        not bound (258: unbound before, as wanted). Other per-object failures raise, naming each."""
        objs = list(objs)
        return self.checked(f"POST {binding}?action=unbind", objs,
                            self.bulk("POST", binding, objs, params={"action": "unbind"}),
                            ok=frozenset({NO_SUCH_RESOURCE}))

    def bind(self, binding: str, obj: Mapping[str, Any], *, method: str = "PUT") -> bool:
        """Bind (``<a>_<b>_binding``); PUT as the NITRO reference shows, POST also accepted.
        False when the binding was already there (273)."""
        try:
            self.request(method, resource_path(binding), body={binding: dict(obj)})
        except NitroError as exc:
            if exc.errorcode == ALREADY_EXISTS:
                return False
            raise
        return True

    def unbind(self, binding: str, name: str, args: Mapping[str, Any]) -> bool:
        """Unbind; False when it was not bound (258)."""
        try:
            self.delete(binding, name, args=args)
        except NitroError as exc:
            if exc.absent:
                return False
            raise
        return True

    def action(self, rtype: str, action: str, obj: Mapping[str, Any]) -> None:
        """``POST <type>?action=<enable|disable|...>`` with the object's identifying fields."""
        self.request("POST", resource_path(rtype), params={"action": action}, body={rtype: dict(obj)})


def _json(resp: requests.Response) -> Any:
    try:
        return resp.json() if resp.content else None
    except ValueError:
        return None


def _code(data: Any) -> int | None:
    try:
        return int(data["errorcode"]) if isinstance(data, dict) and "errorcode" in data else None
    except (TypeError, ValueError):
        return None


__all__ = ["CONFIG", "Nitro", "NitroError", "pairs", "query", "resource_path"]
