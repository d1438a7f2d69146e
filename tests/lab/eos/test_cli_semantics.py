"""How the emulated CLI edits configs: modes, no/default, ranges, sessions, errors — over eAPI."""

from __future__ import annotations

import base64
import json
import urllib.request
from typing import Any

import pytest

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.eos import CliError, Fabric, Switch
from tests.lab.eos.conftest import PASSWORD, USER, ca_context


def rpc(fab: Fabric, name: str, tls: TlsFiles, cmds: list[Any], **params: Any) -> dict[str, Any]:
    """A raw eAPI request, to see exactly what goes over the wire."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "method": "runCmds",
            "id": "t1",
            "params": {"version": 1, "cmds": cmds, "format": "json", **params},
        }
    ).encode()
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    req = urllib.request.Request(
        f"https://127.0.0.1:{fab[name].https_port}/command-api",
        body,
        {"Content-Type": "application/json-rpc", "Authorization": f"Basic {auth}"},
    )
    with urllib.request.urlopen(req, context=ca_context(tls), timeout=10) as resp:
        return json.loads(resp.read())


def test_configure_in_a_batch_applies_to_the_rest_of_it(fabric: Fabric, tls: TlsFiles) -> None:
    out = rpc(
        fabric,
        "c01-leaf1",
        tls,
        [
            "enable",
            "configure",
            "interface Ethernet11",
            "description srv11",
            "router bgp 65102",
            "neighbor 10.254.0.8 maximum-routes 5000",
            "end",
            "show hostname",
        ],
    )
    assert out["id"] == "t1"
    assert out["result"][:7] == [{}] * 7 and out["result"][7]["hostname"] == "c01-leaf1"
    text = fabric["c01-leaf1"].running.text()
    assert "interface Ethernet11\n   description srv11\n" in text
    assert "   neighbor 10.254.0.8 maximum-routes 5000\n" in text  # "router bgp" left interface mode


def test_error_data_holds_earlier_outputs_and_stops(fabric: Fabric, tls: TlsFiles) -> None:
    out = rpc(fabric, "c01-leaf1", tls, ["show hostname", {"cmd": "hostname typo-in-exec"}, "show version"])
    err = out["error"]
    assert err["code"] == 1002
    assert err["message"] == "CLI command 2 of 3 'hostname typo-in-exec' failed: invalid command"
    assert err["data"][0]["hostname"] == "c01-leaf1"
    assert err["data"][1] == {"errors": ["Invalid input (at token 0: 'hostname')"]}
    assert len(err["data"]) == 2


def test_text_format_timestamps_revisions_and_autocomplete(fabric: Fabric, tls: TlsFiles) -> None:
    out = rpc(
        fabric, "ie1-spine1", tls, [{"cmd": "show version", "revision": 1}], format="text", timestamps=True
    )
    assert out["result"][0]["output"].startswith("Arista DCS-7504R3\n")
    assert set(out["result"][0]["_meta"]) == {"execStartTime", "execDuration"}
    assert rpc(fabric, "ie1-spine1", tls, ["sh ver"])["error"]["code"] == 1002
    assert (
        rpc(fabric, "ie1-spine1", tls, ["sh ver"], autoComplete=True)["result"][0]["modelName"]
        == "DCS-7504R3"
    )
    out = rpc(fabric, "ie1-spine1", tls, ["show version"], version="latest")
    assert out["result"][0]["serialNumber"] == "JPE20110001"


def test_json_rpc_errors(fabric: Fabric, tls: TlsFiles) -> None:
    out = rpc(fabric, "ie1-spine1", tls, [])
    assert out["error"]["code"] == -32602
    body = rpc(fabric, "ie1-spine1", tls, ["show version"], format="xml")
    assert body["error"]["code"] == -32602


def sw() -> Switch:
    return Switch("t1", "DCS-7050SX3-48YC8", "JPE0", "00:1c:73:00:00:10", config="hostname t1\n")


def test_settings_replace_and_no_forms_remove() -> None:
    s = sw()
    s.configure("""
interface Ethernet1
   description first
   description second
   mtu 9000
   switchport mode trunk
   switchport trunk allowed vlan 10-20
   switchport trunk allowed vlan add 30
   switchport trunk allowed vlan remove 15
   switchport trunk group g1
   switchport trunk group g2
router bgp 65001
   neighbor 10.0.0.1 remote-as 65000
   neighbor 10.0.0.1 description x
   neighbor 10.0.0.2 remote-as 65000
""")
    block = s.running.section("interface Ethernet1").render()
    assert block == (
        "interface Ethernet1\n   description second\n   mtu 9000\n   switchport mode trunk\n"
        "   switchport trunk allowed vlan 10-14,16-20,30\n   switchport trunk group g1\n"
        "   switchport trunk group g2"
    )
    s.configure(
        "interface Ethernet1\n   no switchport trunk group\n   no mtu\n   default description\n"
        "router bgp 65001\n   no neighbor 10.0.0.1\n"
    )
    assert s.running.section("interface Ethernet1").render() == (
        "interface Ethernet1\n   switchport mode trunk\n   switchport trunk allowed vlan 10-14,16-20,30"
    )
    assert (
        s.running.section("router bgp").render() == "router bgp 65001\n   neighbor 10.0.0.2 remote-as 65000"
    )


def test_negations_eos_shows_and_defaults() -> None:
    s = sw()
    s.configure(
        "no lldp run\nmanagement api http-commands\n   no shutdown\n   protocol http\n   no protocol https\n"
        "interface Ethernet2\n   no switchport\n   shutdown\n"
    )
    text = s.running.text()
    assert "\nno lldp run\n" in text and "no ip routing" in text
    assert "management api http-commands\n   no shutdown\n   protocol http\n   no protocol https\n" in text
    s.configure(
        "lldp run\nmanagement api http-commands\n   default shutdown\n   protocol https\n"
        "default interface Ethernet2\n"
    )
    text = s.running.text()
    assert "lldp run" not in text and "management api http-commands\n   protocol http\n" in text
    assert "interface Ethernet2\n!" in text
    everything = s.running.text(all_defaults=True)
    assert "interface Ethernet2\n   no description\n   no shutdown\n" in everything
    assert "vlan 1\n   name default\n   state active\n" in everything


def test_ranges_port_channels_and_removal() -> None:
    s = sw()
    s.configure(
        "interface Et1-2,Ethernet5\n   description bulk\n"
        "interface Ethernet3\n   channel-group 7 mode active\n"
        "interface Loopback9\n   ip address 10.9.9.9/32\nvlan 10-11\n   trunk group t\n"
    )
    ifs = s.running.interfaces()
    assert [n for n, node in ifs.items() if node.line("description")] == [
        "Ethernet1",
        "Ethernet2",
        "Ethernet5",
    ]
    assert "Port-Channel7" in ifs  # created by channel-group, as on EOS
    assert {10, 11} <= set(s.running.vlans())
    s.configure("no interface Port-Channel7\nno interface Loopback9\nno vlan 10\n")
    ifs = s.running.interfaces()
    assert "Port-Channel7" not in ifs and "Loopback9" not in ifs
    assert ifs["Ethernet3"].line("channel-group") is None
    assert set(s.running.vlans()) == {11}
    with pytest.raises(CliError):
        s.configure("interface Ethernet99")  # not a port of a 48+8 port switch


def test_semantic_errors() -> None:
    s = sw()
    s.configure("router bgp 65001")
    with pytest.raises(CliError, match="BGP is already running with AS number 65001"):
        s.configure("router bgp 65002")
    with pytest.raises(CliError, match="Invalid input"):
        s.configure("interface Loopback1\n   channel-group 1 mode active")
    session = s.session()
    with pytest.raises(CliError, match="Invalid input"):
        session.run("vlan 20")  # config command in exec mode


def test_users_are_stored_hashed_and_authenticate() -> None:
    s = sw()
    s.configure("username ops privilege 15 role network-admin secret 0 s3cret\nusername ro nopassword")
    line = s.running.root.line("username ops")
    assert line.startswith("username ops privilege 15 role network-admin secret sha512 $6$")
    assert "s3cret" not in s.running.text()
    assert s.authenticate("ops", "s3cret") and not s.authenticate("ops", "wrong")
    assert s.authenticate("ro", "")
    s.configure("no username ops")
    assert not s.authenticate("ops", "s3cret")


def test_config_sessions_commit_abort_and_limits() -> None:
    s = sw()
    c = s.session()
    for line in ["configure session s1", "hostname staged", "show session-config diffs"]:
        out = c.run(line, "text")
    assert "-hostname t1\n+hostname staged" in out
    assert s.running.hostname == "t1"
    c.run("end")  # leaves the session pending
    assert "  s1   pending" in s.cli("show configuration sessions")
    c.run("configure session s1")
    c.run("commit")
    assert s.running.hostname == "staged"
    with pytest.raises(CliError, match="already completed"):
        c.run("configure session s1")
    c.run("configure session s2")
    c.run("hostname never")
    c.run("abort")
    assert s.running.hostname == "staged" and s.sessions.get("s2") is None
