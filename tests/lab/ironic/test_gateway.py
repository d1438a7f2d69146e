"""The release gateway: one real Ironic 39 playing Train (with the real ironic-inspector behind
it) and Newton, each behind its own Keystone, driven by the unmodified clients: requests,
openstacksdk, python-ironicclient and the ``openstack`` CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openstack
import pytest
import requests
from ironicclient import client as ironic_client

from lifecycle.lab.base.tls import TlsFiles, make_ca
from lifecycle.lab.ironic import IronicService
from lifecycle.lab.ironic.gateway import BACKEND_CONF, ReleaseGateway
from lifecycle.lab.ironic.identity import UndercloudIdentity, write_undercloud_clouds
from lifecycle.lab.ironic.inspector_service import InspectorService
from lifecycle.lab.ironic.releases import ironic_release
from tests.lab.ironic.conftest import require_venv

V = "X-OpenStack-Ironic-API-Version"
VMIN, VMAX = "X-OpenStack-Ironic-API-Minimum-Version", "X-OpenStack-Ironic-API-Maximum-Version"
IV = "X-OpenStack-Ironic-Inspector-API-Version"


@dataclass
class Front:
    ident: UndercloudIdentity
    gw: ReleaseGateway

    def token(self) -> str:
        resp = requests.post(f"{self.ident.auth_url}/auth/tokens", verify=str(self.ident.tls.ca), json={
            "auth": {"identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"name": "Default"}, "password": self.ident.admin_password}}},
                "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}})
        assert resp.status_code == 201, resp.text
        return resp.headers["X-Subject-Token"]

    def log(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.gw.log_path.read_text().splitlines()]


@dataclass
class Rig:
    tls: TlsFiles
    ironic: IronicService
    train: Front
    newton: Front
    work: Path


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    require_venv()
    work = tmp_path_factory.mktemp("gateway")
    tls = make_ca(work / "tls")
    ironic = IronicService(work / "ironic", extra_conf=BACKEND_CONF).start()
    stops: list[Any] = [ironic.stop]
    try:
        inspector = InspectorService(work / "inspector", ironic_url=ironic.url).start()
        stops.append(inspector.stop)
        fronts = {}
        for name in ("train", "newton"):
            release = ironic_release(name)
            ident = UndercloudIdentity(f"uc-{name}", release.identity, tls=tls,
                                       admin_password=f"pw-{name}-s3cret").start()
            stops.append(ident.stop)
            gw = ReleaseGateway(f"uc-{name}", release, ironic_url=ironic.url, tls=tls,
                                check_token=ident.check, keystone_url=ident.url,
                                log_path=work / name / "api-versions.jsonl",
                                inspector_url=inspector.url if release.inspector_max else None).start()
            stops.append(gw.stop)
            ident.set_catalog(baremetal=gw.url, introspection=gw.inspector_public_url)
            fronts[name] = Front(ident, gw)
        yield Rig(tls, ironic, fronts["train"], fronts["newton"], work)
    finally:
        for stop in reversed(stops):
            stop()


def get(rig: Rig, url: str, **headers: str) -> requests.Response:
    return requests.get(url, headers=headers, verify=str(rig.tls.ca), timeout=30)


def test_no_token_or_a_bad_one_gets_keystonemiddlewares_401(rig: Rig) -> None:
    for headers in ({}, {"X-Auth-Token": "not-a-token"}):
        resp = get(rig, f"{rig.train.gw.url}/v1/nodes", **headers)
        assert resp.status_code == 401
        assert resp.json() == {"error": {"code": 401, "title": "Unauthorized",
                                         "message": "The request you have made requires authentication."}}
        assert resp.headers["WWW-Authenticate"] == f'Keystone uri="{rig.train.ident.url}"'
    # a token of the other undercloud's Keystone is no token here
    assert get(rig, f"{rig.train.gw.url}/v1/nodes", **{"X-Auth-Token": rig.newton.token()}).status_code == 401
    # the version documents and the ramdisk's lookup are open, as Ironic's acl_public_routes
    assert get(rig, f"{rig.train.gw.url}/v1").status_code == 200
    assert get(rig, f"{rig.train.gw.url}/v1/lookup?addresses=52:54:00:00:00:01").status_code != 401
    assert get(rig, f"{rig.train.gw.url}/v1/nodes", **{"X-Auth-Token": rig.train.token()}).status_code == 200


def test_version_documents_and_headers_show_the_release(rig: Rig) -> None:
    for front, top in ((rig.train, "1.58"), (rig.newton, "1.22")):
        root = get(rig, front.gw.url + "/")
        assert root.status_code == 200
        assert root.json()["default_version"]["version"] == top
        assert [v["version"] for v in root.json()["versions"]] == [top]
        assert root.json()["default_version"]["min_version"] == "1.1"
        assert (root.headers[VMIN], root.headers[VMAX]) == ("1.1", top)
        v1 = get(rig, front.gw.url + "/v1").json()
        assert v1["version"]["version"] == top
        # links name the gateway, not the backend (proxy headers)
        assert v1["links"][0]["href"] == f"{front.gw.url}/v1/"
        latest = get(rig, front.gw.url + "/v1/nodes", **{V: "latest", "X-Auth-Token": front.token()})
        assert latest.status_code == 200 and latest.headers[V] == top


def test_above_the_maximum_gets_ironics_own_406(rig: Rig) -> None:
    token = rig.train.token()
    for kwargs in ({V: "1.59"}, {"OpenStack-API-Version": "baremetal 1.59"}):
        resp = get(rig, rig.train.gw.url + "/v1/nodes", **kwargs, **{"X-Auth-Token": token})
        assert resp.status_code == 406
        inner = json.loads(resp.json()["error_message"])
        assert inner == {"code": 406, "title": "Not Acceptable", "description":
                         "Version 1.59 was requested but the minor version is not supported by this "
                         "service. The supported version range is: [1.1, 1.58]."}
        assert (resp.headers[VMIN], resp.headers[VMAX]) == ("1.1", "1.58")
    old = get(rig, rig.newton.gw.url + "/v1/nodes", **{V: "1.23", "X-Auth-Token": rig.newton.token()})
    assert old.status_code == 406 and "[1.1, 1.22]" in old.text and old.headers[VMAX] == "1.22"
    # the root answers at a version above the maximum too, as Ironic's RootController does
    assert get(rig, rig.newton.gw.url + "/", **{V: "1.58"}).status_code == 406
    # what real Ironic answers itself goes through with the release's range
    bad = get(rig, rig.newton.gw.url + "/v1/nodes", **{V: "2.1", "X-Auth-Token": rig.newton.token()})
    assert bad.status_code == 406 and "[1.1, 1.22]" in bad.text and "1.115" not in bad.text


def test_ironicclient_negotiates_the_release_maximum(rig: Rig) -> None:
    for front, top in ((rig.train, "1.58"), (rig.newton, "1.22")):
        ident = front.ident
        client = ironic_client.get_client(
            1, os_ironic_api_version="latest", auth_type="password", auth_url=ident.auth_url,
            username="admin", password=ident.admin_password, project_name="admin",
            user_domain_name="Default", project_domain_name="Default", cacert=str(rig.tls.ca))
        assert client.node.list() == []
        assert client.http_client.os_ironic_api_version == top


def test_openstacksdk_finds_both_services_in_the_catalog_and_caps_at_the_release(rig: Rig) -> None:
    ident = rig.train.ident
    conn = openstack.connect(auth_url=ident.auth_url, username="admin", password=ident.admin_password,
                             project_name="admin", user_domain_name="Default",
                             project_domain_name="Default", cacert=str(rig.tls.ca),
                             load_yaml_config=False, load_envvars=False)
    assert list(conn.baremetal.nodes()) == []
    assert conn.baremetal.get_endpoint_data().max_microversion == (1, 58)
    assert conn.session.get_endpoint(service_type="baremetal-introspection",
                                     interface="public") == rig.train.gw.inspector_public_url
    assert conn.session.get_endpoint(service_type="baremetal", interface="public") == rig.train.gw.url


def test_the_openstack_cli_works_with_the_clouds_yaml_the_twin_writes(rig: Rig) -> None:
    path = write_undercloud_clouds(rig.work / "undercloud-clouds.yaml",
                                   {"uc-new": rig.train.ident, "uc-old": rig.newton.ident})
    assert path.stat().st_mode & 0o777 == 0o600
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = str(path)
    cli = str(Path(sys.executable).with_name("openstack"))
    seen = len(rig.newton.log())
    for cloud in ("uc-new", "uc-old"):
        res = subprocess.run([cli, "--os-cloud", cloud, "baremetal", "node", "list", "-f", "json"],
                             env=env, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout) == []
    # the CLI asks its own latest first, gets the 406 and negotiates down to what Newton serves
    served = [line for line in rig.newton.log()[seen:] if line["status"] < 400]
    assert any(line["path"] == "/v1/nodes" and line["version"] == "1.22" for line in served), served
    assert all(tuple(map(int, line["version"].split("."))) <= (1, 22) for line in served if line["version"])


def test_train_lacks_agent_inspection_and_shows_inspector(rig: Rig) -> None:
    token = {"X-Auth-Token": rig.train.token(), V: "1.58"}
    url, ca = rig.train.gw.url, str(rig.tls.ca)
    refused = requests.post(f"{url}/v1/nodes", headers=token, verify=ca, timeout=30,
                            json={"driver": "fake-hardware", "name": "t-agent", "inspect_interface": "agent"})
    assert refused.status_code == 400
    assert json.loads(refused.json()["error_message"])["faultstring"] == (
        "Could not find the following interface in the 'ironic.hardware.interfaces.inspect' "
        "entrypoint: agent. Valid interfaces are ['inspector', 'no-inspect'].")
    made = requests.post(f"{url}/v1/nodes", headers=token, verify=ca, timeout=30,
                         json={"driver": "fake-hardware", "name": "t-default"})
    assert made.status_code == 201 and made.json()["inspect_interface"] == "inspector"
    uuid = made.json()["uuid"]
    # the backend keeps what Ironic 39 has in its place
    assert requests.get(f"{rig.ironic.url}/v1/nodes/{uuid}", headers={V: "1.58"},
                        timeout=30).json()["inspect_interface"] == "agent"
    patch = requests.patch(f"{url}/v1/nodes/{uuid}", headers=token, verify=ca, timeout=30,
                           json=[{"op": "replace", "path": "/inspect_interface", "value": "redfish"}])
    assert patch.status_code == 400 and "entrypoint: redfish." in patch.text
    patch = requests.patch(f"{url}/v1/nodes/{uuid}", headers=token, verify=ca, timeout=30,
                           json=[{"op": "replace", "path": "/inspect_interface", "value": "no-inspect"}])
    assert patch.status_code == 200 and patch.json()["inspect_interface"] == "no-inspect"
    listed = get(rig, f"{url}/v1/nodes?fields=name,inspect_interface", **token).json()["nodes"]
    assert {"name": "t-default", "inspect_interface": "no-inspect"} in [
        {k: n[k] for k in ("name", "inspect_interface")} for n in listed]
    # Newton's API has no inspect_interface at all: its 1.22 hides and refuses the field
    old = {"X-Auth-Token": rig.newton.token(), V: "1.22"}
    node = get(rig, f"{rig.newton.gw.url}/v1/nodes/{uuid}", **old).json()
    assert "inspect_interface" not in node and "owner" not in node
    requests.delete(f"{url}/v1/nodes/{uuid}", headers=token, verify=ca, timeout=30).raise_for_status()


def test_inspector_plays_train_behind_keystone(rig: Rig) -> None:
    url = rig.train.gw.inspector_public_url
    assert url and rig.newton.gw.inspector_public_url is None
    root = get(rig, url + "/")
    assert root.status_code == 200 and [v["id"] for v in root.json()["versions"]] == ["1.15"]
    assert root.headers["X-OpenStack-Ironic-Inspector-API-Maximum-Version"] == "1.15"
    too_new = get(rig, url + "/v1/introspection", **{IV: "1.16"})  # inspector: version before token
    assert too_new.status_code == 406
    assert too_new.json() == {"error": {"message":
                                        "Unsupported API version 1.16, supported range is 1.0 to 1.15"}}
    unauth = get(rig, url + "/v1/introspection")
    assert unauth.status_code == 401 and unauth.json() == {"error": {"message": "Authentication required"}}
    ok = get(rig, url + "/v1/introspection", **{"X-Auth-Token": rig.train.token()})
    assert ok.status_code == 200 and "introspection" in ok.json()


def test_every_request_is_logged_with_the_version_it_asked(rig: Rig) -> None:
    get(rig, rig.train.gw.url + "/v1/nodes", **{V: "1.31", "X-Auth-Token": rig.train.token()})
    log = rig.train.log()
    assert {"method": "GET", "path": "/v1/nodes", "service": "ironic", "version": "1.31",
            "status": 200} in [{k: v for k, v in line.items() if k != "t"} for line in log]
    assert any(line["version"] == "1.59" and line["status"] == 406 for line in log)
    assert any(line["service"] == "inspector" and line["version"] == "1.15" for line in log)
    assert all(isinstance(line["t"], float) for line in log)


def test_current_plays_the_backends_own_range_without_inspector(rig: Rig) -> None:
    ident = UndercloudIdentity("uc-current", "3.14", tls=rig.tls, admin_password="pw-current").start()
    gw = ReleaseGateway("uc-current", ironic_release("current"), ironic_url=rig.ironic.url, tls=rig.tls,
                        check_token=ident.check, keystone_url=ident.url,
                        log_path=rig.work / "current" / "api-versions.jsonl").start()
    try:
        ident.set_catalog(baremetal=gw.url, introspection=gw.inspector_public_url)
        backend = requests.get(rig.ironic.url + "/", timeout=30).headers[VMAX]
        assert get(rig, gw.url + "/").json()["default_version"]["version"] == backend
        assert gw.inspector_public_url is None and ident.catalog()[-1][0] == "baremetal"
        token = Front(ident, gw).token()
        made = requests.post(f"{gw.url}/v1/nodes", headers={"X-Auth-Token": token, V: backend},
                             verify=str(rig.tls.ca), timeout=30,
                             json={"driver": "fake-hardware", "name": "c-agent",
                                   "inspect_interface": "agent"})
        assert made.status_code == 201 and made.json()["inspect_interface"] == "agent"
        requests.delete(f"{rig.ironic.url}/v1/nodes/{made.json()['uuid']}", timeout=30).raise_for_status()
    finally:
        gw.stop()
        ident.stop()


def test_an_expired_token_gets_401_and_keystoneauth_renews_inside_its_margin(rig: Rig) -> None:
    """Keystone's ``[token] expiration`` (the lab's ``token_lifetime``): once a token expires the
    gateway answers keystonemiddleware's 401 and Keystone no longer knows it. keystoneauth takes
    a new token whenever its own expires within 120 s (MIN_TOKEN_LIFE_SECONDS), so against a
    Keystone whose tokens live less than that it authenticates before every request."""
    ident = UndercloudIdentity("uc-short", "3.13", tls=rig.tls, admin_password="pw-short",
                               token_lifetime=2).start()
    gw = ReleaseGateway("uc-short", ironic_release("train"), ironic_url=rig.ironic.url, tls=rig.tls,
                        check_token=ident.check, keystone_url=ident.url,
                        log_path=rig.work / "short" / "api-versions.jsonl").start()
    try:
        ident.set_catalog(baremetal=gw.url)
        front = Front(ident, gw)
        token = front.token()
        assert get(rig, f"{gw.url}/v1/nodes", **{"X-Auth-Token": token}).status_code == 200
        time.sleep(2.2)
        expired = get(rig, f"{gw.url}/v1/nodes", **{"X-Auth-Token": token})
        assert expired.status_code == 401
        assert expired.json()["error"]["title"] == "Unauthorized"
        assert expired.headers["WWW-Authenticate"] == f'Keystone uri="{ident.url}"'
        gone = get(rig, f"{ident.auth_url}/auth/tokens", **{"X-Auth-Token": front.token(),
                                                             "X-Subject-Token": token})
        assert gone.status_code == 404
        conn = openstack.connect(auth=ident.auth(), auth_type="password", identity_api_version="3",
                                 cacert=str(rig.tls.ca), load_yaml_config=False, load_envvars=False)
        before = len(ident.keystone.tokens)
        for _ in range(3):
            assert list(conn.baremetal.nodes(fields=["uuid"])) == []
        assert len(ident.keystone.tokens) - before >= 3  # one (or more) per request
        assert all(line["status"] != 401 for line in front.log()[2:])  # never sent a stale one
    finally:
        gw.stop()
        ident.stop()
