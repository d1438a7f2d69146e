"""NITRO contract of the layers above an lbvserver and of bulk writes, with plain requests shaped
as the NITRO reference shows them: content switching (``csvserver``, ``cspolicy``,
``csvserver_cspolicy_binding`` with ``targetlbvserver``), GSLB (``gslbsite``, ``gslbservice``,
``gslbvserver_gslbservice_binding``, whose rows carry the service's address and state), and array
bodies for add, bind and ``action=`` answered 207 / 1243 per object, by ``X-NITRO-ONERROR``."""

from __future__ import annotations

from pathlib import Path

import requests

from lifecycle.lab.netscaler import NetScalerEmulator
from lifecycle.lab.netscaler.wiring import seed
from lifecycle.model import load_site
from tests.lab.netscaler.conftest import Nitro, World, wait_for

ROOT = Path(__file__).resolve().parents[3]
MB = "servicegroup_servicegroupmember_binding"
CB, GB = "csvserver_cspolicy_binding", "gslbvserver_gslbservice_binding"
CONTINUE = {"X-NITRO-ONERROR": "continue"}


def _err(resp: requests.Response, status: int, code: int) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json()["errorcode"] == code


def test_content_switching_bindings_listed_per_csvserver(nitro: Nitro) -> None:
    for body in ({"lbvserver": {"name": "lb-cs1", "servicetype": "HTTP", "ipv46": "10.9.6.1", "port": 80}},
                 {"lbvserver": {"name": "lb-cs2", "servicetype": "HTTP", "ipv46": "10.9.6.2", "port": 80}},
                 {"csvserver": {"name": "cs-l1", "servicetype": "HTTP", "ipv46": "10.9.6.10", "port": 80}},
                 {"cspolicy": {"policyname": "pol-l1", "rule": 'HTTP.REQ.URL.STARTSWITH("/a")'}},
                 {"cspolicy": {"policyname": "pol-l2", "rule": 'HTTP.REQ.URL.STARTSWITH("/b")'}}):
        assert nitro.call("POST", next(iter(body)), body).status_code == 201
    bind = {CB: {"name": "cs-l1", "policyname": "pol-l1", "targetlbvserver": "lb-cs1", "priority": 100}}
    assert nitro.call("PUT", CB, bind).status_code == 200
    _err(nitro.call("PUT", CB, bind), 409, 273)  # bound already
    _err(nitro.call("PUT", CB, {CB: {"name": "cs-none", "policyname": "pol-l2"}}), 404, 258)
    _err(nitro.call("PUT", CB, {CB: {"name": "cs-l1", "policyname": "pol-l2", "targetlbvserver": "lb-no"}}),
         404, 258)
    rows = nitro.call("GET", f"{CB}/cs-l1").json()[CB]
    assert [(r["policyname"], r["targetlbvserver"], r["priority"]) for r in rows] == [
        ("pol-l1", "lb-cs1", 100)]
    assert nitro.call("GET", f"{CB}?bulkbindings=yes").json()[CB][0]["name"] == "cs-l1"
    _err(nitro.call("GET", f"{CB}/cs-none"), 404, 258)
    assert nitro.call("GET", "csvserver/cs-l1").json()["csvserver"][0]["curstate"] == "UP"  # stateupdate off
    assert nitro.call("DELETE", f"{CB}/cs-l1?args=policyname:pol-l1").status_code == 200
    assert "csvserver_cspolicy_binding" not in nitro.call("GET", f"{CB}/cs-l1").json()  # none left


def test_a_gslb_service_is_in_the_state_of_the_vserver_at_its_address(nitro: Nitro, world: World,
                                                                       emu: NetScalerEmulator) -> None:
    nitro.call("POST", "lbvserver", {"lbvserver": {"name": "lb-g1", "servicetype": "HTTP",
                                                   "ipv46": "10.9.7.1", "port": 443}})
    nitro.call("POST", "servicegroup", {"servicegroup": {"servicegroupname": "sg-g1", "servicetype": "HTTP"}})
    nitro.call("PUT", "lbvserver_servicegroup_binding", {"lbvserver_servicegroup_binding": {
        "name": "lb-g1", "servicegroupname": "sg-g1"}})
    svc = {"servicename": "gs-g1", "ip": "10.9.7.1", "port": 443, "servicetype": "HTTP", "sitename": "site-g"}
    _err(nitro.call("POST", "gslbservice", {"gslbservice": svc}), 404, 258)  # no such GSLB site
    assert nitro.call("POST", "gslbsite", {"gslbsite": {"sitename": "site-g", "siteipaddress": "10.9.0.2"}}
                      ).status_code == 201
    _err(nitro.call("POST", "gslbservice", {"gslbservice": {**svc, "ip": None}}), 400, 1095)
    assert nitro.call("POST", "gslbservice", {"gslbservice": svc}).status_code == 201
    assert nitro.call("POST", "gslbvserver", {"gslbvserver": {"name": "gv-g1", "servicetype": "HTTP"}}
                      ).status_code == 201
    assert nitro.call("PUT", GB, {GB: {"name": "gv-g1", "servicename": "gs-g1"}}).status_code == 200
    _err(nitro.call("PUT", GB, {GB: {"name": "gv-g1", "servicename": "gs-none"}}), 404, 258)

    def state() -> tuple[str, str]:
        row = nitro.call("GET", f"{GB}/gv-g1").json()[GB][0]
        obj = nitro.call("GET", "gslbservice/gs-g1").json()["gslbservice"][0]
        assert (row["ipaddress"], row["port"], obj["ipaddress"], obj["gslb"]) == ("10.9.7.1", 443, "10.9.7.1",
                                                                                   "LOCAL")
        return row["curstate"], obj["svrstate"]

    assert state() == ("DOWN", "DOWN")  # the vserver at its address serves nobody
    world.up.add(("10.9.7.5", 8443))
    nitro.call("PUT", MB, {MB: {"servicegroupname": "sg-g1", "ip": "10.9.7.5", "port": 8443}})
    wait_for(lambda: state() == ("UP", "UP"))
    nitro.call("POST", "gslbservice?action=disable", {"gslbservice": {"servicename": "gs-g1"}})
    assert state() == ("OUT OF SERVICE", "OUT OF SERVICE")
    nitro.call("POST", "gslbservice?action=enable", {"gslbservice": {"servicename": "gs-g1"}})
    assert state() == ("UP", "UP")
    assert any(e["kind"] == "gslbservice" and e["name"] == "gs-g1" and e["to"] == "UP" for e in emu.events)


def test_bulk_bind_and_action_per_object(nitro: Nitro, world: World) -> None:
    nitro.call("POST", "servicegroup", {"servicegroup": {"servicegroupname": "sg-bk", "servicetype": "HTTP"}})
    members = [{"servicegroupname": "sg-bk", "ip": ip, "port": 80} for ip in ("10.9.8.1", "10.9.8.2")]
    ok = nitro.call("PUT", MB, {MB: members}, headers=CONTINUE)
    assert ok.status_code == 200 and ok.json()["errorcode"] == 0
    third = {"servicegroupname": "sg-bk", "ip": "10.9.8.3", "port": 80}
    again = nitro.call("PUT", MB, {MB: [*members, third]}, headers=CONTINUE)
    assert again.status_code == 207
    body = again.json()
    assert (body["errorcode"], body["message"]) == (1243, "Bulk operation failed")
    assert [r["errorcode"] for r in body["response"]] == [273, 273, 0]
    rows = nitro.call("GET", f"{MB}/sg-bk").json()[MB]
    assert sorted(r["ip"] for r in rows) == ["10.9.8.1", "10.9.8.2", "10.9.8.3"]
    # exit (the default): stops at the first failure, answers only it; what came before stays
    ex = nitro.call("PUT", MB, {MB: [{"servicegroupname": "sg-bk", "ip": "10.9.8.4", "port": 80}, members[0],
                                     {"servicegroupname": "sg-bk", "ip": "10.9.8.5", "port": 80}]})
    assert ex.status_code == 207 and [r["errorcode"] for r in ex.json()["response"]] == [273]
    ips = {r["ip"] for r in nitro.call("GET", f"{MB}/sg-bk").json()[MB]}
    assert "10.9.8.4" in ips and "10.9.8.5" not in ips
    # rollback: add and bind only; what came before the failure is taken back
    sixth = {"servicegroupname": "sg-bk", "ip": "10.9.8.6", "port": 80}
    rb = nitro.call("PUT", MB, {MB: [sixth, members[1]]}, headers={"X-NITRO-ONERROR": "rollback"})
    assert rb.status_code == 207 and [r["errorcode"] for r in rb.json()["response"]] == [273]
    assert "10.9.8.6" not in {r["ip"] for r in nitro.call("GET", f"{MB}/sg-bk").json()[MB]}
    # a graceful disable of several members at once, one of them unknown
    disable = [{"servicegroupname": "sg-bk", "servername": ip, "port": 80, "graceful": "YES", "delay": 5}
               for ip in ("10.9.8.1", "10.9.8.9", "10.9.8.2")]
    dis = nitro.call("POST", "servicegroup?action=disable", {"servicegroup": disable}, headers=CONTINUE)
    assert dis.status_code == 207 and [r["errorcode"] for r in dis.json()["response"]] == [0, 258, 0]
    states = {r["ip"]: r["state"] for r in nitro.call("GET", f"{MB}/sg-bk").json()[MB]}
    assert (states["10.9.8.1"], states["10.9.8.2"], states["10.9.8.3"]) == ("DISABLED", "DISABLED", "ENABLED")
    en = nitro.call("POST", "servicegroup?action=enable",
                    {"servicegroup": [{"servicegroupname": "sg-bk", "servername": "10.9.8.1", "port": 80}]})
    assert en.status_code == 200 and en.json()["errorcode"] == 0


def test_the_seeded_estate_has_its_layers(nitro: Nitro, emu: NetScalerEmulator) -> None:
    """The twin's brownfield: web-portal/prd behind cs_ie1_www_prd (policy targeting its vserver)
    and GSLB (this site's service, the VIP, bound to the gslbvserver), as the site declares."""
    site = load_site(ROOT / "examples/ie1")
    vms = [vm.name for a in site.applications for e in a.environments.values() if e.lb for vm in e.vms]
    seed(emu, site, "ie1-adc1", {name: f"10.99.{n // 200}.{n % 200 + 1}" for n, name in enumerate(vms)})
    cs = nitro.call("GET", f"{CB}/cs_ie1_www_prd").json()[CB]
    assert [(r["policyname"], r["targetlbvserver"]) for r in cs] == [
        ("csp_web-portal_prd", "lb_web-portal_prd")]
    gs = nitro.call("GET", f"{GB}/gslb_web-portal_prd").json()[GB]
    assert [(r["servicename"], r["ipaddress"], r["port"]) for r in gs] == [
        ("gs_web-portal_prd_ie1", "10.50.1.10", 443)]
    site_row = nitro.call("GET", f"gslbsite/{site.site.name}").json()["gslbsite"][0]
    assert site_row["sitetype"] == "LOCAL"
