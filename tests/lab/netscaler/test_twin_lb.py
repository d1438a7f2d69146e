"""`i2 lab up` seeds the twin's NetScaler as the estate runs it, and traffic goes through it: the
vservers exist with side A's VMs bound and UP, the workload probes go through the VIPs (a
graceful drain of one member keeps them green, a vserver with no member turns them red), members
follow their VM and the ACLs, and the writer-hook proxy quiesces a VM's writers.

Plain NITRO over ``requests`` (the product's adapter is not what is tested here)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from lifecycle.clouds import Cloud
from lifecycle.model import load_site
from lifecycle.model.endpoints import load_endpoints
from tests.runbooks.twin import SITE, lab, wait_until

pytestmark = [pytest.mark.needs_root("the twin's ZTP needs root"), pytest.mark.slow(50)]


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Any:
    t0 = time.monotonic()
    with lab(tmp_path_factory.mktemp("lb") / "lab", rack=None) as labdir:
        print(f"twin with the estate and its NetScaler up in {time.monotonic() - t0:.1f} s")
        yield labdir


class Nitro:
    def __init__(self, labdir: Path):
        ep = yaml.safe_load((labdir / "endpoints.yaml").read_text())["netscaler"]["ie1-adc1"]
        secret = yaml.safe_load((labdir / "secrets.yaml").read_text())[ep["password"]["secret"]]
        self.base, self.ca = f"{ep['url']}/nitro/v1/config", ep["ca_file"]
        self.headers = {"X-NITRO-USER": ep["username"], "X-NITRO-PASS": secret}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        r = requests.request(method, f"{self.base}/{path}", json=body, headers=self.headers,
                             verify=self.ca, timeout=10)
        assert r.status_code in (200, 201), (method, path, r.status_code, r.text)
        return r.json()

    def members(self, sg: str) -> dict[str, dict[str, Any]]:
        rows = self.call("GET", f"servicegroup_servicegroupmember_binding/{sg}")
        return {r["ip"]: r for r in rows.get("servicegroup_servicegroupmember_binding", [])}


def probes(labdir: Path, path: str, **params: Any) -> Any:
    p = yaml.safe_load((labdir / "endpoints.yaml").read_text())["probes"]
    return requests.get(f"{p['url']}{path}", params=params, verify=p["ca_file"], timeout=10).json()


def red(labdir: Path, app: str | None = None) -> list[dict[str, Any]]:
    return [p for p in probes(labdir, "/v1/status")["probes"] if not p["ok"] and app in (None, p["app"])]


def old_cloud(labdir: Path) -> Any:
    """openstacksdk's connection to the old cloud (admin), through i2's cloud adapter."""
    return Cloud.connect(load_endpoints(labdir / "endpoints.yaml"), "ie1-old").conn


def addresses(labdir: Path) -> dict[str, str]:
    conn = old_cloud(labdir)
    return {s.name: a["addr"] for s in conn.compute.servers(all_projects=True)
            for net in s.addresses.values() for a in net}


def test_the_estate_is_seeded_behind_its_vservers(twin: Path) -> None:
    site = load_site(SITE)
    nitro = Nitro(twin)
    ips = addresses(twin)
    vservers = {v["name"]: v for v in nitro.call("GET", "lbvserver")["lbvserver"]}
    envs = [(a, spec) for a in site.applications for spec in a.environments.values() if spec.lb]
    assert set(vservers) == {spec.lb.lbvserver.name for _, spec in envs}
    for app, spec in envs:
        vs = vservers[spec.lb.lbvserver.name]
        assert (vs["ipv46"], vs["port"], vs["curstate"]) == (str(spec.lb.lbvserver.ipv46),
                                                            spec.lb.lbvserver.port, "UP"), vs
        members = nitro.members(spec.lb.servicegroup.servicegroupname)
        assert set(members) == {ips[vm.name] for vm in spec.vms}, app.name
        assert {m["svrstate"] for m in members.values()} == {"UP"}
        assert {m["port"] for m in members.values()} == {spec.lb.servicegroup.port}
    monitors = nitro.call("GET", "servicegroup_lbmonitor_binding/sg_billing_prd")
    assert [b["monitor_name"] for b in monitors["servicegroup_lbmonitor_binding"]] == ["mon_billing"]
    snips = nitro.call("GET", "nsip?filter=type:SNIP")["nsip"]
    assert sorted(s["ipaddress"] for s in snips) == ["10.50.0.11", "10.50.0.12"]
    # the layers above: each declared policy targets its vserver, each GSLB service is the VIP,
    # UP because the VIP serves
    for _, spec in envs:
        lb = spec.lb
        if lb.csvserver is not None:
            rows = nitro.call("GET", f"csvserver_cspolicy_binding/{lb.csvserver.name}")
            assert [(r["policyname"], r["targetlbvserver"]) for r in rows["csvserver_cspolicy_binding"]] == [
                (lb.csvserver.policyname, lb.lbvserver.name)]
        if lb.gslbvserver is not None:
            rows = nitro.call("GET", f"gslbvserver_gslbservice_binding/{lb.gslbvserver.name}")
            assert [(r["servicename"], r["ipaddress"], r["port"], r["svreffgslbstate"])
                    for r in rows["gslbvserver_gslbservice_binding"]] == [
                (lb.gslbvserver.servicename, str(lb.lbvserver.ipv46), lb.lbvserver.port, "UP")]
    wait_until(lambda: not red(twin), 30, "every workload probe green")


def test_a_member_follows_its_vm_and_the_monitor(twin: Path) -> None:
    nitro = Nitro(twin)
    ip = addresses(twin)["web-portal-qa-2"]
    sg = "sg_web-portal_qa"
    nitro.call("DELETE", f"servicegroup_servicegroupmember_binding/{sg}?args=ip:{ip},port:8080")
    nitro.call("PUT", "servicegroup_servicegroupmember_binding",
               {"servicegroup_servicegroupmember_binding": {"servicegroupname": sg, "ip": ip, "port": 8080}})
    # it starts DOWN and is probed at once (the emulator's own tests see DOWN first): UP quickly
    wait_until(lambda: nitro.members(sg)[ip]["svrstate"] == "UP", 10, "the rebound member UP")
    # an address no VM holds, and a port the application does not listen on: never UP
    bulk = [{"servicegroupname": sg, "ip": "10.20.1.200", "port": 8080},
            {"servicegroupname": sg, "ip": ip, "port": 9999}]
    member = "servicegroup_servicegroupmember_binding"
    nitro.call("POST", member, {member: bulk})
    time.sleep(1.0)
    rows = nitro.call("GET", f"servicegroup_servicegroupmember_binding/{sg}")[member]
    states = {(r["ip"], r["port"]): r["svrstate"] for r in rows}
    assert states[("10.20.1.200", 8080)] == states[(ip, 9999)] == "DOWN", states
    assert states[(ip, 8080)] == "UP" and len(states) == 4, states
    for bogus in ("ip:10.20.1.200,port:8080", f"ip:{ip},port:9999"):
        nitro.call("DELETE", f"servicegroup_servicegroupmember_binding/{sg}?args={bogus}")
    # the VM stops: requests that land on it fail until its monitor fails (3 retries at 2 s)
    # and the member goes DOWN; then the other member serves alone
    conn = old_cloud(twin)
    server = next(conn.compute.servers(all_projects=True, name="web-portal-qa-2"))
    t0 = time.time()
    conn.compute.stop_server(server)
    wait_until(lambda: nitro.members(sg)[ip]["svrstate"] == "DOWN", 15, "the stopped VM's member DOWN")
    window = probes(twin, "/v1/downtime", since=t0)["apps"]["web-portal/qa"]
    assert window["downtime_ms"] > 0 and "no answer" in window["windows"][0]["why"], window
    wait_until(lambda: not red(twin, "web-portal"), 5, "web-portal green on one member")
    conn.compute.start_server(server)
    wait_until(lambda: nitro.members(sg)[ip]["svrstate"] == "UP", 20, "the started VM's member UP")


def test_probes_go_through_the_vip(twin: Path) -> None:
    nitro = Nitro(twin)
    ips = addresses(twin)
    sg, one, two = "sg_web-portal_prd", ips["web-portal-prd-1"], ips["web-portal-prd-2"]
    wait_until(lambda: not red(twin, "web-portal"), 10, "web-portal green")
    t0 = time.time()
    # graceful disable of one member: it drains for its delay, the other serves new requests
    nitro.call("POST", "servicegroup?action=disable", {"servicegroup": {
        "servicegroupname": sg, "servername": one, "port": 8080, "graceful": "YES", "delay": 1}})
    assert nitro.members(sg)[one]["svrstate"] == "GOING OUT OF SERVICE"
    wait_until(lambda: nitro.members(sg)[one]["svrstate"] == "OUT OF SERVICE", 5, "drained")
    time.sleep(0.5)
    assert probes(twin, "/v1/downtime", since=t0)["apps"]["web-portal/prd"]["downtime_ms"] == 0
    assert not red(twin, "web-portal")
    # nobody left behind the VIP: every consumer of web-portal/prd goes red
    t1 = time.time()
    for ip in (one, two):
        nitro.call("DELETE", f"servicegroup_servicegroupmember_binding/{sg}?args=ip:{ip},port:8080")
    wait_until(lambda: any(p["env"] == "prd" for p in red(twin, "web-portal")), 5, "web-portal/prd red")
    gone = {p["consumer"]: p["detail"] for p in red(twin, "web-portal") if p["env"] == "prd"}
    assert "serves nobody" in gone["external"], gone  # port 443: through the VIP
    assert "no serving VM" in gone["macro:monitoring"], gone  # 9100: straight to the members' VMs
    for ip in (one, two):
        nitro.call("POST", "servicegroup_servicegroupmember_binding", {
            "servicegroup_servicegroupmember_binding": {"servicegroupname": sg, "ip": ip, "port": 8080}})
    wait_until(lambda: not red(twin, "web-portal"), 10, "web-portal green again")
    window = probes(twin, "/v1/downtime", since=t1)["apps"]["web-portal/prd"]
    assert window["downtime_ms"] > 0 and any("serves nobody" in w["why"] for w in window["windows"]), window


def test_the_hook_proxy_quiesces_and_resumes_writers(twin: Path) -> None:
    access = yaml.safe_load((twin / "endpoints.yaml").read_text())["vm_access"]
    proxies = {"http": access["http_proxy"], "https": access["http_proxy"]}
    ip = addresses(twin)["orders-prd-1"]
    url = f"https://{ip}:8081/admin/writers"  # the site's hook: https, port 8081, POST/DELETE

    def call(method: str, target: str = url) -> requests.Response:
        return requests.request(method, target, proxies=proxies, verify=access["ca_file"], timeout=10)

    freeze = lambda since: probes(twin, "/v1/downtime", since=since)["apps"]["orders/prd"]["write_freeze_ms"]  # noqa: E731
    t0 = time.time()
    r = call("POST")
    assert r.status_code == 200 and r.json()["writers"] == "quiesced", r.text
    time.sleep(0.5)
    assert freeze(t0) > 0
    r = call("DELETE")
    assert r.status_code == 200 and r.json()["writers"] == "running", r.text
    t1 = time.time() + 0.2
    time.sleep(0.5)
    assert freeze(t1) == 0
    assert not red(twin, "orders")  # writers are not traffic: no downtime
    # what a proxy answers for the rest
    assert call("POST", f"http://{ip}:8081/admin/writers").status_code == 400  # plain HTTP to TLS
    assert call("POST", f"http://{ip}:8081/elsewhere").status_code == 400
    assert call("POST", f"http://{ip}:2222/x").status_code == 502  # nothing listens there
    with pytest.raises(requests.exceptions.ProxyError):
        call("POST", "https://10.20.9.9:8081/admin/writers")  # no such VM: CONNECT answered 502
    assert call("PUT").status_code == 405
