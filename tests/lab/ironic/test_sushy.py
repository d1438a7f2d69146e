"""Contract: the real sushy-tools emulator as configured for the twin's BMCs."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from lifecycle.lab.base import EmulatorServer, Router, make_ca
from lifecycle.lab.ironic import RedfishPower, SushyService
from tests.lab.ironic.conftest import require_venv, server
from tests.lab.ironic.redfish import redfish_request


def members(sushy: SushyService, path: str) -> list[str]:
    status, data = redfish_request(sushy, path)
    assert status == 200, f"GET {path}: HTTP {status}"
    return [m["@odata.id"] for m in data["Members"]]


def test_systems_auth_nics_dead_bmc_notifications_and_racking_later(tmp_path: Path) -> None:
    require_venv()
    seen: list[dict[str, Any]] = []
    router = Router()

    @router.route("PUT", r"/notify")
    def notify(req: Any) -> Any:
        seen.append(json.loads(req.body))
        return {}

    receiver = EmulatorServer("notify", router).start()
    a, b, dead, later = server(11), server(12), server(13), server(14, racked=False)
    sushy = SushyService(tmp_path / "sushy", [a, b, dead, later], tls=make_ca(tmp_path / "tls"),
                         username="ilo", password="pw", dead={dead.name},
                         notification_url=f"{receiver.url}/notify")
    try:
        sushy.start()
        assert redfish_request(sushy, "/redfish/v1/Systems", auth=False)[0] == 401
        assert set(members(sushy, "/redfish/v1/Systems")) == {sushy.system_path(a), sushy.system_path(b)}
        macs = set()
        for nic in members(sushy, f"{sushy.system_path(a)}/EthernetInterfaces"):
            macs.add(redfish_request(sushy, nic)[1]["MACAddress"].lower())
        assert macs == {n.mac for n in a.nics}

        # A dead BMC has its own address: TCP connects, nothing ever answers.
        assert redfish_request(sushy, sushy.system_path(dead))[0] == 404
        host, port = sushy.bmc_url(dead).rsplit("/", 1)[1].split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock, pytest.raises(TimeoutError):
            sock.sendall(b"GET /redfish/v1 HTTP/1.1\r\nHost: bmc\r\n\r\n")
            sock.settimeout(1.0)
            sock.recv(100)

        # RedfishPower (the OneView emulator's power provider) resets the system like an iLO
        # client; every change of a system is PUT to the notification URL inside that request.
        power = RedfishPower(sushy, timeout=1.0)
        assert power.get(a) == "Off"
        power.set(a, "On")
        assert seen[-1]["uuid"] == a.uuid and seen[-1]["pending_power"]["power_state"] == "On"
        with pytest.raises(OSError):  # TimeoutError: a dead BMC never answers
            power.get(dead)

        # Racking later: same port, same state directory (b keeps its boot override), one more.
        boot = {"Boot": {"BootSourceOverrideTarget": "Cd", "BootSourceOverrideEnabled": "Continuous"}}
        assert redfish_request(sushy, sushy.system_path(b), "PATCH", boot)[0] == 204
        port_before = sushy.port
        assert sushy.sync() is False
        later.racked = True
        assert sushy.sync() is True and sushy.port == port_before
        assert set(members(sushy, "/redfish/v1/Systems")) == {
            sushy.system_path(s) for s in (a, b, later)}
        system_b = redfish_request(sushy, sushy.system_path(b))[1]
        assert system_b["Boot"]["BootSourceOverrideTarget"] == "Cd"
    finally:
        sushy.stop()
        receiver.stop()

