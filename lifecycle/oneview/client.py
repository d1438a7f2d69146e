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

    hpOneView has no port option: ``ip`` is ``host:port`` (http.client splits it). TLS is always
    verified; ``ca_file`` names a private CA bundle.
    """
    from hpOneView.oneview_client import OneViewClient

    ov = endpoints.oneview
    if ov is None:
        raise OneViewError("oneview", "the endpoints file has no oneview section")
    parts = urlsplit(ov.url if "://" in ov.url else f"https://{ov.url}")
    if parts.scheme != "https":
        raise OneViewError("oneview", f"{ov.url}: OneView is reached over https only")
    if not ov.verify:
        raise OneViewError("oneview", "verify: false is not supported for OneView; give ca_file instead")
    config: dict[str, Any] = {
        "ip": parts.netloc,
        "api_version": ov.api_version,
        "credentials": {"userName": ov.username, "password": endpoints.resolve(ov.password),
                        "authLoginDomain": ov.domain},
    }
    if ov.ca_file:
        config["ssl_certificate"] = str(endpoints.path(ov.ca_file))
    with errors("oneview"):
        return OneViewClient(config)


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
            return (f"cannot reach OneView: its TLS certificate is not trusted (check ca_file): {text}",
                    False, None)
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
