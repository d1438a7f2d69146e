"""Spines by ZTP, staged: static nodes by serial whose pattern ztpserver itself evaluates, the
rendered startup-configs, and the spines' DHCP entries (checked by the real dhcpd/dnsmasq)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from ztpserver.topology import create_node, load_pattern

from lifecycle.fabric.dhcp import MissingMac, leases, render_dhcp
from lifecycle.fabric.render import render_spine
from lifecycle.fabric.ztp import spine_pattern, write_data_root, ztp_spines
from lifecycle.model import load_site
from tests.fabric.test_dhcp import need

ROOT = Path(__file__).resolve().parents[2]
HASH = "$6$salt$hash"
URL = "http://ztp.ie1.example.net:8080"


@pytest.fixture(scope="module")
def site():
    return load_site(ROOT / "examples/ie1")


def _node(serial: str, neighbors: dict[str, list[dict[str, str]]]):
    # what the bootstrap client POSTs: its serial and its LLDP neighbours
    return create_node({"serialnumber": serial, "systemmac": "28993a000001", "model": "DCS-7504R3",
                        "version": "4.28.3M", "neighbors": neighbors})


def test_static_nodes_by_serial(site, tmp_path):
    changed = ztp_spines(site, tmp_path, secret_hash=HASH, cvx_hosts=("10.0.0.5",))
    for spine in site.spines:
        node = tmp_path / "nodes" / spine.serial
        definition = yaml.safe_load((node / "definition").read_text())
        assert definition["actions"][0]["action"] == "replace_config"
        url = definition["actions"][0]["attributes"]["url"]
        assert (tmp_path / url).read_text() == render_spine(site, spine, secret_hash=HASH,
                                                             cvx_hosts=("10.0.0.5",))
        assert f"nodes/{spine.serial}/pattern" in changed
        assert (node / "pattern").stat().st_mode & 0o777 == 0o600  # next to a password hash
    assert "bootstrap/bootstrap" in changed and "management cvx" in (
        tmp_path / "files/configs/ie1-spine1").read_text()
    assert not (tmp_path / "neighbordb").exists()  # spines are not matched by neighbordb
    assert ztp_spines(site, tmp_path, secret_hash=HASH, cvx_hosts=("10.0.0.5",)) == []


def test_dry_run_and_one_spine(site, tmp_path):
    planned = ztp_spines(site, tmp_path, secret_hash=HASH, spines=["ie1-spine2"], dry_run=True)
    assert "nodes/JPE20110002/definition" in planned
    assert not any(x.startswith("nodes/JPE20110001") for x in planned)
    assert not (tmp_path / "nodes").exists()
    with pytest.raises(KeyError, match=r"no spine ie1-spine9 .*spines: ie1-spine1, ie1-spine2"):
        ztp_spines(site, tmp_path, secret_hash=HASH, spines=["ie1-spine9"])


def test_spines_and_rack_share_a_data_root(site, tmp_path):
    ztp_spines(site, tmp_path, secret_hash=HASH)
    write_data_root(site, "c02", tmp_path, secret_hash=HASH)
    assert (tmp_path / "nodes/JPE20110001/definition").exists()
    assert [p["name"] for p in yaml.safe_load((tmp_path / "neighbordb").read_text())["patterns"]] \
        == ["c02-leaf1", "c02-leaf2"]


@pytest.mark.parametrize(("neighbors", "accepted"), [
    ({}, True),  # an empty DC: nothing answers LLDP yet
    ({"Ethernet3/3": [{"device": "localhost", "port": "Ethernet49/1"}]}, True),  # a leaf in ZTP
    ({"Ethernet3/3": [{"device": "c01-leaf1.ie1.example.net", "port": "Ethernet49/1"}]}, True),
    # the chassis cabled where ie1-spine2 belongs (serials swapped in the inventory)
    ({"Ethernet3/3": [{"device": "c01-leaf1.ie1.example.net", "port": "Ethernet50/1"}]}, False),
    ({"Ethernet1/1": [{"device": "ie1-spine2", "port": "Ethernet1/1"}]}, False),
])
def test_pattern_as_ztpserver_evaluates_it(site, tmp_path, neighbors, accepted):
    ztp_spines(site, tmp_path, secret_hash=HASH)
    text = (tmp_path / "nodes/JPE20110001/pattern").read_text()
    assert text == yaml.safe_dump(spine_pattern(site, "ie1-spine1"), sort_keys=False)
    pattern = load_pattern(str(tmp_path / "nodes/JPE20110001/pattern"), node_id="JPE20110001")
    assert pattern is not None, text
    assert pattern.match_node(_node("JPE20110001", neighbors)) is accepted


def test_spine_leases(site):
    got = leases(site, [], spines=["ie1-spine1", "ie1-spine2"])
    assert [(x.name, x.mac, str(x.address)) for x in got] == [
        ("ie1-spine1", "28:99:3a:00:00:01", "10.0.0.11"), ("ie1-spine2", "28:99:3a:00:00:02", "10.0.0.12")]
    both = [x.name for x in leases(site, ["c02"], spines=["ie1-spine2"])]
    assert both == ["c02-leaf1", "c02-leaf2", "ie1-spine2"]
    with pytest.raises(KeyError, match="no spine nope"):
        leases(site, [], spines=["nope"])


def test_spine_without_mac_is_named(site):
    bare = site.model_copy(deep=True)
    bare.spines[1].system_mac = None
    with pytest.raises(MissingMac, match=r"spines\[ie1-spine2\]\.system_mac"):
        render_dhcp(bare, [], URL, spines=["ie1-spine1", "ie1-spine2"])


def test_spine_entries_parse(site, tmp_path):
    isc = render_dhcp(site, [], URL, spines=["ie1-spine1", "ie1-spine2"], router="10.0.0.1")
    assert "spines ie1-spine1, ie1-spine2" in isc.splitlines()[0] and "host ie1-spine2 {" in isc
    conf = tmp_path / "dhcpd.conf"
    conf.write_text(isc)
    res = subprocess.run([need("dhcpd"), "-t", "-4", "-cf", str(conf)], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    dm = tmp_path / "dnsmasq.conf"
    dm.write_text(render_dhcp(site, [], URL, fmt="dnsmasq", spines=["ie1-spine1"]))
    res = subprocess.run([need("dnsmasq"), "--test", f"--conf-file={dm}"], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr
