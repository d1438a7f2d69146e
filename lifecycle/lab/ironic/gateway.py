"""The release gateway: what makes one twin undercloud's real Ironic 39 play an older release.

An HTTPS reverse proxy (the lab's CA, 127.0.0.1) in front of the backend Ironic, and, for a
release with ironic-inspector (Train), a second listener in front of the backend inspector.
For each request it does what that release's services did, in their order:

- **Keystone** (keystonemiddleware): a valid ``X-Auth-Token`` of the undercloud's Keystone, checked
  in-process; else keystonemiddleware's 401 with ``WWW-Authenticate: Keystone uri=...``. Open like
  upstream: Ironic's ``acl_public_routes`` (``/``, ``/v1``, ``/v1/lookup``, ``/v1/heartbeat/<id>``,
  ``/v1/continue_inspection``) and inspector's ``is_public_api`` ones (``GET /``, ``GET /v1``,
  ``POST /v1/continue``). Inspector checks the version before the token, Ironic after.
- **API range**: ``X-OpenStack-Ironic-API-Version`` (or ``OpenStack-API-Version: baremetal X``)
  above the release's maximum gets Ironic's own 406: the gateway asks the backend the same
  request at a version no Ironic serves and hands back that answer with the requested version
  and the release's range written in, so body and headers are byte-for-byte Ironic's.
  ``latest`` means the release's maximum (Ironic resolves it to its own). The version documents
  and the min/max headers of every answer show the release's range. Inspector alike
  (``X-OpenStack-Ironic-Inspector-API-Version``; no header means its current version).
- **What the release lacked** below its maximum (:mod:`lifecycle.lab.ironic.gateway_rules`).
- **A log**: one JSON line per request in ``api-versions.jsonl`` (method, path, service, the
  version asked, the status; a provision state change also its ``target``), for tests that
  prove no request exceeded the release and which inspection path a run took.

The backend sees ``X-Forwarded-Proto/Host/Port``, so its links name the gateway (Ironic needs
``[oslo_middleware] enable_proxy_headers_parsing``: :data:`BACKEND_CONF`).

Example (a running backend Ironic and the undercloud's Keystone)::

    gw = ReleaseGateway("uc-new", ironic_release("train"), ironic_url=ironic.url, tls=tls,
                        check_token=keystone.check, keystone_url=keystone.url,
                        log_path=workdir / "api-versions.jsonl").start()
    gw.url   # 'https://127.0.0.1:41234'
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

from lifecycle.lab.base import EmulatorServer, Request, Response, TlsFiles
from lifecycle.lab.ironic.backend import HOP_BY_HOP, BackendPool
from lifecycle.lab.ironic.gateway_rules import ReleaseRules
from lifecycle.lab.ironic.releases import IronicRelease, Version, fmt, parse

IRONIC_VERSION = "X-OpenStack-Ironic-API-Version"
IRONIC_MIN, IRONIC_MAX = "X-OpenStack-Ironic-API-Minimum-Version", "X-OpenStack-Ironic-API-Maximum-Version"
INSPECTOR_VERSION = "X-OpenStack-Ironic-Inspector-API-Version"
INSPECTOR_MIN = "X-OpenStack-Ironic-Inspector-API-Minimum-Version"
INSPECTOR_MAX = "X-OpenStack-Ironic-Inspector-API-Maximum-Version"
SENTINEL = "1.99999"  # a version no backend serves: its 406 is the template of the release's
BACKEND_CONF = {"oslo_middleware": {"enable_proxy_headers_parsing": True}}

# ironic/api/config.py acl_public_routes, matched as AuthPublicRoutes does (rstrip "/").
_IRONIC_PUBLIC = re.compile(r"(/|/v1|/v1/lookup|/v1/heartbeat/[a-z0-9\-]+|/v1/continue_inspection)"
                            r"(\.json|\.xml)?$")
_KEYSTONE_401 = json.dumps({"error": {"code": 401, "title": "Unauthorized", "message":
                                      "The request you have made requires authentication."}}).encode()
_INSPECTOR_401 = b'{"error":{"message":"Authentication required"}}\n'


class _Listener(EmulatorServer):
    def __init__(self, gateway: ReleaseGateway, service: str, tls: TlsFiles):
        super().__init__(f"gateway-{gateway.name}-{service}", component=f"gateway-{service}", tls=tls)
        self.gateway, self.service = gateway, service

    def handle(self, req: Request) -> Response:
        return self.gateway.handle(self, req)


class ReleaseGateway:
    def __init__(self, name: str, release: IronicRelease, *, ironic_url: str, tls: TlsFiles,
                 check_token: Callable[[str | None], object], keystone_url: str, log_path: Path,
                 inspector_url: str | None = None):
        self.name = name
        self.release = release
        self.check_token = check_token
        self.keystone_url = keystone_url
        self.log_path = Path(log_path)
        self.ironic_backend = BackendPool(ironic_url)
        self.inspector_backend = BackendPool(inspector_url) if inspector_url else None
        self.ironic = _Listener(self, "ironic", tls)
        self.inspector = _Listener(self, "inspector", tls) if inspector_url else None
        self.backend_max: dict[str, Version] = {}
        self.rules = ReleaseRules(release)
        self._log_lock = threading.Lock()
        self._log = None

    @property
    def url(self) -> str:
        return self.ironic.url

    @property
    def inspector_public_url(self) -> str | None:
        return self.inspector.url if self.inspector else None

    def start(self) -> ReleaseGateway:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("a", buffering=1)  # open while serving
        self.backend_max["ironic"] = self._probe_max(self.ironic_backend, IRONIC_MAX)
        if self.release.current:  # "current" plays the backend's own range
            self.release = replace(self.release, api_max=self.backend_max["ironic"])
            self.rules = ReleaseRules(self.release)
        self.ironic.start()
        if self.inspector and self.inspector_backend:
            self.backend_max["inspector"] = self._probe_max(self.inspector_backend, INSPECTOR_MAX)
            self.inspector.start()
        return self

    def stop(self) -> None:
        for listener in (self.ironic, self.inspector):
            if listener:
                listener.stop()
        for pool in (self.ironic_backend, self.inspector_backend):
            if pool:
                pool.close()
        if self._log:
            self._log.close()

    @staticmethod
    def _probe_max(pool: BackendPool, header: str) -> Version:
        _, headers, _ = pool.request("GET", "/", b"", {})
        value = next((v for k, v in headers if k.lower() == header.lower()), "")
        version = parse(value)
        if version is None:
            raise RuntimeError(f"backend {pool.url} sent no {header} header")
        return version

    # -- per request -------------------------------------------------------------------------

    def handle(self, listener: _Listener, req: Request) -> Response:
        if listener.service == "ironic":
            resp, asked = self._ironic(listener, req)
        else:
            resp, asked = self._inspector(listener, req)
        record = {"t": round(time.time(), 3), "method": req.method, "path": req.path,
                  "service": listener.service, "version": asked, "status": resp.status}
        if req.method == "PUT" and req.path.rstrip("/").endswith("/states/provision"):
            record["target"] = _provision_target(req.body)
        with self._log_lock:
            if self._log:
                self._log.write(json.dumps(record) + "\n")
        return resp

    def _forward(self, listener: _Listener, pool: BackendPool, req: Request, headers: dict[str, str],
                 body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        target = req.path + (f"?{urlencode(req.query, doseq=True)}" if req.query else "")
        status, raw_headers, data = pool.request(req.method, target,
                                                 req.body if body is None else body, headers)
        out = {k: v for k, v in raw_headers if k.lower() not in HOP_BY_HOP}
        return status, out, data

    def _headers(self, listener: _Listener, req: Request) -> dict[str, str]:
        # lower-case names, as the Request has them: one key per header, never two
        out = {k: v for k, v in req.headers.items() if k not in HOP_BY_HOP}
        out.update({"x-forwarded-proto": "https", "x-forwarded-host": f"{listener.host}:{listener.port}",
                    "x-forwarded-port": str(listener.port)})
        return out

    # -- Ironic --------------------------------------------------------------------------------

    def _ironic(self, listener: _Listener, req: Request) -> tuple[Response, str | None]:
        rel = self.release
        public = _IRONIC_PUBLIC.match(req.path.rstrip("/") or "/")
        raw = _asked_baremetal(req)
        if not public and not self.check_token(req.header("x-auth-token")):
            return _unauthorized(_KEYSTONE_401, "application/json; charset=UTF-8", self.keystone_url), raw
        headers = self._headers(listener, req)
        version = rel.api_max if raw is not None and raw.strip().lower() == "latest" else (
            parse(raw) if raw is not None else None)
        asked = fmt(version) if version else raw
        if version is not None:
            if version[0] == 1 and not rel.api_min <= version <= rel.api_max:
                return self._ironic_406(listener, req, headers, version), asked
            headers[IRONIC_VERSION.lower()] = fmt(version)
            if "openstack-api-version" in headers:
                headers["openstack-api-version"] = f"baremetal {fmt(version)}"
        body = None
        if self.rules.active:
            refusal, body = self.rules.request(req, version or rel.api_min)
            if refusal is not None:
                return refusal, asked
        status, out, data = self._forward(listener, self.ironic_backend, req, headers, body)
        data = self._ironic_answer(req, status, out, data)
        return Response(status, data, out), asked

    def _ironic_406(self, listener: _Listener, req: Request, headers: dict[str, str],
                    version: Version) -> Response:
        headers[IRONIC_VERSION.lower()] = SENTINEL
        headers.pop("openstack-api-version", None)
        status, out, data = self._forward(listener, self.ironic_backend, req, headers)
        data = data.replace(f"Version {SENTINEL} ".encode(), f"Version {fmt(version)} ".encode())
        return Response(status, self._ironic_answer(req, status, out, data), out)

    def _ironic_answer(self, req: Request, status: int, headers: dict[str, str], data: bytes) -> bytes:
        rel, top = self.release, self.backend_max["ironic"]
        for k in headers:
            if k.lower() == IRONIC_MIN.lower():
                headers[k] = fmt(rel.api_min)
            elif k.lower() == IRONIC_MAX.lower():
                headers[k] = fmt(rel.api_max)
        if status == 406:
            data = data.replace(f"[1.1, {fmt(top)}]".encode(),
                                f"[{fmt(rel.api_min)}, {fmt(rel.api_max)}]".encode())
        elif status == 200 and req.path.rstrip("/") in ("", "/v1"):
            doc = json.loads(data)
            for v in [doc.get("default_version"), doc.get("version"), *doc.get("versions", [])]:
                if isinstance(v, dict) and "version" in v:
                    v.update(min_version=fmt(rel.api_min), version=fmt(rel.api_max))
            data = json.dumps(doc).encode()
        if self.rules.active:
            data = self.rules.response(req, data)
        return data

    # -- ironic-inspector ----------------------------------------------------------------------

    def _inspector(self, listener: _Listener, req: Request) -> tuple[Response, str | None]:
        rel, pool = self.release, self.inspector_backend
        assert pool is not None and rel.inspector_max is not None
        top = rel.inspector_max
        raw = req.header(INSPECTOR_VERSION)
        version = top if raw is None or raw.strip().lower() == "latest" else parse(raw)
        asked = fmt(version) if version else raw
        headers = self._headers(listener, req)
        if version is not None and not rel.inspector_min <= version <= top:
            headers[INSPECTOR_VERSION.lower()] = SENTINEL
            status, out, data = self._forward(listener, pool, req, headers)
            data = data.replace(f"version {SENTINEL},".encode(), f"version {fmt(version)},".encode())
            return Response(status, self._inspector_answer(req, status, out, data), out), asked
        public = (req.method == "GET" and re.fullmatch(r"/(v\d+/?)?", req.path) is not None) or (
            req.method == "POST" and req.path.rstrip("/") == "/v1/continue")
        if not public and not self.check_token(req.header("x-auth-token")):
            resp = _unauthorized(_INSPECTOR_401, "application/json", self.keystone_url)
            resp.headers.update({INSPECTOR_MIN: fmt(rel.inspector_min), INSPECTOR_MAX: fmt(top)})
            return resp, asked
        if version is not None:
            headers[INSPECTOR_VERSION.lower()] = fmt(version)
        status, out, data = self._forward(listener, pool, req, headers)
        return Response(status, self._inspector_answer(req, status, out, data), out), asked

    def _inspector_answer(self, req: Request, status: int, headers: dict[str, str], data: bytes) -> bytes:
        rel, top = self.release, self.backend_max["inspector"]
        assert rel.inspector_max is not None
        for k in headers:
            if k.lower() == INSPECTOR_MIN.lower():
                headers[k] = fmt(rel.inspector_min)
            elif k.lower() == INSPECTOR_MAX.lower():
                headers[k] = fmt(rel.inspector_max)
        if status == 406:
            data = data.replace(f"to {fmt(top)}".encode(), f"to {fmt(rel.inspector_max)}".encode())
        elif status == 200 and req.method == "GET" and req.path == "/":
            doc = json.loads(data)
            for v in doc.get("versions", []):
                v["id"] = fmt(rel.inspector_max)
            data = (json.dumps(doc, separators=(",", ":")) + "\n").encode()
        return data


def _asked_baremetal(req: Request) -> str | None:
    """The version a client asks Ironic for (microversion_parse: the new header wins)."""
    new = req.header("openstack-api-version")
    if new:
        for part in new.split(","):
            kind, _, value = part.strip().partition(" ")
            if kind.lower() == "baremetal":
                return value.strip()
    return req.header(IRONIC_VERSION)


def _provision_target(body: bytes | None) -> str | None:
    """The verb of a provision state change (``manage``, ``inspect``, ...; None if unreadable)."""
    try:
        target = json.loads(body or b"{}").get("target")
    except (ValueError, AttributeError):
        return None
    return target if isinstance(target, str) else None


def _unauthorized(body: bytes, ctype: str, keystone_url: str) -> Response:
    return Response(401, body, {"Content-Type": ctype, "WWW-Authenticate": f'Keystone uri="{keystone_url}"'})
