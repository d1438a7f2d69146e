"""examples/ie2-buildout, the build-out site, is valid and models what its files say: two
spines, a control rack and three compute racks of mixed hardware, all planned, one Train cloud."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from lifecycle.model import load_site, validate_site

ROOT = Path(__file__).resolve().parents[2]
IE2 = ROOT / "examples/ie2-buildout"


def test_ie2_is_valid():
    site, problems = validate_site(IE2)
    assert problems == []
    assert site is not None and site.site.name == "ie2"
    assert [d.name for d in site.dcs] == ["ie2-dc1"]
    assert [str(ip) for ip in site.site.ntp_servers] == ["10.42.0.1", "10.42.0.2"]
    assert [str(ip) for ip in site.site.dns_servers] == ["10.42.0.3", "10.42.0.4"]


def test_ie2_racks_and_profiles():
    site = load_site(IE2)
    assert [s.name for s in site.spines] == ["ie2-spine1", "ie2-spine2"]
    assert {r.name: (r.kind, r.state) for r in site.racks} == {
        "r01": ("control", "planned"), "c01": ("compute", "planned"),
        "c02": ("compute", "planned"), "c03": ("compute", "planned")}
    assert Counter(s.rack for s in site.servers) == {"r01": 3, "c01": 4, "c02": 4, "c03": 4}
    profiles = {r.name: Counter(s.hardware_profile for s in site.servers_in(r.name))
                for r in site.racks}
    assert profiles == {
        "r01": {"dl360g9-controller": 3},
        "c01": {"dl360g9-compute": 4},
        "c02": {"dl360g9-compute": 2, "dl380g9-compute-large": 2},
        "c03": {"dl380g9-compute-large": 4}}
    assert {s.role for s in site.servers_in("r01")} == {"Controller"}
    assert {s.role for r in ("c01", "c02", "c03") for s in site.servers_in(r)} == {"ComputeNuage"}
    # every profile a server names is one of the repository's hardware profiles
    assert sorted(site.hardware_profiles) == [
        "dl360g9-compute", "dl360g9-controller", "dl380g9-compute-large"]
    assert {r.name: r.leaves.asn for r in site.racks} == {"r01": 65101, "c01": 65102,
                                                         "c02": 65103, "c03": 65104}


def test_ie2_cabling():
    site = load_site(IE2)
    # each rack's leaves on their own spine ports, both spines
    assert site.peer_of("ie2-spine1:Ethernet3/1") == "r01-leaf1:Ethernet49/1"
    assert site.peer_of("ie2-spine2:Ethernet3/8") == "c03-leaf2:Ethernet50/1"
    assert site.peer_of("c02-s03:nic2") == "c02-leaf2:Ethernet3"
    assert site.peer_of("c03-leaf1:Ethernet55/1") == "c03-leaf2:Ethernet55/1"
    assert site.peer_of("ie2-spine1:Ethernet3/9") is None
    uplinks = [(leaf.name, u.port, site.peer_of(f"{leaf.name}:{u.port}"))
               for _, leaf in site.leaves() for u in leaf.uplinks]
    assert len(uplinks) == 16 and all(peer and peer.startswith("ie2-spine") for _, _, peer in uplinks)


def test_ie2_one_train_cloud_with_its_own_undercloud():
    site = load_site(IE2)
    assert [c.name for c in site.clouds] == ["ie2"]
    cloud = site.cloud("ie2")
    assert (cloud.release, cloud.osp_version, cloud.undercloud, cloud.managed) == (
        "train", 16, "uc-ie2", True)
    # the roles' counts are the servers the site gives them
    assert {r.name: r.count for r in cloud.roles} == dict(Counter(s.role for s in site.servers))
    assert cloud.nuage is not None and cloud.nuage.net_partition == "IE2"
    assert cloud.pure is not None and cloud.pure.backend_name == "pure-ie2"
    assert site.nuage is not None and site.nuage.organisation == "IE2"
    assert [d.environment for d in site.nuage.domains] == ["qa", "prd"]
    assert site.loadbalancer is not None
    assert [d.name for d in site.loadbalancer.devices] == ["ie2-adc1"]
    # a build-out: nothing runs on it yet
    assert site.applications == [] and site.upgrade is None
