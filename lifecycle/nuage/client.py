"""A vspk session to the VSD named in the endpoints file, with TLS verified.

bambou 3.1.3 passes ``verify=False`` to every request it sends, whatever the session says.
i2 mounts a transport adapter on the session's own ``requests.Session`` that verifies the
server's certificate and hostname (requests checks both) against the endpoints' CA, or the
system store, regardless; so vspk is used unchanged and TLS verification stays on. ``verify:
false`` with ``insecure_acknowledged`` in the endpoints file is the only way off.

Example (needs a reachable VSD)::

    session = connect(endpoints, secrets)
    session.user.enterprises.get(filter='name == "IE1"')
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from lifecycle.model.endpoints import Endpoints, SecretStore


class NuageError(Exception):
    """A VSD call failed; ``transient`` tells the engine whether to retry."""

    def __init__(self, message: str, *, transient: bool = False, status: int | None = None):
        super().__init__(message)
        self.transient = transient
        self.status = status


class _Retry(Retry):
    """urllib3's retry, plus a POST answered 503: the VSD did not take it, so asking again
    cannot create twice. A POST whose answer was lost (reset, read timeout) is not retried
    here: the caller looks for what it asked for before asking again."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST" and status_code == 503:
            return True
        return super().is_retry(method, status_code, has_retry_after)


# A few quick retries of a busy VSD (503/502/504) and of idempotent reads whose connection
# dropped; what still fails reaches the caller as a transient NuageError.
RETRY = _Retry(total=4, connect=3, read=2, status=4, backoff_factor=0.2,
               status_forcelist=(502, 503, 504), raise_on_status=False,
               respect_retry_after_header=True)


class _VerifyingAdapter(HTTPAdapter):
    """Verifies TLS whatever ``verify`` the caller passes (bambou always passes False), and
    retries a busy VSD (see :data:`RETRY`)."""

    def __init__(self, verify: str | bool):
        super().__init__(max_retries=RETRY)
        self._verify = verify

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["verify"] = self._verify
        return super().send(request, **kwargs)


def connect(endpoints: Endpoints, secrets: SecretStore, timeout: float = 60.0) -> Any:
    """Start a ``NUVSDSession`` (login ``GET /me``) for the endpoints' ``vsd`` section."""
    from vspk.v6 import NUVSDSession

    vsd = endpoints.vsd
    if vsd is None:
        raise NuageError("the endpoints file has no vsd section (url, username, password)")
    session = NUVSDSession(username=vsd.username, password=secrets.get(vsd.password),
                           enterprise=vsd.organisation, api_url=vsd.url.rstrip("/"))
    verify: str | bool = str(endpoints.path(vsd.ca_file)) if vsd.ca_file else True
    if not vsd.verify:
        verify = False
    rs: requests.Session = session.requests_session
    rs.mount("https://", _VerifyingAdapter(verify))
    import urllib3

    # bambou's verify=False makes urllib3 warn on every call; the adapter above verifies anyway
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    try:
        session.start()
    except Exception as exc:
        raise wrap(exc, f"VSD {vsd.url}: login as {vsd.username}@{vsd.organisation}") from None
    return session


def wrap(exc: Exception, what: str) -> NuageError:
    """A bambou/requests exception as a :class:`NuageError` naming what was attempted."""
    from bambou.exceptions import BambouHTTPError

    if isinstance(exc, NuageError):
        return exc
    if isinstance(exc, BambouHTTPError):
        resp = exc.connection.response
        status = getattr(resp, "status_code", None)
        detail = _errors(resp)
        return NuageError(f"{what}: HTTP {status} {detail}".rstrip(), status=status,
                          transient=status is None or status >= 500 or status in (408, 419, 429))
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, OSError, TimeoutError)):
        return NuageError(f"{what}: {type(exc).__name__}: {exc}", transient=True)
    return NuageError(f"{what}: {type(exc).__name__}: {exc}")


def _errors(resp: Any) -> str:
    """VSD's error body (title/description, per-property descriptions) as one line."""
    data = getattr(resp, "data", None)
    body = data if isinstance(data, dict) else {}
    parts = [str(body.get("description") or body.get("title") or "")]
    for err in body.get("errors") or getattr(resp, "errors", None) or []:
        if isinstance(err, dict):
            for d in err.get("descriptions") or []:
                parts.append(f"{err.get('property')}: {d.get('description') or d.get('title')}")
    code = body.get("internalErrorCode")
    return "; ".join(p for p in parts if p) + (f" (VSD error {code})" if code else "")
