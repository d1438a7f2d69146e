"""Hazard 1 (issue 12) on the twin: the in-service rack c01's servers are deployed hypervisors of
ie1-old (active nodes in uc-old's Ironic). With their hardware profile changed in a copy of the
site, `i2 rack plan` shows each as refused and `i2 rack apply` refuses before any run exists:
OneView shows no power change, no profile and no new template. `i2 servers apply` refuses the
same servers the same way."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.runbooks.twin import ROOT, SITE, i2, i2_json, lab

pytestmark = [pytest.mark.needs_root("ZTP's mount namespaces need root"),
              pytest.mark.slow(90)]


def _changed_site(tmp: Path) -> Path:
    """examples/ie1 with dl360g9-compute's WorkloadProfile changed (site.yaml reads
    ../../hardware-profiles)."""
    site = tmp / "sites" / "ie1"
    shutil.copytree(SITE, site)
    profiles = shutil.copytree(ROOT / "hardware-profiles", tmp / "hardware-profiles")
    p = profiles / "dl360g9-compute.yaml"
    text = p.read_text()
    assert "value: Virtualization-MaxPerformance" in text
    p.write_text(text.replace("value: Virtualization-MaxPerformance", "value: LowLatency"))
    return site


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """One lab for the module: (lab dir, the changed site)."""
    tmp = tmp_path_factory.mktemp("hazard1")
    site = _changed_site(tmp)
    with lab(tmp / "lab", rack=None) as labdir:
        yield labdir, site


def _power_and_profiles(labdir: Path, site: Path) -> list[tuple[str, Any, Any]]:
    servers = i2_json(labdir, "servers", "list", "c01", ok=(0, 1), site=site)
    assert len(servers) == 6
    return [(s["server"], s.get("power"), s.get("profile")) for s in servers]


def test_hazard1_profile_change_on_an_in_service_rack_is_refused_not_powered_off(
        estate: tuple[Path, Path]) -> None:
    labdir, site = estate
    before = _power_and_profiles(labdir, site)

    plan = i2_json(labdir, "rack", "plan", "c01", ok=(0, 1, 2), site=site)
    rows = {r["object"]: r for r in plan["changes"] if r["system"] == "oneview"}
    for n in range(1, 7):
        row = rows[f"c01-s0{n}"]
        assert row["action"] == "blocked", row
        assert f"refused: c01-s0{n} is serving" in row["detail"] and "'active'" in row["detail"], row

    res = i2(labdir, "-o", "json", "rack", "apply", "c01", "--yes", site=site)
    assert res.returncode != 0, res.stdout + res.stderr
    for n in range(1, 7):
        assert f"c01-s0{n}: its Ironic node in uc-old is 'active'" in res.stderr, res.stderr
    assert "nothing was touched" in res.stderr
    assert i2_json(labdir, "runs", "list", site=site) == []
    assert _power_and_profiles(labdir, site) == before


def test_hazard1_servers_apply_refuses_serving_servers_before_touching_anything(
        estate: tuple[Path, Path]) -> None:
    """`i2 servers apply` (OneView only, no run) applies the rule `i2 rack apply` applies: the
    dry run shows each serving server refused; the apply refuses all of them, names each and why,
    and leaves OneView as it was (no template synced, no profile applied, no power change)."""
    labdir, site = estate
    before = _power_and_profiles(labdir, site)
    templates = i2_json(labdir, "servers", "templates", "sync", "--profile", "dl360g9-compute", "--dry-run",
                        ok=(0, 1), site=site)
    [pending] = [t["action"] for t in templates]
    assert pending in ("created", "updated"), templates  # the profile change is pending

    dry = i2_json(labdir, "servers", "apply", "c01", "--dry-run", ok=(1,), site=site)
    assert {d["server"] for d in dry} == {f"c01-s0{n}" for n in range(1, 7)}
    for d in dry:
        assert d["state"].startswith(f"refused: {d['server']}: its Ironic node in uc-old is 'active'"), d

    res = i2(labdir, "-o", "json", "servers", "apply", "c01", "--server", "c01-s01", "--server", "c01-s02",
             "--yes", "--power", "off", site=site)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "refused: serving servers, drain them first through the upgrade's recommission" in res.stderr
    assert "nothing was touched" in res.stderr
    for name in ("c01-s01", "c01-s02"):
        assert f"{name}: its Ironic node in uc-old is 'active'" in res.stderr, res.stderr
        assert f"its profile would change (template {pending}) and power it off" in res.stderr, res.stderr
    assert "c01-s03" not in res.stderr

    assert _power_and_profiles(labdir, site) == before
    again = i2_json(labdir, "servers", "templates", "sync", "--profile", "dl360g9-compute", "--dry-run",
                    ok=(0, 1), site=site)
    assert [t["action"] for t in again] == [pending], again  # the template was not synced either
