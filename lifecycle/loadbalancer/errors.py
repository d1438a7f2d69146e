"""NITRO's error envelope, mapped to what the engine needs: which error, and may it be retried.

Every NITRO answer carries ``{"errorcode", "message", "severity"}``; ``errorcode`` 0 is success.
A bulk request (an array of objects) that partly fails is answered ``207 Multi-Status`` with one
envelope per object under ``response``.

>>> e = error_from(404, {"errorcode": 258, "message": "No such resource [name, vs1]",
...                      "severity": "ERROR"}, "GET lbvserver/vs1")
>>> (e.errorcode, e.absent, e.transient, str(e))
(258, True, False, 'GET lbvserver/vs1: NITRO 258 No such resource [name, vs1] (HTTP 404)')
>>> error_from(503, None, "GET lbvserver").transient
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lifecycle.redact import redact

NO_SUCH_RESOURCE = 258
ALREADY_EXISTS = 273
INVALID_CREDENTIALS = 354
SESSION_EXPIRED = 444  # "Session expired or killed. Please login again" (HTTP 401)
# HTTP statuses that say "not now": the appliance is busy, restarting or behind a proxy that is.
# 599 is NITRO's "NetScaler specific error": its errorcode decides, like any 4xx.
TRANSIENT_HTTP = frozenset({500, 502, 503, 504})


class LbError(Exception):
    """Anything the load balancer adapter refuses or fails at; ``transient``: worth retrying."""

    transient = False


class NitroError(LbError):
    """A NITRO request failed: the appliance's errorcode and message, or the transport's."""

    def __init__(self, message: str, *, errorcode: int | None = None, severity: str | None = None,
                 http_status: int | None = None, transient: bool = False,
                 items: list[NitroResult] | None = None):
        super().__init__(message)
        self.errorcode = errorcode
        self.severity = severity
        self.http_status = http_status
        self.transient = transient
        self.items = items or []

    @property
    def absent(self) -> bool:
        return self.errorcode == NO_SUCH_RESOURCE

    @property
    def exists(self) -> bool:
        return self.errorcode == ALREADY_EXISTS


class WouldStopServing(LbError):
    """A drain or unbind would leave a virtual server without an enabled, UP member."""


class Conflict(LbError):
    """What exists differs from the intent in a way NITRO cannot update in place
    (a servicetype, a monitor type): it needs an operator, not a retry."""


@dataclass(frozen=True)
class NitroResult:
    """One object's outcome in a bulk (207) answer."""

    errorcode: int
    message: str
    severity: str

    @property
    def ok(self) -> bool:
        return self.errorcode == 0


def bulk_results(body: Any) -> list[NitroResult]:
    """The per-object envelopes of a 207 answer, in the order the objects were sent.

    >>> [r.ok for r in bulk_results({"errorcode": 1067, "message": "...", "severity": "ERROR",
    ...     "response": [{"errorcode": 0, "message": "Done", "severity": "NONE"},
    ...                  {"errorcode": 273, "message": "Resource already exists", "severity": "ERROR"}]})]
    [True, False]
    """
    items = body.get("response") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return []
    return [NitroResult(int(i.get("errorcode", -1)), str(i.get("message", "")), str(i.get("severity", "")))
            for i in items if isinstance(i, dict)]


def error_from(status: int, body: Any, what: str) -> NitroError:
    """The error for a NITRO answer that is not a success. ``what`` names the request
    (method and resource, never its body: a login body holds the password)."""
    env = body if isinstance(body, dict) else {}
    code = env.get("errorcode")
    try:
        errorcode: int | None = int(code) if code is not None else None
    except (TypeError, ValueError):
        errorcode = None
    severity = env.get("severity")
    message = str(redact(str(env.get("message") or "")).strip()) or "no NITRO error envelope"
    if errorcode == INVALID_CREDENTIALS:
        # permanent: retrying a wrong password only locks the account
        return NitroError(f"{what}: invalid credentials (NITRO 354, HTTP {status})", errorcode=errorcode,
                          severity=severity, http_status=status, transient=False)
    items = bulk_results(env) if status == 207 else []
    if items:
        failed = [f"#{n} {r.errorcode} {r.message}" for n, r in enumerate(items) if not r.ok]
        message = f"{len(failed)} of {len(items)} failed: " + "; ".join(failed)
    code_text = f"NITRO {errorcode} " if errorcode is not None else ""
    return NitroError(f"{what}: {code_text}{message} (HTTP {status})", errorcode=errorcode,
                      severity=severity, http_status=status, transient=status in TRANSIENT_HTTP,
                      items=items)
