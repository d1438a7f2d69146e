"""NITRO contract of the bulk unbind, with plain requests shaped as the NITRO SDK sends them
(``base_resource.delete_bulk_request`` of a ``_binding`` type: ``POST <binding>?action=unbind``,
the objects as an array under the type's name, ``servicegroup_servicegroupmember_binding.delete``
naming each by service group, IP and port): every object's outcome is its own, answered 207 /
1243 per object by ``X-NITRO-ONERROR`` like the bulk bind."""

from __future__ import annotations

import requests

from tests.lab.netscaler.conftest import Nitro

MB, MON = "servicegroup_servicegroupmember_binding", "servicegroup_lbmonitor_binding"
CONTINUE = {"X-NITRO-ONERROR": "continue"}


def _ips(nitro: Nitro, sg: str) -> set[str]:
    return {r["ip"] for r in nitro.call("GET", f"{MB}/{sg}").json().get(MB, [])}


def _group(nitro: Nitro, sg: str, ips: list[str]) -> list[dict[str, object]]:
    assert nitro.call("POST", "servicegroup", {"servicegroup": {"servicegroupname": sg,
                                                                "servicetype": "HTTP"}}).status_code == 201
    members = [{"servicegroupname": sg, "ip": ip, "port": 80} for ip in ips]
    assert nitro.call("PUT", MB, {MB: members}, headers=CONTINUE).status_code == 200
    return members


def _codes(resp: requests.Response) -> list[int]:
    assert resp.status_code == 207, resp.text
    body = resp.json()
    assert (body["errorcode"], body["message"]) == (1243, "Bulk operation failed")
    return [r["errorcode"] for r in body["response"]]


def test_bulk_unbind_per_object(nitro: Nitro) -> None:
    a = _group(nitro, "sg-ub1", ["10.9.9.1", "10.9.9.2"])
    b = _group(nitro, "sg-ub2", ["10.9.9.3"])
    # members of two service groups in one request: all done answers 200 / Done
    ok = nitro.call("POST", f"{MB}?action=unbind", {MB: [a[0], b[0]]}, headers=CONTINUE)
    assert ok.status_code == 200 and ok.json()["errorcode"] == 0
    assert _ips(nitro, "sg-ub1") == {"10.9.9.2"} and _ips(nitro, "sg-ub2") == set()
    # continue: one not bound (258) is its own failure; the others are unbound
    again = nitro.call("POST", f"{MB}?action=unbind", {MB: [a[0], a[1]]}, headers=CONTINUE)
    assert _codes(again) == [258, 0]
    assert _ips(nitro, "sg-ub1") == set()
    # exit (the default): stops at the first failure and answers only it; what came before stays
    more = _group(nitro, "sg-ub3", ["10.9.9.4", "10.9.9.5"])
    ex = nitro.call("POST", f"{MB}?action=unbind", {MB: [more[0], a[0], more[1]]})
    assert _codes(ex) == [258]
    assert _ips(nitro, "sg-ub3") == {"10.9.9.5"}
    # rollback is for add and bind: an unbind stops like exit, nothing re-bound
    rb = nitro.call("POST", f"{MB}?action=unbind", {MB: [more[1], a[0]]},
                    headers={"X-NITRO-ONERROR": "rollback"})
    assert _codes(rb) == [258] and _ips(nitro, "sg-ub3") == set()


def test_bulk_unbind_of_one_object_and_of_other_bindings(nitro: Nitro) -> None:
    m = _group(nitro, "sg-ub4", ["10.9.9.6"])
    one = nitro.call("POST", f"{MB}?action=unbind", {MB: m[0]})  # a single object, not an array
    assert one.status_code == 200 and _ips(nitro, "sg-ub4") == set()
    gone = nitro.call("POST", f"{MB}?action=unbind", {MB: m[0]})
    assert (gone.status_code, gone.json()["errorcode"]) == (404, 258)
    bind = {"servicegroupname": "sg-ub4", "monitor_name": "tcp-default"}
    assert nitro.call("PUT", MON, {MON: bind}).status_code == 200
    assert nitro.call("POST", f"{MON}?action=unbind", {MON: [bind]}, headers=CONTINUE).status_code == 200
    assert MON not in nitro.call("GET", f"{MON}/sg-ub4").json()
    # the parent's name is required; unbind is an action of binding types only
    nameless = nitro.call("POST", f"{MB}?action=unbind", {MB: [{"ip": "10.9.9.6", "port": 80}]},
                          headers=CONTINUE)
    assert _codes(nameless) == [1095]
    wrong = nitro.call("POST", "servicegroup?action=unbind", {"servicegroup": {"servicegroupname": "sg-ub4"}})
    assert (wrong.status_code, wrong.json()["errorcode"]) == (400, 1240)
