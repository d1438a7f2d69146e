"""Rack c02 of the example site in the twin: both new leaves go through the real ztpserver and
the real bootstrap client, on the data_root i2's fabric adapter generates, and come up with
MLAG active and BGP established to both spines (read with unmodified pyeapi over HTTPS)."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyeapi
import pytest

from lifecycle.fabric import write_data_root
from lifecycle.fabric.eapi import secret_hash
from lifecycle.lab.config import LabState
from lifecycle.model import load_site
from lifecycle.model.endpoints import SecretStore, load_endpoints

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.needs_root("ZTP's mount namespaces need root")


def i2(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    labdir = tmp_path_factory.mktemp("ztplab")
    res = i2("lab", "up", "--site", "examples/ie1", "--dir", str(labdir))
    assert res.returncode == 0, res.stdout + res.stderr
    yield labdir
    i2("lab", "down", "--dir", str(labdir))


def _ztp_status(labdir: Path) -> dict:
    control = next(c for c in LabState.load(labdir).components if c.name == "control")
    with urllib.request.urlopen(f"{control.url}/ztp", timeout=10) as resp:
        return json.loads(resp.read())


def test_rack_c02_leaves_ztp_to_mlag_and_bgp(lab):
    ep = load_endpoints(lab / "endpoints.yaml")
    secrets = SecretStore(ep)
    site = load_site("examples/ie1")
    hashed = secret_hash(secrets.get(ep.fabric.defaults.password), site.site.name)
    changed = write_data_root(site, "c02", Path(ep.ztp.data_root), secret_hash=hashed,
                              cvx_hosts=("10.0.0.5",))
    assert "neighbordb" in changed and "files/configs/c02-leaf1" in changed
    assert i2("lab", "rack", "c02", "--dir", str(lab)).returncode == 0

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


def test_anta_nrfu_passes_on_the_provisioned_rack(lab, monkeypatch, tmp_path):
    """ANTA, unmodified, over verified HTTPS: a catalog derived from the site model for rack
    c02 (LLDP against the cabling plan, MLAG, BGP peers, interfaces, CVX) passes after ZTP."""
    import asyncio

    from anta.catalog import AntaCatalog
    from anta.inventory import AntaInventory
    from anta.result_manager import ResultManager
    from anta.runner import main as anta_main

    from lifecycle.fabric.anta import anta_inventory, nrfu_catalog

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
