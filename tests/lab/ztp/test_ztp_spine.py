"""A spine by ZTP in the twin: ie1-spine1 of the example site is wiped back to ZTP (a chassis out
of its box), i2 stages it (``ztp_spines``: a static node by serial), the real ztpserver serves
the real bootstrap client, the spine reloads with its rendered config, and the spine verify
passes over eAPI (BGP to every racked leaf, the planned rack's leaves expected down, LLDP
against the plan, CVX connected)."""

from __future__ import annotations

import time

import pytest
import yaml

from lifecycle.fabric import render_switches
from lifecycle.fabric.eapi import connect, switch_hashes
from lifecycle.fabric.spines import verify_spine
from lifecycle.fabric.ztp import ztp_spines
from lifecycle.lab.base import make_ca
from lifecycle.lab.eos import CVX, Fabric
from lifecycle.lab.world import build_world
from lifecycle.lab.ztp import ZtpServer, ztp_boot
from lifecycle.lab.ztp.console import console
from lifecycle.model import load_site
from lifecycle.model.endpoints import SecretStore, load_endpoints

pytestmark = pytest.mark.needs_root("ZTP's mount namespaces need root")
PASSWORD = "spine-ztp-pass"
CVX_IP = "10.0.0.5"


@pytest.fixture
def rig(tmp_path):
    site = load_site("examples/ie1")
    hashes = switch_hashes(PASSWORD, site.site.name)
    configs = render_switches(site, secret_hash=hashes, cvx_hosts=(CVX_IP,))
    tls = make_ca(tmp_path / "tls")
    cvx = CVX("cvx1", "SSJ1", "00:1c:73:00:99:01", mgmt_ip=CVX_IP, password="x",
              flash_dir=tmp_path / "flash" / "cvx1")
    # rack c02 is planned: not racked yet, its leaves absent
    fabric = Fabric.from_world(build_world(site), configs=configs, flash_root=tmp_path / "flash",
                               extra=(cvx,)).serve(tls=tls)
    (tmp_path / "secrets.yaml").write_text(yaml.safe_dump({"eapi": PASSWORD}))
    (tmp_path / "endpoints.yaml").write_text(yaml.safe_dump({
        "secrets_file": "secrets.yaml",
        "fabric": {"defaults": {"transport": "https", "username": "i2",
                                "password": {"secret": "eapi"}, "ca_file": str(tls.ca)},
                   "devices": {n: {"host": "127.0.0.1", "port": sw.https_port}
                               for n, sw in fabric.switches.items()}}}))
    server = ZtpServer(tmp_path / "ztps").start()
    cons = console(lambda name: fabric[name]).start()
    yield site, fabric, server, cons, hashes, tmp_path
    cons.stop()
    server.stop()
    fabric.stop()


def test_spine_wiped_to_ztp_comes_back_by_ztp_and_verifies(rig):
    site, fabric, server, cons, hashes, tmp_path = rig
    spine = fabric["ie1-spine1"]
    ep = load_endpoints(tmp_path / "endpoints.yaml")
    secrets = SecretStore(ep)
    before = verify_spine(connect(ep, secrets, "ie1-spine1"), site, "ie1-spine1")
    assert [f for f in before if not f.ok] == []

    agent = ztp_boot(spine, server_url=server.url, workdir=tmp_path / "agents",
                     console_url=cons.url, retry_interval=0.2)
    assert spine.ztp_mode == "active" and spine.startup_config is None
    assert "hostname ie1-spine1" not in spine.cli("show running-config")
    changed = ztp_spines(site, server.data_root, secret_hash=hashes, spines=["ie1-spine1"],
                         cvx_hosts=(CVX_IP,))
    assert "nodes/JPE20110001/definition" in changed

    result = agent.wait(timeout=180)
    assert result.status == "succeeded", result.output[-3000:]
    assert any("ZTP bootstrap completed successfully" in line for line in result.log)
    ztps_log = (server.workdir / "ztpserver.log").read_text()
    assert "JPE20110001: node passed pattern validation" in ztps_log
    assert spine.wait_up(60) and spine.ztp_mode == "disabled"

    deadline = time.monotonic() + 60
    while True:  # eAPI answers once the reload is over; BGP is then up at once in the twin
        try:
            found = verify_spine(connect(ep, secrets, "ie1-spine1", timeout=5), site, "ie1-spine1")
            if all(f.ok for f in found):
                break
        except OSError:
            found = []
        assert time.monotonic() < deadline, [f for f in found if not f.ok]
        time.sleep(0.5)
    checks = {f.check: f for f in found}
    established = [c for c, f in checks.items() if c.startswith("bgp ") and
                   f.detail.endswith("Established")]
    expected_down = [c for c, f in checks.items() if c.startswith("bgp ") and
                     f.detail.startswith("expected down: c02-")]
    assert len(established) == 4 and len(expected_down) == 2  # c01 and r01 up, c02 not racked
    assert checks["cvx"].detail == f"connected to {CVX_IP}"
    # what ZTP wrote is what i2 rendered, byte for byte
    assert spine.startup_config == (server.data_root / "files/configs/ie1-spine1").read_text()
