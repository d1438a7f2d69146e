"""`i2 fabric diff` on switches the network team configured by hand (the twin's brownfield
writer, not i2's renderer): only differences in meaning show, each named and explained; the
operational state is right, so verification passes; a push says what it removes."""

from __future__ import annotations

import pytest
import yaml

from lifecycle.fabric.drift import explain, review
from lifecycle.fabric.eapi import connect, verify_leaf
from lifecycle.fabric.intent import intended_configs
from lifecycle.lab.base import make_ca
from lifecycle.lab.eos import CVX, Fabric
from lifecycle.lab.eos.estate_configs import typed_configs
from lifecycle.lab.world import build_world
from lifecycle.model import load_site
from lifecycle.model.endpoints import SecretStore, load_endpoints

PASSWORD = "drift-test-pass"


def _lab(tmp, brownfield: bool):
    site = load_site("examples/ie1")
    configs = typed_configs(site, password=PASSWORD, cvx_hosts=("10.0.0.5",), brownfield=brownfield)
    tls = make_ca(tmp / "tls")
    cvx = CVX("cvx1", "SSJ1", "00:1c:73:00:99:01", mgmt_ip="10.0.0.5", password="x",
              flash_dir=tmp / "flash" / "cvx1")
    fabric = Fabric.from_world(build_world(site), configs=configs, flash_root=tmp / "flash",
                               extra=(cvx,))
    assert all(not fabric[n].boot_errors for n in configs)
    fabric.serve(tls=tls)
    (tmp / "secrets.yaml").write_text(yaml.safe_dump({"eapi": PASSWORD}))
    (tmp / "endpoints.yaml").write_text(yaml.safe_dump({
        "secrets_file": "secrets.yaml", "cvx_servers": ["10.0.0.5"],
        "fabric": {"defaults": {"transport": "https", "username": "i2",
                                "password": {"secret": "eapi"}, "ca_file": str(tls.ca)},
                   "devices": {n: {"host": "127.0.0.1", "port": sw.https_port}
                               for n, sw in fabric.switches.items()}}}))
    ep = load_endpoints(tmp / "endpoints.yaml")
    return site, fabric, ep, SecretStore(ep), tmp / "endpoints.yaml"


@pytest.fixture(scope="module")
def brownfield(tmp_path_factory):
    site, fabric, ep, secrets, path = _lab(tmp_path_factory.mktemp("brown"), True)
    yield site, fabric, ep, secrets, path
    fabric.stop()


@pytest.fixture(scope="module")
def greenfield(tmp_path_factory):
    site, fabric, ep, secrets, path = _lab(tmp_path_factory.mktemp("green"), False)
    yield site, fabric, ep, secrets, path
    fabric.stop()


def test_hand_typed_configs_without_drift_diff_clean(greenfield) -> None:
    """Typed by others, in their order, with their own hash salts: the same meaning, no diff."""
    site, _, ep, secrets, _ = greenfield
    configs = intended_configs(site, ep, secrets)
    for name in ("ie1-spine1", "ie1-spine2", "c01-leaf1", "c01-leaf2", "r01-leaf1"):
        r = review(connect(ep, secrets, name), configs[name], PASSWORD)
        assert (r.diff, r.drift) == ("", []), (name, r.diff)
        assert r.config != configs[name]  # the switch's own hash of the same password is kept


def test_brownfield_diff_shows_only_semantic_drift_named(brownfield) -> None:
    site, _, ep, secrets, _ = brownfield
    configs = intended_configs(site, ep, secrets)
    r = review(connect(ep, secrets, "c01-leaf1"), configs["c01-leaf1"], PASSWORD)
    assert [str(d) for d in r.drift] == [
        "vlan 999: not in the site (name legacy-backup); a push removes it",
        "interface Ethernet48: description spare - do not use (netops) is not in the site; "
        "a push removes it",
        "interface Ethernet48: shut on the switch, not in the site; a push brings it up",
        "interface Management1: description oob is not in the site; a push removes it",
        "interface Vlan4094: description differs (switch 'mlag peering', site 'MLAG peer')",
    ]
    # comments, order, `vlan add`, old defaults typed out: none of it is in EOS's diff
    assert "allowed vlan" not in r.diff and "changed 20" not in r.diff and "12000" not in r.diff
    spine = review(connect(ep, secrets, "ie1-spine1"), configs["ie1-spine1"], PASSWORD)
    assert [str(d) for d in spine.drift] == [
        "interface Loopback0: description router-id, do not change is not in the site; "
        "a push removes it"]


def test_brownfield_verifies_where_operational_state_is_right(brownfield) -> None:
    site, _, ep, secrets, _ = brownfield
    for i, name in enumerate(("c01-leaf1", "c01-leaf2")):
        findings = verify_leaf(connect(ep, secrets, name), site, "c01", i)
        assert [f for f in findings if not f.ok] == [], name
        assert {f.check for f in findings} >= {"mlag", "cvx", "lldp Ethernet49/1"}


def test_explain_never_prints_a_password_hash() -> None:
    running = "username i2 privilege 15 role network-admin secret sha512 $6$aa$bbb\n"
    site = "username i2 privilege 15 role network-admin secret sha512 $6$cc$ddd\n"
    [d] = explain(running, site)
    assert "$6$" not in str(d) and "another password" in str(d)
    assert "$6$" not in str(explain(running, "")[0])


def test_keep_foreign_leaves_the_switch_s_own_settings_to_a_push(brownfield) -> None:
    """What a flow that must not touch the team's settings would push: only the site's changes."""
    from lifecycle.fabric.drift import keep_foreign

    site, _, ep, secrets, _ = brownfield
    node = connect(ep, secrets, "c01-leaf1")
    running = node.run_commands(["enable", "show running-config"], encoding="text")[1]["output"]
    kept = keep_foreign(running, intended_configs(site, ep, secrets)["c01-leaf1"])
    r = review(node, kept, PASSWORD)
    # the extra VLAN, the spare port and the extra description stay; the site's value wins
    # where both set one (Vlan4094's description)
    assert [str(d) for d in r.drift] == [
        "interface Vlan4094: description differs (switch 'mlag peering', site 'MLAG peer')"]


def test_cli_diff_and_dry_run_push_name_the_drift(brownfield) -> None:
    from click.testing import CliRunner

    from lifecycle.cli.main import cli

    *_, path = brownfield
    base = ["--site", "examples/ie1", "--endpoints", str(path), "fabric"]
    res = CliRunner().invoke(cli, [*base, "diff", "c01"], env={"COLUMNS": "200"})
    assert res.exit_code == 1, res.output
    assert "c01-leaf1: 5 difference(s) in meaning" in res.output
    assert "  vlan 999: not in the site (name legacy-backup); a push removes it" in res.output
    assert "$6$" not in res.output
    dry = CliRunner().invoke(cli, [*base, "push", "c01", "--dry-run"], env={"COLUMNS": "200"})
    assert dry.exit_code == 0 and "10 setting(s) only on the switches would be removed" in dry.output


def test_cli_push_keep_foreign_leaves_the_team_s_settings(brownfield) -> None:
    """``--keep-foreign``: the dry run says so and lists what stays; the push changes only the
    setting both set (Vlan4094's description: the site's value); a second push has nothing to
    do, while a plain diff still shows the team's settings. Runs last: it changes the leaves."""
    import json

    from click.testing import CliRunner

    from lifecycle.cli.main import cli

    *_, ep, secrets, path = brownfield
    base = ["--site", "examples/ie1", "--endpoints", str(path)]
    dry = CliRunner().invoke(cli, [*base, "-o", "json", "fabric", "push", "c01", "--dry-run",
                                   "--keep-foreign"])
    assert dry.exit_code == 0, dry.output
    shown = json.loads(dry.stdout)
    assert shown["foreign"] == "kept"
    assert shown["switches"]["c01-leaf1"]["kept"] == [
        "vlan 999 (name legacy-backup)",
        "interface Ethernet48: description spare - do not use (netops)",
        "interface Ethernet48: shutdown", "interface Management1: description oob"]
    assert shown["switches"]["c01-leaf1"]["removed"] == [
        "interface Vlan4094: description differs (switch 'mlag peering', site 'MLAG peer')"]
    assert "8 setting(s) only on the switches kept" in dry.stderr
    assert "dry run: 2 to push, foreign settings kept" in dry.stderr
    plain = json.loads(CliRunner().invoke(cli, [*base, "-o", "json", "fabric", "push", "c01",
                                                "--dry-run"]).stdout)
    assert plain["foreign"] == "removed" and plain["switches"]["c01-leaf1"]["kept"] == []
    assert len(plain["switches"]["c01-leaf1"]["removed"]) == 5

    pushed = CliRunner().invoke(cli, [*base, "fabric", "push", "c01", "--yes", "--keep-foreign",
                                      "--settle", "20", "--confirm-within", "60"])
    assert pushed.exit_code == 0, pushed.output
    running = connect(ep, secrets, "c01-leaf1").run_commands(
        ["enable", "show running-config"], encoding="text")[1]["output"]
    assert "vlan 999\n   name legacy-backup" in running and "description oob" in running
    assert "description spare - do not use (netops)\n   shutdown" in running
    assert "description mlag peering" not in running
    again = CliRunner().invoke(cli, [*base, "fabric", "push", "c01", "--keep-foreign", "--dry-run"])
    assert again.exit_code == 0 and "nothing to push" in again.stderr, again.output
    diff = CliRunner().invoke(cli, [*base, "fabric", "diff", "c01"], env={"COLUMNS": "200"})
    assert diff.exit_code == 1 and "c01-leaf1: 4 difference(s) in meaning" in diff.output
