"""Hazard 1 (issue 12) on the twin: the in-service rack c01's servers are deployed hypervisors of
ie1-old (active nodes in uc-old's Ironic). With their hardware profile changed in a copy of the
site, `i2 rack plan` shows each as refused and `i2 rack apply` refuses before any run exists:
OneView shows no power change, no profile and no new template."""

from __future__ import annotations

import shutil
from pathlib import Path

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


def test_hazard1_profile_change_on_an_in_service_rack_is_refused_not_powered_off(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("hazard1")
    site = _changed_site(tmp)
    with lab(tmp / "lab", rack=None) as labdir:
        before = i2_json(labdir, "servers", "list", "c01", ok=(0, 1), site=site)
        assert len(before) == 6

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

        after = i2_json(labdir, "servers", "list", "c01", ok=(0, 1), site=site)
        assert [(s["server"], s.get("power"), s.get("profile")) for s in after] == \
            [(s["server"], s.get("power"), s.get("profile")) for s in before]
