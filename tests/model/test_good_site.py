"""tests/data/good-site, the base of every bad-sites case, is valid; edits show in its digest."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from lifecycle.model import SiteInvalid, load_site, validate_site

DATA = Path(__file__).resolve().parents[1] / "data"
GOOD = DATA / "good-site"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(GOOD, site)
    return site


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_good_site_is_valid():
    site, problems = validate_site(GOOD)
    assert problems == []
    assert site is not None and site.site.name == "gs1"


def test_good_site_model():
    site = load_site(GOOD)
    assert [s.name for s in site.spines] == ["gs1-spine1", "gs1-spine2"]
    assert Counter(s.rack for s in site.servers) == {"r01": 1, "c01": 2}
    assert {r.name: r.kind for r in site.racks} == {"c01": "compute", "r01": "control"}
    assert len(site.leaves()) == 4
    assert sorted(site.hardware_profiles) == ["dl360g9-compute", "dl360g9-controller"]
    assert [c.name for c in site.clouds] == ["gs1-old", "gs1-new"]
    assert site.upgrade is not None and site.upgrade.from_cloud == "gs1-old"
    assert site.peer_of("c01-s02:nic2") == "c01-leaf2:Ethernet2"
    assert site.peer_of("c01-leaf2:Ethernet2") == "c01-s02:nic2"
    assert site.peer_of("c01-leaf2:Ethernet3") is None


def test_relative_and_absolute_paths_agree(monkeypatch: pytest.MonkeyPatch):
    # the site's own hardware-profiles/ must be read as profiles, not as section files
    monkeypatch.chdir(DATA)
    site, problems = validate_site("good-site")
    assert problems == []
    assert site is not None and site.digest == load_site(GOOD.resolve()).digest


def test_digest_depends_on_content_not_location(copy: Path):
    original = load_site(GOOD).digest
    assert original.startswith("sha256:")
    assert load_site(copy).digest == original
    edit(copy / "upgrade.yaml", "soak_seconds: 0", "soak_seconds: 5")
    changed = load_site(copy).digest
    assert changed != original
    edit(copy / "hardware-profiles/dl360g9-compute.yaml", "memory_mb: 393216", "memory_mb: 524288")
    assert load_site(copy).digest not in (original, changed)


def test_every_independent_problem_is_reported(copy: Path):
    edit(copy / "racks/c01.yaml", "serial: CZJ9020002", "serial: CZJ9020001")
    edit(copy / "applications.yaml", "b: 10.20.2.64/26", "b: 10.20.3.64/26")
    edit(copy / "upgrade.yaml", "applications: [web]", "applications: [web, mail]")
    site, problems = validate_site(copy)
    assert site is None
    got = {(p.file, p.line, p.field) for p in problems}
    assert got == {
        ("racks/c01.yaml", 48, "servers[c01-s02].serial"),
        ("applications.yaml", 25, "applications[api].environments.prd.subnets"),
        ("upgrade.yaml", 8, "upgrade.waves[wave1].applications[1]"),
    }, problems
    with pytest.raises(SiteInvalid) as exc:
        load_site(copy)
    assert exc.value.problems == problems
    assert "3 problem(s)" in str(exc.value)


def test_malformed_file_does_not_hide_the_others(copy: Path):
    edit(copy / "nuage.yaml", "  domain_template:", "\tdomain_template:")
    edit(copy / "racks/c01.yaml", "u: 4", "u: 53")
    edit(copy / "fabric.yaml", "asn: 65000\n    loopback: 10.255.0.2", "asn: 65000\n    loopback: 10.255.1.4")
    _, problems = validate_site(copy)
    got = {(p.file, p.field, p.code) for p in problems}
    assert ("nuage.yaml", "", "yaml") in got
    assert ("racks/c01.yaml", "servers[c01-s02].u", "less_than_equal") in got
    assert ("racks/c01.yaml", "racks[c01].leaves.leaves[c01-leaf2].loopback", "duplicate") in got
