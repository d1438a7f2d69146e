"""Contract: unmodified hpOneView 5.3.0 against the OneView emulator.

One emulator for the module (seven DL360 Gen9 and one DL380 Gen9, three per page so collections
span pages); each test uses its own servers and names, so the tests do not depend on each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hpOneView.exceptions import HPOneViewException, HPOneViewTaskError
from hpOneView.oneview_client import OneViewClient

from lifecycle.lab.base import TlsFiles, make_ca
from lifecycle.lab.oneview import OneViewEmulator
from tests.lab.oneview.conftest import client, raw, server, start, template_body

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # hpOneView's ssl/future use


@pytest.fixture(scope="module")
def emu(tls: TlsFiles) -> Iterator[OneViewEmulator]:
    servers = [server(i) for i in range(1, 8)] + [server(8, model="DL380 Gen9 1")]
    e = start(tls, servers, page_size=3)
    yield e
    e.stop()


@pytest.fixture(scope="module")
def ov(emu: OneViewEmulator, tls: TlsFiles) -> OneViewClient:
    return client(emu, tls)


@pytest.fixture(scope="module")
def refs(ov: OneViewClient) -> dict[str, Any]:
    sht = ov.server_hardware_types.get_by_name("DL360 Gen9 1")
    return {"sht": sht.data["uri"],
            "networks": {n["name"]: n["uri"] for n in ov.ethernet_networks.get_all()},
            "baseline": ov.firmware_drivers.get_by("name", "SPP 2022.09.0")[0]["uri"]}


def hardware(ov: OneViewClient, serial: str) -> dict[str, Any]:
    found = ov.server_hardware.get_by("serialNumber", serial)
    assert len(found) == 1
    return found[0]


def make_template(ov: OneViewClient, refs: dict[str, Any], name: str, **kw: Any) -> Any:
    return ov.server_profile_templates.create(
        template_body(refs["sht"], refs["networks"], refs["baseline"], name=name, **kw))


# --- login, versions, TLS -------------------------------------------------------------------------

def test_login_and_version(emu: OneViewEmulator, tls: TlsFiles, ov: OneViewClient) -> None:
    assert ov.connection.get("/rest/version") == {"currentVersion": 2000, "minimumVersion": 120}
    assert ov.connection.get_session_id() in emu.sessions
    # hpOneView can resume a session it holds: credentials {"sessionID"} -> PUT /rest/login-sessions
    ov2 = OneViewClient({"ip": emu.address, "api_version": 1800, "ssl_certificate": str(tls.ca),
                         "credentials": {"sessionID": client(emu, tls).connection.get_session_id()}})
    assert len(ov2.server_hardware.get_all()) == 8
    session = ov2.connection.get_session_id()
    ov2.connection.logout()
    status, body = raw(emu, tls, "GET", "/rest/server-hardware", session=session)
    assert status == 401 and body["errorCode"] == "AUTHORIZATION"


def test_bad_password_is_401(emu: OneViewEmulator, tls: TlsFiles) -> None:
    with pytest.raises(HPOneViewException) as exc:
        client(emu, tls, password="wrong")
    assert exc.value.oneview_response["errorCode"] == "AUTHN_AUTH_FAIL"
    status, body = raw(emu, tls, "POST", "/rest/login-sessions",
                       {"userName": "administrator", "password": "wrong", "loginMsgAck": True})
    assert status == 401
    assert set(body) >= {"errorCode", "message", "details", "recommendedActions"}


def test_calls_need_a_session(emu: OneViewEmulator, tls: TlsFiles) -> None:
    status, body = raw(emu, tls, "GET", "/rest/server-hardware")
    assert status == 401 and body["errorCode"] == "AUTHORIZATION"
    status, body = raw(emu, tls, "GET", "/rest/version")
    assert status == 200 and body["currentVersion"] == 2000


def test_unknown_resources_are_404(emu: OneViewEmulator, tls: TlsFiles, ov: OneViewClient) -> None:
    with pytest.raises(HPOneViewException) as exc:
        ov.server_profiles.get_by_id("no-such-profile")
    body = exc.value.oneview_response
    assert body["errorCode"] == "RESOURCE_NOT_FOUND"
    assert set(body) == {"errorCode", "message", "details", "recommendedActions", "errorSource",
                         "nestedErrors", "data"}
    status, _ = raw(emu, tls, "GET", "/rest/server-hardware/NOPE", session=ov.connection.get_session_id())
    assert status == 404


def test_api_version_above_current(emu: OneViewEmulator, tls: TlsFiles, ov: OneViewClient) -> None:
    with pytest.raises(HPOneViewException, match="Unsupported API Version"):
        client(emu, tls, api=2200)  # hpOneView checks /rest/version itself
    status, body = raw(emu, tls, "GET", "/rest/server-hardware", headers={"X-API-Version": "2200"},
                       session=ov.connection.get_session_id())
    assert status == 412 and "X-API-Version header of 2200" in body["details"]


def test_tls_is_verified_against_the_twin_ca(emu: OneViewEmulator, tls: TlsFiles, tmp_path: Any) -> None:
    other = make_ca(tmp_path / "other-ca")
    with pytest.raises(HPOneViewException, match="CERTIFICATE_VERIFY_FAILED"):
        client(emu, tls, ca=other.ca)


# --- server hardware ------------------------------------------------------------------------------

def test_get_all_follows_pages(emu: OneViewEmulator, ov: OneViewClient) -> None:
    everything = ov.server_hardware.get_all()  # count=-1: three a page, hpOneView follows nextPageUri
    assert sorted(h["name"] for h in everything) == [f"C01 S{i:02d}" for i in range(1, 9)]
    page = ov.connection.get("/rest/server-hardware?start=3&count=2&sort=name:ascending")
    assert (page["count"], page["total"], page["start"]) == (2, 8, 3)
    assert [m["name"] for m in page["members"]] == ["C01 S04", "C01 S05"]
    assert "start=5" in page["nextPageUri"] and "start=1" in page["prevPageUri"]
    assert [h["name"] for h in ov.server_hardware.get_all(start=6, count=5, sort="name:desc")] == \
        ["C01 S02", "C01 S01"]


def test_get_by_and_filters(ov: OneViewClient) -> None:
    assert hardware(ov, "CZJ7000003")["name"] == "C01 S03"
    assert ov.server_hardware.get_by("name", "c01 s04")[0]["serialNumber"] == "CZJ7000004"
    sh = ov.server_hardware
    assert [h["name"] for h in sh.get_all(filter="\"'name' = 'C01 S05'\"")] == ["C01 S05"]
    assert len(sh.get_all(filter="\"model matches 'ProLiant DL3%'\"")) == 8
    assert len(sh.get_all(filter=["\"shortModel='DL360 Gen9'\"", "\"name<>'C01 S01'\""])) == 6
    assert [h["name"] for h in sh.get_all(filter="\"mpHostInfo.mpIpAddresses.address='10.1.0.7'\"")] \
        == ["C01 S07"]
    with pytest.raises(HPOneViewException) as exc:
        sh.get_all(filter="\"name = \"")
    assert exc.value.oneview_response["errorCode"] == "INVALID_FILTER"


def test_server_hardware_document(ov: OneViewClient, refs: dict[str, Any]) -> None:
    h = hardware(ov, "CZJ7000002")
    assert h["uri"] == f"/rest/server-hardware/{h['uuid']}" and h["uuid"].isupper()
    assert (h["model"], h["shortModel"], h["serverHardwareTypeUri"]) == \
        ("ProLiant DL360 Gen9", "DL360 Gen9", refs["sht"])
    assert (h["powerState"], h["state"], h["serverProfileUri"]) == ("On", "NoProfileApplied", None)
    assert h["mpHostInfo"]["mpIpAddresses"] == [{"address": "10.1.0.2", "type": "DHCP"}]
    assert (h["processorCount"], h["processorCoreCount"], h["memoryMb"]) == (2, 14, 393216)
    slot = h["portMap"]["deviceSlots"][0]
    assert (slot["location"], slot["deviceNumber"]) == ("FlexibleLOM", 1)
    assert [(p["portNumber"], p["mac"]) for p in slot["physicalPorts"]] == \
        [(1, "14:02:EC:00:02:01"), (2, "14:02:EC:00:02:02")]


def test_server_hardware_types(ov: OneViewClient) -> None:
    types = {t["name"]: t for t in ov.server_hardware_types.get_all()}
    assert set(types) == {"DL360 Gen9 1", "DL380 Gen9 1"}
    sht = types["DL360 Gen9 1"]
    assert sht["bootModes"] == ["UEFI", "UEFIOptimized", "BIOS"]
    assert set(sht["storageCapabilities"]["raidLevels"]) == \
        {"RAID0", "RAID1", "RAID10", "RAID5", "RAID6", "RAID1ADM"}
    bios = {s["id"]: s for s in sht["biosSettings"]}
    for sid in ("WorkloadProfile", "ProcVirtualization", "IntelProcVtd", "Sriov", "PowerRegulator",
                "NumaGroupSizeOpt"):
        assert bios[sid]["defaultValue"] in [o["id"] for o in bios[sid]["options"]]
    assert "Virtualization-MaxPerformance" in [o["id"] for o in bios["WorkloadProfile"]["options"]]
    ports = [(a["location"], a["deviceNumber"], p["number"]) for a in sht["adapters"] for p in a["ports"]]
    assert ports == [("FlexibleLOM", 1, 1), ("FlexibleLOM", 1, 2)]


def test_catalogues(ov: OneViewClient) -> None:
    assert sorted(n["name"] for n in ov.ethernet_networks.get_all()) == \
        ["control-trunk", "provisioning", "tenant-trunk"]
    fw = ov.firmware_drivers.get_all()
    assert [(f["name"], f["bundleType"], f["version"]) for f in fw] == [("SPP 2022.09.0", "SPP", "2022.09.0")]
    assert ov.enclosure_groups.get_all() == []


# --- templates -----------------------------------------------------------------------------------

def test_template_create_update_and_stale_etag(ov: OneViewClient, refs: dict[str, Any],
                                               emu: OneViewEmulator, tls: TlsFiles) -> None:
    tpl = make_template(ov, refs, "compute-etag")
    assert tpl.data["type"] == "ServerProfileTemplateV8" and tpl.data["uri"].startswith(
        "/rest/server-profile-templates/")
    first = tpl.data["eTag"]
    tpl.update({"description": "second revision"})
    assert tpl.data["description"] == "second revision" and tpl.data["eTag"] != first
    with pytest.raises(HPOneViewException) as exc:
        tpl.update({"description": "lost update", "eTag": first})
    assert exc.value.oneview_response["errorCode"] == "ETAG_MISMATCH"
    body = dict(tpl.data, description="forced")
    status, _ = raw(emu, tls, "PUT", tpl.data["uri"], dict(body, eTag=first),
                    session=ov.connection.get_session_id())
    assert status == 412
    status, _ = raw(emu, tls, "PUT", tpl.data["uri"], dict(body, eTag=first), headers={"If-Match": "*"},
                    session=ov.connection.get_session_id())
    assert status == 202  # If-Match: * forces, as hpOneView's disable_etag_validation() does
    with pytest.raises(HPOneViewException) as exc:
        make_template(ov, refs, "compute-etag")
    assert exc.value.oneview_response["errorCode"] == "DUPLICATE_NAME"


@pytest.mark.parametrize(("change", "code"), [
    ({"bios": [{"id": "IntelVtd", "value": "Enabled"}]}, "INVALID_BIOS_SETTING"),
    ({"bios": [{"id": "PowerRegulator", "value": "Turbo"}]}, "INVALID_BIOS_SETTING_VALUE"),
    ({"raid": "RAID50"}, "INVALID_RAID_LEVEL"),
    ({"drive": "NvmeSsd"}, "INVALID_DRIVE_TECHNOLOGY"),
    ({"boot_mode": "Legacy"}, "INVALID_BOOT_MODE"),
    ({"network": "/rest/ethernet-networks/nope"}, "NETWORK_NOT_FOUND"),
    ({"port": "PCIe 1:1"}, "INVALID_PORT_ID"),
    ({"baseline": "/rest/firmware-drivers/SPP_1999"}, "FIRMWARE_BASELINE_NOT_FOUND"),
    ({"sht": "/rest/server-hardware-types/nope"}, "INVALID_SERVER_HARDWARE_TYPE_URI"),
])
def test_template_validation(ov: OneViewClient, refs: dict[str, Any], change: dict[str, Any],
                             code: str) -> None:
    body = template_body(change.get("sht", refs["sht"]), refs["networks"],
                         change.get("baseline", refs["baseline"]), name=f"bad-{code}",
                         bios=change.get("bios"))
    drive = body["localStorage"]["controllers"][0]["logicalDrives"][0]
    drive["raidLevel"] = change.get("raid", drive["raidLevel"])
    drive["driveTechnology"] = change.get("drive", drive["driveTechnology"])
    body["bootMode"]["mode"] = change.get("boot_mode", body["bootMode"]["mode"])
    conn = body["connectionSettings"]["connections"][0]
    conn["networkUri"] = change.get("network", conn["networkUri"])
    conn["portId"] = change.get("port", conn["portId"])
    with pytest.raises(HPOneViewException) as exc:
        ov.server_profile_templates.create(body)
    assert exc.value.oneview_response["errorCode"] == code
    assert ov.server_profile_templates.get_by_name(f"bad-{code}") is None


def test_new_profile_from_template(ov: OneViewClient, refs: dict[str, Any]) -> None:
    tpl = make_template(ov, refs, "compute-new-profile")
    new = tpl.get_new_profile()
    assert new["type"] == "ServerProfileV12"
    assert (new["serverProfileTemplateUri"], new["serverHardwareTypeUri"]) == (tpl.data["uri"], refs["sht"])
    assert new["bios"]["overriddenSettings"] == tpl.data["bios"]["overriddenSettings"]
    assert new["localStorage"]["controllers"] == tpl.data["localStorage"]["controllers"]
    assert new["name"] is None and new["serverHardwareUri"] is None


# --- profiles ------------------------------------------------------------------------------------

def test_apply_to_powered_on_server_fails(ov: OneViewClient, refs: dict[str, Any]) -> None:
    tpl = make_template(ov, refs, "compute-powered-on")
    sh = hardware(ov, "CZJ7000003")
    profile = dict(tpl.get_new_profile(), name="c01-s03", serverHardwareUri=sh["uri"])
    with pytest.raises(HPOneViewTaskError) as exc:
        ov.server_profiles.create(profile)
    assert exc.value.error_code == "ServerNotOffWithCause"
    assert "is powered on" in exc.value.msg and "* BIOS" in exc.value.msg
    assert ov.server_profiles.get_by_name("c01-s03") is None
    after = hardware(ov, "CZJ7000003")
    assert (after["state"], after["serverProfileUri"], after["powerState"]) == \
        ("NoProfileApplied", None, "On")


def test_profile_lifecycle(ov: OneViewClient, refs: dict[str, Any]) -> None:
    tpl = make_template(ov, refs, "compute-lifecycle")
    sh = ov.server_hardware.get_by_uri(hardware(ov, "CZJ7000004")["uri"])
    off = sh.update_power_state({"powerState": "Off", "powerControl": "PressAndHold"})
    assert off["powerState"] == "Off"

    profile = ov.server_profiles.create(dict(tpl.get_new_profile(), name="c01-s04",
                                             serverHardwareUri=sh.data["uri"]))
    p = profile.data
    assert (p["state"], p["status"], p["templateCompliance"]) == ("Normal", "OK", "Compliant")
    assert (p["serialNumber"], p["serverHardwareUri"]) == ("CZJ7000004", sh.data["uri"])
    assert [c["mac"] for c in p["connectionSettings"]["connections"]] == \
        ["14:02:EC:00:04:01", "14:02:EC:00:04:02"]
    sh.refresh()
    assert (sh.data["state"], sh.data["serverProfileUri"]) == ("ProfileApplied", p["uri"])

    with pytest.raises(HPOneViewTaskError) as exc:  # one profile per server
        ov.server_profiles.create(dict(tpl.get_new_profile(), name="c01-s04-bis",
                                       serverHardwareUri=sh.data["uri"]))
    assert exc.value.error_code == "ProfileAlreadyExistsInServer"

    bios = [dict(s) for s in tpl.data["bios"]["overriddenSettings"]]
    bios[0]["value"] = "LowLatency"
    tpl.update({"bios": dict(tpl.data["bios"], overriddenSettings=bios)})
    profile.refresh()
    assert profile.data["templateCompliance"] == "NonCompliant"
    preview = profile.get_compliance_preview()
    assert preview["isOnlineUpdate"] is False and preview["manualUpdates"] == []
    assert any("WorkloadProfile" in u and "LowLatency" in u for u in preview["automaticUpdates"])

    profile.patch("replace", "/templateCompliance", "Compliant")
    assert profile.data["templateCompliance"] == "Compliant"
    assert profile.data["bios"]["overriddenSettings"][0] == {"id": "WorkloadProfile", "value": "LowLatency"}

    profile.update({"description": "renamed", "name": "c01-s04-renamed"})  # name only: fine while off
    assert profile.data["name"] == "c01-s04-renamed"

    with pytest.raises(HPOneViewException) as exc:
        tpl.delete()
    assert exc.value.oneview_response["errorCode"] == "TEMPLATE_IN_USE"
    assert profile.delete() is True
    assert ov.server_profiles.get_by_name("c01-s04-renamed") is None
    sh.refresh()
    assert (sh.data["state"], sh.data["serverProfileUri"]) == ("NoProfileApplied", None)
    assert tpl.delete() is True


def test_profile_edit_needs_power_off(ov: OneViewClient, refs: dict[str, Any]) -> None:
    tpl = make_template(ov, refs, "compute-edit")
    sh = ov.server_hardware.get_by_uri(hardware(ov, "CZJ7000005")["uri"])
    sh.update_power_state({"powerState": "Off", "powerControl": "MomentaryPress"})
    profile = ov.server_profiles.create(dict(tpl.get_new_profile(), name="c01-s05",
                                             serverHardwareUri=sh.data["uri"]))
    assert sh.update_power_state({"powerState": "On", "powerControl": "MomentaryPress"})["powerState"] == "On"
    storage = profile.data["localStorage"]
    storage["controllers"][0]["logicalDrives"][0]["raidLevel"] = "RAID0"
    with pytest.raises(HPOneViewTaskError) as exc:
        profile.update({"localStorage": storage})
    assert exc.value.error_code == "ServerNotOffWithCauseForNoServerChange"
    assert "* Local Storage" in exc.value.msg
    profile.refresh()
    assert profile.data["localStorage"]["controllers"][0]["logicalDrives"][0]["raidLevel"] == "RAID1"
    assert profile.data["state"] == "Normal"


def test_tasks_are_listed(ov: OneViewClient) -> None:
    tasks = ov.tasks.get_all(filter="\"name='Create'\"")
    assert tasks and {t["taskState"] for t in tasks} <= {"Completed", "Error"}
    errored = [t for t in tasks if t["taskState"] == "Error"]
    assert errored and errored[0]["taskErrors"][0]["errorCode"]
    assert all(t["type"] == "TaskResourceV2" and t["category"] == "tasks" for t in tasks)
