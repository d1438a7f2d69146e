"""The OneView adapter against the OneView emulator, over HTTPS with unmodified hpOneView.

Servers are the example site's rack c02 (as the twin builds them); nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lifecycle.lab.base import LatencyProfile, TlsFiles, make_ca, parse_faults
from lifecycle.lab.oneview import OneViewEmulator
from lifecycle.lab.world import build_world
from lifecycle.model import load_site
from lifecycle.model.endpoints import Endpoints, parse_endpoints
from lifecycle.oneview import (
    IdentityMismatch,
    OneViewError,
    OneViewServers,
    ServerMissing,
    connect,
    diff_template,
    template_body,
)

PASSWORD = "ov-secret-123"


@pytest.fixture(scope="module")
def site() -> Any:
    return load_site("examples/ie1")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_ca(tmp_path_factory.mktemp("ov-ca"))


def _emulator(site: Any, tls: TlsFiles, **kw: Any) -> OneViewEmulator:
    world = build_world(site)
    world.rack("c02")
    specs = [s for s in world.servers if s.rack == "c02"]
    return OneViewEmulator(specs, tls=tls, password=PASSWORD, latency=LatencyProfile("none"), **kw).start()


def _endpoints(emu: OneViewEmulator, tls: TlsFiles, monkeypatch: pytest.MonkeyPatch) -> Endpoints:
    monkeypatch.setenv("I2_TEST_OV_PASSWORD", PASSWORD)
    return parse_endpoints({"oneview": {"url": emu.url, "username": "administrator",
                                        "password": {"env": "I2_TEST_OV_PASSWORD"},
                                        "ca_file": str(tls.ca)}}, "test")


@pytest.fixture(scope="module")
def emu(site: Any, tls: TlsFiles) -> Iterator[OneViewEmulator]:
    e = _emulator(site, tls)
    yield e
    e.stop()


@pytest.fixture
def ov(emu: OneViewEmulator, tls: TlsFiles, monkeypatch: pytest.MonkeyPatch) -> OneViewServers:
    return OneViewServers(connect(_endpoints(emu, tls, monkeypatch)), poll_interval=0.1)


def server(site: Any, name: str) -> Any:
    return next(s for s in site.servers if s.name == name)


def power(ov: OneViewServers, site: Any, name: str) -> str:
    return str(ov.hardware(server(site, name))["powerState"])


def test_template_created_then_unchanged_then_only_the_difference_updated(ov: OneViewServers,
                                                                         site: Any) -> None:
    profile = site.hardware_profiles["dl360g9-compute"]
    first = ov.sync_template(profile)
    assert (first.name, first.action) == ("i2-dl360g9-compute", "created") and first.uri
    again = ov.sync_template(profile)
    assert (again.action, again.changes, again.uri) == ("unchanged", [], first.uri)
    assert ov.observe_template(profile).action == "unchanged"

    changed = profile.model_copy(deep=True)
    changed.bios[0].value = "LowLatency"
    seen = ov.observe_template(changed)
    assert seen.action == "updated" and seen.changes == [
        "bios.overriddenSettings.WorkloadProfile: Virtualization-MaxPerformance -> LowLatency"]
    res = ov.sync_template(changed)
    assert (res.action, res.changes) == ("updated", seen.changes)
    assert ov.sync_template(changed).action == "unchanged"
    assert ov.sync_template(profile).action == "updated"  # back to the site's profile


def test_stale_etag_is_reread_and_retried(ov: OneViewServers, site: Any) -> None:
    profile = site.hardware_profiles["dl380g9-compute-large"]
    ov.sync_template(profile)
    tpl = ov.ov.server_profile_templates.get_by_name("i2-dl380g9-compute-large")
    stale = dict(tpl.data)
    tpl.update({"description": "changed by someone else"})  # OneView's eTag moves on
    current = ov.ov.server_profile_templates.get_by_name("i2-dl380g9-compute-large")
    assert current.data["eTag"] != stale["eTag"]
    res = ov.sync_template(profile)
    assert res.action == "updated" and res.changes == ["description"]


def test_template_body_diff_is_empty_for_itself(site: Any) -> None:
    p = site.hardware_profiles["dl360g9-controller"]
    body = template_body(p, name="x", sht_uri="/sht/1", network_uris={
        "provisioning": "/n/1", "tenant-trunk": "/n/2", "control-trunk": "/n/3"}, baseline_uri="/fw/1")
    assert diff_template(body, body) == []
    assert body["bootMode"]["mode"] == p.boot_mode
    assert [c["portId"] for c in body["connectionSettings"]["connections"]] == \
        [n.port_id for n in p.nics if any(c.nic == n.name for c in p.connections)]


def test_apply_profile_powers_off_only_when_needed_and_is_idempotent(ov: OneViewServers, site: Any) -> None:
    s = server(site, "c02-s01")
    tpl = ov.sync_template(site.hardware_profiles[s.hardware_profile])
    assert power(ov, site, s.name) == "On"
    assert ov.observe_server(s, tpl.uri) == "no profile"
    res = ov.apply_profile(s, tpl.uri, power="on")
    assert (res.action, res.compliance, res.powered_off) == ("created", "Compliant", True)
    assert power(ov, site, s.name) == "On"  # powered back as asked
    assert ov.observe_server(s, tpl.uri) == "ok"
    again = ov.apply_profile(s, tpl.uri, power="on")
    assert (again.action, again.powered_off) == ("unchanged", False)
    tasks = [t["name"] for t in ov.ov.tasks.get_all() if t.get("associatedResource", {}).get(
        "resourceName") == "c02-s01"]
    assert tasks.count("Create") == 1


def test_noncompliant_profile_is_brought_back(ov: OneViewServers, site: Any) -> None:
    s = server(site, "c02-s02")
    profile = site.hardware_profiles[s.hardware_profile]
    tpl = ov.sync_template(profile)
    ov.apply_profile(s, tpl.uri, power="off")
    assert power(ov, site, s.name) == "Off"
    changed = profile.model_copy(deep=True)
    changed.bios[0].value = "LowLatency"
    ov.sync_template(changed)
    state, updates = ov.compliance(s)
    assert state == "NonCompliant" and any("LowLatency" in u for u in updates)
    assert ov.observe_server(s, tpl.uri) == "profile noncompliant"
    res = ov.apply_profile(s, tpl.uri, power="off")
    assert (res.action, res.compliance) == ("updated", "Compliant")
    ov.sync_template(profile)  # restore for the other tests


def test_identity_checks_name_each_mismatch(ov: OneViewServers, site: Any) -> None:
    s = server(site, "c02-s03")
    facts = ov.ironic_facts(s, site.hardware_profiles[s.hardware_profile])
    assert facts.macs == {"nic1": "94:40:c9:03:03:01", "nic2": "94:40:c9:03:03:02"}
    assert facts.ilo == str(s.ilo)
    wrong = s.model_copy(update={"ilo": "10.9.9.9", "nics": [
        s.nics[0].model_copy(update={"mac": "94:40:c9:ff:ff:01"}), s.nics[1]]})
    with pytest.raises(IdentityMismatch) as exc:
        ov.ironic_facts(wrong, site.hardware_profiles[s.hardware_profile])
    assert exc.value.reasons == [
        f"c02-s03: iLO address in OneView {s.ilo}, site says 10.9.9.9",
        "c02-s03: nic1 (FlexibleLOM 1:1) MAC in OneView 94:40:c9:03:03:01, site says 94:40:c9:ff:ff:01",
    ]
    other_model = site.hardware_profiles["dl380g9-compute-large"]
    bad = ov.identity_mismatches(s, ov.hardware(s), other_model)
    assert any("is not DL380 Gen9 1" in b for b in bad), bad


def test_missing_server_is_named(ov: OneViewServers, site: Any) -> None:
    ghost = server(site, "c02-s04").model_copy(update={"name": "c02-s99", "serial": "NOPE0000"})
    with pytest.raises(ServerMissing) as exc:
        ov.hardware(ghost)
    assert str(exc.value) == ("c02-s99: not found in OneView (serial NOPE0000); add it to OneView or "
                              "correct the serial in the site")
    assert ov.observe_server(ghost, None).startswith("missing:")


def test_task_error_is_a_permanent_error_naming_the_server(site: Any, tls: TlsFiles,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    emu = _emulator(site, tls, faults=parse_faults("oneview.task_error=1"))
    try:
        ov = OneViewServers(connect(_endpoints(emu, tls, monkeypatch)), poll_interval=0.1)
        with pytest.raises(OneViewError) as exc:
            ov.sync_template(site.hardware_profiles["dl360g9-compute"])
        assert str(exc.value).startswith("i2-dl360g9-compute: OneView task failed (")
        assert not exc.value.transient
    finally:
        emu.stop()


def test_wrong_password_is_refused_without_echoing_it(emu: OneViewEmulator, tls: TlsFiles,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    ep = _endpoints(emu, tls, monkeypatch)
    monkeypatch.setenv("I2_TEST_OV_PASSWORD", "not-the-password")
    with pytest.raises(OneViewError) as exc:
        connect(ep)
    assert "AUTHN_AUTH_FAIL" in str(exc.value) and "not-the-password" not in str(exc.value)


def test_untrusted_certificate_is_refused(emu: OneViewEmulator, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    other = make_ca(tmp_path / "other-ca")
    with pytest.raises(OneViewError) as exc:
        connect(_endpoints(emu, other, monkeypatch))
    assert "cannot reach OneView" in str(exc.value) and "CERTIFICATE_VERIFY_FAILED" in str(exc.value)
