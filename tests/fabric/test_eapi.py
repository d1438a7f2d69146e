"""Day-2 over eAPI with unmodified pyeapi: diff and push through config sessions, verify."""

from __future__ import annotations

import pyeapi
import pytest

from lifecycle.fabric import render_switches
from lifecycle.fabric.eapi import connect, diff, push, secret_hash, verify_leaf
from tests.fabric.conftest import PASSWORD


def running(node) -> str:
    # pyeapi caches Node.running_config after the first read: ask the switch each time.
    return node.enable(["show running-config"], encoding="text")[0]["result"]["output"]


def startup(node) -> str:
    return node.enable(["show startup-config"], encoding="text")[0]["result"]["output"]


def rendered(site, **kw):
    return render_switches(site, secret_hash=secret_hash(PASSWORD, "ie1"),
                           cvx_hosts=("10.0.0.5",), **kw)


def test_verify_a_correct_rack(built, endpoints):
    site, _, _, _ = built
    ep, secrets = endpoints
    for i, leaf in enumerate(site.rack("c02").leaves.leaves):
        findings = verify_leaf(connect(ep, secrets, leaf.name), site, "c02", i)
        assert [f for f in findings if not f.ok] == []
        uplink_peers = {f"bgp {u.subnet.network_address + 1}" for u in leaf.uplinks}
        assert {f.check for f in findings} >= {"mlag", "cvx", "lldp Ethernet49/1", *uplink_peers}


def test_diff_then_push_then_nothing_left(built, endpoints):
    site, _, _, _ = built
    ep, secrets = endpoints
    node = connect(ep, secrets, "c01-leaf1")
    intended = rendered(site)["c01-leaf1"]
    assert diff(node, intended).strip() == ""  # running == intended: no change
    changed = intended.replace("   description c01-s03\n", "").replace(
        "description c01-s02:nic1", "description c01-s02:nic1 (bond a)")
    d = diff(node, changed)
    assert "-   description c01-s03" in d and "+   description c01-s02:nic1 (bond a)" in d
    assert "description c01-s02:nic1 (bond a)" not in running(node)  # diff changed nothing
    body = lambda text: text.split("\n", 2)[2]  # noqa: E731 - headers name the session
    check = lambda: verify_leaf(node, site, "c01", 0)  # noqa: E731
    assert body(push(node, changed, device="c01-leaf1", check=check, settle=5)) == body(d)
    assert "description c01-s02:nic1 (bond a)" in running(node)
    assert "description c01-s02:nic1 (bond a)" in startup(node)  # saved
    assert diff(node, changed).strip() == ""
    push(node, intended, device="c01-leaf1", check=check, settle=5)  # back for the other tests
    assert diff(node, intended).strip() == ""


def test_verify_names_a_miswire_and_a_broken_bgp(built, endpoints):
    site, fabric, _, _ = built
    ep, secrets = endpoints
    fabric.miswire("c02-leaf1:Ethernet50/1~c02-leaf2:Ethernet50/1")
    try:
        bad = [f for f in verify_leaf(connect(ep, secrets, "c02-leaf1"), site, "c02", 0)
               if not f.ok]
        checks = {f.check: f.detail for f in bad}
        assert "lldp Ethernet50/1" in checks
        assert checks["lldp Ethernet50/1"] == \
            "expected ie1-spine2:Ethernet3/5, saw ie1-spine2:Ethernet3/6"
        assert "bgp 10.254.0.19" in checks  # the /31 no longer meets its spine
    finally:
        fabric.miswire("c02-leaf1:Ethernet50/1~c02-leaf2:Ethernet50/1")


def test_tls_is_verified(endpoints, tmp_path):
    ep, secrets = endpoints
    other = ep.model_copy(deep=True)
    from lifecycle.lab.base import make_ca

    other.fabric.defaults.ca_file = str(make_ca(tmp_path).ca)  # a CA that did not sign it
    with pytest.raises(pyeapi.eapilib.ConnectionError):
        connect(other, secrets, "c01-leaf1").enable(["show version"])
