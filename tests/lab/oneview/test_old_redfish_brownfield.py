"""An in-service server with an old iLO (iLO 4 2.40) on the OneView twin: an operator's hpOneView
script sees its model and firmware; i2 reports it as drift against the hardware profile's iLO
minimum, naming what it lacks, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import lifecycle
from lifecycle.lab.oneview import OneViewEmulator
from lifecycle.lab.oneview.brownfield import OLD_REDFISH_MP, seed_hardware
from lifecycle.lab.world import build_world
from lifecycle.model import load_site
from lifecycle.model.hardware import HardwareProfile
from lifecycle.oneview import OneViewServers

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # hpOneView's ssl/future use

SITE = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")


@pytest.fixture
def emu(emu_factory: Callable[..., OneViewEmulator]) -> OneViewEmulator:
    return emu_factory(build_world(SITE).servers)


def test_old_ilo_reported_as_drift_and_left_alone(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    left = seed_hardware(emu)
    (old,) = left["old_redfish"]
    assert old not in left["old_firmware"]  # two features, two servers
    ov = connect(emu)
    server = next(s for s in SITE.servers if s.name == old)
    sh = ov.server_hardware.get_by("serialNumber", server.serial)[0]
    assert (sh["mpModel"], sh["mpFirmwareVersion"]) == ("iLO4", OLD_REDFISH_MP)
    before = {p["name"]: p["eTag"] for p in ov.server_profiles.get_all()}

    i2 = OneViewServers(ov, poll_interval=0.05)
    profile = SITE.hardware_profiles[server.hardware_profile]
    assert profile.ilo is not None
    drift = i2.ilo_drift(server, profile)
    assert drift.startswith(f"iLO iLO4 {OLD_REDFISH_MP} older than the profile needs "
                            f"(iLO4 {profile.ilo.firmware})")
    assert "BootSourceOverrideMode" in drift and "InsertMedia" in drift
    others = [s for s in SITE.servers if s.rack == server.rack and s.name != old]
    assert others and all(i2.ilo_drift(s, SITE.hardware_profiles[s.hardware_profile]) == "" for s in others)
    assert {p["name"]: p["eTag"] for p in ov.server_profiles.get_all()} == before  # read only


def test_switched_off(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    assert seed_hardware(emu, old_redfish=False)["old_redfish"] == []
    i2 = OneViewServers(connect(emu), poll_interval=0.05)
    assert all(i2.ilo_drift(s, SITE.hardware_profiles[s.hardware_profile]) == ""
               for s in SITE.servers if SITE.rack(s.rack).state == "in-service")


def test_the_minimum_must_fit_the_server_model() -> None:
    base = SITE.hardware_profiles["dl360g9-compute"].model_dump()
    with pytest.raises(ValidationError, match="has an iLO 4"):
        HardwareProfile.model_validate({**base, "ilo": {"model": "iLO5", "firmware": "1.40"}})
    with pytest.raises(ValidationError, match="firmware"):
        HardwareProfile.model_validate({**base, "ilo": {"model": "iLO4", "firmware": "v2"}})
    assert HardwareProfile.model_validate({**base, "ilo": None}).ilo is None
