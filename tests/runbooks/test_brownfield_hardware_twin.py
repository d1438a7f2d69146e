"""The in-service estate on one twin of examples/ie1 (no rack racked): what `i2 lab up` finds and
what i2 must leave alone there. One lab for the module (the tests below only read, or put back
what they change); they run in file order.

Hardware brownfield (issue 15): the in-service servers (c01, r01) are serving, so their iLO
(Redfish), OneView and Ironic all say they are on; r01-s01's BMC is an iLO 4 2.40 (Redfish 1.0.0),
OneView says so, `i2 rack plan` reports it as drift against the hardware profile's iLO minimum and
`i2 rack apply` leaves it (and every other in-service server) alone. Each system is read with its
own client: Redfish over HTTPS with the lab CA, hpOneView, openstacksdk.

Hazard 1 (issue 12): the in-service rack c01's servers are deployed hypervisors of ie1-old (active
nodes in uc-old's Ironic). With their hardware profile changed in a copy of the site, `i2 rack
plan` shows each as refused and `i2 rack apply` refuses before any run exists: OneView shows no
power change, no profile and no new template. `i2 servers apply` refuses the same servers the
same way.

The estate before the upgrade: the old cloud runs every application on its A subnets, the VSD
holds the site's policy, the probes are green; an ACL entry removed turns its consumer's probe
red, put back turns it green, and the probe service reports the window.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import shutil
import ssl
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from lifecycle.clouds import Cloud
from lifecycle.lab.ironic.releases import fmt, ironic_release
from lifecycle.lab.oneview.brownfield import OLD_REDFISH_ILO, OLD_REDFISH_MP
from lifecycle.model import load_site
from lifecycle.model.endpoints import SecretStore, load_endpoints
from lifecycle.nuage import Nuage
from lifecycle.nuage.policy import Ref
from tests.runbooks.twin import ROOT, SITE, i2, i2_json, lab, undercloud_ironic, wait_until

pytestmark = [pytest.mark.needs_root("ZTP's mount namespaces need root"),
              pytest.mark.slow(75)]

OLD = "r01-s01"  # lifecycle.lab.oneview.brownfield.old_redfish_server: first of the last in-service rack
site = load_site(SITE)
IN_SERVICE = sorted(s.name for s in site.servers if site.rack(s.rack).state == "in-service")


@pytest.fixture(scope="module")
def labdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    t0 = time.monotonic()
    with lab(tmp_path_factory.mktemp("in-service") / "lab", rack=None) as d:
        print(f"twin with the estate up in {time.monotonic() - t0:.1f} s")  # measured, see docs/twin.md
        yield d


# --- hardware brownfield ----------------------------------------------------------------------


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


# --- hazard 1 -----------------------------------------------------------------------------------


def _changed_site(tmp: Path) -> Path:
    """examples/ie1 with dl360g9-compute's WorkloadProfile changed (site.yaml reads
    ../../hardware-profiles)."""
    site = tmp / "sites" / "ie1"
    shutil.copytree(SITE, site)
    profiles = shutil.copytree(ROOT / "hardware-profiles", tmp / "hardware-profiles")
    p = profiles / "dl360g9-compute.yaml"
    text = p.read_text()
    assert "value: Virtualization-MaxPerformance" in text
    p.write_text(text.replace("value: Virtualization-MaxPerformance", "value: LowLatency"))
    return site


@pytest.fixture(scope="module")
def changed(labdir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The module's lab and the changed site."""
    return labdir, _changed_site(tmp_path_factory.mktemp("hazard1"))


def _power_and_profiles(labdir: Path, site: Path) -> list[tuple[str, Any, Any]]:
    servers = i2_json(labdir, "servers", "list", "c01", ok=(0, 1), site=site)
    assert len(servers) == 6
    return [(s["server"], s.get("power"), s.get("profile")) for s in servers]


def test_hazard1_profile_change_on_an_in_service_rack_is_refused_not_powered_off(
        changed: tuple[Path, Path]) -> None:
    labdir, site = changed
    before = _power_and_profiles(labdir, site)

    plan = i2_json(labdir, "rack", "plan", "c01", ok=(0, 1, 2), site=site)
    rows = {r["object"]: r for r in plan["changes"] if r["system"] == "oneview"}
    for n in range(1, 7):
        row = rows[f"c01-s0{n}"]
        assert row["action"] == "blocked", row
        assert f"refused: c01-s0{n} is serving" in row["detail"] and "'active'" in row["detail"], row

    res = i2(labdir, "-o", "json", "rack", "apply", "c01", "--yes", site=site)
    assert res.returncode != 0, res.stdout + res.stderr
    for n in range(1, 7):
        assert f"c01-s0{n}: its Ironic node in uc-old is 'active'" in res.stderr, res.stderr
    assert "nothing was touched" in res.stderr
    assert i2_json(labdir, "runs", "list", site=site) == []
    assert _power_and_profiles(labdir, site) == before


def test_hazard1_servers_apply_refuses_serving_servers_before_touching_anything(
        changed: tuple[Path, Path]) -> None:
    """`i2 servers apply` (OneView only, no run) applies the rule `i2 rack apply` applies: the
    dry run shows each serving server refused; the apply refuses all of them, names each and why,
    and leaves OneView as it was (no template synced, no profile applied, no power change)."""
    labdir, site = changed
    before = _power_and_profiles(labdir, site)
    templates = i2_json(labdir, "servers", "templates", "sync", "--profile", "dl360g9-compute", "--dry-run",
                        ok=(0, 1), site=site)
    [pending] = [t["action"] for t in templates]
    assert pending in ("created", "updated"), templates  # the profile change is pending

    dry = i2_json(labdir, "servers", "apply", "c01", "--dry-run", ok=(1,), site=site)
    assert {d["server"] for d in dry} == {f"c01-s0{n}" for n in range(1, 7)}
    for d in dry:
        assert d["state"].startswith(f"refused: {d['server']}: its Ironic node in uc-old is 'active'"), d

    res = i2(labdir, "-o", "json", "servers", "apply", "c01", "--server", "c01-s01", "--server", "c01-s02",
             "--yes", "--power", "off", site=site)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "refused: serving servers, drain them first through the upgrade's recommission" in res.stderr
    assert "nothing was touched" in res.stderr
    for name in ("c01-s01", "c01-s02"):
        assert f"{name}: its Ironic node in uc-old is 'active'" in res.stderr, res.stderr
        assert f"its profile would change (template {pending}) and power it off" in res.stderr, res.stderr
    assert "c01-s03" not in res.stderr

    assert _power_and_profiles(labdir, site) == before
    again = i2_json(labdir, "servers", "templates", "sync", "--profile", "dl360g9-compute", "--dry-run",
                    ok=(0, 1), site=site)
    assert [t["action"] for t in again] == [pending], again  # the template was not synced either


# --- the estate before the upgrade -------------------------------------------------------------


def probes(labdir: Path, path: str, **params: Any) -> Any:
    p = yaml.safe_load((labdir / "endpoints.yaml").read_text())["probes"]
    return requests.get(f"{p['url']}{path}", params=params, verify=p["ca_file"], timeout=10).json()


def red(labdir: Path) -> list[dict[str, Any]]:
    return [p for p in probes(labdir, "/v1/status")["probes"] if not p["ok"]]


def test_the_old_cloud_runs_every_application_on_its_a_subnet(labdir: Path) -> None:
    site = load_site(SITE)
    ep = load_endpoints(labdir / "endpoints.yaml")
    old = Cloud.connect(ep, "ie1-old")
    servers = {s.name: s for s in old.servers()}
    vms = {vm.name: (a, env) for a in site.applications for env, e in a.environments.items() for vm in e.vms}
    assert set(servers) == set(vms)
    for name, s in servers.items():
        app, env = vms[name]
        assert s.status == "ACTIVE" and s.metadata["i2.in_service"] == "true"
        (ip,) = [a["addr"] for net in s.addresses.values() for a in net]
        assert ipaddress.ip_address(ip) in app.environments[env].subnets.a, (name, ip)
    volumes = {v.name: v for v in old.volumes()}
    assert {n: v.status for n, v in volumes.items()} == {n: "in-use" for n in (
        "orders-prd-db", "orders-qa-db", "billing-prd-ledger", "billing-qa-ledger")}
    new = Cloud.connect(ep, "ie1-new")
    # brownfield: the team's own volumes; its jump host waits for the new cloud's first compute
    assert not new.servers() and not new.hypervisors()
    assert {v.name: v.status for v in new.volumes()} == {"digital-prd-archive": "available",
                                                          "digital-prd-scratch": "available"}
    assert new.project("finance-prd") is not None and new.flavor("m1.large")
    vsd = Nuage.connect(ep, SecretStore(ep))
    ent = vsd.enterprise("IE1")
    subnets = sorted(s.name for d in vsd.all(ent.domains) for s in vsd.all(d.subnets))
    assert subnets == sorted([f"{a.name}-{e}-a" for a in site.applications for e in a.environments]
                             + ["notifications-prd-legacy", "notifications-qa-legacy"])  # brownfield
    teams = yaml.safe_load((labdir / "teams-clouds.yaml").read_text())["clouds"]
    old_url = yaml.safe_load((labdir / "clouds.yaml").read_text())["clouds"]["ie1-old"]["auth"]["auth_url"]
    assert {e["auth"]["auth_url"] for e in teams.values()} == {old_url}
    assert not [p for p, e in teams.items() if "password" in e["auth"]]  # kept in teams-secure.yaml


def test_probes_follow_the_acls(labdir: Path) -> None:
    wait_until(lambda: not red(labdir), 30, "every probe green")
    status = probes(labdir, "/v1/status")["probes"]
    consumers = {(p["consumer"], p["app"]) for p in status}
    assert ("app:web-portal", "api-gateway") in consumers and ("external", "web-portal") in consumers
    assert ("macro:monitoring", "notifications") in consumers  # an app nobody else consumes

    ep = load_endpoints(labdir / "endpoints.yaml")
    vsd = Nuage.connect(ep, SecretStore(ep))
    ent = vsd.enterprise("IE1")
    dom = vsd.domain(ent, "ie1-prd")
    entry = next(e for e in vsd.entries(dom, ent)
                 if e.direction == "egress" and e.rule == "web-portal-to-api-gateway")
    assert entry.location == Ref("ZONE", "api-gateway")
    t0 = time.time()
    vsd.delete_entry(dom, entry)
    wait_until(lambda: any(p["consumer"] == "app:web-portal" and p["app"] == "api-gateway"
                           and p["env"] == "prd" for p in red(labdir)), 10, "web-portal -> api-gateway red")
    (gone,) = [p for p in red(labdir) if p["app"] == "api-gateway"]
    assert "implicit drop" in gone["detail"], gone
    assert not [p for p in red(labdir) if p["env"] == "qa"]  # the qa domain has its own entry

    vsd.create_entry(dom, entry)
    wait_until(lambda: not red(labdir), 10, "every probe green again")
    window = probes(labdir, "/v1/downtime", since=t0)["apps"]["api-gateway/prd"]
    assert window["downtime_ms"] > 0 and len(window["windows"]) == 1, window
    assert "app:web-portal" in window["windows"][0]["why"]
    assert probes(labdir, "/v1/downtime", since=t0)["apps"]["api-gateway/qa"]["downtime_ms"] == 0
