"""The VSD's error body and the errors the emulator answers with.

Every VSD error carries ``errors: [{property, descriptions: [{title, description}]}]`` and an
``internalErrorCode``; the Nuage Neutron plugin reads ``errors[0].descriptions[0].description``
even from 404s and 503s, and bambou puts ``errors`` in its BambouHTTPError. The twin adds the
first title/description at the top level too.

Internal codes with a public source (nuage-openstack-neutron's constants, wire-facts.md):
2039 no change, 2510 duplicate, 2504 duplicate network macro, 2526 macro address with host bits,
2506 VMs still attached, 7010 VM on the vport, 2704 IP in use, 2702 subnet full, 2748 VM UUID in
use, 2591 duplicate ACL entry priority within one ACL template (the plugin's
VSD_PRIORITY_CONFLICT_ERR_CODE, on which it retries an entry's create), 7309 vport and policy
group in different domains. The 5xxx codes are the twin's own, for errors whose real codes no
public source gives.

>>> err = conflict(NO_CHANGE, "There are no attribute changes to modify the entity.")
>>> err.status, err.body["internalErrorCode"], err.body["errors"][0]["descriptions"][0]["title"]
(409, 2039, 'No changes to modify the entity')
"""

from __future__ import annotations

from typing import Any

from lifecycle.lab.base import HttpError

NO_CHANGE = 2039
DUPLICATE = 2510
MACRO_DUPLICATE = 2504
MACRO_HOST_BITS = 2526
VMS_ATTACHED = 2506
VM_ON_VPORT = 7010
IP_IN_USE = 2704
SUBNET_FULL = 2702
VM_UUID_IN_USE = 2748
ACL_PRIORITY = 2591
PG_DOMAIN_CONFLICT = 7309
# The twin's own codes (see the module docstring).
INVALID_INPUT = 5001
OVERLAP = 5002
NOT_ALLOWED = 5003

_TITLES = {
    NO_CHANGE: "No changes to modify the entity",
    DUPLICATE: "Cannot create duplicate entity.",
    MACRO_DUPLICATE: "Cannot create duplicate entity.",
    VMS_ATTACHED: "Entity in use",
    VM_ON_VPORT: "Entity in use",
    IP_IN_USE: "IP address in use",
    SUBNET_FULL: "No IP address available",
    VM_UUID_IN_USE: "VM UUID in use",
    ACL_PRIORITY: "Duplicate priority",
    PG_DOMAIN_CONFLICT: "Invalid policy group",
    INVALID_INPUT: "Invalid input",
    OVERLAP: "Overlapping network",
    NOT_ALLOWED: "Operation not allowed",
}


def error_body(title: str, description: str, code: int | None, prop: str = "") -> dict[str, Any]:
    return {"title": title, "description": description,
            "errors": [{"property": prop, "descriptions": [{"title": title, "description": description}]}],
            "internalErrorCode": code}


class VsdError(HttpError):
    """An HTTP error whose body is a VSD error."""

    def __init__(self, status: int, description: str, code: int | None = None, *, prop: str = "",
                 title: str | None = None, headers: dict[str, str] | None = None):
        title = title or _TITLES.get(code or 0) or _STATUS_TITLES.get(status, "Error")
        super().__init__(status, error_body(title, description, code, prop), headers)
        self.code = code
        self.description = description


_STATUS_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Resource not found",
                  405: "Method not allowed", 409: "Conflict", 419: "Authentication expired",
                  500: "Internal server error", 503: "Service unavailable"}


def conflict(code: int, description: str, prop: str = "") -> VsdError:
    return VsdError(409, description, code, prop=prop)


def invalid(prop: str, description: str) -> VsdError:
    """A property the VSD refuses (missing, wrong type, not one of its choices): 409 Invalid input."""
    return VsdError(409, description, INVALID_INPUT, prop=prop)


def not_found(what: str) -> VsdError:
    return VsdError(404, f"{what} not found", None)


def bad_request(description: str) -> VsdError:
    return VsdError(400, description, None)


def as_vsd(err: HttpError) -> HttpError:
    """Give an error of the shared HTTP layer (bad JSON, injected 503, ...) the VSD's shape."""
    if isinstance(err.body, dict) and "errors" in err.body:
        return err
    message = err.body.get("message", "") if isinstance(err.body, dict) else ""
    title = _STATUS_TITLES.get(err.status, "Error")
    return HttpError(err.status, error_body(title, message or title, None), err.headers)
