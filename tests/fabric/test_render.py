"""Fabric rendering and the ZTP data_root, checked against the site model independently."""

from __future__ import annotations

import ipaddress
import re

import pytest
import yaml

from lifecycle.fabric import clear_node, render_switches, write_data_root
from lifecycle.model import load_site
from lifecycle.model.schema import Cable

HASH = "$6$saltsalt$" + "x" * 86


@pytest.fixture(scope="module")
def site():
    return load_site("examples/ie1")


@pytest.fixture(scope="module")
def configs(site):
    return render_switches(site, secret_hash=HASH, cvx_hosts=("10.0.0.5",))


def test_every_switch_rendered_deterministically(site, configs):
    names = {s.name for s in site.spines} | {leaf.name for _, leaf in site.leaves()}
    assert set(configs) == names
    assert render_switches(site, secret_hash=HASH, cvx_hosts=("10.0.0.5",)) == configs
    for name, cfg in configs.items():
        assert cfg.startswith(f"hostname {name}\n")
        assert "management cvx\n   server host 10.0.0.5\n   no shutdown" in cfg
        assert cfg.count("secret sha512") == 1 and HASH in cfg


def test_uplinks_mirror_on_both_ends_with_bgp(site, configs):
    spines = {s.name: s for s in site.spines}
    for rack in site.racks:
        for leaf in rack.leaves.leaves:
            for up in leaf.uplinks:
                spine, port = Cable.split(site.peer_of(f"{leaf.name}:{up.port}"))
                leaf_ip, spine_ip = up.subnet.network_address, up.subnet.network_address + 1
                assert re.search(rf"interface {re.escape(up.port)}\n   description to "
                                 rf"{spine}:{re.escape(port)}\n   no switchport\n   mtu 9214\n"
                                 rf"   ip address {leaf_ip}/31", configs[leaf.name])
                assert re.search(rf"interface {re.escape(port)}\n   description to "
                                 rf"{leaf.name}:{re.escape(up.port)}\n.*\n.*\n"
                                 rf"   ip address {spine_ip}/31", configs[spine])
                assert f"neighbor {spine_ip} remote-as {spines[spine].asn}" in configs[leaf.name]
                assert f"neighbor {leaf_ip} remote-as {rack.leaves.asn}" in configs[spine]


def test_mlag_pairs_use_both_ends_of_the_peer_subnet(site, configs):
    for rack in site.racks:
        pair = rack.leaves
        first, second = pair.peer_subnet.network_address, pair.peer_subnet.network_address + 1
        one, two = (configs[leaf.name] for leaf in pair.leaves)
        assert f"interface Vlan4094\n   description MLAG peer\n   ip address {first}/31" in one
        assert f"interface Vlan4094\n   description MLAG peer\n   ip address {second}/31" in two
        assert f"peer-address {second}" in one and f"peer-address {first}" in two
        assert f"domain-id {pair.mlag_domain}" in one and f"domain-id {pair.mlag_domain}" in two
        assert f"neighbor {second} remote-as {pair.asn}" in one


def test_server_ports_follow_the_cabling_plan(site, configs):
    for srv in site.servers:
        for nic in srv.nics:
            leaf, port = Cable.split(site.peer_of(f"{srv.name}:{nic.name}"))
            n = int(re.findall(r"\d+", port)[0])
            assert (f"interface {port}\n   description {srv.name}:{nic.name}\n"
                    f"   channel-group {n} mode active") in configs[leaf]
            assert f"interface Port-Channel{n}\n   description {srv.name}\n" in configs[leaf]
            assert f"   mlag {n}\n" in configs[leaf]


def test_data_root_for_a_rack(site, configs, tmp_path):
    changed = write_data_root(site, "c02", tmp_path, secret_hash=HASH, cvx_hosts=("10.0.0.5",))
    assert {"bootstrap/bootstrap", "bootstrap/bootstrap.conf", "neighbordb",
            "definitions/c02-leaf1", "files/configs/c02-leaf2",
            "actions/replace_config"} <= set(changed)
    assert "$SERVER" in (tmp_path / "bootstrap/bootstrap").read_text()  # the stock client
    assert (tmp_path / "files/configs/c02-leaf1").read_text() == configs["c02-leaf1"]
    db = yaml.safe_load((tmp_path / "neighbordb").read_text())
    pattern = next(p for p in db["patterns"] if p["name"] == "c02-leaf1")
    assert pattern["interfaces"] == [{"Ethernet49/1": "regex('ie1-spine1(\\..*)?$'):Ethernet3/5"},
                                     {"Ethernet50/1": "regex('ie1-spine2(\\..*)?$'):Ethernet3/5"}]
    definition = yaml.safe_load((tmp_path / "definitions/c02-leaf1").read_text())
    assert definition["actions"][0]["action"] == "replace_config"
    # Unchanged input rewrites nothing; another rack's patterns are kept beside this one's.
    assert write_data_root(site, "c02", tmp_path, secret_hash=HASH, cvx_hosts=("10.0.0.5",)) == []
    write_data_root(site, "c01", tmp_path, secret_hash=HASH)
    names = [p["name"] for p in yaml.safe_load((tmp_path / "neighbordb").read_text())["patterns"]]
    assert sorted(names) == ["c01-leaf1", "c01-leaf2", "c02-leaf1", "c02-leaf2"]
    (tmp_path / "nodes" / "JPE20330301").mkdir(parents=True)
    assert clear_node(tmp_path, "JPE20330301") and not clear_node(tmp_path, "JPE20330301")


def test_unknown_rack_is_refused(site, tmp_path):
    with pytest.raises(KeyError, match="no rack 'c99'"):
        write_data_root(site, "c99", tmp_path, secret_hash=HASH)
    assert not any(tmp_path.iterdir())  # nothing written


def test_peer_subnet_ends():
    from lifecycle.fabric.render import ends as _ends

    assert _ends(ipaddress.ip_network("10.0.0.0/31")) == ("10.0.0.0", "10.0.0.1")
    assert _ends(ipaddress.ip_network("10.0.0.0/30")) == ("10.0.0.1", "10.0.0.2")
