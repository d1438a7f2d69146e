"""`i2 lab up` on the example site brings up the estate before the upgrade: the old cloud runs
every application on its A subnets, the VSD holds the site's policy, the probes are green; an
ACL entry removed turns its consumer's probe red, put back turns it green, and the probe
service reports the window."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from lifecycle.clouds import Cloud
from lifecycle.model import load_site
from lifecycle.model.endpoints import SecretStore, load_endpoints
from lifecycle.nuage import Nuage
from lifecycle.nuage.policy import Ref
from tests.runbooks.twin import SITE, lab, wait_until

pytestmark = pytest.mark.needs_root("the twin's ZTP needs root")


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Any:
    t0 = time.monotonic()
    with lab(tmp_path_factory.mktemp("estate") / "lab", rack=None) as labdir:
        print(f"twin with the estate up in {time.monotonic() - t0:.1f} s")  # measured, see docs/twin.md
        yield labdir


def probes(labdir: Path, path: str, **params: Any) -> Any:
    p = yaml.safe_load((labdir / "endpoints.yaml").read_text())["probes"]
    return requests.get(f"{p['url']}{path}", params=params, verify=p["ca_file"], timeout=10).json()


def red(labdir: Path) -> list[dict[str, Any]]:
    return [p for p in probes(labdir, "/v1/status")["probes"] if not p["ok"]]


def test_the_old_cloud_runs_every_application_on_its_a_subnet(estate: Path) -> None:
    site = load_site(SITE)
    ep = load_endpoints(estate / "endpoints.yaml")
    old = Cloud.connect(ep, "ie1-old")
    servers = {s.name: s for s in old.servers()}
    vms = {vm.name: (a, env) for a in site.applications for env, e in a.environments.items() for vm in e.vms}
    assert set(servers) == set(vms)
    for name, s in servers.items():
        app, env = vms[name]
        assert s.status == "ACTIVE" and s.metadata["i2.in_service"] == "true"
        (ip,) = [a["addr"] for net in s.addresses.values() for a in net]
        assert __import__("ipaddress").ip_address(ip) in app.environments[env].subnets.a, (name, ip)
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
    teams = yaml.safe_load((estate / "teams-clouds.yaml").read_text())["clouds"]
    old_url = yaml.safe_load((estate / "clouds.yaml").read_text())["clouds"]["ie1-old"]["auth"]["auth_url"]
    assert {e["auth"]["auth_url"] for e in teams.values()} == {old_url}
    assert not [p for p, e in teams.items() if "password" in e["auth"]]  # kept in teams-secure.yaml


def test_probes_follow_the_acls(estate: Path) -> None:
    wait_until(lambda: not red(estate), 30, "every probe green")
    status = probes(estate, "/v1/status")["probes"]
    consumers = {(p["consumer"], p["app"]) for p in status}
    assert ("app:web-portal", "api-gateway") in consumers and ("external", "web-portal") in consumers
    assert ("macro:monitoring", "notifications") in consumers  # an app nobody else consumes

    ep = load_endpoints(estate / "endpoints.yaml")
    vsd = Nuage.connect(ep, SecretStore(ep))
    ent = vsd.enterprise("IE1")
    dom = vsd.domain(ent, "ie1-prd")
    entry = next(e for e in vsd.entries(dom, ent)
                 if e.direction == "egress" and e.rule == "web-portal-to-api-gateway")
    assert entry.location == Ref("ZONE", "api-gateway")
    t0 = time.time()
    vsd.delete_entry(dom, entry)
    wait_until(lambda: any(p["consumer"] == "app:web-portal" and p["app"] == "api-gateway"
                           and p["env"] == "prd" for p in red(estate)), 10, "web-portal -> api-gateway red")
    (gone,) = [p for p in red(estate) if p["app"] == "api-gateway"]
    assert "implicit drop" in gone["detail"], gone
    assert not [p for p in red(estate) if p["env"] == "qa"]  # the qa domain has its own entry

    vsd.create_entry(dom, entry)
    wait_until(lambda: not red(estate), 10, "every probe green again")
    window = probes(estate, "/v1/downtime", since=t0)["apps"]["api-gateway/prd"]
    assert window["downtime_ms"] > 0 and len(window["windows"]) == 1, window
    assert "app:web-portal" in window["windows"][0]["why"]
    assert probes(estate, "/v1/downtime", since=t0)["apps"]["api-gateway/qa"]["downtime_ms"] == 0
