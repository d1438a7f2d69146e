"""Hazard 8 (issue 12): fabric pushes without a safety net. On the twin's EOS emulator with
unmodified pyeapi: a push is committed under an EOS commit timer and confirmed only once the switch
verifies healthy; a broken one is rolled back, and its MLAG peer is not pushed. "CVX connected" is
the client's connection state, not its ``enabled`` flag.
"""

from __future__ import annotations

import time

import pytest
import yaml
from click.testing import CliRunner

from lifecycle.cli.main import cli
from lifecycle.fabric.eapi import PushFailed, connect, health, push, verify_leaf, verify_unchanged
from tests.fabric.conftest import PASSWORD

LEAF, PEER = "c02-leaf1", "c02-leaf2"


def running(node) -> str:
    return node.enable(["show running-config"], encoding="text")[0]["result"]["output"]


def sessions(node) -> dict:
    return node.enable(["show configuration sessions"])[0]["result"]["sessions"]


def without_bgp(config: str) -> str:
    """``config`` less its ``router bgp`` section: every BGP session of the leaf goes down."""
    out, skip = [], False
    for line in config.splitlines():
        if line.startswith("router bgp"):
            skip = True
        elif skip and not line.startswith(" "):
            skip = False
        if not skip:
            out.append(line)
    return "\n".join(out) + "\n"


def cvx_service(fabric, up: bool) -> None:
    fabric["cvx1"].configure("cvx\n   " + ("no shutdown" if up else "shutdown"))


def test_hazard8_a_push_that_drops_bgp_is_rolled_back_not_confirmed(built, endpoints):
    site, _, _, _ = built
    ep, secrets = endpoints
    node = connect(ep, secrets, LEAF)
    before = running(node)
    assert "router bgp" in before
    with pytest.raises(PushFailed) as exc:
        push(node, without_bgp(before), device=LEAF, confirm_within=60, settle=1, poll=0.2,
             check=lambda: verify_leaf(node, site, "c02", 0))
    assert exc.value.device == LEAF and "bgp 10.254.0." in str(exc.value)
    assert running(node) == before  # rolled back at once, not left for the timer
    assert "pendingCommitTimer" not in {s["state"] for s in sessions(node).values()}


def test_hazard8_an_unconfirmed_commit_rolls_back_by_itself(built, endpoints):
    """What happens when i2 dies between commit and confirm: the switch's timer undoes it."""
    ep, secrets = endpoints
    node = connect(ep, secrets, LEAF)
    before = running(node)
    node.run_commands(["enable", "configure session h8-dies", "rollback clean-config",
                       *[x for x in without_bgp(before).splitlines() if x.strip() not in ("", "!")
                         and not x.startswith("end")],
                       "commit timer 00:00:02"])
    assert "router bgp" not in running(node)
    assert sessions(node)["h8-dies"]["state"] == "pendingCommitTimer"
    time.sleep(3)
    assert running(node) == before


def _ep_file(tmp, fabric, tls) -> str:
    (tmp / "secrets.yaml").write_text(yaml.safe_dump({"eapi": PASSWORD}))
    (tmp / "endpoints.yaml").write_text(yaml.safe_dump({
        "secrets_file": "secrets.yaml", "cvx_servers": ["10.0.0.5"],
        "fabric": {"defaults": {"transport": "https", "username": "i2",
                                "password": {"secret": "eapi"}, "ca_file": str(tls.ca)},
                   "devices": {n: {"host": "127.0.0.1", "port": sw.https_port}
                               for n, sw in fabric.switches.items()}}}))
    return str(tmp / "endpoints.yaml")


def test_hazard8_peers_are_pushed_one_at_a_time_and_the_first_unhealthy_stops(built, endpoints,
                                                                                tmp_path):
    _, fabric, tls, _ = built
    ep, secrets = endpoints
    args = ["--site", "examples/ie1", "--endpoints", _ep_file(tmp_path, fabric, tls),
            "fabric", "push", "c02", "--yes", "--settle", "1", "--confirm-within", "60"]
    nodes = {n: connect(ep, secrets, n) for n in (LEAF, PEER)}
    for n in nodes:  # a hand edit on each: something to push (same password, same hash: no change)
        fabric[n].configure("interface Ethernet48\n   description hand-edited")
    before = {n: running(node) for n, node in nodes.items()}
    cvx_service(fabric, up=False)  # the leaves' CVX connection drops: leaf1 cannot verify
    try:
        res = CliRunner().invoke(cli, args)
    finally:
        cvx_service(fabric, up=True)
    assert res.exit_code == 1, res.output
    assert f"{LEAF}: unhealthy after the push, rolled back" in res.output
    assert f"not pushed: {PEER}" in res.output
    assert {n: running(node) for n, node in nodes.items()} == before  # leaf1 back, leaf2 untouched
    res = CliRunner().invoke(cli, args)  # healthy now: both go, one after the other
    assert res.exit_code == 0, res.output
    assert res.output.index(f"{LEAF}: verified") < res.output.index(f"{PEER}: verified")
    assert all(running(node) != before[n] for n, node in nodes.items())


def test_hazard8_spines_one_by_one_each_keeping_its_sessions(built, endpoints, tmp_path):
    _, fabric, tls, _ = built
    ep, secrets = endpoints
    spine = connect(ep, secrets, "ie1-spine1")
    for n in ("ie1-spine1", "ie1-spine2"):  # a hand edit on each: something to push
        fabric[n].configure("interface Loopback0\n   description hand-edited")
    before = running(spine)
    baseline = health(spine)
    assert baseline["bgp"]  # the built rack's leaves peer with it
    with pytest.raises(PushFailed, match="ie1-spine1: unhealthy"):
        push(spine, without_bgp(before), device="ie1-spine1", confirm_within=60, settle=1,
             poll=0.2, check=lambda: verify_unchanged(spine, "ie1-spine1", baseline))
    assert running(spine) == before
    res = CliRunner().invoke(cli, ["--site", "examples/ie1", "--endpoints",
                                   _ep_file(tmp_path, fabric, tls), "fabric", "push", "spines",
                                   "--yes", "--settle", "5", "--confirm-within", "60"])
    assert res.exit_code == 0, res.output
    assert res.output.index("ie1-spine1: verified") < res.output.index("ie1-spine2: verified")


def test_hazard8_cvx_is_not_connected_when_enabled_but_unreachable(built, endpoints):
    site, fabric, _, _ = built
    ep, secrets = endpoints
    node = connect(ep, secrets, LEAF)
    cvx = lambda: next(f for f in verify_leaf(node, site, "c02", 0) if f.check == "cvx")  # noqa: E731
    assert cvx().ok
    cvx_service(fabric, up=False)
    try:
        shown = node.enable(["show management cvx"])[0]["result"]["clusterStatus"]
        assert shown["enabled"] is True  # still configured to try ...
        assert not cvx().ok  # ... but not connected
        assert "not connected" in cvx().detail
    finally:
        cvx_service(fabric, up=True)
    assert cvx().ok
