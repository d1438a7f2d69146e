"""pyeapi 1.0.4, unmodified, against the EOS emulator over HTTPS verified with the twin CA.

pyeapi verifies the server certificate when given an ``ssl.SSLContext`` (``context=``): without
one it turns verification off, so the product must always pass the context built from the CA.
"""

from __future__ import annotations

import ssl

import pyeapi
import pytest
from pyeapi.eapilib import CommandError, ConnectionError

from lifecycle.lab.base import TlsFiles, make_ca
from lifecycle.lab.eos import Fabric
from tests.lab.eos.conftest import PASSWORD, USER, VERSION, ca_context, node


def test_show_version_over_verified_https(fabric: Fabric, tls: TlsFiles) -> None:
    n = node(fabric, "c01-leaf1", tls)
    result = n.enable(["show version"])[0]["result"]
    assert result["modelName"] == "DCS-7050SX3-48YC8"
    assert result["serialNumber"] == "JPE20330201"
    assert result["systemMacAddress"] == "44:4c:a8:02:00:01"
    assert result["version"] == VERSION
    assert result["mfgName"] == "Arista"
    assert result["memFree"] < result["memTotal"]
    assert (n.version_number, n.model) == ("4.28.3", "7050")


def test_certificate_from_another_ca_is_refused(fabric: Fabric, tmp_path) -> None:
    other = make_ca(tmp_path / "other-ca")
    n = pyeapi.connect(
        transport="https",
        host="127.0.0.1",
        port=fabric["c01-leaf1"].https_port,
        username=USER,
        password=PASSWORD,
        context=ssl.create_default_context(cafile=str(other.ca)),
        return_node=True,
    )
    with pytest.raises(ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        n.enable("show version")


def test_plain_http_answers_when_configured(fabric: Fabric) -> None:
    n = pyeapi.connect(
        transport="http",
        host="127.0.0.1",
        port=fabric["ie1-spine1"].http_port,
        username=USER,
        password=PASSWORD,
        return_node=True,
    )
    assert n.enable("show hostname")[0]["result"]["fqdn"] == "ie1-spine1.ie1.example.net"


def test_wrong_password_is_401(fabric: Fabric, tls: TlsFiles) -> None:
    n = node(fabric, "c01-leaf1", tls, password="not-the-password")
    with pytest.raises(ConnectionError, match="Unauthorized"):
        n.enable("show version")


def test_invalid_command_is_error_1002_naming_it(fabric: Fabric, tls: TlsFiles) -> None:
    n = node(fabric, "c01-leaf1", tls)
    with pytest.raises(CommandError) as exc:
        n.enable(["show hostname", "show lldp neighbours"])
    assert exc.value.error_code == 1002
    assert "CLI command 2 of 2 'show lldp neighbours' failed: invalid command" in exc.value.error_text
    with pytest.raises(CommandError) as exc:
        n.config(["interface Ethernet10", "descriptoin typo"])
    assert exc.value.error_code == 1002
    assert "'descriptoin typo' failed: invalid command" in str(exc.value)
    assert "Invalid input" in exc.value.command_error
    # The batch stopped at the error: nothing after it ran, what ran before stays.
    assert "descriptoin" not in n.running_config


def test_unconverted_command_is_1003_and_pyeapi_falls_back_to_text(fabric: Fabric, tls: TlsFiles) -> None:
    n = node(fabric, "c01-leaf1", tls)
    with pytest.raises(CommandError) as exc:
        n.run_commands(["show ntp status"])
    assert exc.value.error_code == 1003
    assert "unconverted command" in exc.value.error_text
    assert "Command cannot be used over the API at this time" in exc.value.command_error
    [result] = n.enable(["show ntp status"])
    assert result["encoding"] == "text"
    assert result["result"]["output"].startswith("synchronised to NTP server (10.40.0.1)")


def test_config_then_api_modules_read_it_back(fabric: Fabric, tls: TlsFiles) -> None:
    n = node(fabric, "c01-leaf1", tls)
    n.config(
        [
            "vlan 110",
            "name tenant-110",
            "trunk group tenants",
            "interface Ethernet10",
            "description c01-s10 nic1",
            "switchport mode trunk",
            "interface Loopback1",
            "ip address 10.255.9.1/32",
            "router bgp 65102",
            "network 10.255.9.1/32",
        ]
    )
    vlan = n.api("vlans").get("110")
    assert vlan == {"vlan_id": "110", "name": "tenant-110", "state": "active", "trunk_groups": ["tenants"]}
    interfaces = n.api("interfaces")
    assert interfaces.get("Ethernet10")["description"] == "c01-s10 nic1"
    assert interfaces.get("Ethernet10")["shutdown"] is False
    po = interfaces.get("Port-Channel1000")
    assert po["members"] == ["Ethernet55/1", "Ethernet56/1"] and po["lacp_mode"] == "active"
    bgp = n.api("bgp").get()
    assert bgp["bgp_as"] == 65102 and bgp["router_id"] == "10.255.1.3"
    assert {"prefix": "10.255.9.1", "masklen": "32", "route_map": None} in bgp["networks"]
    assert bgp["neighbors"]["10.254.0.8"]["peer_group"] == "SPINES"
    assert bgp["neighbors"]["10.254.255.3"]["remote_as"] == "65102"
    mlag = n.api("mlag").get()["config"]
    # pyeapi's domain-id/peer-address regexes anchor on the end of the whole block, so on real
    # EOS (and here) only the other fields read back.
    assert (mlag["local_interface"], mlag["peer_link"], mlag["shutdown"]) == (
        "Vlan4094",
        "Port-Channel1000",
        False,
    )
    # Through pyeapi's own setters too.
    assert interfaces.set_shutdown("Ethernet10", disable=False)
    assert interfaces.get("Ethernet10")["shutdown"] is True
    assert n.api("vlans").set_name("110", "renamed")
    assert n.api("vlans").get("110")["name"] == "renamed"


def test_config_sessions(fabric: Fabric, tls: TlsFiles) -> None:
    n = node(fabric, "c01-leaf2", tls)
    n.configure_session()
    n.config(["interface Ethernet20", "description staged", "shutdown"])
    diff = n.diff()
    assert diff.startswith("--- system:/running-config\n+++ session:/")
    assert "+   description staged" in diff and "+   shutdown" in diff
    assert "staged" not in n.running_config  # not committed yet
    sessions = n.enable("show configuration sessions")[0]["result"]["sessions"]
    assert [s["state"] for s in sessions.values()] == ["pending"]
    n.commit()
    assert n.api("interfaces").get("Ethernet20")["description"] == "staged"
    n.configure_session()
    n.config(["hostname renamed"])
    n.abort()
    n._session_name = None  # pyeapi keeps the name after abort; a new session starts clean
    assert n.enable("show hostname")[0]["result"]["hostname"] == "c01-leaf2"


def test_running_and_startup_config(fabric: Fabric, tls: TlsFiles) -> None:
    n = node(fabric, "ie1-spine2", tls)
    assert "router bgp 65000" in n.running_config
    assert "interface Ethernet3/3\n   description c01-leaf1_Ethernet50/1" in n.running_config
    assert n.enable("show running-config diffs", encoding="text")[0]["result"]["output"] == ""
    n.config(["interface Ethernet3/10", "description spare"])
    diffs = n.enable("show running-config diffs", encoding="text")[0]["result"]["output"]
    assert "--- flash:/startup-config" in diffs and "+   description spare" in diffs
    out = n.run_commands(["copy running-config startup-config"])
    assert out == [{"messages": ["Copy completed successfully."]}]
    n.refresh()
    assert "description spare" in n.startup_config
    assert n.enable("show running-config diffs", encoding="text")[0]["result"]["output"] == ""


def test_running_config_in_json_is_structured(fabric: Fabric, tls: TlsFiles) -> None:
    n = node(fabric, "c01-leaf1", tls)
    cfg = n.run_commands(["show running-config"])[0]
    assert cfg["cmds"]["hostname c01-leaf1"] is None
    bgp = cfg["cmds"]["router bgp 65102"]["cmds"]
    assert bgp["neighbor 10.254.255.3 remote-as 65102"] is None
    assert cfg["cmds"]["interface Ethernet49/1"]["cmds"]["ip address 10.254.0.9/31"] is None
    assert cfg["header"][0].startswith("! device: c01-leaf1 (DCS-7050SX3-48YC8, EOS-4.28.3M)")


def test_bad_context_kwargs_still_verify(fabric: Fabric, tls: TlsFiles) -> None:
    """A context from the CA is all pyeapi needs; hostname checking works against 127.0.0.1."""
    ctx = ca_context(tls)
    assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    conn = pyeapi.connect(
        transport="https",
        host="127.0.0.1",
        port=fabric["ie1-cvx1"].https_port,
        username=USER,
        password=PASSWORD,
        context=ctx,
    )
    assert conn.execute(["show cvx"])["result"][0]["enabled"] is True
