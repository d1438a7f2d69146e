"""ANTA 1.10, unmodified, against the emulated fabric: the library runner and the ``anta`` CLI.

Every device is reached over HTTPS with certificate and host name verification against the twin
CA (inventory ``ssl_params`` + ``SSL_CERT_FILE``); one leaf uses eAPI cookie sessions.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from anta.catalog import AntaCatalog
from anta.inventory import AntaInventory
from anta.result_manager import ResultManager
from anta.runner import main as anta_main

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.eos import Fabric
from tests.lab.eos.anta_catalog import catalog, inventory
from tests.lab.eos.conftest import PASSWORD, USER


def run_anta(
    fab: Fabric, tmp_path: Path, *, tests: set[str] | None = None, session_auth: str | None = None
) -> ResultManager:
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory(fab, session_auth=session_auth)))
    inv = AntaInventory.parse(filename=path, username=USER, password=PASSWORD)
    manager = ResultManager()
    asyncio.run(anta_main(manager, inv, AntaCatalog.from_dict(catalog()), tests=tests))
    return manager


def failures(manager: ResultManager) -> list[str]:
    return [f"{r.name} {r.test} {r.result}: {r.messages}" for r in manager.results if r.result != "success"]


@pytest.fixture
def ca_env(tls: TlsFiles, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))


def test_catalog_passes_on_the_designed_fabric(fabric: Fabric, tmp_path: Path, ca_env: None) -> None:
    manager = run_anta(fabric, tmp_path, session_auth="c01-leaf2")
    assert failures(manager) == []
    ran = {r.test for r in manager.results}
    assert {
        "VerifyMlagStatus",
        "VerifyMlagInterfaces",
        "VerifyLLDPNeighbors",
        "VerifyBGPPeersHealth",
        "VerifyBGPSpecificPeers",
        "VerifyInterfacesStatus",
        "VerifyManagementCVX",
        "VerifyActiveCVXConnections",
        "VerifyEOSVersion",
        "VerifyInventory",
        "VerifyModuleStatus",
        "VerifyTemperature",
    } <= ran
    assert len(manager.results) > 90


def test_miswire_fails_lldp_naming_the_port(fabric: Fabric, tmp_path: Path, ca_env: None) -> None:
    fabric.miswire("c01-leaf1:Ethernet49/1~c01-leaf2:Ethernet49/1")  # swap the two leaf ends at spine1
    manager = run_anta(fabric, tmp_path, tests={"VerifyLLDPNeighbors"})
    failed = {r.name: r.messages for r in manager.results if r.result == "failure"}
    assert set(failed) == {"c01-leaf1", "c01-leaf2", "ie1-spine1"}
    [msg] = failed["c01-leaf1"]
    assert msg.startswith(
        "Port: Ethernet49/1 Neighbor: ie1-spine1.ie1.example.net Neighbor Port: Ethernet3/3"
    )
    assert msg.endswith("Wrong LLDP neighbors: ie1-spine1.ie1.example.net/Ethernet3/4")
    assert any(
        "Port: Ethernet3/3" in m and "c01-leaf2.ie1.example.net/Ethernet49/1" in m
        for m in failed["ie1-spine1"]
    )


def test_anta_cli_nrfu_over_https(fabric: Fabric, tmp_path: Path, tls: TlsFiles) -> None:
    inv = tmp_path / "inventory.yml"
    inv.write_text(yaml.safe_dump(inventory(fabric)))
    cat = tmp_path / "catalog.yml"
    cat.write_text(yaml.safe_dump(catalog()))
    out = tmp_path / "results.json"
    env = {**os.environ, "SSL_CERT_FILE": str(tls.ca), "ANTA_PASSWORD": PASSWORD}
    anta = Path(sys.executable).parent / "anta"
    proc = subprocess.run(
        [str(anta), "nrfu", "-i", str(inv), "-c", str(cat), "-u", USER, "json", "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())
    assert len(results) > 90
    assert {r["result"] for r in results} == {"success"}
    assert {r["name"] for r in results} == set(fabric.switches)


def test_anta_refuses_a_certificate_from_another_ca(
    fabric: Fabric, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lifecycle.lab.base import make_ca

    monkeypatch.setenv("SSL_CERT_FILE", str(make_ca(tmp_path / "other-ca").ca))
    manager = run_anta(fabric, tmp_path, tests={"VerifyEOSVersion"})
    assert manager.results == []  # no device passed the connectivity check
