"""NITRO contract: request shapes from the NITRO reference and the NetScaler Ansible collection
(netscaler.adc: double-encoded names, ``args=`` unbinds, bindings by POST and by PUT)."""

from __future__ import annotations

import time
from urllib.parse import quote

import requests

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.netscaler import NetScalerEmulator
from tests.lab.netscaler.conftest import PASSWORD, Nitro


def _err(resp: requests.Response, status: int, code: int) -> None:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["errorcode"] == code and body["severity"] == "ERROR" and body["message"]


def test_login_answers_session_and_cookie(emu: NetScalerEmulator, tls: TlsFiles):
    n = Nitro(emu, tls)
    resp = n.login()
    assert resp.status_code == 201
    body = resp.json()
    assert body["errorcode"] == 0 and body["sessionid"].startswith("##")
    cookie = resp.headers["Set-Cookie"]
    assert "NITRO_AUTH_TOKEN=" in cookie and "path=/nitro/v1" in cookie
    ok = n.call("GET", "lbvserver")  # the cookie jar sends the token back
    assert ok.status_code == 200 and ok.json()["errorcode"] == 0
    # The Ansible collection's nitro_auth_token: the sessionid sent raw in a Cookie header.
    raw = requests.get(f"{n.base}/nsip", verify=str(tls.ca),
                       headers={"Cookie": f"NITRO_AUTH_TOKEN={body['sessionid']}"})
    assert raw.status_code == 200
    assert n.call("POST", "logout", {"logout": {}}).status_code == 201
    _err(n.call("GET", "lbvserver"), 401, 444)


def test_bad_password_and_missing_credentials(emu: NetScalerEmulator, tls: TlsFiles):
    n = Nitro(emu, tls)
    _err(n.login(password="wrong"), 401, 354)
    _err(n.call("GET", "lbvserver"), 401, 444)
    _err(n.call("GET", "lbvserver", headers={"X-NITRO-USER": "nsroot", "X-NITRO-PASS": "no"}), 401, 354)
    ok = n.call("GET", "lbvserver", headers={"X-NITRO-USER": "nsroot", "X-NITRO-PASS": PASSWORD})
    assert ok.status_code == 200


def test_idle_session_expires_then_login_again(tls: TlsFiles):
    with_short = NetScalerEmulator(tls=tls, password=PASSWORD, session_timeout=0.2).start()
    try:
        n = Nitro(with_short, tls)
        assert n.login().status_code == 201
        assert n.call("GET", "lbvserver").status_code == 200
        time.sleep(0.3)
        _err(n.call("GET", "lbvserver"), 401, 444)
        assert n.login().status_code == 201
        assert n.call("GET", "lbvserver").status_code == 200
    finally:
        with_short.stop()


def test_add_get_update_delete_and_errors(nitro: Nitro):
    vs = {"name": "crud-vs", "servicetype": "HTTP", "ipv46": "10.9.0.1", "port": 80, "lbmethod": "ROUNDROBIN"}
    assert nitro.call("POST", "lbvserver", {"lbvserver": vs}).status_code == 201
    _err(nitro.call("POST", "lbvserver", {"lbvserver": vs}), 409, 273)
    got = nitro.call("GET", "lbvserver/crud-vs").json()["lbvserver"][0]
    assert got["ipv46"] == "10.9.0.1" and got["curstate"] == "DOWN" and got["effectivestate"] == "DOWN"
    upd = nitro.call("PUT", "lbvserver", {"lbvserver": {"name": "crud-vs", "lbmethod": "LEASTCONNECTION"}})
    assert upd.status_code == 200
    assert nitro.call("GET", "lbvserver/crud-vs").json()["lbvserver"][0]["lbmethod"] == "LEASTCONNECTION"
    assert nitro.call("DELETE", "lbvserver/crud-vs").status_code == 200
    _err(nitro.call("GET", "lbvserver/crud-vs"), 404, 258)
    _err(nitro.call("DELETE", "lbvserver/crud-vs"), 404, 258)
    _err(nitro.call("PUT", "lbvserver", {"lbvserver": {"name": "nope", "port": 81}}), 404, 258)
    _err(nitro.call("POST", "lbvserver", {"lbvserver": {"name": "x"}}), 400, 1095)


def test_names_single_and_double_url_encoded(nitro: Nitro):
    name = "app web:1"
    assert nitro.call("POST", "servicegroup", {"servicegroup": {"servicegroupname": name,
                                                                "servicetype": "HTTP"}}).status_code == 201
    once, twice = quote(name, safe=""), quote(quote(name, safe=""), safe="")  # reference / Ansible
    for encoded in (once, twice):
        body = nitro.call("GET", f"servicegroup/{encoded}").json()
        assert body["servicegroup"][0]["servicegroupname"] == name
    assert nitro.call("DELETE", f"servicegroup/{twice}").status_code == 200


def test_filter_attrs_count(nitro: Nitro):
    for i, method in enumerate(("ROUNDROBIN", "ROUNDROBIN", "LEASTCONNECTION")):
        vs = {"name": f"fac-{i}", "servicetype": "HTTP", "ipv46": f"10.9.1.{i}", "port": 80,
              "lbmethod": method}
        assert nitro.call("POST", "lbvserver", {"lbvserver": vs}).status_code == 201
    rows = nitro.call("GET", "lbvserver?filter=lbmethod:ROUNDROBIN,name:/^fac-/").json()["lbvserver"]
    assert sorted(r["name"] for r in rows) == ["fac-0", "fac-1"]
    rows = nitro.call("GET", "lbvserver?attrs=name,curstate&filter=name:fac-2").json()["lbvserver"]
    assert rows == [{"name": "fac-2", "curstate": "DOWN"}]
    count = nitro.call("GET", "lbvserver?count=yes&filter=name:/^fac-/").json()
    assert count["lbvserver"] == [{"__count": 3}]
    none = nitro.call("GET", "lbvserver?filter=name:nothing").json()
    assert none == {"errorcode": 0, "message": "Done", "severity": "NONE"}  # no key when empty


def test_members_bind_by_post_and_put_unbind_by_args(nitro: Nitro):
    assert nitro.call("POST", "servicegroup", {"servicegroup": {"servicegroupname": "sg-m",
                                                                "servicetype": "HTTP"}}).status_code == 201
    m1 = {"servicegroupname": "sg-m", "ip": "10.20.0.1", "port": 80}
    m2 = {"servicegroupname": "sg-m", "ip": "10.20.0.2", "port": 80, "weight": 2}
    b = "servicegroup_servicegroupmember_binding"
    assert nitro.call("POST", b, {b: m1}).status_code == 201
    assert nitro.call("PUT", b, {b: m2}).status_code == 200  # the collection's bind_resource
    _err(nitro.call("PUT", b, {b: m2}), 409, 273)
    _err(nitro.call("POST", b, {b: {**m1, "servername": "10.20.0.1"}}), 400, 1092)
    _err(nitro.call("POST", b, {b: {**m1, "servicegroupname": "nope"}}), 404, 258)
    rows = nitro.call("GET", f"{b}/sg-m").json()[b]
    assert {(r["ip"], r["port"], r["svrstate"], r["state"]) for r in rows} == {
        ("10.20.0.1", 80, "DOWN", "ENABLED"), ("10.20.0.2", 80, "DOWN", "ENABLED")}
    assert nitro.call("GET", "server/10.20.0.1").json()["server"][0]["ipaddress"] == "10.20.0.1"
    one = nitro.call("GET", f"{b}/sg-m?filter=ip:10.20.0.2").json()[b]
    assert [r["weight"] for r in one] == [2]
    assert nitro.call("DELETE", f"{b}/sg-m?args=ip:10.20.0.1,port:80").status_code == 200
    _err(nitro.call("DELETE", f"{b}/sg-m?args=ip:10.20.0.1,port:80"), 404, 258)
    _err(nitro.call("DELETE", f"{b}/sg-m?args=ip:10.20.0.2,servername:10.20.0.2,port:80"), 400, 1092)
    assert nitro.call("DELETE", f"{b}/sg-m?args=servername:10.20.0.2,port:80").status_code == 200
    assert b not in nitro.call("GET", f"{b}/sg-m").json()


def test_vserver_and_monitor_bindings(nitro: Nitro):
    nitro.call("POST", "lbvserver", {"lbvserver": {"name": "vb", "servicetype": "HTTP",
                                                   "ipv46": "10.9.2.1", "port": 80}})
    nitro.call("POST", "servicegroup", {"servicegroup": {"servicegroupname": "sg-vb", "servicetype": "HTTP"}})
    mon = {"monitorname": "mon-vb", "type": "HTTP", "httprequest": "GET /health", "respcode": ["200"],
           "interval": 5, "downtime": 30}
    assert nitro.call("POST", "lbmonitor", {"lbmonitor": mon}).status_code == 201
    vb, mb = "lbvserver_servicegroup_binding", "servicegroup_lbmonitor_binding"
    _err(nitro.call("PUT", vb, {vb: {"name": "vb", "servicegroupname": "ghost"}}), 404, 258)
    assert nitro.call("PUT", vb, {vb: {"name": "vb", "servicegroupname": "sg-vb"}}).status_code == 200
    bind = {mb: {"servicegroupname": "sg-vb", "monitor_name": "mon-vb"}}
    assert nitro.call("POST", mb, bind).status_code == 201
    agg = nitro.call("GET", "lbvserver_binding/vb").json()["lbvserver_binding"][0]
    assert agg[vb][0]["servicegroupname"] == "sg-vb"
    agg = nitro.call("GET", "servicegroup_binding/sg-vb").json()["servicegroup_binding"][0]
    assert agg[mb][0]["monitor_name"] == "mon-vb"
    _err(nitro.call("DELETE", "lbmonitor/mon-vb"), 400, 1095)  # rm lb monitor needs its type
    assert nitro.call("DELETE", f"{mb}/sg-vb?args=monitor_name:mon-vb").status_code == 200
    assert nitro.call("DELETE", "lbmonitor/mon-vb?args=type:HTTP").status_code == 200
    assert nitro.call("DELETE", f"{vb}/vb?args=servicegroupname:sg-vb").status_code == 200
    assert vb not in nitro.call("GET", f"{vb}/vb").json()


def test_bindings_of_every_object_only_with_bulkbindings(nitro: Nitro):
    """A binding type is read per object; all objects' at once with ``bulkbindings=yes`` (NITRO's
    "get (all)" of binding types, NetScaler 11.1 on: CTX218111), the aggregate too, one row per
    object. The aggregate ``servicegroup_binding/<sg>`` holds the members and the monitors."""
    b, agg = "servicegroup_servicegroupmember_binding", "servicegroup_binding"
    for sg, ip in (("sg-bulk1", "10.21.0.1"), ("sg-bulk2", "10.21.0.2")):
        nitro.call("POST", "servicegroup", {"servicegroup": {"servicegroupname": sg, "servicetype": "HTTP"}})
        assert nitro.call("PUT", b, {b: {"servicegroupname": sg, "ip": ip, "port": 80}}).status_code == 200
    nitro.call("PUT", "servicegroup_lbmonitor_binding", {"servicegroup_lbmonitor_binding": {
        "servicegroupname": "sg-bulk1", "monitor_name": "tcp-default"}})
    _err(nitro.call("GET", b), 400, 1095)  # no name, no bulkbindings: which service group?
    _err(nitro.call("GET", agg), 400, 1095)
    rows = nitro.call("GET", f"{b}?bulkbindings=yes").json()[b]
    mine = {(r["servicegroupname"], r["ip"]): r for r in rows if r["servicegroupname"].startswith("sg-bulk")}
    assert set(mine) == {("sg-bulk1", "10.21.0.1"), ("sg-bulk2", "10.21.0.2")}
    assert all(r["svrstate"] == "DOWN" and "tickssincelaststatechange" in r for r in mine.values())
    per = {r["servicegroupname"]: r for r in nitro.call("GET", f"{agg}?bulkbindings=yes").json()[agg]}
    assert [m["ip"] for m in per["sg-bulk2"][b]] == ["10.21.0.2"]
    one = nitro.call("GET", f"{agg}/sg-bulk1").json()[agg]
    assert len(one) == 1 and [m["ip"] for m in one[0][b]] == ["10.21.0.1"]
    assert [x["monitor_name"] for x in one[0]["servicegroup_lbmonitor_binding"]] == ["tcp-default"]
    _err(nitro.call("GET", f"{agg}/sg-none"), 404, 258)


def test_bulk_add_answers_207_per_item(nitro: Nitro):
    items = [{"name": "bulk-a", "ipaddress": "10.9.3.1"}, {"name": "bulk-a", "ipaddress": "10.9.3.1"},
             {"name": "bulk-b", "ipaddress": "10.9.3.2"}]
    resp = nitro.call("POST", "server", {"server": items}, headers={"X-NITRO-ONERROR": "continue"})
    assert resp.status_code == 207
    body = resp.json()
    assert body["errorcode"] == 1243 and [r["errorcode"] for r in body["response"]] == [0, 273, 0]
    again = nitro.call("POST", "server", {"server": items[1:]})  # default onerror: exit
    assert again.status_code == 207 and [r["errorcode"] for r in again.json()["response"]] == [273]
    ok = nitro.call("POST", "server", {"server": [{"name": "bulk-c", "ipaddress": "10.9.3.3"}]})
    assert ok.status_code == 201 and ok.json()["errorcode"] == 0


def test_actions_and_other_types(nitro: Nitro):
    rename = {"lbvserver": {"name": "x", "newname": "y"}}
    _err(nitro.call("POST", "lbvserver?action=rename", rename), 400, 1240)
    _err(nitro.call("POST", "servicegroup?action=disable", {"servicegroup": {"servicegroupname": "none"}}),
         404, 258)
    assert nitro.call("POST", "nsip", {"nsip": {"ipaddress": "10.30.0.5", "netmask": "255.255.255.0",
                                                "type": "SNIP"}}).status_code == 201
    assert nitro.call("GET", "nsip?filter=type:SNIP").json()["nsip"][0]["ipaddress"] == "10.30.0.5"
    nitro.call("POST", "lbvserver", {"lbvserver": {"name": "cs-target", "servicetype": "HTTP"}})
    cs = {"name": "cs1", "servicetype": "HTTP", "ipv46": "10.9.4.1", "port": 80}
    assert nitro.call("POST", "csvserver", {"csvserver": cs}).status_code == 201
    policy = {"policyname": "p1", "rule": 'HTTP.REQ.URL.STARTSWITH("/a")'}
    assert nitro.call("POST", "cspolicy", {"cspolicy": policy}).status_code == 201
    cb = "csvserver_cspolicy_binding"
    assert nitro.call("PUT", cb, {cb: {"name": "cs1", "policyname": "p1", "priority": 100,
                                       "targetlbvserver": "cs-target"}}).status_code == 200
    assert nitro.call("GET", f"{cb}/cs1").json()[cb][0]["targetlbvserver"] == "cs-target"
    gslb = {"gslbvserver": {"name": "g1", "servicetype": "HTTP"}}
    assert nitro.call("POST", "gslbvserver", gslb).status_code == 201
    _err(nitro.call("GET", "nosuchtype"), 404, 258)
