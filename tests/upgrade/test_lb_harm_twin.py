"""Negative tests on the twin (issue 14): the probes see the harm the load balancer can do, and
the runbook's guards refuse it before it happens.

One estate for the module: the example site with rack c02 serving the new cloud, and
api-gateway/prd's ``drain_delay`` set to 0. Each test moves its own application:

1. web-portal: B's monitor goes DOWN while B soaks (a VSD entry drops the SNIPs' traffic to
   web-portal-prd-b); the resumed run's soak fails on B's members before A is drained, and A
   keeps serving. An operator's
   script then unbinds A by raw NITRO: the VIP serves nobody.
2. reporting: a network team made reporting-prd-b beforehand with an entry that drops the SNIPs:
   readiness blocks and ``apply`` changes nothing. Forced, B's members never go UP; ``i2 lb
   drain --side a`` refuses, ``--force`` leaves nobody serving. Once the entry is gone, the same
   run finishes, and its evidence reports the downtime.
3. api-gateway: prd drains with a delay of 0, so ``unbind-a`` cuts the probes' long requests in
   flight; qa's delay of 2 s outlasts them: 0 ms.

Downtime is what the twin's probe service measures through the VIPs (``/v1/downtime``, which
the upgrade's evidence step reads).
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from lifecycle.lab.probes import REQUEST_SECONDS
from tests.runbooks.twin import Operator, edited_site, lab, wait_until

pytestmark = [pytest.mark.needs_root("the twin's ZTP mount namespaces need root"),
              pytest.mark.slow(240)]

MEMBER = "servicegroup_servicegroupmember_binding"


def harm_site(tmp: Path) -> Path:
    """The example site, c02 serving the new cloud, api-gateway/prd draining with a delay of 0."""
    site = edited_site(tmp, ("racks/c02.yaml", "state: planned", "state: in-service"),
                       ("openstack.yaml", "{name: ComputeNuage, count: 0,", "{name: ComputeNuage, count: 8,"))
    apps = site / "applications.yaml"
    head, sep, tail = apps.read_text().partition("lbvserver: {name: lb_api-gateway_prd")
    assert sep and "drain_delay: 2" in tail
    apps.write_text(head + sep + tail.replace("drain_delay: 2", "drain_delay: 0", 1))
    return site


class Estate(Operator):
    def __init__(self, labdir: Path, site: Path):
        super().__init__(labdir, site)
        self.ep = yaml.safe_load((labdir / "endpoints.yaml").read_text())
        ns = self.ep["netscaler"]["ie1-adc1"]
        secret = yaml.safe_load((labdir / "secrets.yaml").read_text())[ns["password"]["secret"]]
        self.nitro_base, self.nitro_ca = f"{ns['url']}/nitro/v1/config", ns["ca_file"]
        self.nitro_auth = {"X-NITRO-USER": ns["username"], "X-NITRO-PASS": secret}

    def nitro(self, method: str, path: str, body: Any = None) -> Any:
        """A raw NITRO request, as an operator's script sends it."""
        r = requests.request(method, f"{self.nitro_base}/{path}", json=body, headers=self.nitro_auth,
                             verify=self.nitro_ca, timeout=10)
        assert r.status_code in (200, 201), (method, path, r.status_code, r.text)
        return r.json()

    def members(self, sg: str) -> dict[str, dict[str, Any]]:
        return {r["ip"]: r for r in self.nitro("GET", f"{MEMBER}/{sg}").get(MEMBER, [])}

    # -- what the probes measured ----------------------------------------------------------------
    def downtime(self, key: str, since: float, until: float | None = None) -> dict[str, Any]:
        p = self.ep["probes"]
        params = {"since": since, **({"until": until} if until else {})}
        apps = requests.get(f"{p['url']}/v1/downtime", params=params, verify=p["ca_file"], timeout=10).json()
        return dict(apps["apps"][key])

    def red(self, key: str) -> list[dict[str, Any]]:
        p = self.ep["probes"]
        probes = requests.get(f"{p['url']}/v1/status", verify=p["ca_file"], timeout=10).json()["probes"]
        return [x for x in probes if not x["ok"] and f"{x['app']}/{x['env']}" == key]

    # -- VSD -------------------------------------------------------------------------------------
    def vsd(self) -> tuple[Any, Any, Any]:
        from lifecycle.model.endpoints import SecretStore, load_endpoints
        from lifecycle.nuage import Nuage

        ep = load_endpoints(self.dir / "endpoints.yaml")
        vsd = Nuage.connect(ep, SecretStore(ep))
        ent = vsd.enterprise("IE1")
        return vsd, ent, vsd.domain(ent, "ie1-prd")

    def block_snips(self, subnet: str, priority: int) -> Any:
        """An egress entry, before every forwarding one, that drops the SNIPs' traffic to ``subnet``."""
        from lifecycle.nuage.policy import Entry, Ref

        vsd, ent, dom = self.vsd()
        sub = vsd.subnet(dom, subnet)
        macro = next(m for m in vsd.all(ent.enterprise_networks) if m.name == "adc-snips")
        return vsd.create_entry(dom, Entry("egress", f"block-adc-to-{subnet}", Ref("SUBNET", subnet),
                                           Ref("ENTERPRISE_NETWORK", "adc-snips"), protocol="ANY",
                                           action="DROP", priority=priority, location_id=sub.id,
                                           network_id=macro.id))

    def unblock(self, entry: Any) -> None:
        vsd, _, dom = self.vsd()
        assert vsd.delete_entry(dom, entry)

    # -- the run store ---------------------------------------------------------------------------
    def steps(self) -> dict[str, tuple[str, str]]:
        """Step key -> (status, last error) of the latest run; empty before the first."""
        try:
            db = sqlite3.connect(f"file:{self.dir / 'runs.db'}?mode=ro", uri=True, timeout=30)
        except sqlite3.OperationalError:
            return {}
        try:
            run = db.execute("select id from runs order by created_at desc limit 1").fetchone()
            rows = db.execute("select key, status, last_error from steps where run_id=?", (run[0],))
            return {k: (s, e or "") for k, s, e in rows.fetchall()}
        except (sqlite3.OperationalError, TypeError):
            return {}
        finally:
            db.close()

    def last_run(self) -> str:
        return str(self.json("runs", "list", "--limit", "1")[0]["id"])


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("lb-harm")
    site = harm_site(tmp)
    with lab(tmp / "lab", rack=None, site=site) as labdir:
        yield Estate(labdir, site)


def poll_until(cond: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def sides(estate: Estate, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The members of ``key``'s service group on side A and on side B, by address, as NITRO says."""
    from lifecycle.model import load_site

    app, env_name = key.split("/")
    spec = next(a for a in load_site(estate.site).applications if a.name == app).environments[env_name]
    assert spec.lb is not None
    members = estate.members(spec.lb.servicegroup.servicegroupname)
    a, b = (ipaddress.ip_network(str(n)) for n in (spec.subnets.a, spec.subnets.b))
    return ({ip: m for ip, m in members.items() if ipaddress.ip_address(ip) in a},
            {ip: m for ip, m in members.items() if ipaddress.ip_address(ip) in b})


def whys(d: dict[str, Any]) -> str:
    return " | ".join(w["why"] for w in d["windows"])


FIGURES: dict[str, int] = {}  # what each scenario measured, printed at the end (-s shows them)


def test_unbinding_a_before_b_is_up_shows_downtime_and_the_runbook_refuses(estate: Estate) -> None:
    sg, key = "sg_web-portal_prd", "web-portal/prd"

    proc = estate.spawn("upgrade", "apply", "--app", "web-portal", "--yes")
    poll_until(lambda: estate.steps().get("web-portal/prd/soak", ("",))[0] == "running", 180,
               "web-portal/prd soaking")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    run = estate.last_run()
    try:
        harm_after_refusal(estate, run, sg, key)
    finally:
        estate.i2("runs", "abort", run)  # web-portal/prd stays half-moved; the run's lock goes


def harm_after_refusal(estate: Estate, run: str, sg: str, key: str) -> None:
    a, b = sides(estate, key)
    assert len(a) == len(b) == 2 and {m["svrstate"] for m in (a | b).values()} == {"UP"}, (a, b)

    block = estate.block_snips("web-portal-prd-b", priority=100)
    wait_until(lambda: {m["svrstate"] for m in sides(estate, key)[1].values()} == {"DOWN"}, 30,
               "B's monitor DOWN")
    time.sleep(0.5)  # B's requests in flight were cut as it went DOWN (downstateflush): seen by now
    wait_until(lambda: not estate.red(key), 10, f"{key} green on A alone")
    t_refused = time.time()
    res = estate.i2("-o", "json", "runs", "resume", run)
    assert res.returncode == 1, res.stdout + res.stderr
    # the soak watches B's members on the NetScaler: it fails, naming them, before A is drained
    # (were B DOWN only after the soak, the drain's guard refuses: "refused: B is not serving on")
    status, error = estate.steps()["web-portal/prd/soak"]
    assert status == "failed" and "stopped being healthy during the soak" in error, error
    assert "ENABLED/DOWN on sg_web-portal_prd" in error, error
    assert estate.steps()["web-portal/prd/retire"][0] in ("pending", "quarantined")
    assert estate.steps()["web-portal/prd/unbind-a"][0] in ("pending", "quarantined")
    assert {(m["state"], m["svrstate"]) for m in sides(estate, key)[0].values()} == {("ENABLED", "UP")}
    assert estate.downtime(key, since=t_refused)["downtime_ms"] == 0  # the refusal harmed nobody

    # what the guard prevented: an operator's script unbinds A before B's monitor is UP
    t_harm = time.time()
    for ip in a:
        estate.nitro("DELETE", f"{MEMBER}/{sg}?args=ip:{ip},port:8080")
    wait_until(lambda: bool(estate.red(key)), 10, f"{key} red")
    time.sleep(1.0)
    for ip in a:  # put A back (the fix), then lift the block
        estate.nitro("POST", MEMBER, {MEMBER: {"servicegroupname": sg, "ip": ip, "port": 8080}})
    wait_until(lambda: not estate.red(key), 15, f"{key} green again")
    estate.unblock(block)
    seen = estate.downtime(key, since=t_harm)
    # from the unbind to the rebind: the vserver serving nobody, or A's requests cut as it went
    why = whys(seen)
    assert seen["downtime_ms"] > 0 and ("serves nobody" in why or any(
        f"cut in flight (member {ip}:8080)" in why for ip in a)), seen
    FIGURES["unbind A before B is UP"] = seen["downtime_ms"]


def test_an_acl_keeping_the_snips_from_b_shows_downtime_and_readiness_refuses(estate: Estate) -> None:
    from lifecycle.model import load_site

    sg, key = "sg_reporting_prd", "reporting/prd"
    site = load_site(estate.site)
    app = next(a for a in site.applications if a.name == "reporting")
    vsd, _, dom = estate.vsd()
    vsd.ensure_subnet(vsd.zone(dom, app.zone_name), "reporting-prd-b",
                      str(app.environments["prd"].subnets.b))  # the network team made B already
    block = estate.block_snips("reporting-prd-b", priority=101)

    plan = estate.json("upgrade", "plan", "--app", "reporting", ok=(1,))
    acl = {f["app"]: f for f in plan["findings"] if f["check"] == "lb-acl"}
    assert acl[key]["level"] == "blocking", acl
    assert "tcp/8080 to serve" in acl[key]["detail"] and "mon_reporting" in acl[key]["detail"], acl
    assert "block-adc-to-reporting-prd-b (priority 101)" in acl[key]["detail"], acl
    assert acl["reporting/qa"]["level"] == "ok", acl
    res = estate.i2("upgrade", "apply", "--app", "reporting", "--yes")
    assert res.returncode == 1 and "nothing was changed" in res.stderr, res.stdout + res.stderr
    assert "lb-acl" in res.stderr
    a, b = sides(estate, key)
    assert len(a) == 1 and not b, (a, b)  # A alone, untouched

    # forced past readiness: B is bound and never UP, the runbook waits (A keeps serving)
    proc = estate.spawn("upgrade", "apply", "--app", "reporting", "--yes", "--force")
    try:
        poll_until(lambda: proc.poll() is not None or (estate.steps().get(
            "reporting/prd/in-service", ("",))[0] == "running" and len(estate.members(sg)) == 2), 180,
            "B bound to sg_reporting_prd")
        assert proc.poll() is None, proc.communicate()
        time.sleep(2.5)  # more than a monitor interval: B was probed, and failed
        b = sides(estate, key)[1]
        assert [m["svrstate"] for m in b.values()] == ["DOWN"], b
        refused = estate.i2("lb", "drain", "reporting", "--env", "prd", "--side", "a")
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert f"would leave service group {sg} with no enabled, UP member" in refused.stderr, refused.stderr
        t_harm = time.time()
        forced = estate.json("lb", "drain", "reporting", "--env", "prd", "--side", "a", "--force")
        assert len(forced["drained"]) == 1, forced
        wait_until(lambda: bool(estate.red(key)), 10, f"{key} red")
        time.sleep(1.0)
        seen = estate.downtime(key, since=t_harm)
        assert seen["downtime_ms"] > 0 and "serves nobody" in whys(seen), seen
        FIGURES["ACL keeps the SNIPs from B, A drained"] = seen["downtime_ms"]
        estate.unblock(block)  # the fix: B's monitor passes at its next probe, the run goes on
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    rows = {r["app"]: r for r in estate.json("upgrade", "status", ok=(0, 1))["applications"]}
    assert rows[key]["state"] == "moved" and rows[key]["downtime_ms"] > 0, rows[key]  # the evidence
    assert rows["reporting/qa"]["state"] == "moved" and rows["reporting/qa"]["downtime_ms"] == 0


def test_a_drain_delay_of_0_cuts_long_requests_in_flight_and_a_delay_that_outlasts_them_does_not(
        estate: Estate) -> None:
    t0 = time.time()
    report = estate.json("upgrade", "apply", "--app", "api-gateway", "--yes")
    assert report["status"] == "succeeded", report  # a delay of 0 is the operator's to choose
    prd, qa = estate.downtime("api-gateway/prd", since=t0), estate.downtime("api-gateway/qa", since=t0)
    assert prd["downtime_ms"] > 0 and "cut in flight" in whys(prd), prd
    assert "serves nobody" not in whys(prd), prd  # B served new requests throughout
    assert qa["downtime_ms"] == 0, qa  # drained for 2 s: every 1 s request ended first
    assert REQUEST_SECONDS < 2
    rows = {r["app"]: r for r in estate.json("upgrade", "status", ok=(0, 1))["applications"]}
    assert rows["api-gateway/prd"]["downtime_ms"] > 0 and rows["api-gateway/qa"]["downtime_ms"] == 0, rows
    FIGURES["drain delay 0, 1 s requests"] = prd["downtime_ms"]
    print("downtime measured by the probes:", json.dumps(FIGURES))
