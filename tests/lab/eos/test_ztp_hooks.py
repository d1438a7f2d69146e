"""What the ZTP flow needs from a switch: ZTP mode, FastCli, eAPI on the unix socket, flash, reload."""

from __future__ import annotations

import http.client
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from pyeapi.client import Node
from pyeapi.eapilib import CommandError, ConnectionError, SocketEapiConnection

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.eos import Fabric, Switch
from lifecycle.lab.world import Link, SwitchSpec
from tests.lab.eos.conftest import leaf_config, node

SPEC = SwitchSpec(
    "c01-leaf1",
    "DCS-7050SX3-48YC8",
    "JPE20330201",
    "44:4c:a8:02:00:01",
    "10.0.0.23/24",
    "leaf",
    rack="c01",
    ztp=True,
)


class UnixConnection(http.client.HTTPConnection):
    """http.client over a unix socket, as jsonrpclib's unix transport talks to the switch."""

    def __init__(self, path: str):
        super().__init__("localhost", timeout=5)
        self.unix_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(self.unix_path)


def jsonrpclib_call(path: str, *params: Any) -> dict[str, Any]:
    """``Server("unix:...").runCmds(1, cmds, fmt)``: positional params, posted to /RPC2."""
    conn = UnixConnection(path)
    body = json.dumps({"jsonrpc": "2.0", "method": "runCmds", "params": list(params), "id": "z1"})
    conn.request("POST", "/RPC2", body, {"Content-Type": "application/json-rpc"})
    return json.loads(conn.getresponse().read())


@pytest.fixture
def ztp_leaf(fabric: Fabric, tmp_path: Path, tls: TlsFiles, sockets: Path) -> Switch:
    """c01-leaf1 replaced by a factory-fresh switch in ZTP, still cabled to the spines."""
    fabric["c01-leaf1"].stop()
    fresh = Switch.from_spec(SPEC, flash_dir=tmp_path / "ztp-flash")
    fabric.add(fresh)
    return fresh.serve(tls=tls, unix_path=str(sockets / "ztp.sock"), timeout_seconds=2.0)


def test_a_fresh_switch_is_in_ztp_with_an_empty_config(
    ztp_leaf: Switch, tls: TlsFiles, fabric: Fabric
) -> None:
    assert ztp_leaf.startup_config is None
    assert ztp_leaf.cli("show zerotouch") == "ZeroTouch Mode: Active\n"
    assert ztp_leaf.cli("show hostname").splitlines()[0] == "Hostname: localhost"
    assert "router bgp" not in ztp_leaf.cli("show running-config")
    with pytest.raises(ConnectionError):  # eAPI is off on a factory-default switch
        node(fabric, "c01-leaf1", tls).enable("show version")
    assert ztp_leaf.listener("unix").enabled() is False
    # LLDP runs by default: the leaf already sees the spines (how neighbordb identifies it).
    lldp = ztp_leaf.cli("show lldp neighbors")
    assert "Et49/1     ie1-spine1.ie1.example.net           Ethernet3/3" in lldp


def test_bootstrap_enables_the_unix_socket_then_talks_eapi(ztp_leaf: Switch, sockets: Path) -> None:
    # What the bootstrap script runs through FastCli before it connects.
    version = ztp_leaf.cli("show version | include image")
    assert version == "Software image version: 4.28.3M\n"
    assert (
        ztp_leaf.cli(
            "configure\nmanagement api http-commands\nno protocol https\nprotocol unix-socket\nno shutdown"
        )
        == ""
    )
    assert (
        ztp_leaf.cli("show management api http-commands | grep running")
        == "Unix Socket server: running, no authentication\n"
    )
    path = str(sockets / "ztp.sock")
    out = jsonrpclib_call(path, 1, ["enable", "show version", "show lldp neighbors"], "json")
    enable, ver, lldp = out["result"]
    assert (
        enable == {}
        and ver["serialNumber"] == "JPE20330201"
        and ver["systemMacAddress"] == "44:4c:a8:02:00:01"
    )
    assert {
        "port": "Ethernet50/1",
        "neighborDevice": "ie1-spine2.ie1.example.net",
        "neighborPort": "Ethernet3/3",
        "ttl": 120,
    } in lldp["lldpNeighbors"]
    text = jsonrpclib_call(path, 1, ["enable", "show zerotouch"], "text")["result"]
    assert text[1] == {"output": "ZeroTouch Mode: Active\n"}
    # pyeapi's socket transport works the same way (no credentials on the local socket).
    local = Node(SocketEapiConnection(path=path))
    assert local.enable("show hostname")[0]["result"]["hostname"] == "localhost"


def test_startup_config_in_flash_is_loaded_on_reload(ztp_leaf: Switch, tls: TlsFiles, fabric: Fabric) -> None:
    (ztp_leaf.flash / "startup-config").write_text(leaf_config(1))  # what replace_config does
    ztp_leaf.reload()
    assert ztp_leaf.cli("show zerotouch") == "ZeroTouch Mode: Disabled\n"
    assert ztp_leaf.boot_errors == []
    n = node(fabric, "c01-leaf1", tls)
    assert n.enable("show hostname")[0]["result"]["hostname"] == "c01-leaf1"
    assert n.enable("show mlag")[0]["result"]["negStatus"] == "connected"
    cause = lambda: n.enable("show reload cause")[0]["result"]["resetCauses"][0]["description"]  # noqa: E731
    assert cause() == "System reloaded due to Zero Touch Provisioning"  # as EOS words it
    n.run_commands(["reload now"])
    assert ztp_leaf.wait_up(5)
    assert n.enable("show hostname")[0]["result"]["hostname"] == "c01-leaf1"
    assert cause() == "Reload requested by the user."


def test_zerotouch_disable_persists_and_reloads(ztp_leaf: Switch) -> None:
    ztp_leaf.cli("zerotouch disable")
    assert ztp_leaf.wait_up(5)
    assert (ztp_leaf.flash / "zerotouch-config").read_text() == "DISABLE=True\n"
    assert ztp_leaf.cli("show zerotouch") == "ZeroTouch Mode: Disabled\n"
    assert ztp_leaf.startup_config is None


def test_fabric_from_world_boots_planned_leaves_in_ztp(tmp_path: Path) -> None:
    from lifecycle.lab.world import World

    spine = SwitchSpec(
        "ie1-spine1", "DCS-7504R3", "JPE20110001", "28:99:3a:00:00:01", "10.0.0.11/24", "spine"
    )
    planned = SwitchSpec(
        "c02-leaf1",
        "DCS-7050SX3-48YC8",
        "JPE20330301",
        "44:4c:a8:03:00:01",
        "10.0.0.25/24",
        "leaf",
        rack="c02",
        ztp=True,
        racked=False,
    )
    world = World([], [spine, planned], [Link("c02-leaf1", "Ethernet49/1", "ie1-spine1", "Ethernet3/5")], [])
    fab = Fabric.from_world(world, configs={"ie1-spine1": "hostname ie1-spine1\n"}, flash_root=tmp_path)
    assert list(fab.switches) == ["ie1-spine1"]
    planned.racked = True
    leaf = Fabric.switch_for(planned, flash_root=tmp_path)
    fab.add(leaf)
    assert leaf.ztp_mode == "active" and leaf.flash == tmp_path / "c02-leaf1"
    assert "ie1-spine1" in leaf.cli("show lldp neighbors")


def test_install_source_then_reload_runs_the_new_image(fabric: Fabric, tls: TlsFiles) -> None:
    spine = fabric["ie1-spine2"]
    n = node(fabric, "ie1-spine2", tls)
    with pytest.raises(CommandError, match="does not exist"):
        n.run_commands(["install source flash:EOS-4.29.2F.swi"])
    (spine.flash / "EOS-4.29.2F.swi").write_bytes(b"\0" * 16)  # what install_image downloads
    n.run_commands(["install source flash:EOS-4.29.2F.swi"])
    assert n.enable("show version")[0]["result"]["version"] == "4.28.3M"  # until the reload
    n.run_commands(["write memory", "reload now"])
    assert spine.wait_up(5)
    assert n.enable("show version")[0]["result"]["version"] == "4.29.2F"
    assert (
        "! boot system flash:/EOS-4.29.2F.swi"
        in n.enable("show running-config", encoding="text")[0]["result"]["output"]
    )
