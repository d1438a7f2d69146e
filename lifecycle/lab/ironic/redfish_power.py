"""Server power kept by the BMCs (sushy-tools), for other emulators that must agree with Ironic.

Implements the OneView emulator's ``PowerProvider`` protocol
(:mod:`lifecycle.lab.oneview.power`): a power change made through OneView lands on the same
Redfish system Ironic drives, and the reverse.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.request
from typing import Any, Literal

from lifecycle.lab.ironic.sushy_service import SushyService
from lifecycle.lab.world import ServerSpec

PowerState = Literal["On", "Off"]


class RedfishPower:
    """``get``/``set`` a server's power over Redfish, as an iLO client would.

    A dead BMC (see :class:`SushyService` ``dead``) never answers: both calls raise
    ``TimeoutError``/``OSError`` after ``timeout`` seconds. A power change is asynchronous on the
    BMC (the fake driver applies it 1-11 s later): ``get`` reports the old state until then.
    """

    def __init__(self, sushy: SushyService, timeout: float = 10.0):
        self.sushy = sushy
        self.timeout = timeout
        ctx = ssl.create_default_context(cafile=str(sushy.tls.ca)) if sushy.tls else None
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                   urllib.request.HTTPSHandler(context=ctx))
        token = base64.b64encode(f"{sushy.username}:{sushy.password}".encode()).decode()
        self._auth = f"Basic {token}"

    def _call(self, spec: ServerSpec, path: str, body: Any = None) -> Any:
        req = urllib.request.Request(
            self.sushy.bmc_url(spec) + path, method="GET" if body is None else "POST",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": self._auth, "Content-Type": "application/json"})
        with self._opener.open(req, timeout=self.timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def get(self, spec: ServerSpec) -> PowerState:
        state = self._call(spec, self.sushy.system_path(spec))["PowerState"]
        return "On" if state == "On" else "Off"

    def set(self, spec: ServerSpec, state: PowerState) -> None:
        reset = "On" if state == "On" else "ForceOff"
        self._call(spec, f"{self.sushy.system_path(spec)}/Actions/ComputerSystem.Reset",
                   {"ResetType": reset})
