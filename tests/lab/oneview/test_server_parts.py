"""A server's sub-resources, adding a rack server and creating an ethernet network, driven with
hpOneView's own resource classes as an operator's script would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hpOneView.exceptions import HPOneViewException, HPOneViewTaskError

from lifecycle.lab.oneview import OneViewEmulator
from lifecycle.lab.oneview.power import InMemoryPower
from tests.lab.oneview.conftest import server, template_body

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # hpOneView's ssl/future use


class _DeadIlo(InMemoryPower):
    """The iLO of c01-s04 does not answer (unplugged management port)."""

    def get(self, spec: Any) -> Any:
        if spec.name == "c01-s04":
            raise ConnectionRefusedError("iLO does not answer")
        return super().get(spec)


@pytest.fixture
def emu(emu_factory: Callable[..., OneViewEmulator]) -> OneViewEmulator:
    servers = [server(1), server(2), server(3, racked=False), server(4, racked=False)]
    return emu_factory(servers, power=_DeadIlo())


def _sh(ov: Any, name: str = "C01 S01") -> Any:
    return ov.server_hardware.get_by_name(name)


def test_utilization(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    sh = _sh(connect(emu))
    util = sh.get_utilization()
    names = [m["metricName"] for m in util["metricList"]]
    assert names == [
        "AmbientTemperature",
        "CpuAverageFreq",
        "CpuUtilization",
        "AveragePower",
        "PeakPower",
        "PowerCap",
    ]
    samples = util["metricList"][2]["metricSamples"]
    assert len(samples) == 288 and util["resolution"] == 300000  # 24 h of 5-minute samples
    stamps = [t for t, _ in samples]
    assert stamps == sorted(stamps, reverse=True) and stamps[0] - stamps[1] == 300000  # newest first, ms
    assert all(isinstance(v, int) and 0 <= v <= 100 for _, v in samples)
    hourly = sh.get_utilization(
        fields="AveragePower",
        view="hour",
        filter="startDate=2026-01-01T00:00:00.000Z,endDate=2026-01-01T06:00:00.000Z",
    )
    assert [m["metricName"] for m in hourly["metricList"]] == ["AveragePower"]
    assert len(hourly["metricList"][0]["metricSamples"]) == 7
    assert hourly["sliceStartTime"] == "2026-01-01T00:00:00.000Z"
    with pytest.raises(HPOneViewException) as exc:
        sh.get_utilization(fields="Humidity")
    assert exc.value.oneview_response["errorCode"] == "INVALID_METRIC_NAME"


def test_utilization_idles_when_off(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    sh = _sh(connect(emu), "C01 S02")
    sh.update_power_state({"powerState": "Off", "powerControl": "PressAndHold"})
    cpu = sh.get_utilization(fields="CpuUtilization")["metricList"][0]["metricSamples"]
    assert {v for _, v in cpu} == {0}


def test_bios_shows_what_the_profile_applied(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    ov = connect(emu)
    sh = _sh(ov, "C01 S02")
    before = {s["id"]: s["value"] for s in sh.get_bios()["biosSettings"]}
    assert before["WorkloadProfile"] == "GeneralPowerEfficientCompute"  # the type's default
    sh.update_power_state({"powerState": "Off", "powerControl": "PressAndHold"})
    sht = ov.server_hardware_types.get_by_name("DL360 Gen9 1").data["uri"]
    nets = {n["name"]: n["uri"] for n in ov.ethernet_networks.get_all()}
    baseline = ov.firmware_drivers.get_all()[0]["uri"]
    tpl = ov.server_profile_templates.create(template_body(sht, nets, baseline, name="bios-check"))
    ov.server_profiles.create(dict(tpl.get_new_profile(), name="c01-s02", serverHardwareUri=sh.data["uri"]))
    after = {s["id"]: s["value"] for s in sh.get_bios()["biosSettings"]}
    assert after["WorkloadProfile"] == "Virtualization-MaxPerformance"
    assert after["PowerRegulator"] == "StaticHighPerf"
    storage = sh.get_local_storage()["data"][0]
    assert [d["raidLevel"] for d in storage["logicalDrives"]] == ["RAID1"]
    assert len(storage["physicalDrives"]) == 2


def test_console_and_sso_urls(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    sh = _sh(connect(emu))
    assert sh.get_remote_console_url()["remoteConsoleUrl"].startswith("hplocons://addr=10.1.0.1&sessionkey=")
    assert sh.get_ilo_sso_url()["iloSsoUrl"].startswith("https://10.1.0.1/")
    assert sh.get_java_remote_console_url(ip="192.0.2.9")["javaRemoteConsoleUrl"].startswith(
        "https://192.0.2.9/"
    )
    # Each URL carries a new one-time session key.
    assert sh.get_ilo_sso_url() != sh.get_ilo_sso_url()


def test_firmware_inventory(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    ov = connect(emu)
    sh = _sh(ov)
    fw = sh.get_firmware()
    components = {c["componentName"]: c["componentVersion"] for c in fw["components"]}
    assert components["System ROM"] == sh.data["romVersion"]
    assert components["iLO"] == sh.data["mpFirmwareVersion"]
    assert fw["serverHardwareUri"] == sh.data["uri"]
    every = sh.get_all_firmwares()
    assert sorted(f["serverHardwareName"] for f in every) == ["C01 S01", "C01 S02"]


def test_refresh_uid_environment_and_ilo_firmware(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    sh = _sh(connect(emu))
    assert sh.data["uidState"] == "Off"
    assert sh.refresh_state({"refreshState": "RefreshPending"})["refreshState"] == "NotRefreshing"
    with pytest.raises(HPOneViewException) as exc:
        sh.refresh_state({"refreshState": "Refreshed"})
    assert exc.value.oneview_response["errorCode"] == "INVALID_REFRESH_STATE"
    assert sh.patch("replace", "/uidState", "On").data["uidState"] == "On"
    with pytest.raises(HPOneViewException):
        sh.patch("replace", "/name", "renamed")
    env = sh.get_environmental_configuration()
    assert env["calibratedMaxPower"] == 500 and env["rackName"] == "r1"
    assert sh.update_environmental_configuration({"calibratedMaxPower": 400})["calibratedMaxPower"] == 400
    cap = sh.get_utilization(fields="PowerCap")["metricList"][0]["metricSamples"]
    assert {v for _, v in cap} == {400}
    assert sh.update_mp_firware_version()["mpFirmwareVersion"] == sh.data["mpFirmwareVersion"]


def test_add_rack_server_by_ilo_address(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    ov = connect(emu)
    body = {
        "hostname": "10.1.0.3",
        "username": "Administrator",
        "password": "ilo-secret",
        "licensingIntent": "OneView",
        "configurationState": "Managed",
    }
    added = ov.server_hardware.add(body)
    assert (added.data["name"], added.data["serialNumber"]) == ("C01 S03", "CZJ7000003")
    assert added.data["state"] == "NoProfileApplied" and added.data["powerState"] == "On"
    assert len(ov.server_hardware.get_all()) == 3
    with pytest.raises(HPOneViewTaskError) as exc:
        ov.server_hardware.add(body)  # already managed
    assert exc.value.error_code == "SERVER_ALREADY_MANAGED"
    added.remove()
    assert len(ov.server_hardware.get_all()) == 2


@pytest.mark.parametrize("address", ["10.1.0.4", "192.0.2.77"])  # a dead iLO; nothing at all
def test_add_fails_where_the_ilo_does_not_answer(
    emu: OneViewEmulator, connect: Callable[..., Any], address: str
) -> None:
    ov = connect(emu)
    with pytest.raises(HPOneViewTaskError) as exc:
        ov.server_hardware.add({"hostname": address, "username": "Administrator", "password": "x"})
    assert exc.value.error_code == "ILO_UNREACHABLE"
    assert len(ov.server_hardware.get_all()) == 2
    with pytest.raises(HPOneViewException) as bad:
        ov.server_hardware.add({"hostname": address})
    assert bad.value.oneview_response["errorCode"] == "INVALID_PARAMETER"


def test_remove_refused_while_a_profile_is_assigned(
    emu: OneViewEmulator, connect: Callable[..., Any]
) -> None:
    ov = connect(emu)
    sh = _sh(ov, "C01 S01")
    sh.update_power_state({"powerState": "Off", "powerControl": "PressAndHold"})
    ov.server_profiles.create({"name": "bare", "serverHardwareUri": sh.data["uri"]})
    with pytest.raises(HPOneViewException) as exc:
        _sh(ov, "C01 S01").remove()
    assert exc.value.oneview_response["errorCode"] == "SERVER_HAS_PROFILE"


def test_create_and_delete_ethernet_network(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    ov = connect(emu)
    body = {
        "name": "storage-mgmt",
        "vlanId": 310,
        "ethernetNetworkType": "Tagged",
        "purpose": "General",
        "smartLink": False,
        "privateNetwork": False,
    }
    net = ov.ethernet_networks.create(body)
    assert net.data["type"] == "ethernet-networkV4"  # hpOneView's default type at 1800, accepted
    assert (net.data["vlanId"], net.data["state"], net.data["status"]) == (310, "Active", "OK")
    assert ov.ethernet_networks.get_by_name("storage-mgmt").data["uri"] == net.data["uri"]
    # The same VLAN under another name is allowed (another uplink); the same name is not.
    ov.ethernet_networks.create(dict(body, name="storage-mgmt-b"))
    for change, code in [
        ({}, "CRM_DUPLICATE_NETWORK_NAME"),
        ({"name": "x", "vlanId": 4095}, "CRM_INVALID_VLAN_ID"),
        ({"name": "y", "purpose": "Storage"}, "CRM_INVALID_NETWORK_PURPOSE"),
    ]:
        with pytest.raises(HPOneViewException) as exc:
            ov.ethernet_networks.create(dict(body, **change))
        assert exc.value.oneview_response["errorCode"] == code
    net.delete()
    assert ov.ethernet_networks.get_by_name("storage-mgmt") is None


def test_create_ethernet_networks_in_bulk(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    ov = connect(emu)
    spec = {
        "vlanIdRange": "201-203,210",
        "namePrefix": "tenant",
        "purpose": "General",
        "smartLink": False,
        "privateNetwork": False,
    }
    made = ov.ethernet_networks.create_bulk(spec)  # hpOneView reads them back by name and VLAN
    assert [(n["name"], n["vlanId"]) for n in made] == [
        ("tenant_201", 201),
        ("tenant_202", 202),
        ("tenant_203", 203),
        ("tenant_210", 210),
    ]
    assert all(n["type"] == "ethernet-networkV4" for n in made)
    with pytest.raises(HPOneViewException) as exc:
        ov.ethernet_networks.create_bulk(dict(spec, vlanIdRange="203-204"))  # tenant_203 exists
    assert exc.value.oneview_response["errorCode"] == "CRM_DUPLICATE_NETWORK_NAME"
    assert ov.ethernet_networks.get_by_name("tenant_204") is None  # nothing of a refused bulk is made
    with pytest.raises(HPOneViewException) as exc:
        ov.ethernet_networks.create_bulk(dict(spec, vlanIdRange="4090-4100"))
    assert exc.value.oneview_response["errorCode"] == "CRM_INVALID_BULK_NETWORK_REQUEST"
