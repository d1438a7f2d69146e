"""examples/ie1, the reference site, is valid and models what its files say."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from lifecycle.model import load_site, validate_site

ROOT = Path(__file__).resolve().parents[2]
IE1 = ROOT / "examples/ie1"


def test_example_is_valid():
    site, problems = validate_site(IE1)
    assert problems == []
    assert site is not None and site.site.name == "ie1"


def test_example_racks_and_servers():
    site = load_site(IE1)
    assert Counter(s.rack for s in site.servers) == {"r01": 3, "c01": 6, "c02": 8}
    c02 = site.rack("c02")
    assert c02.state == "planned" and c02.kind == "compute"
    assert len(site.servers_in("c02")) == 8
    assert {s.cloud for s in site.servers_in("c02")} == {"ie1-new"}
    assert [s.hardware_profile for s in site.servers_in("c02")].count("dl380g9-compute-large") == 2
    assert site.rack("c01").state == "in-service"
    assert [leaf.name for _, leaf in site.leaves()][:2] == ["c01-leaf1", "c01-leaf2"]


def test_example_cabling():
    site = load_site(IE1)
    assert site.peer_of("c02-s07:nic1") == "c02-leaf1:Ethernet7"
    assert site.peer_of("ie1-spine1:Ethernet3/5") == "c02-leaf1:Ethernet49/1"
    assert site.peer_of("r01-leaf1:Ethernet55/1") == "r01-leaf2:Ethernet55/1"
    assert site.peer_of("ie1-spine1:Ethernet3/36") is None


def test_example_clouds_apps_upgrade():
    site = load_site(IE1)
    assert sorted(site.hardware_profiles) == [
        "dl360g9-compute", "dl360g9-controller", "dl380g9-compute-large"]
    assert site.cloud("ie1-old").managed is False
    assert [a.name for a in site.applications if a.stateful] == ["orders", "billing"]
    assert site.application("billing").environments["prd"].subnets.b.compressed == "10.20.4.64/26"
    assert site.upgrade is not None
    assert [w.name for w in site.upgrade.waves] == ["wave1", "wave2"]
    assert site.upgrade.recommission[0].servers == [s.name for s in site.servers_in("c01")]
    assert site.digest.startswith("sha256:") and site.digest == load_site(IE1).digest
