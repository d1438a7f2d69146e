"""`i2 lab up --site examples/ie2-buildout --greenfield`: the twin shows the DC as a build-out
finds it, read with the vendors' unmodified clients over verified TLS. Every switch, spines
included, is factory-fresh in ZTP (eAPI off, asking ztpserver for a bootstrap); the VSD has no
enterprise; OneView has every server, powered off, and no profile or template; the undercloud
is installed with an empty Ironic and no stack; the cloud's API answers with no hypervisor, no
server, no volume; the array and the NetScaler are empty."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openstack
import paramiko
import pyeapi
import pytest
import requests
import yaml
from hpOneView.oneview_client import OneViewClient
from openstack.config.loader import OpenStackConfig
from vspk import v6 as vsdk

from lifecycle.lab.config import LabConfig, LabState
from lifecycle.model import load_site
from lifecycle.model.endpoints import SecretStore, load_endpoints
from tests.lab.nuage.conftest import VerifyingAdapter

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "examples" / "ie2-buildout"
pytestmark = [pytest.mark.needs_root("the twin's ZTP needs root"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]  # hpOneView's ssl use


def i2(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def labdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    d = tmp_path_factory.mktemp("greenfield") / "lab"
    res = i2("lab", "up", "--site", str(SITE), "--dir", str(d), "--greenfield")
    assert res.returncode == 0, res.stdout + res.stderr
    try:
        yield d
    finally:
        i2("lab", "down", "--dir", str(d))


def control(labdir: Path, path: str) -> Any:
    url = next(c.url for c in LabState.load(labdir).components if c.name == "control")
    with urllib.request.urlopen(f"{url}{path}", timeout=10) as resp:
        return json.loads(resp.read())


def connect(clouds_yaml: Path, cloud: str) -> openstack.connection.Connection:
    """openstacksdk on a clouds.yaml the twin wrote, as ``OS_CLIENT_CONFIG_FILE`` would."""
    config = OpenStackConfig(config_files=[str(clouds_yaml)], load_envvars=False)
    return openstack.connection.Connection(config=config.get_one(cloud=cloud))


def test_up_healthy_and_every_brownfield_switch_off(labdir: Path) -> None:
    status = i2("-o", "json", "lab", "status", "--dir", str(labdir))
    assert status.returncode == 0, status.stdout + status.stderr
    components = {c["name"]: c["healthy"] for c in json.loads(status.stdout)["components"]}
    site = load_site(SITE)
    switches = [s.name for s in site.spines] + [leaf.name for _, leaf in site.leaves()]
    assert {f"eos-{n}" for n in switches} | {"vsd", "cloud-ie2", "oneview", "undercloud-uc-ie2",
                                             "gateway-uc-ie2", "netscaler-ie2-adc1"} <= set(components)
    assert all(components.values()), components
    cfg = LabConfig.load(labdir)
    assert cfg.greenfield is True
    assert {k: v for k, v in vars(cfg).items() if k.startswith("brownfield_") and v} == {}


def test_every_switch_is_factory_fresh_in_ztp(labdir: Path) -> None:
    site = load_site(SITE)
    ep = load_endpoints(labdir / "endpoints.yaml")
    password = SecretStore(ep).get(ep.fabric.defaults.password)
    ctx = ssl.create_default_context(cafile=str(ep.path(ep.fabric.defaults.ca_file)))
    console = next(c.url for c in LabState.load(labdir).components if c.name == "console")
    switches = [s.name for s in site.spines] + [leaf.name for _, leaf in site.leaves()]
    assert sorted(ep.fabric.devices) == sorted(switches)
    for name in switches:
        dev = ep.fabric.device(name)
        node = pyeapi.client.Node(pyeapi.connect(transport="https", host=dev.host, port=dev.port,
                                                 username="i2", password=password, context=ctx,
                                                 timeout=5))
        with pytest.raises(pyeapi.eapilib.ConnectionError):  # no eAPI on a factory-default EOS
            node.enable(["show version"])
        r = requests.post(f"{console}/switch/{name}/cli", json={"text": "show zerotouch\n"
                          "show hostname\nshow running-config"}, timeout=10)
        out = r.json()["output"]
        assert out.startswith("ZeroTouch Mode: Active\nHostname: localhost\n"), (name, out[:200])
        assert "router bgp" not in out and "username i2" not in out, name
    # each switch asks ztpserver for its bootstrap, which no one has written yet
    agents = control(labdir, "/ztp")
    assert {n: a["status"] for n, a in agents.items()} == {n: "waiting" for n in switches}


def vsd_session(labdir: Path) -> vsdk.NUVSDSession:
    """vspk logged in as the twin's endpoints file says, verifying the twin's CA."""
    raw = yaml.safe_load((labdir / "endpoints.yaml").read_text())["vsd"]
    secret = yaml.safe_load((labdir / "secrets.yaml").read_text())[raw["password"]["secret"]]
    s = vsdk.NUVSDSession(username=raw["username"], password=secret,
                          enterprise=raw["organisation"], api_url=raw["url"])
    s.requests_session.mount("https://", VerifyingAdapter(raw["ca_file"]))  # bambou says verify=False
    return s.start()


def test_vsd_has_no_enterprise(labdir: Path) -> None:
    s = vsd_session(labdir)
    assert s.user.enterprises.get() == []
    assert s.user.enterprises.get_first(filter='name == "IE2"') is None


def test_oneview_has_the_servers_powered_off_and_no_profile(labdir: Path) -> None:
    site = load_site(SITE)
    ep = load_endpoints(labdir / "endpoints.yaml")
    ov = OneViewClient({"ip": ep.oneview.url.removeprefix("https://"),
                        "credentials": {"userName": ep.oneview.username,
                                        "password": SecretStore(ep).get(ep.oneview.password)},
                        "api_version": ep.oneview.api_version,
                        "ssl_certificate": str(ep.path(ep.oneview.ca_file))})
    hardware = {h["serialNumber"]: h for h in ov.server_hardware.get_all()}
    assert sorted(hardware) == sorted(s.serial for s in site.servers)  # every rack, planned too
    assert {(h["powerState"], h["serverProfileUri"]) for h in hardware.values()} == {("Off", None)}
    assert ov.server_profiles.get_all() == []
    assert ov.server_profile_templates.get_all() == []


def test_undercloud_installed_with_no_overcloud(labdir: Path) -> None:
    conn = connect(labdir / "undercloud-clouds.yaml", "uc-ie2")
    assert list(conn.baremetal.nodes()) == []
    assert conn.baremetal.get_endpoint()  # Ironic is there (the gateway, behind Keystone)
    ep = yaml.safe_load((labdir / "endpoints.yaml").read_text())["underclouds"]["uc-ie2"]
    ssh = paramiko.SSHClient()
    ssh.load_host_keys(str(labdir / ep["known_hosts"]))
    ssh.connect(ep["host"], port=ep["port"], username=ep["username"],
                key_filename=str(labdir / ep["key_file"]["file"]), look_for_keys=False,
                allow_agent=False, timeout=10)
    try:
        _, out, _ = ssh.exec_command("source ~/stackrc && openstack stack list -f json", timeout=30)
        assert json.loads(out.read()) == []
        _, out, _ = ssh.exec_command("source ~/stackrc && openstack overcloud status", timeout=30)
        assert "The plan overcloud could not be found" in out.read().decode()
    finally:
        ssh.close()


def test_the_cloud_answers_with_nothing_deployed_and_the_array_is_empty(labdir: Path) -> None:
    conn = connect(labdir / "clouds.yaml", "ie2")
    assert list(conn.compute.hypervisors()) == []
    assert list(conn.compute.servers(all_projects=True)) == []
    assert list(conn.block_storage.volumes(all_projects=True)) == []
    assert control(labdir, "/array") == {"volumes": []}


def test_netscaler_has_no_virtual_server(labdir: Path) -> None:
    ep = yaml.safe_load((labdir / "endpoints.yaml").read_text())["netscaler"]["ie2-adc1"]
    secret = yaml.safe_load((labdir / "secrets.yaml").read_text())[ep["password"]["secret"]]
    headers = {"X-NITRO-USER": ep["username"], "X-NITRO-PASS": secret}
    for rtype in ("lbvserver", "servicegroup", "csvserver"):
        r = requests.get(f"{ep['url']}/nitro/v1/config/{rtype}", headers=headers,
                         verify=ep["ca_file"], timeout=10)
        assert r.status_code == 200, (rtype, r.text)
        assert r.json().get(rtype, []) == [], rtype


def test_buildout_plan_and_steps_on_the_greenfield_dc(labdir: Path) -> None:
    """Issue 16: ``i2 buildout plan`` reads every system of the empty DC and changes nothing;
    ``apply --dry-run`` fixes the steps (racks as batches, indices across racks, the first deploy
    waiting for every server, the NRFU last); a wrong DC or rack is named with what exists."""
    from tests.runbooks.twin import i2 as i2_site
    from tests.runbooks.twin import i2_json

    plan = i2_json(labdir, "buildout", "plan", "ie2-dc1", site=SITE)
    rows = {(c["system"], c["object"]): c for c in plan["changes"]}
    assert rows[("undercloud", "uc-ie2")]["action"] == "none"
    assert rows[("tripleo", "ie2")]["detail"] == "first deploy through uc-ie2: ComputeNuage 12, Controller 3"
    tags = sorted(c["detail"].split("tag ")[1].split(",")[0]
                  for c in plan["changes"] if c["system"] == "ironic")
    assert len(tags) == 15 and len(set(tags)) == 15  # one index per server across the racks
    assert [c["object"] for c in plan["changes"] if c["system"] == "oneview"].count(
        "i2-dl380g9-compute-large") == 1  # c02 and c03 share it: shown once
    assert plan["summary"].get("blocked", 0) == 0 and plan["summary"].get("error", 0) == 0

    steps = {s["key"]: s for s in i2_json(labdir, "buildout", "apply", "ie2-dc1", "--dry-run", site=SITE)}
    assert steps["c02-s03/enroll"]["batch"] == "rack:c02"
    assert "undercloud/uc-ie2/ready" in steps["c02-s03/enroll"]["deps"]
    assert steps["overcloud/ie2/deploy"]["batch"] == "cloud:ie2"
    assert steps["r01-s01/deployed"]["deps"] == ["overcloud/ie2/deploy"]
    assert list(steps)[-1] == "nrfu"
    assert steps["ie2-spine1/verify"]["deps"] == ["ie2-spine1/ztp"]
    assert sorted(steps["c03/ztp/stage"]["deps"]) == ["ie2-spine1/verify", "ie2-spine2/verify"]

    # planning touched nothing: the undercloud's Ironic is still empty, no profile in OneView
    assert list(connect(labdir / "undercloud-clouds.yaml", "uc-ie2").baremetal.nodes()) == []
    assert not (labdir / "runs.db").exists() or "buildout" not in i2_site(
        labdir, "runs", "list", site=SITE).stdout  # a dry run creates no run
    for bad, named in ((("ie2-dc9",), "no DC 'ie2-dc9' in site ie2 (DCs: ie2-dc1)"),
                       (("ie2-dc1", "--racks", "c09"), "not racks of ie2-dc1: c09 (its racks: ")):
        res = i2_site(labdir, "buildout", "plan", *bad, site=SITE)
        assert res.returncode != 0 and named in res.stderr, res.stderr


def test_buildout_apply_takes_the_empty_dc_to_a_deployed_cloud_and_a_second_apply_changes_nothing(
        labdir: Path) -> None:
    """Issue 16 on the greenfield twin: spines and leaves by ZTP (the real ztpserver bootstrap),
    OneView profiles, Ironic through Train's inspector, the first deploy, every compute a
    hypervisor in Nova, the whole fabric's NRFU passing through stock ANTA; then again: nothing
    changes (the undercloud ran one ``overcloud deploy``)."""
    import sqlite3

    from tests.runbooks.twin import i2_json

    first = i2_json(labdir, "buildout", "apply", "ie2-dc1", "--yes", site=SITE, timeout=1200)
    assert first["status"] == "succeeded", first
    db = sqlite3.connect(labdir / "runs.db")
    try:
        out = {k: json.loads(o) for k, o in db.execute(
            "select key, outputs from steps where run_id=?", (first["run"],))}
    finally:
        db.close()
    site = load_site(SITE)
    computes = [s.name for s in site.servers if s.role.startswith("Compute")]
    assert len(computes) == 12
    assert {out[f"{s}/deployed"]["proof"] for s in computes} == {"nova"}
    fqdns = {f"{s}.ie2.example.net" for s in computes}
    assert {out[f"{s}/deployed"]["hypervisor"] for s in computes} == fqdns
    results = out["nrfu"]["results"]
    assert out["nrfu"]["succeeded"] == len(results) > 0
    assert {r["device"] for r in results} >= {"ie2-spine1", "ie2-spine2", "c03-leaf2", "cvx"}
    assert {r["test"] for r in results} >= {"VerifyNTP", "VerifyBGPSpecificPeers", "VerifyLLDPNeighbors",
                                           "VerifyMlagStatus", "VerifyActiveCVXConnections"}
    hv = connect(labdir / "clouds.yaml", "ie2").compute.hypervisors()
    assert {h.name for h in hv} == fqdns

    again = i2_json(labdir, "buildout", "apply", "ie2-dc1", "--yes", site=SITE, timeout=600)
    assert again["status"] == "succeeded" and again["run"] != first["run"]
    history = (labdir / "underclouds" / "uc-ie2" / "history.jsonl").read_text().splitlines()
    deploys = [e for e in map(json.loads, history)
               if e["event"] == "process" and "overcloud deploy" in e["command"]]
    assert len(deploys) == 1
