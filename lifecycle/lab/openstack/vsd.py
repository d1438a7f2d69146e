"""The Neutron Nuage plugin's REST client to the VSD, on the wire as its restproxy.py speaks:
``GET {url}/nuage/api/{version}/me`` with ``Authorization: Basic base64(user:password)`` and
``X-Nuage-Organization``, then ``Basic base64(user:APIKey)``; re-login once on 401; lists paged by
``X-Nuage-Count``; VSD errors raised with the VSD's own description (what the plugin shows users).

Example (it needs a VSD to answer)::

    vsd = VsdClient("https://127.0.0.1:8443", "csproot", "csproot", "csp", ca="ca.pem")
    vsd.get("/enterprises", filter="name IS 'IE1'")     # [{'ID': '...', 'name': 'IE1', ...}]
"""

from __future__ import annotations

import base64
import json
import threading
from collections import deque
from pathlib import Path
from typing import Any

import requests


class VsdError(Exception):
    """A VSD refusal: ``status`` (HTTP), ``code`` (internalErrorCode) and the VSD's description.

    ``status`` 0 is restproxy's error without a code (a failed login, a 401 on a POST): the
    plugin turns those into NuageAPIException (500), the others into NuageBadRequest (400)."""

    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class VsdClient:
    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        organization: str = "csp",
        *,
        ca: Path | str | None = None,
        version: str = "v6",
        timeout: float = 30.0,
    ):
        self.base = f"{url.rstrip('/')}/nuage/api/{version}"
        self.username, self.password, self.organization = username, password, organization
        self.session = requests.Session()
        # Per request, not on the session: requests lets REQUESTS_CA_BUNDLE override session.verify.
        self.verify: str | bool = str(ca) if ca else True
        self.timeout = timeout
        self._auth: str | None = None
        self._lock = threading.Lock()
        self.calls = 0
        # what was sent, for the tests that pin the plugin's sequence: (method, path, filter)
        self.sent: deque[tuple[str, str, str | None]] = deque(maxlen=2000)

    def _basic(self, secret: str) -> str:
        return "Basic " + base64.b64encode(f"{self.username}:{secret}".encode()).decode()

    def login(self) -> dict[str, Any]:
        """restproxy's generate_nuage_auth: any refusal is an error without a code."""
        resp = self._send("GET", "/me", self._basic(self.password), None, {})
        if resp.status_code >= 400 or not resp.content or not (resp.json() or [{}])[0].get("APIKey"):
            raise VsdError(
                0, "Could not authenticate with the VSD. Please check the credentials in the plugin config"
            )
        me = self._data(resp)[0]
        self._auth = self._basic(me["APIKey"])
        return me

    def _send(
        self, method: str, path: str, auth: str, body: Any, headers: dict[str, str]
    ) -> requests.Response:
        self.calls += 1
        self.sent.append((method, path, headers.get("X-Nuage-Filter")))
        hdrs = {
            "Content-Type": "application/json",
            "X-Nuage-Organization": self.organization,
            "Authorization": auth,
            **headers,
        }
        return self.session.request(
            method,
            self.base + path,
            data=json.dumps(body),
            headers=hdrs,
            timeout=self.timeout,
            verify=self.verify,
        )

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        with self._lock:
            if self._auth is None:
                self.login()
            auth = self._auth
        resp = self._send(method, path, str(auth), body, headers or {})
        if resp.status_code == 401:  # the APIKey expired: the plugin renews it and retries once
            with self._lock:
                self.login()
                auth = self._auth
            resp = self._send(method, path, str(auth), body, headers or {})
        return resp

    @staticmethod
    def _data(resp: requests.Response) -> list[dict[str, Any]]:
        if resp.status_code >= 400:
            try:
                err = resp.json()
                message = str(err["errors"][0]["descriptions"][0]["description"])
                code = str(err.get("internalErrorCode"))
            except (ValueError, KeyError, IndexError, TypeError):
                message, code = (
                    (
                        "No valid response received from Nuage VSD. Please do not perform any further "
                        "operations and contact the administrator."
                    ),
                    None,
                )
            raise VsdError(resp.status_code, message, code)
        if not resp.content:
            return []
        data = resp.json()
        return data if isinstance(data, list) else [data]

    # --- verbs ------------------------------------------------------------------------------------
    def get(
        self,
        path: str,
        *,
        filter: str | None = None,
        required: bool = False,
        headers: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        headers = dict(headers or {})
        if filter:
            headers.update({"X-Nuage-FilterType": "predicate", "X-Nuage-Filter": filter})
        resp = self.request("GET", path, None, headers)
        if resp.status_code == 404 and not required:
            return []
        out = self._data(resp)
        total = int(resp.headers.get("X-Nuage-Count", 0) or 0)
        size = len(out)
        page = 1
        while size and len(out) < total:
            more = self.request(
                "GET", path, None, {**headers, "X-Nuage-Page": str(page), "X-Nuage-PageSize": str(size)}
            )
            chunk = self._data(more)
            if not chunk:
                break
            out.extend(chunk)
            page += 1
        return out

    def get_one(self, path: str) -> dict[str, Any]:
        return self.get(path, required=True)[0]

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        resp = self.request("POST", path, body, headers)
        if resp.status_code == 401:  # restproxy.post: "probably a POST of VM but user is not in CMS group"
            raise VsdError(
                0,
                "Unauthorized to this VSD API. Please check the user credentials in plugin config "
                "belong to CMS group in VSD.",
            )
        return self._data(resp)[0]

    def put(self, path: str, body: Any) -> None:
        self._data(self.request("PUT", path, body))

    def delete(self, path: str, headers: dict[str, str] | None = None) -> None:
        resp = self.request("DELETE", path, None, headers)
        if resp.status_code != 404:
            self._data(resp)
