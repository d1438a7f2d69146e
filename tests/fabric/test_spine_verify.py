"""A spine's verify on the twin's EOS fabric, configured as i2 renders it (tests/fabric/conftest):
BGP to the leaves up so far, LLDP against the plan, CVX; and the gate a rack's ZTP passes."""

from __future__ import annotations

import pytest

from lifecycle.fabric.eapi import connect
from lifecycle.fabric.render import spine_downlinks
from lifecycle.fabric.spines import SpinesUnhealthy, gate_rack, rack_spines, verify_spine


@pytest.fixture
def check(built, endpoints):
    site = built[0]
    ep, secrets = endpoints
    return lambda name, **kw: verify_spine(connect(ep, secrets, name), site, name, **kw)


def _by_check(findings):
    return {f.check: f for f in findings}


def _ip_of(site, spine: str, leaf: str) -> str:
    sp = next(s for s in site.spines if s.name == spine)
    return next(d.peer_ip for d in spine_downlinks(site, sp) if d.peer.startswith(f"{leaf}:"))


def test_healthy_spines_verify(built, check):
    site = built[0]
    for spine in site.spines:
        found = check(spine.name)
        assert [f for f in found if not f.ok] == []
        got = _by_check(found)
        # rack c02 is still 'planned' in the site, but its leaves are up: BGP to them counts
        ip = _ip_of(site, spine.name, "c02-leaf1")
        assert got[f"bgp {ip}"].detail.endswith("Established")
        assert got["cvx"].detail.startswith("connected to 10.0.0.5")
        assert sum(c.startswith("lldp ") for c in got) == len(spine_downlinks(site, spine))
    assert gate_rack(site, "c02", lambda s: check(s)).keys() == {"ie1-spine1", "ie1-spine2"}


def test_leaf_not_up_yet_is_expected_down(built, check):
    site, fabric = built[0], built[1]
    leaf = fabric["c02-leaf1"]
    leaf.power_off()
    try:
        got = _by_check(check("ie1-spine1"))
        ip = _ip_of(site, "ie1-spine1", "c02-leaf1")
        assert got[f"bgp {ip}"].ok and got[f"bgp {ip}"].detail.startswith(
            "expected down: c02-leaf1 not up yet (rack c02 planned)")
        # once the build-out says the rack is provisioned, the same silence is a failure
        late = _by_check(check("ie1-spine1", racks_up=["c02"]))
        assert not late[f"bgp {ip}"].ok and "c02-leaf1" in late[f"bgp {ip}"].detail
    finally:
        leaf.power_on()


def test_missing_bgp_session_fails_naming_the_leaf(built, check):
    site, fabric = built[0], built[1]
    spine = fabric["ie1-spine1"]
    ip = _ip_of(site, "ie1-spine1", "c01-leaf2")
    asn = site.rack("c01").leaves.asn
    spine.cli(f"configure\nrouter bgp 65000\nno neighbor {ip}")
    try:
        bad = [f for f in check("ie1-spine1") if not f.ok]
        assert [(f.check, f.detail) for f in bad] == [(f"bgp {ip}", f"c01-leaf2 (AS {asn}): absent")]
        with pytest.raises(SpinesUnhealthy, match=rf"rack c01: .*spine ie1-spine1 unhealthy: "
                                                  rf"ie1-spine1: bgp {ip} \(c01-leaf2"):
            gate_rack(site, "c01", lambda s: check(s))
    finally:
        spine.cli(f"configure\nrouter bgp 65000\nneighbor {ip} remote-as {asn}\n"
                  f"neighbor {ip} description c01-leaf2:Ethernet49/1")
    assert all(f.ok for f in check("ie1-spine1"))


def test_miswire_fails_naming_both_ends(built, check):
    fabric = built[1]
    links = list(fabric.links)
    fabric.miswire("ie1-spine2:Ethernet3/3~ie1-spine2:Ethernet3/4")
    try:
        bad = _by_check(f for f in check("ie1-spine2") if not f.ok)
        assert bad["lldp Ethernet3/3"].detail == (
            "miswired: expected c01-leaf1:Ethernet50/1, saw c01-leaf2:Ethernet50/1")
        assert bad["lldp Ethernet3/4"].detail == (
            "miswired: expected c01-leaf2:Ethernet50/1, saw c01-leaf1:Ethernet50/1")
    finally:
        fabric.set_links(links)


def test_unreachable_spine_refuses_the_rack(built):
    site = built[0]
    assert rack_spines(site, "c02") == ["ie1-spine1", "ie1-spine2"]

    def down(name: str):
        raise ConnectionError(f"{name}: connection refused")

    with pytest.raises(SpinesUnhealthy, match="spine ie1-spine1, ie1-spine2 unhealthy: "
                                              "ie1-spine1: eapi"):
        gate_rack(site, "c02", down)
