"""`i2 lab up | status | rack | down` as an operator runs them, with the unmodified SDKs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hpOneView.oneview_client import OneViewClient

from lifecycle.lab.config import LabState
from lifecycle.lab.process import alive
from lifecycle.model.endpoints import SecretStore, load_endpoints
from tests.runbooks.twin import undercloud_ironic

pytestmark = pytest.mark.slow(145)  # started first by the suite (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]


def i2(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})


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


def test_status_and_second_up_refused(lab):
    labdir, _, _ = lab
    status = i2("-o", "json", "lab", "status", "--dir", str(labdir))
    assert status.returncode == 0
    assert {c["name"] for c in json.loads(status.stdout)["components"]} >= {"control", "oneview"}
    again = i2("lab", "up", "--site", "examples/ie1", "--dir", str(labdir))
    assert again.returncode == 1 and "already running" in again.stderr


def test_down_leaves_no_process(tmp_path):
    labdir = tmp_path / "lab"
    assert i2("lab", "up", "--site", "examples/ie1", "--dir", str(labdir)).returncode == 0
    pids = LabState.load(labdir).pids()
    assert pids and all(alive(p) for p in pids)
    down = i2("lab", "down", "--dir", str(labdir))
    assert down.returncode == 0, down.stderr
    assert not any(alive(p) for p in pids)
    assert i2("lab", "status", "--dir", str(labdir)).returncode == 1


def test_bad_input_is_refused_before_anything_starts(tmp_path):
    res = i2("lab", "up", "--site", "examples/ie1", "--dir", str(tmp_path / "l"),
             "--faults", "oneview.bogus=1")
    assert res.returncode == 2 and "unknown kind" in res.stderr
    assert not (tmp_path / "l").exists()


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
