"""OneView's error body, and the errors the emulator answers with.

Every error the appliance returns has the same shape (``errorCode``, ``message``, ``details``,
``recommendedActions``, ``errorSource``, ``nestedErrors``, ``data``); hpOneView raises
``HPOneViewException(body)`` with it, so clients read ``exc.oneview_response["errorCode"]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lifecycle.lab.base import HttpError


def error_body(code: str, message: str, details: str = "", actions: Iterable[str] = (),
               source: str | None = None) -> dict[str, Any]:
    return {
        "errorCode": code,
        "message": message,
        "details": details,
        "recommendedActions": list(actions),
        "errorSource": source,
        "nestedErrors": [],
        "data": {},
    }


class OneViewError(HttpError):
    """An HTTP error whose body is a OneView error."""

    def __init__(self, status: int, code: str, message: str, details: str = "",
                 actions: Iterable[str] = (), source: str | None = None):
        super().__init__(status, error_body(code, message, details, actions, source))
        self.code = code


def not_found(uri: str) -> OneViewError:
    return OneViewError(404, "RESOURCE_NOT_FOUND", f"The requested resource {uri} could not be found.",
                        actions=["Verify the URI of the resource and try again."], source=uri)


def bad_request(code: str, message: str, details: str = "", source: str | None = None) -> OneViewError:
    return OneViewError(400, code, message, details,
                        actions=["Correct the request and try again."], source=source)


def as_oneview(err: HttpError) -> HttpError:
    """Give a plain error of the shared HTTP layer (404 route, bad JSON, 503 fault) OneView's shape."""
    if isinstance(err.body, dict) and "errorCode" in err.body:
        return err
    message = err.body.get("message", "") if isinstance(err.body, dict) else ""
    code = {400: "INVALID_REQUEST", 404: "RESOURCE_NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
            503: "SERVICE_UNAVAILABLE"}.get(err.status, "INTERNAL_ERROR")
    return HttpError(err.status, error_body(code, message or f"HTTP {err.status}"), err.headers)
