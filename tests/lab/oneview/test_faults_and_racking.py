"""Injected faults and racking, each on an emulator of its own."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hpOneView.exceptions import HPOneViewException, HPOneViewTaskError
from hpOneView.oneview_client import OneViewClient

from lifecycle.lab.base import TlsFiles, parse_faults
from lifecycle.lab.oneview import InMemoryPower, OneViewEmulator
from lifecycle.lab.world import ServerSpec
from tests.lab.oneview.conftest import raw, server, template_body

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

Factory = Callable[..., OneViewEmulator]
Connect = Callable[..., OneViewClient]


def test_task_error_fault(emu_factory: Factory, connect: Connect) -> None:
    emu = emu_factory([server(1)], faults=parse_faults("oneview.task_error=1"))
    ov = connect(emu)
    sh = ov.server_hardware.get_all()[0]
    with pytest.raises(HPOneViewTaskError) as exc:
        ov.server_hardware.get_by_uri(sh["uri"]).update_power_state(
            {"powerState": "Off", "powerControl": "PressAndHold"})
    assert exc.value.error_code == "PowerStateChangeFailed" and "C01 S01" in exc.value.msg
    assert ov.server_hardware.get_by_uri(sh["uri"]).data["powerState"] == "On"
    assert emu.faults.injected[("oneview", "task_error")] == 1


def test_http5xx_fault(emu_factory: Factory, connect: Connect, tls: TlsFiles) -> None:
    emu = emu_factory([server(1)], faults=parse_faults("oneview.http5xx=1"))
    ov = connect(emu)  # /rest/version and login are exempt: OneViewClient() cannot retry them
    with pytest.raises(HPOneViewException) as exc:
        ov.server_hardware.get_all()
    assert exc.value.oneview_response["errorCode"] == "SERVICE_UNAVAILABLE"
    status, _ = raw(emu, tls, "GET", "/rest/server-hardware", session=ov.connection.get_session_id())
    assert status == 503


def test_named_server_fails_profile_apply(emu_factory: Factory, connect: Connect) -> None:
    emu = emu_factory([server(1), server(2)], faults=parse_faults("oneview.fail=c01-s02"),
                      power=InMemoryPower("Off"))
    ov = connect(emu)
    refs = {"sht": ov.server_hardware_types.get_all()[0]["uri"],
            "networks": {n["name"]: n["uri"] for n in ov.ethernet_networks.get_all()},
            "baseline": ov.firmware_drivers.get_all()[0]["uri"]}
    tpl = ov.server_profile_templates.create(
        template_body(refs["sht"], refs["networks"], refs["baseline"], name="compute"))
    good, bad = (ov.server_hardware.get_by("name", f"C01 S0{i}")[0] for i in (1, 2))
    ov.server_profiles.create(dict(tpl.get_new_profile(), name="s01", serverHardwareUri=good["uri"]))
    with pytest.raises(HPOneViewTaskError) as exc:
        ov.server_profiles.create(dict(tpl.get_new_profile(), name="s02", serverHardwareUri=bad["uri"]))
    assert exc.value.error_code == "LocalStorageConfigurationFailed"
    assert ov.server_hardware.get_by_uri(bad["uri"]).data["state"] == "NoProfileApplied"
    assert ov.server_hardware.get_by_uri(good["uri"]).data["state"] == "ProfileApplied"


def test_unracked_servers_appear_once_racked(emu_factory: Factory, connect: Connect) -> None:
    emu = emu_factory([server(1), server(2, model="DL380 Gen9 1", rack="r2", racked=False)])
    ov = connect(emu)
    assert [h["name"] for h in ov.server_hardware.get_all()] == ["C01 S01"]
    assert ov.server_hardware.get_by("serialNumber", "CZJ7000002") == []
    assert [t["name"] for t in ov.server_hardware_types.get_all()] == ["DL360 Gen9 1"]
    assert emu.rack(["r2"]) == ["c01-s02"]
    assert emu.rack(["r2"]) == []  # racking twice changes nothing
    assert ov.server_hardware.get_by("serialNumber", "CZJ7000002")[0]["shortModel"] == "DL380 Gen9"
    assert sorted(t["name"] for t in ov.server_hardware_types.get_all()) == ["DL360 Gen9 1", "DL380 Gen9 1"]


class RecordingPower:
    """A provider like the lab's Redfish one: the truth lives outside the emulator."""

    def __init__(self) -> None:
        self.state: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []

    def get(self, spec: ServerSpec) -> str:
        return self.state.get(spec.name, "Off")

    def set(self, spec: ServerSpec, state: str) -> None:
        self.calls.append((spec.name, state))
        self.state[spec.name] = state


def test_power_goes_through_the_provider(emu_factory: Factory, connect: Connect) -> None:
    power = RecordingPower()
    emu = emu_factory([server(1)], power=power)
    ov = connect(emu)
    sh = ov.server_hardware.get_all()[0]
    assert sh["powerState"] == "Off"
    ov.server_hardware.get_by_uri(sh["uri"]).update_power_state(
        {"powerState": "On", "powerControl": "MomentaryPress"})
    assert power.calls == [("c01-s01", "On")]
    power.state["c01-s01"] = "Off"  # e.g. Ironic powered it off through the BMC
    assert ov.server_hardware.get_by_uri(sh["uri"]).data["powerState"] == "Off"
    with pytest.raises(HPOneViewException) as exc:
        ov.server_hardware.get_by_uri(sh["uri"]).update_power_state(
            {"powerState": "Off", "powerControl": "ColdBoot"})
    assert exc.value.oneview_response["errorCode"] == "INVALID_POWER_CONTROL"
