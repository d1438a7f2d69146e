"""Hardware brownfield on the OneView twin (examples/ie1): in-service servers carry the platform
team's profiles from its own template, one runs firmware below every baseline. An operator's
hpOneView script sees them; i2's plan reports them (foreign, drift) and its apply leaves them be."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import lifecycle
from lifecycle.lab.oneview import OneViewEmulator
from lifecycle.lab.oneview.brownfield import OLD_ROM, seed_hardware
from lifecycle.lab.world import build_world
from lifecycle.model import load_site
from lifecycle.oneview import OneViewError, OneViewServers

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # hpOneView's ssl/future use

SITE = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")


@pytest.fixture
def emu(emu_factory: Callable[..., OneViewEmulator]) -> OneViewEmulator:
    return emu_factory(build_world(SITE).servers)


def test_what_an_operator_finds(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    left = seed_hardware(emu)
    assert seed_hardware(emu) == left  # idempotent: a restarted twin adds nothing
    in_service = {s.name for s in SITE.servers if SITE.rack(s.rack).state == "in-service"}
    assert set(left["profiles"]) == in_service
    ov = connect(emu)
    templates = {t["name"]: t for t in ov.server_profile_templates.get_all()}
    assert (
        set(templates) == {"OSP10-DL360Gen9-Compute", "OSP10-DL360Gen9-Controller"} == set(left["templates"])
    )
    assert all(t["created"].startswith("2019-") for t in templates.values())
    profiles = ov.server_profiles.get_all()
    assert sorted(p["name"] for p in profiles) == sorted(f"osp10-{n}" for n in in_service)
    assert {p["templateCompliance"] for p in profiles} == {"Compliant"}
    for sh in ov.server_hardware.get_all():
        if sh["serialNumber"] in {s.serial for s in SITE.servers if s.name in in_service}:
            assert (sh["state"], sh["powerState"]) == ("ProfileApplied", "On")
    (old,) = left["old_firmware"]
    sh = ov.server_hardware.get_by("serialNumber", next(s.serial for s in SITE.servers if s.name == old))[0]
    assert sh["romVersion"] == OLD_ROM
    team_spp = ov.firmware_drivers.get_by("name", "SPP 2019.12.0")[0]
    assert [c["swKeyNameList"] for c in team_spp["fwComponents"]] == [["System ROM"], ["iLO"]]


def test_i2_reports_foreign_and_drift_and_leaves_them(
    emu: OneViewEmulator, connect: Callable[..., Any]
) -> None:
    left = seed_hardware(emu)
    ov = connect(emu)
    i2 = OneViewServers(ov, poll_interval=0.05)
    (old,) = left["old_firmware"]
    server = next(s for s in SITE.servers if s.name == old)
    other = next(s for s in SITE.servers if s.rack == server.rack and s.name != old)
    tpl = i2.sync_template(SITE.hardware_profiles[server.hardware_profile])
    before = {p["name"]: (p["eTag"], p["serverProfileTemplateUri"]) for p in ov.server_profiles.get_all()}

    state = i2.observe_server(server, tpl.uri)
    assert state.startswith(f"mismatch: foreign profile 'osp10-{old}' from template 'OSP10-DL360Gen9-")
    assert "left alone" in state
    assert f"drift: System ROM {OLD_ROM} below baseline SPP 2022.09.0" in state
    assert "drift: iLO 2.55" in state
    other_state = i2.observe_server(other, tpl.uri)
    assert (
        other_state.startswith(f"mismatch: foreign profile 'osp10-{other.name}'")
        and "drift" not in other_state
    )

    with pytest.raises(OneViewError, match="already has another profile"):
        i2.apply_profile(server, str(tpl.uri), power="keep")
    after = {p["name"]: (p["eTag"], p["serverProfileTemplateUri"]) for p in ov.server_profiles.get_all()}
    assert after == before  # untouched: not re-profiled, not adopted
    sh = ov.server_hardware.get_by("serialNumber", server.serial)[0]
    assert (sh["powerState"], sh["romVersion"]) == ("On", OLD_ROM)  # not powered off, not flashed


def test_switched_off(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    left = seed_hardware(emu, profiles=False, old_firmware=False, old_redfish=False)
    assert left == {"profiles": {}, "templates": [], "old_firmware": [], "old_redfish": []}
    ov = connect(emu)
    assert ov.server_profiles.get_all() == [] and ov.server_profile_templates.get_all() == []
    assert {sh["state"] for sh in ov.server_hardware.get_all()} == {"NoProfileApplied"}


def test_replaced_only_when_the_operator_asks(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    seed_hardware(emu)
    ov = connect(emu)
    i2 = OneViewServers(ov, poll_interval=0.05)
    server = next(s for s in SITE.servers if s.rack == "c01")
    tpl = i2.sync_template(SITE.hardware_profiles[server.hardware_profile])
    said: list[str] = []
    res = i2.apply_profile(server, str(tpl.uri), power="keep", log=said.append, replace_foreign=True)
    assert (res.action, res.compliance, res.powered_off, res.power) == ("created", "Compliant", True, "On")
    assert any(f"removing the foreign profile 'osp10-{server.name}'" in line for line in said)
    names = {p["name"] for p in ov.server_profiles.get_all()}
    assert server.name in names and f"osp10-{server.name}" not in names
    assert i2.observe_server(server, tpl.uri) == "ok"
    sh = ov.server_hardware.get_by("serialNumber", server.serial)[0]
    assert sh["powerState"] == "On"  # back as it was


def test_i2_profile_brings_old_firmware_to_its_baseline(
    emu: OneViewEmulator, connect: Callable[..., Any]
) -> None:
    (old,) = seed_hardware(emu)["old_firmware"]
    ov = connect(emu)
    i2 = OneViewServers(ov, poll_interval=0.05)
    server = next(s for s in SITE.servers if s.name == old)
    tpl = i2.sync_template(SITE.hardware_profiles[server.hardware_profile])
    i2.apply_profile(server, str(tpl.uri), replace_foreign=True)
    sh = ov.server_hardware.get_by("serialNumber", server.serial)[0]
    assert (sh["romVersion"], sh["mpFirmwareVersion"]) == ("P89 v2.80 (10/16/2020)", "2.78 Apr 28 2021")
    assert i2.firmware_drift(sh, tpl.uri) == []
