"""Behaviour behind the API: monitors probing at their interval through the lab's ``probe``,
DOWN after ``retries`` failures, graceful disable with a delay, and who ``serve()`` picks."""

from __future__ import annotations

import time

from lifecycle.lab.netscaler import NetScalerEmulator
from tests.lab.netscaler.conftest import Nitro, World, wait_for

B = "servicegroup_servicegroupmember_binding"


def _app(nitro: Nitro, name: str, vip: str, ips: list[str], method: str = "ROUNDROBIN") -> None:
    """An application as the adapter builds one: vserver, group, fast monitor, members."""
    calls = [
        ("POST", "lbvserver", {"lbvserver": {"name": name, "servicetype": "HTTP", "ipv46": vip, "port": 80,
                                             "lbmethod": method}}),
        ("POST", "servicegroup", {"servicegroup": {"servicegroupname": f"sg-{name}", "servicetype": "HTTP"}}),
        ("POST", "lbmonitor", {"lbmonitor": {"monitorname": f"mon-{name}", "type": "HTTP",
                                             "httprequest": "GET /health", "interval": 40, "units3": "MSEC",
                                             "downtime": 100, "units2": "MSEC", "retries": 3}}),
        ("PUT", "servicegroup_lbmonitor_binding", {"servicegroup_lbmonitor_binding": {
            "servicegroupname": f"sg-{name}", "monitor_name": f"mon-{name}"}}),
        ("PUT", "lbvserver_servicegroup_binding", {"lbvserver_servicegroup_binding": {
            "name": name, "servicegroupname": f"sg-{name}"}}),
    ] + [("PUT", B, {B: {"servicegroupname": f"sg-{name}", "ip": ip, "port": 8080}}) for ip in ips]
    for method_, path, body in calls:
        resp = nitro.call(method_, path, body)
        assert resp.status_code in (200, 201), resp.text


def _svrstate(nitro: Nitro, name: str, ip: str) -> str:
    rows = nitro.call("GET", f"{B}/sg-{name}?filter=ip:{ip}").json()[B]
    return rows[0]["svrstate"]


def test_member_up_after_monitor_passes_down_after_retries(nitro: Nitro, emu: NetScalerEmulator,
                                                           world: World):
    _app(nitro, "hm", "10.50.0.1", ["10.60.0.1"])
    time.sleep(0.15)
    assert _svrstate(nitro, "hm", "10.60.0.1") == "DOWN"  # new member: DOWN until its monitor passes
    assert emu.serve("10.50.0.1", 80) is None
    assert ("10.60.0.1", 8080, "mon-hm") in world.probes
    world.up.add(("10.60.0.1", 8080))
    wait_for(lambda: _svrstate(nitro, "hm", "10.60.0.1") == "UP")
    assert nitro.call("GET", "lbvserver/hm").json()["lbvserver"][0]["curstate"] == "UP"
    assert emu.serve("10.50.0.1", 80).ip == "10.60.0.1"
    world.up.discard(("10.60.0.1", 8080))
    before = len([p for p in world.probes if p[0] == "10.60.0.1"])
    wait_for(lambda: _svrstate(nitro, "hm", "10.60.0.1") == "DOWN")
    failures = len([p for p in world.probes if p[0] == "10.60.0.1"]) - before
    assert failures >= 3  # retries 3: two failures are not enough
    kinds = [(e["kind"], e["from"], e["to"]) for e in emu.events if "hm" in e["name"]]
    assert ("monitor", "DOWN", "UP") in kinds and ("monitor", "UP", "DOWN") in kinds
    assert ("member", "DOWN", "UP") in kinds and ("vserver", "DOWN", "UP") in kinds
    assert ("vserver", "UP", "DOWN") in kinds
    assert emu.serve("10.50.0.1", 80) is None


def test_graceful_disable_keeps_established_for_delay(nitro: Nitro, emu: NetScalerEmulator, world: World):
    ips = ["10.61.0.1", "10.61.0.2"]
    world.up.update((ip, 8080) for ip in ips)
    _app(nitro, "gd", "10.50.0.2", ips)
    wait_for(lambda: all(_svrstate(nitro, "gd", ip) == "UP" for ip in ips))
    conns = [emu.connect("10.50.0.2", 80) for _ in range(2)]
    on_a = next(c for c in conns if c is not None and c.backend.ip == "10.61.0.1")
    body = {"servicegroup": {"servicegroupname": "sg-gd", "servername": "10.61.0.1", "port": 8080,
                             "graceful": "YES", "delay": 1}}
    t0 = time.monotonic()
    assert nitro.call("POST", "servicegroup?action=disable", body).status_code == 200
    assert _svrstate(nitro, "gd", "10.61.0.1") == "GOING OUT OF SERVICE"
    row = nitro.call("GET", f"{B}/sg-gd?filter=ip:10.61.0.1").json()[B][0]
    assert (row["state"], row["graceful"], row["delay"]) == ("DISABLED", "YES", 1)
    assert {emu.serve("10.50.0.2", 80).ip for _ in range(6)} == {"10.61.0.2"}  # no new clients
    time.sleep(0.5)
    assert emu.established(on_a)  # in-flight request still served during the delay
    wait_for(lambda: _svrstate(nitro, "gd", "10.61.0.1") == "OUT OF SERVICE")
    assert time.monotonic() - t0 >= 0.95
    assert not emu.established(on_a)
    enable = {"servicegroup": {"servicegroupname": "sg-gd", "servername": "10.61.0.1", "port": 8080}}
    assert nitro.call("POST", "servicegroup?action=enable", enable).status_code == 200
    wait_for(lambda: _svrstate(nitro, "gd", "10.61.0.1") == "UP")
    seq = [e["to"] for e in emu.events if e["kind"] == "member" and e["name"] == "sg-gd/10.61.0.1:8080"]
    assert seq[-4:] == ["GOING OUT OF SERVICE", "OUT OF SERVICE", "DOWN", "UP"]


def test_disable_without_delay_cuts_at_once(nitro: Nitro, emu: NetScalerEmulator, world: World):
    world.up.add(("10.62.0.1", 8080))
    _app(nitro, "nd", "10.50.0.3", ["10.62.0.1"])
    wait_for(lambda: _svrstate(nitro, "nd", "10.62.0.1") == "UP")
    conn = emu.connect("10.50.0.3", 80)
    assert conn is not None
    body = {"servicegroup": {"servicegroupname": "sg-nd", "servername": "10.62.0.1", "port": 8080}}
    assert nitro.call("POST", "servicegroup?action=disable", body).status_code == 200
    assert _svrstate(nitro, "nd", "10.62.0.1") == "OUT OF SERVICE"
    assert not emu.established(conn) and emu.serve("10.50.0.3", 80) is None


def test_serve_picks_only_up_enabled_members(nitro: Nitro, emu: NetScalerEmulator, world: World):
    ips = ["10.63.0.1", "10.63.0.2", "10.63.0.3"]
    world.up.update({("10.63.0.1", 8080), ("10.63.0.2", 8080)})  # .3 never answers
    _app(nitro, "rr", "10.50.0.4", ips)
    wait_for(lambda: all(_svrstate(nitro, "rr", ip) == "UP" for ip in ips[:2]))
    picks = [emu.serve("10.50.0.4", 80).ip for _ in range(6)]
    assert set(picks) == {"10.63.0.1", "10.63.0.2"} and picks[0] != picks[1]  # round robin
    assert emu.serve("10.50.0.4", 81) is None  # no vserver on that port
    _app(nitro, "lc", "10.50.0.5", ["10.63.0.1", "10.63.0.2"], method="LEASTCONNECTION")
    wait_for(lambda: all(_svrstate(nitro, "lc", ip) == "UP" for ip in ips[:2]))
    first = emu.connect("10.50.0.5", 80)
    assert first is not None
    assert all(emu.serve("10.50.0.5", 80).ip != first.backend.ip for _ in range(4))  # fewest connections
    emu.close(first)
    assert nitro.call("POST", "lbvserver?action=disable", {"lbvserver": {"name": "lc"}}).status_code == 200
    assert emu.serve("10.50.0.5", 80) is None
    assert nitro.call("GET", "lbvserver/lc").json()["lbvserver"][0]["curstate"] == "OUT OF SERVICE"
