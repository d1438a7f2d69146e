"""One twin of examples/ie1, as an operator drives it, with the unmodified SDKs and tools:

`i2 lab up | status | rack | down`; `i2 fabric` against it (clean diff on in-service racks, a
change shown then pushed, verification of a rack, ZTP staging through the endpoints file); then
rack c02 racked on that staging: both new leaves go through the real ztpserver and the real
bootstrap client, on the data_root i2's fabric adapter generated, and come up with MLAG active and
BGP established to both spines (read with unmodified pyeapi over HTTPS), and ANTA's NRFU passes;
Ironic powers a racked server on over Redfish and OneView sees it; `i2 lab down` ends every
process. One lab for the module (a lab up takes half a minute): the tests run in file order, each
from where the one before left it.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyeapi
import pytest
from hpOneView.oneview_client import OneViewClient

from lifecycle.lab.config import LabState
from lifecycle.lab.process import alive
from lifecycle.model import load_site
from lifecycle.model.endpoints import SecretStore, load_endpoints
from tests.runbooks.twin import undercloud_ironic

pytestmark = pytest.mark.slow(100)  # started first by the suite (tests/conftest.py)
ztp_root = pytest.mark.needs_root("ZTP's mount namespaces need root")

ROOT = Path(__file__).resolve().parents[2]


def i2(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})


def fabric(labdir: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    """`i2` on the example site and, given a lab, the lab's endpoints file."""
    pre = ["--site", "examples/ie1"]
    if labdir:
        pre += ["--endpoints", str(labdir / "endpoints.yaml")]
    return i2(*pre, *args)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    labdir = tmp_path_factory.mktemp("lab")
    res = i2("-o", "json", "lab", "up", "--site", "examples/ie1", "--dir", str(labdir))
    assert res.returncode == 0, res.stdout + res.stderr
    state = LabState.load(labdir)
    yield labdir, json.loads(res.stdout), state
    i2("lab", "down", "--dir", str(labdir))


def test_up_writes_endpoints_and_secrets_privately(lab):
    labdir, up, state = lab
    assert all(c["healthy"] for c in up["components"]), up
    assert oct((labdir / "secrets.yaml").stat().st_mode & 0o777) == "0o600"
    assert oct(labdir.stat().st_mode & 0o777) == "0o700"
    ep = load_endpoints(labdir / "endpoints.yaml")  # the product's own loader accepts it
    assert ep.oneview is not None and ep.oneview.url.startswith("https://127.0.0.1:")
    secret = SecretStore(ep).get(ep.oneview.password)
    assert secret not in (labdir / "endpoints.yaml").read_text()
    for c in state.components:
        assert c.url == "" or "127.0.0.1" in c.url  # loopback only


def test_status_and_second_up_refused(lab):
    labdir, _, _ = lab
    status = i2("-o", "json", "lab", "status", "--dir", str(labdir))
    assert status.returncode == 0
    assert {c["name"] for c in json.loads(status.stdout)["components"]} >= {"control", "oneview"}
    again = i2("lab", "up", "--site", "examples/ie1", "--dir", str(labdir))
    assert again.returncode == 1 and "already running" in again.stderr


def test_bad_input_is_refused_before_anything_starts(tmp_path):
    res = i2("lab", "up", "--site", "examples/ie1", "--dir", str(tmp_path / "l"),
             "--faults", "oneview.bogus=1")
    assert res.returncode == 2 and "unknown kind" in res.stderr
    assert not (tmp_path / "l").exists()


# --- i2 fabric -----------------------------------------------------------------------------------


def test_fabric_diff_verify_push(lab):
    lab = lab[0]
    # the in-service switches as their team typed them (brownfield): only semantic drift shows
    first = fabric(lab, "-o", "json", "fabric", "diff", "c01")
    assert first.returncode == 1, first.stdout + first.stderr
    diffs = json.loads(first.stdout)
    assert "vlan 999" in diffs["c01-leaf1"] and "Ethernet48" in diffs["c01-leaf1"], diffs
    assert "allowed vlan add" not in diffs["c01-leaf1"] and "\n!!" not in diffs["c01-leaf1"]
    spines = fabric(lab, "fabric", "diff", "spines")
    assert spines.returncode == 1 and "Loopback0" in spines.stdout, spines.stdout
    # i2's own config put back (the team's extras removed: a push says so first)
    pushed = fabric(lab, "fabric", "push", "c01", "--yes")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    clean = fabric(lab, "-o", "json", "fabric", "diff", "c01")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout) == {"c01-leaf1": "", "c01-leaf2": ""}

    verified = fabric(lab, "-o", "json", "fabric", "verify", "c01")
    assert verified.returncode == 0, verified.stdout
    checks = json.loads(verified.stdout)
    assert {c["check"] for c in checks} >= {"mlag", "cvx", "lldp Ethernet49/1"}
    assert all(c["ok"] for c in checks)

    # Drift: someone changed a description by hand on c01-leaf1; diff shows it, push repairs it.

    from lifecycle.fabric.eapi import connect
    from lifecycle.model.endpoints import SecretStore, load_endpoints

    ep = load_endpoints(lab / "endpoints.yaml")
    node = connect(ep, SecretStore(ep), "c01-leaf1")
    node.config(["interface Ethernet3", "description hand-edited"])
    drift = fabric(lab, "fabric", "diff", "c01")
    assert drift.returncode == 1 and "+   description hand-edited" not in drift.stdout
    assert "-   description hand-edited" in drift.stdout
    assert fabric(lab, "fabric", "push", "c01", "--dry-run").returncode == 0
    assert fabric(lab, "fabric", "diff", "c01").returncode == 1  # dry run changed nothing
    pushed = fabric(lab, "fabric", "push", "c01", "--yes")
    assert pushed.returncode == 0, pushed.stderr
    assert fabric(lab, "fabric", "diff", "c01").returncode == 0


def test_fabric_ztp_staging_and_errors(lab):
    """Stages rack c02's ZTP: the leaves racked next boot on it."""
    lab = lab[0]
    staged = fabric(lab, "-o", "json", "fabric", "ztp", "c02")
    assert staged.returncode == 0, staged.stderr
    changed = json.loads(staged.stdout)["changed"]
    assert "neighbordb" in changed and "files/configs/c02-leaf1" in changed, changed
    again = fabric(lab, "-o", "json", "fabric", "ztp", "c02")
    assert json.loads(again.stdout)["changed"] == []
    unknown = fabric(lab, "fabric", "diff", "c99")
    assert unknown.returncode == 1 and "no rack 'c99'" in unknown.stderr
    no_endpoints = fabric(None, "fabric", "diff", "c01")
    assert no_endpoints.returncode == 2 and "--endpoints" in no_endpoints.stderr


# --- rack c02 racked: ZTP, NRFU, Ironic ---------------------------------------------------------


def test_oneview_through_the_endpoints_file_and_racking(lab):
    labdir, _, _ = lab
    ep = load_endpoints(labdir / "endpoints.yaml")
    ov = OneViewClient({"ip": ep.oneview.url.removeprefix("https://"),
                        "credentials": {"userName": ep.oneview.username,
                                        "password": SecretStore(ep).get(ep.oneview.password)},
                        "api_version": ep.oneview.api_version,
                        "ssl_certificate": str(ep.path(ep.oneview.ca_file))})
    before = {h["serialNumber"] for h in ov.server_hardware.get_all()}
    assert len(before) == 9 and "CZJ7030001" not in before  # rack c02 is not racked yet
    assert i2("lab", "rack", "c02", "--dir", str(labdir)).returncode == 0
    after = {h["serialNumber"] for h in ov.server_hardware.get_all()}
    assert len(after) == 17 and "CZJ7030001" in after
    bad = i2("lab", "rack", "zz", "--dir", str(labdir))
    assert bad.returncode == 1 and "no rack 'zz'" in bad.stderr


def _ztp_status(labdir: Path) -> dict:
    control = next(c for c in LabState.load(labdir).components if c.name == "control")
    with urllib.request.urlopen(f"{control.url}/ztp", timeout=10) as resp:
        return json.loads(resp.read())


@ztp_root
def test_rack_c02_leaves_ztp_to_mlag_and_bgp(lab):
    """On the data_root `i2 fabric ztp c02` staged, racked by the test before."""
    lab = lab[0]
    ep = load_endpoints(lab / "endpoints.yaml")
    secrets = SecretStore(ep)
    site = load_site("examples/ie1")

    deadline = time.monotonic() + 240
    while True:
        status = _ztp_status(lab)
        done = [s for s in status.values() if s["status"] in ("succeeded", "failed")]
        if len(done) == 2 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert {n: s["status"] for n, s in status.items()} == {"c02-leaf1": "succeeded",
                                                           "c02-leaf2": "succeeded"}, status
    assert any("ZTP bootstrap completed successfully" in line
               for line in status["c02-leaf1"]["log"])

    ep = load_endpoints(lab / "endpoints.yaml")  # racking added the new leaves' endpoints
    ctx = ssl.create_default_context(cafile=str(ep.path(ep.fabric.defaults.ca_file)))
    password = secrets.get(ep.fabric.defaults.password)
    spines = {s.name: s for s in site.spines}

    def node(name: str) -> pyeapi.client.Node:
        dev = ep.fabric.device(name)
        return pyeapi.client.Node(pyeapi.connect(
            transport="https", host=dev.host, port=dev.port, username=dev.username,
            password=password, context=ctx, timeout=10))

    deadline = time.monotonic() + 60
    while True:
        try:
            leaf1 = node("c02-leaf1")
            mlag, bgp, version = leaf1.enable(["show mlag", "show ip bgp summary",
                                               "show version"], encoding="json")
            if mlag["result"]["state"] == "active":
                break
        except (pyeapi.eapilib.ConnectionError, pyeapi.eapilib.CommandError):
            pass  # still reloading after ZTP
        assert time.monotonic() < deadline, "c02-leaf1 never came up with MLAG active"
        time.sleep(0.5)
    assert version["result"]["serialNumber"] == "JPE20330301"
    assert mlag["result"]["negStatus"] == "connected"
    peers = bgp["result"]["vrfs"]["default"]["peers"]
    spine_ips = {str(u.subnet.network_address + 1) for leaf in site.rack("c02").leaves.leaves[:1]
                 for u in leaf.uplinks}
    assert {ip: peers[ip]["peerState"] for ip in spine_ips} == {ip: "Established"
                                                                 for ip in spine_ips}
    assert {int(peers[ip]["asn"]) for ip in spine_ips} == {spines["ie1-spine1"].asn}
    # The spines see the new leaves over LLDP by their provisioned names.
    lldp = node("ie1-spine1").enable(["show lldp neighbors"])[0]["result"]["lldpNeighbors"]
    assert {"c02-leaf1", "c02-leaf2"} <= {n["neighborDevice"].split(".")[0] for n in lldp}


@ztp_root
def test_anta_nrfu_passes_on_the_provisioned_rack(lab, monkeypatch, tmp_path):
    """ANTA, unmodified, over verified HTTPS: a catalog derived from the site model for rack
    c02 (LLDP against the cabling plan, MLAG, BGP peers, interfaces, CVX) passes after ZTP."""
    import asyncio

    from anta.catalog import AntaCatalog
    from anta.inventory import AntaInventory
    from anta.result_manager import ResultManager
    from anta.runner import main as anta_main

    from lifecycle.fabric.anta import anta_inventory, nrfu_catalog

    lab = lab[0]
    status = _ztp_status(lab)
    assert {s["status"] for s in status.values()} == {"succeeded"}  # runs after the ZTP test
    ep = load_endpoints(lab / "endpoints.yaml")
    site = load_site("examples/ie1")
    names = [leaf.name for leaf in site.rack("c02").leaves.leaves]
    hosts = {n: ("127.0.0.1", ep.fabric.device(n).port) for n in names}
    (tmp_path / "inventory.yml").write_text(json.dumps(anta_inventory(hosts)))
    monkeypatch.setenv("SSL_CERT_FILE", str(ep.path(ep.fabric.defaults.ca_file)))
    inv = AntaInventory.parse(filename=tmp_path / "inventory.yml", username="i2",
                              password=SecretStore(ep).get(ep.fabric.defaults.password))
    catalog = nrfu_catalog(site, "c02")
    assert catalog["anta.tests.connectivity"][0]["VerifyLLDPNeighbors"]["neighbors"][0] == {
        "port": "Ethernet49/1", "neighbor_device": "ie1-spine1.ie1.example.net",
        "neighbor_port": "Ethernet3/5"}
    manager = ResultManager()
    asyncio.run(anta_main(manager, inv, AntaCatalog.from_dict(catalog)))
    results = [(r.name, r.test, r.result, r.messages) for r in manager.results]
    assert len(results) == 10, results
    assert [r for r in results if r[2] != "success"] == []


def test_ironic_redfish_node_shares_power_with_oneview(lab):
    """Enroll a racked server in the twin's undercloud Ironic through its BMC (sushy-tools):
    Ironic powers it on over Redfish and OneView sees the same server powered on."""
    import time

    labdir, _, _ = lab
    assert i2("lab", "rack", "c02", "--dir", str(labdir)).returncode == 0
    ep = load_endpoints(labdir / "endpoints.yaml")
    secrets = SecretStore(ep)
    address, system_id = ep.bmc.redfish("c02-s02", "10.1.3.12")
    conn = undercloud_ironic(labdir)  # through the undercloud's Keystone, at Train's 1.58
    node = conn.baremetal.create_node(
        name="c02-s02", driver="redfish",
        driver_info={"redfish_address": address, "redfish_system_id": system_id,
                     "redfish_username": ep.bmc.username,
                     "redfish_password": secrets.get(ep.bmc.password),
                     "redfish_verify_ca": str(ep.path(ep.bmc.ca_file))})
    conn.baremetal.set_node_provision_state(node, "manage", wait=True, timeout=120)
    conn.baremetal.set_node_power_state(node, "power on")
    deadline = time.monotonic() + 60
    while conn.baremetal.get_node(node.id).power_state != "power on":
        assert time.monotonic() < deadline, "Ironic never saw the power on"
        time.sleep(0.5)
    ov = OneViewClient({"ip": ep.oneview.url.removeprefix("https://"),
                        "credentials": {"userName": ep.oneview.username,
                                        "password": secrets.get(ep.oneview.password)},
                        "api_version": 1800, "ssl_certificate": str(ep.path(ep.oneview.ca_file))})
    hw = ov.server_hardware.get_by("serialNumber", "CZJ7030002")[0]
    assert ov.server_hardware.get_by_uri(hw["uri"]).data["powerState"] == "On"


def test_down_leaves_no_process(lab):
    labdir, _, _ = lab
    pids = LabState.load(labdir).pids()
    assert pids and all(alive(p) for p in pids)
    down = i2("lab", "down", "--dir", str(labdir))
    assert down.returncode == 0, down.stderr
    assert not any(alive(p) for p in pids)
    assert i2("lab", "status", "--dir", str(labdir)).returncode == 1
