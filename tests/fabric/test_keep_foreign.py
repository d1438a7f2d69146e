"""What only a switch has (``lifecycle.fabric.drift.foreign``) and the config that keeps it
(``keep_foreign``), offline, on the canonical text EOS keeps for configs the network team typed
(the twin's brownfield writer through the emulator's own CLI) against i2's rendered configs."""

from __future__ import annotations

import pytest

from lifecycle.fabric.drift import foreign, keep_foreign, kept_items, sections
from lifecycle.fabric.eapi import switch_hashes
from lifecycle.fabric.render import render_switches
from lifecycle.lab.eos.estate_configs import saved, typed_configs
from lifecycle.model import load_site
from lifecycle.runbooks.recommission import recommissioned

PW = "keep-foreign-pass"
LEAF = "c01-leaf1"
TEAM = ["vlan 999 (name legacy-backup)",
        "interface Ethernet48: description spare - do not use (netops)",
        "interface Ethernet48: shutdown",
        "interface Management1: description oob"]


@pytest.fixture(scope="module")
def configs() -> dict[str, str]:
    site = load_site("examples/ie1")
    model = site.rack("c01").leaves.leaves[0].model
    typed = typed_configs(site, password=PW, cvx_hosts=("10.0.0.5",))
    render = {"secret_hash": switch_hashes(PW, "ie1"), "cvx_hosts": ("10.0.0.5",)}
    return {"running": saved(model, typed[LEAF]),
            "site": render_switches(site, **render)[LEAF],
            "recommissioned": render_switches(recommissioned(site), **render)[LEAF]}


def test_the_team_s_settings_are_foreign_and_nothing_else(configs: dict[str, str]) -> None:
    assert kept_items(foreign(configs["running"], configs["site"])) == TEAM


def test_what_the_site_set_before_a_recommission_is_not_foreign(configs: dict[str, str]) -> None:
    running, now, was = configs["running"], configs["recommissioned"], configs["site"]
    assert kept_items(foreign(running, now, managed=was)) == TEAM
    # without it, the old cloud's VLANs would look like the team's and stay on the leaf
    alone = kept_items(foreign(running, now))
    assert [x for x in alone if x not in TEAM] == [
        f"vlan {v}0 (name ie1-old-{n})" for v, n in
        ((11, "External"), (12, "InternalApi"), (13, "Storage"), (14, "StorageMgmt"), (15, "Tenant"))]


def test_keep_foreign_is_the_site_s_config_plus_the_team_s_settings(configs: dict[str, str]) -> None:
    running, now, was = configs["running"], configs["recommissioned"], configs["site"]
    kept = sections(keep_foreign(running, now, managed=was))
    assert kept["vlan 999"] == ["name legacy-backup"]
    assert kept["interface Ethernet48"] == ["description spare - do not use (netops)", "shutdown"]
    # a setting both set keeps the site's value; the site's own sections are all there
    want = sections(now)
    assert all(kept[h] == lines for h, lines in want.items() if h != "interface Management1")
    assert kept["interface Management1"][-1] == "description oob"
    assert "vlan 110" not in kept and "description mlag peering" not in str(kept)


def test_empty_sections_ports_and_secrets() -> None:
    running = ("username netops privilege 15 secret sha512 $6$salt$hash\n"
               "snmp-server community s3cr3t ro\n!\nvlan 998\n!\ninterface Ethernet7\n!\n"
               "interface Loopback9\n!\nrouter bgp 65102\n   neighbor 10.0.0.1 password 7 0AB1C2\n"
               "   router-id 10.255.1.3\n!\nend\n")
    site = "router bgp 65102\n   router-id 10.255.1.3\n!\nend\n"
    items = kept_items(foreign(running, site))
    assert items == ["username netops (secret not shown)", "snmp-server community (not shown)",
                     "vlan 998", "interface Loopback9",
                     "router bgp 65102: neighbor 10.0.0.1 password (not shown)"]
    pushed = keep_foreign(running, site)  # pushed back as they are, never shown
    assert "s3cr3t" in pushed and "$6$salt$hash" in pushed and "interface Ethernet7" not in pushed
