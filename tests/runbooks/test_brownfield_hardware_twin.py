"""Hardware brownfield on the twin (examples/ie1, issue 15): the in-service servers (c01, r01) are
serving, so their iLO (Redfish), OneView and Ironic all say they are on; r01-s01's BMC is an iLO 4
2.40 (Redfish 1.0.0), OneView says so, `i2 rack plan` reports it as drift against the hardware
profile's iLO minimum and `i2 rack apply` leaves it (and every other in-service server) alone.
Each system is read with its own client: Redfish over HTTPS with the lab CA, hpOneView, openstacksdk."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from lifecycle.lab.ironic.releases import fmt, ironic_release
from lifecycle.lab.oneview.brownfield import OLD_REDFISH_ILO, OLD_REDFISH_MP
from lifecycle.model import load_site
from tests.runbooks.twin import SITE, i2, i2_json, lab, undercloud_ironic

pytestmark = [pytest.mark.needs_root("ZTP's mount namespaces need root"),
              pytest.mark.slow(120)]

OLD = "r01-s01"  # lifecycle.lab.oneview.brownfield.old_redfish_server: first of the last in-service rack
site = load_site(SITE)
IN_SERVICE = sorted(s.name for s in site.servers if site.rack(s.rack).state == "in-service")


@pytest.fixture(scope="module")
def labdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with lab(tmp_path_factory.mktemp("brownfield-hw") / "lab", rack=None) as d:
        yield d


def redfish(labdir: Path, server: str, path: str | None = None) -> dict[str, Any]:
    """GET the server's own BMC (its system unless ``path``), as an operator's curl would."""
    ep = yaml.safe_load((labdir / "endpoints.yaml").read_text())
    dev = ep["bmc"]["devices"][server]
    password = yaml.safe_load((labdir / "secrets.yaml").read_text())["bmc"]
    token = base64.b64encode(f"{ep['bmc']['username']}:{password}".encode()).decode()
    req = urllib.request.Request(dev["address"] + (path or dev["system_id"]),
                                 headers={"Authorization": f"Basic {token}"})
    ctx = ssl.create_default_context(cafile=ep["bmc"]["ca_file"])
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=ctx))
    with opener.open(req, timeout=10) as resp:
        return dict(json.loads(resp.read()))


def oneview_hardware(labdir: Path) -> dict[str, dict[str, Any]]:
    """Server name -> its server-hardware, each read on its own (OneView asks the iLO then)."""
    from hpOneView.oneview_client import OneViewClient

    from lifecycle.model.endpoints import SecretStore, load_endpoints

    ep = load_endpoints(labdir / "endpoints.yaml")
    ov = ep.oneview
    client = OneViewClient({"ip": ov.url.split("://", 1)[1], "api_version": ov.api_version,
                            "ssl_certificate": str(ep.path(ov.ca_file)),
                            "credentials": {"userName": ov.username,
                                            "password": SecretStore(ep).get(ov.password)}})
    out = {}
    for s in site.servers:
        if s.name in IN_SERVICE:
            found = client.server_hardware.get_by("serialNumber", s.serial)
            assert len(found) == 1, s.name
            out[s.name] = client.server_hardware.get_by_uri(found[0]["uri"]).data
    return out


def ironic_power(labdir: Path) -> dict[str, str]:
    """Server name -> its node's power state, per undercloud at the release it plays."""
    out: dict[str, str] = {}
    for cloud in site.clouds:
        conn = undercloud_ironic(labdir, cloud.undercloud, fmt(ironic_release(cloud.release).api_max))
        for node in conn.baremetal.nodes(details=True):
            if node.name in IN_SERVICE:
                out[node.name] = str(node.power_state)
    return out


def snapshot(labdir: Path) -> dict[str, Any]:
    hw = oneview_hardware(labdir)
    return {"redfish": {n: redfish(labdir, n)["PowerState"] for n in IN_SERVICE},
            "oneview": {n: (h["powerState"], h["serverProfileUri"], h["mpFirmwareVersion"])
                        for n, h in hw.items()},
            "ironic": ironic_power(labdir)}


def test_in_service_servers_are_on_in_the_ilo_oneview_and_ironic(labdir: Path) -> None:
    assert len(IN_SERVICE) >= 6
    seen = snapshot(labdir)
    assert seen["redfish"] == dict.fromkeys(IN_SERVICE, "On")
    assert {n: v[0] for n, v in seen["oneview"].items()} == dict.fromkeys(IN_SERVICE, "On")
    assert seen["ironic"] == dict.fromkeys(IN_SERVICE, "power on")


def test_an_old_ilo_is_reported_by_the_plan_and_left_alone_by_apply(labdir: Path) -> None:
    # its BMC speaks iLO 4's Redfish 1.0.0, the others a current one; OneView agrees
    root = redfish(labdir, OLD, "/redfish/v1/")
    assert root["RedfishVersion"] == "1.0.0"
    assert root["Oem"]["Hp"]["Manager"][0]["ManagerType"] == "iLO 4"
    assert root["Oem"]["Hp"]["Manager"][0]["ManagerFirmwareVersion"] == OLD_REDFISH_ILO
    assert "BootSourceOverrideMode" not in redfish(labdir, OLD)["Boot"]
    other = next(n for n in IN_SERVICE if n.startswith("r01") and n != OLD)
    assert redfish(labdir, other, "/redfish/v1/")["RedfishVersion"] != "1.0.0"
    hw = oneview_hardware(labdir)
    assert (hw[OLD]["mpModel"], hw[OLD]["mpFirmwareVersion"]) == ("iLO4", OLD_REDFISH_MP)
    before = snapshot(labdir)

    plan = i2_json(labdir, "rack", "plan", "r01", ok=(0, 1, 2))
    rows = {r["object"]: r for r in plan["changes"] if r["system"] == "oneview"}
    minimum = site.hardware_profiles[next(s for s in site.servers if s.name == OLD).hardware_profile].ilo
    assert minimum is not None
    detail = rows[OLD]["detail"]
    assert (f"drift: {OLD}: iLO iLO4 {OLD_REDFISH_MP} older than the profile needs "
            f"(iLO4 {minimum.firmware})") in detail, rows[OLD]
    assert "BootSourceOverrideMode" in detail and "left alone" in detail
    assert rows[OLD]["action"] == "blocked"  # serving, with another team's profile: nothing to do
    assert "older than the profile needs" not in rows[other]["detail"], rows[other]

    res = i2(labdir, "-o", "json", "rack", "apply", "r01", "--yes")
    assert res.returncode != 0, res.stdout + res.stderr
    assert "nothing was touched" in res.stderr
    assert snapshot(labdir) == before  # power everywhere, profiles, iLO firmware: as they were
    assert redfish(labdir, OLD, "/redfish/v1/")["RedfishVersion"] == "1.0.0"
