"""``i2 fabric ztp spines``, ``i2 fabric verify spines``, ``i2 fabric dhcp spines`` and the spine
gate of ``i2 fabric ztp RACK``, against the twin's EOS fabric of tests/fabric/conftest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lifecycle.fabric.render import spine_downlinks

ROOT = Path(__file__).resolve().parents[2]


def i2(*args: str, endpoints: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", "--site", "examples/ie1",
                           "--endpoints", str(endpoints), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture
def ep_file(built, endpoints, tmp_path):
    _, _, _, tmp = built
    doc = yaml.safe_load((tmp / "endpoints.yaml").read_text())
    doc["secrets_file"] = str(tmp / "secrets.yaml")
    doc["fabric"]["defaults"]["ca_file"] = str(Path(doc["fabric"]["defaults"]["ca_file"]))
    doc["ztp"] = {"url": "http://127.0.0.1:8080", "data_root": str(tmp_path / "ztp")}
    doc["cvx_servers"] = ["10.0.0.5"]
    path = tmp_path / "endpoints.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_ztp_spines_dry_run_then_for_real(ep_file, tmp_path):
    dry = i2("-o", "json", "fabric", "ztp", "spines", "--dry-run", endpoints=ep_file)
    assert dry.returncode == 0, dry.stderr
    out = json.loads(dry.stdout)
    assert out["dry_run"] and "nodes/JPE20110002/pattern" in out["changed"]
    assert not (tmp_path / "ztp" / "nodes").exists()
    one = i2("-o", "json", "fabric", "ztp", "spines", "--spine", "ie1-spine1", endpoints=ep_file)
    assert one.returncode == 0, one.stderr
    assert (tmp_path / "ztp/nodes/JPE20110001/definition").exists()
    assert not (tmp_path / "ztp/nodes/JPE20110002").exists()
    bad = i2("fabric", "ztp", "spines", "--spine", "ie1-spine7", endpoints=ep_file)
    assert bad.returncode == 1 and "no spine ie1-spine7" in bad.stderr
    misuse = i2("fabric", "ztp", "c02", "--spine", "ie1-spine1", endpoints=ep_file)
    assert misuse.returncode == 2 and "only with 'spines'" in misuse.stderr


def test_verify_spines_and_the_gate(built, ep_file, tmp_path):
    site, fabric = built[0], built[1]
    ok = i2("-o", "json", "fabric", "verify", "spines", endpoints=ep_file)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    rows = json.loads(ok.stdout)
    assert {r["device"] for r in rows} == {"ie1-spine1", "ie1-spine2"}
    assert i2("fabric", "ztp", "c02", endpoints=ep_file).returncode == 0
    # a spine losing a leaf's session: the spines fail verify and rack c02 is refused
    sp = next(s for s in site.spines if s.name == "ie1-spine2")
    ip = next(d.peer_ip for d in spine_downlinks(site, sp) if d.peer.startswith("r01-leaf1:"))
    asn = site.rack("r01").leaves.asn
    fabric["ie1-spine2"].cli(f"configure\nrouter bgp 65000\nno neighbor {ip}")
    try:
        failed = i2("fabric", "verify", "spines", endpoints=ep_file)
        assert failed.returncode == 1 and f"bgp {ip}" in failed.stdout
        refused = i2("fabric", "ztp", "c02", endpoints=ep_file)
        assert refused.returncode == 1
        assert "spine ie1-spine2 unhealthy" in refused.stderr and f"bgp {ip}" in refused.stderr
    finally:
        fabric["ie1-spine2"].cli(f"configure\nrouter bgp 65000\nneighbor {ip} remote-as {asn}\n"
                                 f"neighbor {ip} description r01-leaf1:Ethernet50/1")


def test_dhcp_for_spines(ep_file):
    res = i2("fabric", "dhcp", "spines", "c02", "--format", "dnsmasq", endpoints=ep_file)
    assert res.returncode == 0, res.stderr
    assert "dhcp-host=28:99:3a:00:00:02,set:i2-ztp,10.0.0.12,ie1-spine2" in res.stdout
    assert "dhcp-host=44:4c:a8:03:00:01,set:i2-ztp,10.0.0.25,c02-leaf1" in res.stdout
