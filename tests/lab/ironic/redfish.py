"""Read the emulated BMC directly over Redfish (as an operator's curl would), to cross-check Ironic."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from lifecycle.lab.ironic import SushyService


def redfish_request(sushy: SushyService, path: str, method: str = "GET", body: Any = None,
                    auth: bool = True) -> tuple[int, Any]:
    req = urllib.request.Request(sushy.url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    if auth:
        token = base64.b64encode(f"{sushy.username}:{sushy.password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    ctx = ssl.create_default_context(cafile=str(sushy.tls.ca)) if sushy.tls else None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=ctx))
    try:
        with opener.open(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, None


def redfish_get(stack: Any, path: str) -> dict[str, Any]:
    status, data = redfish_request(stack.sushy, path)
    assert status == 200, f"GET {path}: HTTP {status}"
    return data
