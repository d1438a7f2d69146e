"""Connect hpOneView to the appliance the endpoints file names; map its errors.

Example (needs a reachable appliance)::

    ov = connect(load_endpoints("endpoints.yaml"))
    ov.connection.get("/rest/version")["currentVersion"]      # 2000
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from hpOneView.connection import connection
from hpOneView.oneview_client import OneViewClient

from lifecycle.model.endpoints import Endpoints

# OneView error codes that say "try again later" rather than "this request is wrong".
TRANSIENT_CODES = {"POWER_OPERATION_IN_PROGRESS", "RESOURCE_BUSY", "CRM_RESOURCE_LOCKED",
                   "TASK_TIMEOUT", "SERVICE_UNAVAILABLE"}


class OneViewError(Exception):
    """A OneView operation failed for one object (``subject``: a server or template name)."""

    def __init__(self, subject: str, message: str, *, transient: bool = False, code: str | None = None):
        super().__init__(f"{subject}: {message}")
        self.subject = subject
        self.message = message
        self.transient = transient
        self.code = code


def connect(endpoints: Endpoints) -> Any:
    """An hpOneView ``OneViewClient`` logged in to ``endpoints.oneview``.

    hpOneView has no port option: ``ip`` is ``host:port`` (http.client splits it). The
    certificate and the hostname are verified, against ``ca_file`` or the system CA store;
    ``verify: false`` (acknowledged in the endpoints file) is the only way off.
    """
    ov = endpoints.oneview
    if ov is None:
        raise OneViewError("oneview", "the endpoints file has no oneview section")
    parts = urlsplit(ov.url if "://" in ov.url else f"https://{ov.url}")
    if parts.scheme != "https":
        raise OneViewError("oneview", f"{ov.url}: OneView is reached over https only")
    if ov.verify:
        context = ssl.create_default_context(cafile=str(endpoints.path(ov.ca_file)) if ov.ca_file else None)
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    credentials = {"userName": ov.username, "password": endpoints.resolve(ov.password),
                   "authLoginDomain": ov.domain}
    with errors("oneview"):
        conn = VerifiedConnection(parts.netloc, ov.api_version, context)
        conn.login(credentials)  # over the verified connection, before any client exists
        return VerifiedClient(conn)


class VerifiedConnection(connection):  # type: ignore[misc]
    """hpOneView's connection with an ``ssl`` context that checks the certificate and the hostname.

    hpOneView 5.3.0 builds ``SSLContext(PROTOCOL_TLSv1_2)`` per request: without
    ``ssl_certificate`` it trusts any certificate, with it it checks the chain but never the
    hostname. ``get_connection`` is the SDK's one place that opens connections; this overrides it.
    """

    def __init__(self, host: str, api_version: int, context: ssl.SSLContext, timeout: float | None = None):
        super().__init__(host, api_version, False, timeout)
        self.address = host
        self.context = context
        self.timeout = timeout

    def get_connection(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.address, context=self.context, timeout=self.timeout)


class VerifiedClient(OneViewClient):  # type: ignore[misc]
    """``OneViewClient`` around an already logged-in :class:`VerifiedConnection`.

    The SDK's ``__init__`` would build its own (unverified) connection and log in over it, so it
    is not run: the client's state is its connection (``_OneViewClient__connection``) and resource
    clients it creates lazily from ``None`` attributes, which ``__getattr__`` supplies.
    """

    def __init__(self, conn: VerifiedConnection):  # no super().__init__: see above
        self._OneViewClient__connection = conn
        self._OneViewClient__image_streamer_ip = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_OneViewClient__"):
            return None  # a resource client the SDK has not created yet
        raise AttributeError(name)


def describe(exc: BaseException) -> tuple[str, bool, str | None]:
    """(message, transient, error code) for an hpOneView or transport exception."""
    from hpOneView.exceptions import HPOneViewException, HPOneViewTaskError, HPOneViewTimeout

    if isinstance(exc, HPOneViewTimeout):
        return f"timed out waiting for OneView: {exc}", True, None
    if isinstance(exc, HPOneViewTaskError):
        code = exc.error_code
        return f"OneView task failed ({code}): {exc.msg}", code in TRANSIENT_CODES, code
    if isinstance(exc, HPOneViewException):
        body = exc.oneview_response if isinstance(exc.oneview_response, dict) else {}
        code = body.get("errorCode")
        text = body.get("message") or exc.msg or str(exc)
        if "Traceback (most recent call last)" in text:  # hpOneView wraps transport errors so
            lines = [x.strip() for x in text.splitlines() if x.strip()]
            text = f"{lines[0]} {lines[-1]}"
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return (f"cannot reach OneView: its TLS certificate is not trusted (check ca_file, and that "
                    f"the certificate names the host in the url): {text}", False, None)
        actions = body.get("recommendedActions") or []
        if actions:
            text = f"{text} ({' '.join(str(a) for a in actions)})"
        # No OneView error body: a proxy or an appliance restart answered, not OneView's logic.
        transient = code is None or code in TRANSIENT_CODES
        return (f"{code}: {text}" if code else text), transient, code
    if isinstance(exc, (OSError, http.client.HTTPException, ssl.SSLError, TimeoutError)):
        return f"cannot reach OneView: {exc}", not isinstance(exc, ssl.SSLCertVerificationError), None
    return f"{type(exc).__name__}: {exc}", False, None


@contextmanager
def errors(subject: str) -> Iterator[None]:
    """Turn hpOneView and transport exceptions into :class:`OneViewError` about ``subject``."""
    try:
        yield
    except OneViewError:
        raise
    except Exception as exc:
        message, transient, code = describe(exc)
        raise OneViewError(subject, message, transient=transient, code=code) from exc
