"""NITRO's error envelope and the error codes the emulator answers with.

Every NITRO answer carries ``errorcode``, ``message`` and ``severity`` (``0``/``Done``/``NONE`` on
success). Codes and their sources:

- 258 "No such resource" (HTTP 404), 273 "Resource already exists" (HTTP 409), 278 "Invalid
  argument", 354 "Invalid username or password", 444 "Session expired or killed. Please login
  again", 1092 "Arguments cannot both be specified", 1095 "Required argument missing", 1233
  "Invalid JSON input", 1240 "Invalid nitro action or operation": NITRO's error listing
  (errorlisting.html of the NITRO SDK, as transcribed code by code in public Python clients).
  The HTTP statuses of 258/273 (404/409) are the ones the NetScaler Ansible collection keys on
  (``constants.py``: HTTP_RESOURCE_NOT_FOUND, HTTP_RESOURCE_ALREADY_EXISTS); 401 for 354/444 is
  what Go NITRO clients test for. 1092 with ``[serverName, IP]`` / ``[serviceName,
  serviceGroupName]`` is quoted from NetScaler answers in the Ansible collection's comments.
- 1243 "Bulk operation failed" with HTTP 207 and a per-item ``response`` list: NITRO's
  "Error and Exception Handling" page (onerror ``continue`` runs every item and answers one
  envelope each; ``exit`` stops at the first failure and answers only it) and its bulk
  operations page (``rollback`` undoes what came before, for add and bind only; array bodies
  for add, bind and ``action=``). Not verified: rollback asked of an action stops like exit.
- Not verified (emulator's choice, flagged): HTTP 400 for 278/1092/1095/1233/1240 (NetScaler may
  answer some of them with its own 599); 444 for a request with no credentials at all; an unknown
  resource type answered as 258/404.
"""

from __future__ import annotations

from typing import Any

from lifecycle.lab.base import HttpError

DONE: dict[str, Any] = {"errorcode": 0, "message": "Done", "severity": "NONE"}

NO_SUCH_RESOURCE = 258
ALREADY_EXISTS = 273
INVALID_ARGUMENT = 278
BAD_CREDENTIALS = 354
SESSION_EXPIRED = 444
ARGS_MUTEX = 1092
ARG_MISSING = 1095
INVALID_JSON = 1233
INVALID_ACTION = 1240
BULK_FAILED = 1243

MESSAGES = {
    NO_SUCH_RESOURCE: "No such resource",
    ALREADY_EXISTS: "Resource already exists",
    INVALID_ARGUMENT: "Invalid argument",
    BAD_CREDENTIALS: "Invalid username or password",
    SESSION_EXPIRED: "Session expired or killed. Please login again",
    ARGS_MUTEX: "Arguments cannot both be specified",
    ARG_MISSING: "Required argument missing",
    INVALID_JSON: "Invalid JSON input",
    INVALID_ACTION: "Invalid nitro action or operation",
    BULK_FAILED: "Bulk operation failed",
}
HTTP_STATUS = {NO_SUCH_RESOURCE: 404, ALREADY_EXISTS: 409, BAD_CREDENTIALS: 401, SESSION_EXPIRED: 401}


def envelope(code: int, detail: str = "") -> dict[str, Any]:
    """``{"errorcode": 258, "message": "No such resource [name, web]", "severity": "ERROR"}``."""
    message = MESSAGES[code] + (f" [{detail}]" if detail else "")
    return {"errorcode": code, "message": message, "severity": "ERROR"}


class NitroError(HttpError):
    """A NITRO error: its HTTP status follows from the code."""

    def __init__(self, code: int, detail: str = ""):
        super().__init__(HTTP_STATUS.get(code, 400), envelope(code, detail))
        self.code = code


def as_nitro(err: HttpError) -> HttpError:
    """Give an error of the shared HTTP layer (bad JSON, 404 route, injected 503) NITRO's shape."""
    if isinstance(err.body, dict) and "errorcode" in err.body:
        return err
    if err.status == 400:
        return NitroError(INVALID_JSON)
    if err.status in (404, 405):
        return NitroError(NO_SUCH_RESOURCE, "resource type")
    body = {"errorcode": err.status, "message": "Service unavailable", "severity": "ERROR"}
    return HttpError(err.status, body, err.headers)
