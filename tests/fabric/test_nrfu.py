"""The NRFU catalog derived from the site passes on a correctly built rack, names the port of a
miswire, and fails when a switch's CVX connection is down although its client is enabled (ANTA
unmodified, over HTTPS verified against the twin CA)."""

from __future__ import annotations

import asyncio

import yaml
from anta.catalog import AntaCatalog
from anta.inventory import AntaInventory
from anta.result_manager import ResultManager
from anta.runner import main as anta_main

from lifecycle.fabric.anta import anta_inventory, cvx_clients, nrfu_catalog
from tests.fabric.conftest import PASSWORD

CVX_TESTS = {"VerifyManagementCVX", "VerifyActiveCVXConnections"}


def run(site, fabric, tls, tmp, monkeypatch, tests: set[str] | None = None
        ) -> list[tuple[str, str, str, list[str]]]:
    """ANTA on c02's leaves and the CVX server (inventory name ``cvx``, the catalog's default)."""
    leaves = site.rack("c02").leaves.leaves
    hosts = {leaf.name: ("127.0.0.1", fabric[leaf.name].https_port) for leaf in leaves}
    hosts["cvx"] = ("127.0.0.1", fabric["cvx1"].https_port)
    # one ANTA inventory, one set of credentials: the CVX gets the fabric's user too (idempotent)
    fabric["cvx1"].configure(f"username i2 privilege 15 role network-admin secret 0 {PASSWORD}")
    path = tmp / "inventory.yml"
    path.write_text(yaml.safe_dump(anta_inventory(hosts)))
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    inv = AntaInventory.parse(filename=path, username="i2", password=PASSWORD)
    manager = ResultManager()
    asyncio.run(anta_main(manager, inv, AntaCatalog.from_dict(nrfu_catalog(site, "c02")), tests=tests))
    return [(r.name, r.test, r.result, r.messages) for r in manager.results]


def test_catalog_passes_then_names_the_miswired_port(built, monkeypatch):
    site, fabric, tls, tmp = built
    results = run(site, fabric, tls, tmp, monkeypatch)
    assert len(results) == 11
    assert [r for r in results if r[2] != "success"] == []

    fabric.miswire("c02-leaf1:Ethernet49/1~c02-leaf2:Ethernet49/1")
    try:
        results = run(site, fabric, tls, tmp, monkeypatch)
    finally:  # swapped back: the module's other tests read the fabric as cabled
        fabric.miswire("c02-leaf1:Ethernet49/1~c02-leaf2:Ethernet49/1")
    lldp = {r[0]: r for r in results if r[1] == "VerifyLLDPNeighbors"}
    assert lldp["c02-leaf1"][2] == "failure"
    assert any("Ethernet49/1" in m for m in lldp["c02-leaf1"][3])
    assert all(r[2] == "success" for r in results if r[1] == "VerifyMlagStatus")


def test_hazard8_anta_cvx_reads_connection_state(built, monkeypatch):
    """The catalog's CVX checks read the connection, not only ``enabled``: the CVX server must count
    an active connection from every switch that should be connected (spines, in-service racks' leaves
    and c02's). A leaf that is enabled but cannot reach CVX, or a CVX whose service is down, fails
    the catalog while each leaf's ``enabled`` check still passes."""
    site, fabric, tls, tmp = built
    expected = ["ie1-spine1", "ie1-spine2", "c01-leaf1", "c01-leaf2", "c02-leaf1", "c02-leaf2",
                "r01-leaf1", "r01-leaf2"]
    assert cvx_clients(site, "c02") == expected
    assert nrfu_catalog(site, "c02")["anta.tests.cvx"] == [
        {"VerifyManagementCVX": {"enabled": True, "filters": {"tags": ["c02-leaf1", "c02-leaf2"]}}},
        {"VerifyActiveCVXConnections": {"connections_count": 8, "filters": {"tags": ["cvx"]}}}]
    assert nrfu_catalog(site, "c01")["anta.tests.cvx"][1]["VerifyActiveCVXConnections"][
        "connections_count"] == 6  # c02 is planned: its leaves count only when c02 is verified

    def cvx_results() -> dict[tuple[str, str], tuple[str, list[str]]]:
        results = run(site, fabric, tls, tmp, monkeypatch, tests=CVX_TESTS)
        return {(r[0], r[1]): (r[2], r[3]) for r in results}

    connected = cvx_results()
    assert set(connected) == {("c02-leaf1", "VerifyManagementCVX"), ("c02-leaf2", "VerifyManagementCVX"),
                              ("cvx", "VerifyActiveCVXConnections")}
    assert all(result == "success" for result, _ in connected.values()), connected

    leaf = fabric["c02-leaf1"]
    leaf.configure("management cvx\n   no server host 10.0.0.5\n   server host 10.0.0.99")  # unreachable
    try:
        one_down = cvx_results()
    finally:
        leaf.configure("management cvx\n   no server host 10.0.0.99\n   server host 10.0.0.5")
    assert one_down[("c02-leaf1", "VerifyManagementCVX")][0] == "success"  # still enabled ...
    assert one_down[("cvx", "VerifyActiveCVXConnections")] == (
        "failure", ["Incorrect CVX active connections count - Expected: 8 Actual: 7"])  # ... not connected

    fabric["cvx1"].configure("cvx\n   shutdown")
    try:
        service_down = cvx_results()
    finally:
        fabric["cvx1"].configure("cvx\n   no shutdown")
    assert service_down[("c02-leaf2", "VerifyManagementCVX")][0] == "success"
    assert service_down[("cvx", "VerifyActiveCVXConnections")] == (
        "failure", ["CVX connections are not available"])

    assert all(result == "success" for result, _ in cvx_results().values())  # connected again


def test_the_whole_fabric_catalog_passes_through_stock_anta_and_names_a_switch_without_ntp(built):
    """Issue 16's NRFU: i2 runs ``anta nrfu`` itself (lifecycle.fabric.nrfu) over every spine and
    leaf, with the spines' LLDP and BGP towards every rack and NTP on every switch."""
    import yaml as _yaml

    from lifecycle.fabric.nrfu import fabric_catalog, fabric_switches, run_anta
    from lifecycle.model.endpoints import SecretStore, load_endpoints

    site, fabric, tls, tmp = built
    fabric["cvx1"].configure(f"username i2 privilege 15 role network-admin secret 0 {PASSWORD}")
    (tmp / "nrfu-secrets.yaml").write_text(_yaml.safe_dump({"eapi": PASSWORD}))
    (tmp / "nrfu-endpoints.yaml").write_text(_yaml.safe_dump({
        "secrets_file": "nrfu-secrets.yaml",
        "fabric": {"defaults": {"username": "i2", "password": {"secret": "eapi"}, "ca_file": str(tls.ca)},
                   "devices": {n: {"host": "127.0.0.1", "port": sw.https_port}
                               for n, sw in fabric.switches.items()}},
        "cvx": {"host": "127.0.0.1", "port": fabric["cvx1"].https_port}}))
    ep = load_endpoints(tmp / "nrfu-endpoints.yaml")
    racks = [r.name for r in site.racks]
    switches = fabric_switches(site, racks)
    catalog = fabric_catalog(site, racks)

    results = run_anta(ep, SecretStore(ep), switches, catalog)
    assert [r for r in results if not r.ok] == []
    tested = {(r.device, r.test) for r in results}
    for spine in ("ie1-spine1", "ie1-spine2"):
        assert {(spine, t) for t in ("VerifyLLDPNeighbors", "VerifyBGPSpecificPeers", "VerifyNTP")} <= tested
    assert {d for d, t in tested if t == "VerifyNTPAssociations"} == set(switches)
    assert ("cvx", "VerifyActiveCVXConnections") in tested

    leaf = fabric["r01-leaf2"]
    leaf.configure("no ntp server 10.40.0.1\nno ntp server 10.40.0.2")
    try:
        results = run_anta(ep, SecretStore(ep), switches, catalog)
    finally:
        leaf.configure("ntp server 10.40.0.1\nntp server 10.40.0.2")
    failed = {(r.device, r.test) for r in results if not r.ok}
    assert failed == {("r01-leaf2", "VerifyNTP"), ("r01-leaf2", "VerifyNTPAssociations")}
