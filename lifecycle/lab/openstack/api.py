"""What every OpenStack service of the twin shares: one HTTPS listener per service, Keystone
token checks (keystonemiddleware's 401), microversion negotiation (406 beyond the release's
maximum), each project's error body, and list paging with ``limit``/``marker``.

A handler is ``fn(req, ctx)``: ``ctx`` says who calls (token, project, admin) and at which
microversion. Example (a service belongs to a running ``OpenStackCloud``)::

    svc = Service(cloud, "nova", microversions=Microversions("compute", (2, 1), (2, 79)))

    @svc.route("GET", r"/v2\\.1/flavors")
    def flavors(req, ctx):
        return {"flavors": []}

The helpers are plain functions:

>>> iso(dt.datetime(2019, 10, 1, 12, 0, tzinfo=dt.UTC))
'2019-10-01T12:00:00Z'
>>> iso(dt.datetime(2019, 10, 1, 12, 0, tzinfo=dt.UTC), micro=True, z=False)
'2019-10-01T12:00:00.000000'
>>> nova_fault(404, "Flavor 9 could not be found.").body
{'itemNotFound': {'code': 404, 'message': 'Flavor 9 could not be found.'}}
>>> parse_version("2.53"), parse_version("latest")
((2, 53), None)
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from lifecycle.lab.base import EmulatorServer, HttpError, Request, Response, Router, json_response
from lifecycle.lab.openstack.releases import Version, fmt

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cloud import OpenStackCloud
    from lifecycle.lab.openstack.keystone.tokens import Token

# --- time and ids ---------------------------------------------------------------------------------


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(t: dt.datetime | None = None, *, micro: bool = False, z: bool = True) -> str:
    """Nova/Neutron say ``2019-10-01T12:00:00Z``; Cinder ``2019-10-01T12:00:00.000000``."""
    t = t or now()
    text = t.strftime("%Y-%m-%dT%H:%M:%S.%f" if micro else "%Y-%m-%dT%H:%M:%S")
    return text + ("Z" if z else "")


def new_id() -> str:
    return str(uuid.uuid4())


def hex_id() -> str:
    return uuid.uuid4().hex


# --- errors --------------------------------------------------------------------------------------

# Nova and Cinder name their fault by status (nova/api/openstack/wsgi.py Fault._fault_names).
_FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def nova_fault(status: int, message: str) -> HttpError:
    """Nova's and Cinder's body: ``{"itemNotFound": {"code": 404, "message": "..."}}``."""
    return HttpError(status, {_FAULT_NAMES.get(status, "computeFault"): {"code": status, "message": message}})


def neutron_fault(status: int, kind: str, message: str) -> HttpError:
    """Neutron's body: ``{"NeutronError": {"type": "NetworkNotFound", "message": ..., "detail": ""}}``."""
    return HttpError(status, {"NeutronError": {"type": kind, "message": message, "detail": ""}})


def keystone_fault(status: int, message: str) -> HttpError:
    return HttpError(
        status, {"error": {"code": status, "message": message, "title": _TITLES.get(status, "Error")}}
    )


def unauthorized(keystone_url: str) -> HttpError:
    """keystonemiddleware's 401, which tells the client where to authenticate."""
    err = keystone_fault(401, "The request you have made requires authentication.")
    err.headers["WWW-Authenticate"] = f'Keystone uri="{keystone_url}"'
    return err


def glance_fault(status: int, message: str) -> HttpError:
    """Glance answers webob's plain-text error page."""
    title = _TITLES.get(status, "Error")
    return HttpError(
        status,
        f"{status} {title}\n\n{message}\n\n   ".encode(),
        {"Content-Type": "text/plain; charset=UTF-8"},
    )


FAULTS: dict[str, Callable[[int, str], HttpError]] = {
    "nova": nova_fault,
    "cinder": nova_fault,
    "keystone": keystone_fault,
    "glance": glance_fault,
    "neutron": lambda status, message: neutron_fault(
        status, {404: "HTTPNotFound", 405: "HTTPMethodNotAllowed"}.get(status, "HTTPBadRequest"), message
    ),
}


# --- who calls -----------------------------------------------------------------------------------


@dataclass
class Ctx:
    token: Token | None
    microversion: Version | None = None
    request_id: str = field(default_factory=lambda: f"req-{new_id()}")

    @property
    def project_id(self) -> str | None:
        return self.token.project_id if self.token else None

    @property
    def user_id(self) -> str | None:
        return self.token.user_id if self.token else None

    @property
    def is_admin(self) -> bool:
        return self.token is not None and "admin" in self.token.role_names

    def at_least(self, major: int, minor: int) -> bool:
        return self.microversion is not None and self.microversion >= (major, minor)


@dataclass(frozen=True)
class Microversions:
    """How a service negotiates: the service type in ``OpenStack-API-Version``, Nova's legacy header."""

    service_type: str
    minimum: Version
    maximum: Version
    legacy_header: str | None = None


def parse_version(text: str) -> Version | None:
    m = re.fullmatch(r"\s*(\d+)\.(\d+)\s*", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


Route = Callable[[Request, Ctx], Any]


class Service:
    """One OpenStack API (nova, neutron, ...) on its own HTTPS port."""

    def __init__(
        self,
        cloud: OpenStackCloud,
        component: str,
        *,
        microversions: Microversions | None = None,
        open_paths: Iterable[str] = (r"/?",),
        authenticate: bool = True,
    ):
        self.cloud = cloud
        self.component = component
        self.microversions = microversions
        self.open_paths = [re.compile(p + "$") for p in open_paths]
        self.authenticate = authenticate
        self.router = Router()
        self.fault = FAULTS[component]
        self._local = threading.local()
        self.server = _ServiceServer(
            self,
            host=cloud.host,
            tls=cloud.tls,
            latency=cloud.latency,
            faults=cloud.faults,
            timeout_seconds=cloud.timeout_seconds,
        )

    @property
    def url(self) -> str:
        return self.server.url

    def route(self, method: str, pattern: str) -> Callable[[Route], Route]:
        def deco(fn: Route) -> Route:
            self.router.add(method, pattern, lambda req: fn(req, self._local.ctx))
            return fn

        return deco

    # --- per request ------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        ctx = Ctx(None)
        try:
            is_open = any(p.match(req.path) for p in self.open_paths)
            if self.authenticate and not is_open:
                ctx.token = self.cloud.keystone.check(req.header("X-Auth-Token"))
                if ctx.token is None:
                    raise unauthorized(self.cloud.keystone.url)
            if self.microversions and not is_open:
                ctx.microversion = self._microversion(req)
            self._local.ctx = ctx
            resp = self.router.dispatch(req)
        except HttpError as err:
            if err.status in (404, 405) and isinstance(err.body, dict) and set(err.body) == {"message"}:
                err = self.fault(
                    err.status,
                    "The resource could not be found."
                    if err.status == 404
                    else "The method is not allowed for the requested URL.",
                )
            if err.status == 400 and isinstance(err.body, dict) and set(err.body) == {"message"}:
                err = self.fault(400, err.body["message"])
            body = err.body if isinstance(err.body, bytes) else json.dumps(err.body).encode()
            headers = {"Content-Type": "application/json", **err.headers}
            resp = Response(err.status, body, headers)
        resp.headers.setdefault("x-openstack-request-id", ctx.request_id)
        if self.microversions and ctx.microversion is not None:
            mv = self.microversions
            resp.headers["OpenStack-API-Version"] = f"{mv.service_type} {fmt(ctx.microversion)}"
            vary = "OpenStack-API-Version"
            if mv.legacy_header:
                resp.headers[mv.legacy_header] = fmt(ctx.microversion)
                vary += f", {mv.legacy_header}"
            resp.headers["Vary"] = vary
        return resp

    def _microversion(self, req: Request) -> Version:
        mv = self.microversions
        assert mv is not None
        raw = None
        header = req.header("OpenStack-API-Version")
        if header:
            kind, _, value = header.strip().partition(" ")
            if kind.lower() == mv.service_type:
                raw = value.strip()
        if raw is None and mv.legacy_header:
            raw = req.header(mv.legacy_header)
        if raw is None:
            return mv.minimum
        if raw.lower() == "latest":
            return mv.maximum
        version = parse_version(raw)
        if version is None:
            raise self.fault(
                400, f"API Version String {raw} is of invalid format. Must be of format MajorNum.MinorNum."
            )
        if not mv.minimum <= version <= mv.maximum:
            raise nova_fault(
                406,
                f"Version {raw} is not supported by the API. Minimum is "
                f"{fmt(mv.minimum)} and maximum is {fmt(mv.maximum)}.",
            )
        return version

    # --- helpers for handlers ---------------------------------------------------------------------
    def body(self, req: Request, key: str | None = None) -> dict[str, Any]:
        data = req.json()
        if not isinstance(data, dict) or (key is not None and not isinstance(data.get(key), dict)):
            want = f"a '{key}' object" if key else "a JSON object"
            raise self.fault(400, f"Malformed request body: expected {want}.")
        return data if key is None else data[key]

    def need_admin(self, ctx: Ctx, rule: str) -> None:
        if not ctx.is_admin:
            raise self.fault(403, f"Policy doesn't allow {rule} to be performed.")


class _ServiceServer(EmulatorServer):
    def __init__(self, service: Service, **kwargs: Any):
        super().__init__(
            f"{service.cloud.name}-{service.component}", service.router, component=service.component, **kwargs
        )
        self.service = service

    def handle(self, req: Request) -> Response:
        return self.service.handle(req)


# --- lists ---------------------------------------------------------------------------------------


def page(
    req: Request,
    items: list[dict[str, Any]],
    *,
    key: str,
    base_url: str,
    default_sort: str | None = None,
    max_limit: int = 1000,
    fault: Callable[[int, str], HttpError] = nova_fault,
) -> dict[str, Any]:
    """``{key: [...], key_links: [next]}`` with ``limit``/``marker``/``sort_key``/``sort_dir``
    (Nova, Cinder and Neutron share these semantics; a next link only when the page is full)."""
    sort_key = req.arg("sort_key") or default_sort
    sort = req.arg("sort")  # Cinder: "name:asc,created_at:desc"
    keys: list[tuple[str, bool]] = []
    if sort:
        for part in sort.split(","):
            k, _, d = part.partition(":")
            keys.append((k.strip(), d.strip().lower() == "desc"))
    elif sort_key:
        keys.append((sort_key, (req.arg("sort_dir") or "desc").lower() == "desc"))
    for k, desc in reversed(keys):
        items = sorted(items, key=lambda i, k=k: (i.get(k) is None, str(i.get(k) or "")), reverse=desc)
    marker = req.arg("marker")
    if marker:
        ids = [i.get("id") for i in items]
        if marker not in ids:
            raise fault(400, f"marker [{marker}] not found")
        items = items[ids.index(marker) + 1 :]
    raw_limit = req.arg("limit")
    limit = max_limit
    if raw_limit not in (None, ""):
        try:
            limit = int(raw_limit)  # type: ignore[arg-type]
        except ValueError:
            raise fault(400, f"Invalid input for field/attribute limit. Value: {raw_limit}.") from None
        limit = min(max(limit, 0), max_limit)
    chunk = items[:limit]
    out: dict[str, Any] = {key: chunk}
    if raw_limit not in (None, "") and chunk and len(chunk) == limit:
        params = [(k, v) for k, vs in req.query.items() if k != "marker" for v in vs]
        params.append(("marker", str(chunk[-1]["id"])))
        out[f"{key}_links"] = [{"rel": "next", "href": f"{base_url}{req.path}?{urlencode(params)}"}]
    return out


def matches(item: dict[str, Any], req: Request, fields: Iterable[str]) -> bool:
    """Exact-match query filters (``?status=ACTIVE&name=x``); a repeated parameter is an OR."""
    for name in fields:
        wanted = req.query.get(name)
        if not wanted:
            continue
        value = item.get(name)
        if isinstance(value, bool):
            value = str(value).lower()
        if str(value) not in wanted and not (value is None and "" in wanted):
            return False
    return True


def pick_fields(req: Request, item: dict[str, Any]) -> dict[str, Any]:
    """Neutron's ``?fields=id&fields=name``."""
    wanted = [f for v in req.query.get("fields", []) for f in v.split(",") if f]
    return {k: v for k, v in item.items() if k in wanted} if wanted else item


def empty(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(status, b"", dict(headers or {}))


def accepted(data: Any = None, headers: dict[str, str] | None = None) -> Response:
    if data is None:
        return Response(202, b"", {"Content-Type": "application/json", **(headers or {})})
    return json_response(data, 202, headers)
