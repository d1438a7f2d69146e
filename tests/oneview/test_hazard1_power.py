"""Hazard 1 at the OneView adapter: a power-off is graceful first (momentary press), and forced
(press-and-hold) only after a timeout the step's log states. Against the OneView emulator over HTTPS
with unmodified hpOneView; nothing is mocked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from lifecycle.lab.base import LatencyProfile, TlsFiles, make_ca
from lifecycle.lab.oneview import OneViewEmulator
from lifecycle.lab.world import build_world
from lifecycle.model import load_site
from lifecycle.model.endpoints import parse_endpoints
from lifecycle.oneview import OneViewServers, connect

PASSWORD = "ov-secret-123"


@pytest.fixture(scope="module")
def site() -> Any:
    return load_site("examples/ie1")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_ca(tmp_path_factory.mktemp("ov-ca"))


@pytest.fixture(scope="module")
def emu(site: Any, tls: TlsFiles) -> Iterator[OneViewEmulator]:
    world = build_world(site)
    world.rack("c02")
    e = OneViewEmulator([s for s in world.servers if s.rack == "c02"], tls=tls, password=PASSWORD,
                        latency=LatencyProfile("none")).start()
    yield e
    e.stop()


def _ov(emu: OneViewEmulator, tls: TlsFiles, monkeypatch: pytest.MonkeyPatch,
        graceful: float) -> OneViewServers:
    monkeypatch.setenv("I2_TEST_OV_PASSWORD", PASSWORD)
    eps = parse_endpoints({"oneview": {"url": emu.url, "username": "administrator",
                                       "password": {"env": "I2_TEST_OV_PASSWORD"}, "ca_file": str(tls.ca)}},
                          "test")
    return OneViewServers(connect(eps), poll_interval=0.1, graceful_timeout=graceful)


def _server(site: Any, name: str) -> Any:
    return next(s for s in site.servers if s.name == name)


def _power_offs(ov: OneViewServers, server: Any) -> int:
    return sum(1 for t in ov.ov.tasks.get_all() if t.get("name") == "Power off"
               and t.get("associatedResource", {}).get("resourceName") == server.oneview_name)


def test_hazard1_power_off_is_graceful_when_the_os_shuts_down(emu: OneViewEmulator, tls: TlsFiles, site: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ov = _ov(emu, tls, monkeypatch, graceful=30.0)
    s = _server(site, "c02-s01")
    tpl = ov.sync_template(site.hardware_profiles[s.hardware_profile])
    lines: list[str] = []
    res = ov.apply_profile(s, tpl.uri, power="off", log=lines.append)
    assert res.powered_off and ov.hardware(s)["powerState"] == "Off"
    assert _power_offs(ov, s) == 1  # the momentary press sufficed
    assert any("momentary press sent; waiting up to 30 s" in x for x in lines)
    assert not any("press-and-hold" in x and "still on" in x for x in lines)


def test_hazard1_power_off_is_forced_only_after_the_visible_timeout(
        emu: OneViewEmulator, tls: TlsFiles, site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ov = _ov(emu, tls, monkeypatch, graceful=1.0)
    s = _server(site, "c02-s02")
    emu.ignore_power_button(s.name)  # a host whose OS ignores the power button
    hw = ov.ov.server_hardware.get_by_uri(ov.hardware(s)["uri"])
    hw.update_power_state({"powerState": "Off", "powerControl": "MomentaryPress"})
    assert ov.hardware(s)["powerState"] == "On"  # the emulator is faithful: a press is not a power-off
    tpl = ov.sync_template(site.hardware_profiles[s.hardware_profile])
    lines: list[str] = []
    start = time.monotonic()
    res = ov.apply_profile(s, tpl.uri, power="off", log=lines.append)
    assert time.monotonic() - start >= 1.0
    assert res.powered_off and ov.hardware(s)["powerState"] == "Off"
    assert _power_offs(ov, s) == 3  # the test's press, i2's press, then i2's press-and-hold
    assert [x.split(": ", 1)[1] for x in lines] == [
        "momentary press sent; waiting up to 1 s for its OS to power off before press-and-hold",
        "still on 1 s after the momentary press: press-and-hold"]
