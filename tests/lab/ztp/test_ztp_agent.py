"""The real ztpserver and its real bootstrap client provision an emulated leaf end to end.

The data_root here is written by hand so this test speaks only of the ZTP machinery; the
fabric adapter's generated data_root is exercised in tests/lab/test_lab_cli.py.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import ztpserver

from lifecycle.lab.eos.fabric import Fabric
from lifecycle.lab.eos.switch import Switch
from lifecycle.lab.world import Link
from lifecycle.lab.ztp import ZtpAgent, ZtpServer
from lifecycle.lab.ztp.console import console

pytestmark = pytest.mark.needs_root("mount namespaces need root")

SHARE = Path(ztpserver.__file__).resolve().parent.parent / "usr/share/ztpserver"
SPINE = """hostname spine1
interface Ethernet3/1
   no switchport
   ip address 10.254.0.1/31
"""
LEAF = """hostname leaf1
interface Ethernet49/1
   description to spine1:Ethernet3/1
   no switchport
   ip address 10.254.0.0/31
management api http-commands
   no shutdown
"""


def data_root(root: Path) -> None:
    shutil.copy(SHARE / "bootstrap" / "bootstrap", root / "bootstrap" / "bootstrap")
    (root / "bootstrap" / "bootstrap.conf").write_text("logging: []\nxmpp: {}\n")
    shutil.copytree(SHARE / "actions", root / "actions", dirs_exist_ok=True)
    (root / "files" / "configs").mkdir(parents=True, exist_ok=True)
    (root / "files" / "configs" / "leaf1").write_text(LEAF)
    (root / "definitions" / "leaf1").write_text(
        "name: leaf1\nactions:\n  - action: replace_config\n    name: startup-config\n"
        "    attributes:\n      url: files/configs/leaf1\n")
    (root / "neighbordb").write_text(
        "patterns:\n  - name: leaf1\n    definition: leaf1\n    interfaces:\n"
        "      - Ethernet49/1: regex('spine1(\\..*)?$'):Ethernet3/1\n")


@pytest.fixture
def rig(tmp_path):
    spine = Switch("spine1", "DCS-7504R3", "SP1", "28:99:3a:00:00:01", config=SPINE,
                   flash_dir=tmp_path / "flash-spine1")
    leaf = Switch("leaf1", "DCS-7050SX3-48YC8", "LF1", "44:4c:a8:00:00:01", ztp=True,
                  flash_dir=tmp_path / "flash-leaf1")
    fabric = Fabric([spine, leaf], [Link("leaf1", "Ethernet49/1", "spine1", "Ethernet3/1")])
    server = ZtpServer(tmp_path / "ztps").start()
    cons = console(lambda name: fabric[name]).start()
    yield fabric, server, cons, tmp_path
    cons.stop()
    server.stop()
    for sw in fabric.switches.values():
        sw.stop()


def test_bootstrap_provisions_the_leaf(rig):
    fabric, server, cons, tmp_path = rig
    leaf = fabric["leaf1"]
    assert leaf.ztp_mode == "active"
    agent = ZtpAgent(leaf, server_url=server.url, workdir=tmp_path / "agents",
                     console_url=cons.url, retry_interval=0.2).start()
    time.sleep(0.5)
    assert agent.result.status == "waiting"  # nothing served yet: EOS keeps asking
    data_root(server.data_root)
    result = agent.wait(timeout=120)
    assert result.status == "succeeded", result.output[-3000:]
    assert leaf.wait_up(30)
    assert (leaf.flash / "startup-config").read_text().strip() == LEAF.strip()
    assert leaf.ztp_mode == "disabled"
    assert "hostname leaf1" in leaf.cli("show running-config")
    assert any("ZTP bootstrap completed successfully" in line for line in result.log)
    # The spine now sees the provisioned leaf by its hostname over LLDP.
    assert "leaf1" in fabric["spine1"].cli("show lldp neighbors")


def test_injected_failure_leaves_the_switch_in_ztp(rig):
    fabric, server, cons, tmp_path = rig
    data_root(server.data_root)
    agent = ZtpAgent(fabric["leaf1"], server_url=server.url, workdir=tmp_path / "agents",
                     console_url=cons.url, fail=True).start()
    result = agent.wait(timeout=30)
    assert result.status == "failed" and "ztp.fail" in result.error
    assert fabric["leaf1"].ztp_mode == "active"
    assert not (fabric["leaf1"].flash / "startup-config").exists()
