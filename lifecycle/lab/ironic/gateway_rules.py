"""What a release lacked that the backend Ironic 39 would accept below the release's maximum.

Only ``inspect_interface`` needs it so far: a Train undercloud (TripleO's
``IronicEnabledInspectInterfaces``) enables ``inspector`` and ``no-inspect``; any other value
(``agent``, ``redfish``, ...) gets Train's 400 (``InterfaceNotFoundInEntrypoint``: the
conductor only loads enabled interfaces). Ironic 39 no longer has ``inspector``: the backend
stores ``agent`` (the in-band inspection that replaced it) and the gateway shows ``inspector``,
the default of a Train node enrolled without one. Everything else the releases lacked is
behind their API maximum, which the gateway enforces for every request.

>>> from lifecycle.lab.ironic.releases import ironic_release
>>> rules = ReleaseRules(ironic_release("train"))
>>> rules.response(Request("GET", "/v1/nodes", {}, {}, b""), b'{"inspect_interface": "agent"}')
b'{"inspect_interface": "inspector"}'
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from lifecycle.lab.base import Request, Response
from lifecycle.lab.ironic.releases import IronicRelease, Version, fmt

_NODES = re.compile(r"/v1/nodes/?$")
_NODE = re.compile(r"/v1/nodes/[^/]+/?$")


class ReleaseRules:
    def __init__(self, release: IronicRelease):
        self.release = release
        self.active = release.inspect_interfaces is not None
        self._shown = [(f'"inspect_interface": "{backend}"'.encode(),
                        f'"inspect_interface": "{own}"'.encode())
                       for backend, own in release.inspect_from_backend().items()]

    def request(self, req: Request, version: Version) -> tuple[Response | None, bytes | None]:
        """A refusal, or the body to forward (``None``: unchanged)."""
        if req.method == "POST" and _NODES.match(req.path):
            body = _json(req.body)
            if not isinstance(body, dict):
                return None, None
            value = body.get("inspect_interface")
            if value is None:  # the release's default (Train: inspector)
                assert self.release.inspect_interfaces
                value = self.release.inspect_interfaces[0]
            refusal = self._check(value, version)
            if refusal:
                return refusal, None
            body["inspect_interface"] = self.release.inspect_to_backend(value)
            return None, json.dumps(body).encode()
        if req.method == "PATCH" and _NODE.match(req.path):
            ops = _json(req.body)
            if not isinstance(ops, list):
                return None, None
            changed = False
            for op in ops:
                if not isinstance(op, dict) or op.get("path") != "/inspect_interface":
                    continue
                if op.get("op") == "remove":  # back to the release's default
                    assert self.release.inspect_interfaces
                    op.update(op="replace", value=self.release.inspect_interfaces[0])
                if op.get("op") in ("add", "replace") and isinstance(op.get("value"), str):
                    refusal = self._check(op["value"], version)
                    if refusal:
                        return refusal, None
                    op["value"] = self.release.inspect_to_backend(op["value"])
                    changed = True
            return None, (json.dumps(ops).encode() if changed else None)
        return None, None

    def response(self, req: Request, data: bytes) -> bytes:
        if req.path.startswith("/v1/nodes"):
            for backend, own in self._shown:
                data = data.replace(backend, own)
        return data

    def _check(self, value: Any, version: Version) -> Response | None:
        valid = self.release.inspect_interfaces
        if valid is None or value in valid:
            return None
        message = (f"Could not find the following interface in the 'ironic.hardware.interfaces.inspect' "
                   f"entrypoint: {value}. Valid interfaces are {list(valid)}.")
        return ironic_error(400, message, self.release, version)


def ironic_error(status: int, message: str, release: IronicRelease, version: Version) -> Response:
    """An error as Ironic's API answers it (ParsableErrorMiddleware around the WSME fault)."""
    inner = json.dumps({"faultcode": "Client", "faultstring": message, "debuginfo": None})
    request_id = f"req-{uuid.uuid4()}"
    return Response(status, json.dumps({"error_message": inner}).encode(), {
        "X-OpenStack-Ironic-API-Minimum-Version": fmt(release.api_min),
        "X-OpenStack-Ironic-API-Maximum-Version": fmt(release.api_max),
        "X-OpenStack-Ironic-API-Version": fmt(version),
        "Content-Type": "application/json",
        "x-openstack-request-id": request_id, "openstack-request-id": request_id})


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None  # the backend answers malformed JSON itself
