"""DHCP entries for ZTP: rendered from the site, checked by the real dhcpd and dnsmasq parsers,
and through `i2 fabric dhcp`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lifecycle.fabric.dhcp import leases, render_dhcp
from lifecycle.model import load_site
from tests.unavailable import unavailable

ROOT = Path(__file__).resolve().parents[2]
URL = "http://ztp.ie1.example.net:8080"


@pytest.fixture(scope="module")
def site():
    return load_site(ROOT / "examples/ie1")


def need(binary: str) -> str:
    path = shutil.which(binary) or (f"/usr/sbin/{binary}" if Path(f"/usr/sbin/{binary}").exists() else None)
    if path is None:
        unavailable(f"{binary} is not installed (.ci/run, or apt-get install isc-dhcp-server dnsmasq-base)")
    return path


def test_planned_leaves_only(site):
    assert [(x.name, x.mac, str(x.address)) for x in leases(site, ["c01", "c02"])] == [
        ("c02-leaf1", "44:4c:a8:03:00:01", "10.0.0.25"), ("c02-leaf2", "44:4c:a8:03:00:02", "10.0.0.26")]
    assert leases(site, ["c01"]) == []


def test_isc_entries(site):
    text = render_dhcp(site, ["c02"], URL, router="10.0.0.1")
    assert text.startswith("# i2: ZTP DHCP entries for site ie1, racks c02")
    assert "subnet 10.0.0.0 netmask 255.255.255.0 {\n  option routers 10.0.0.1;" in text
    assert ("host c02-leaf2 {\n  hardware ethernet 44:4c:a8:03:00:02;\n  fixed-address 10.0.0.26;\n"
            '  option host-name "c02-leaf2";\n'
            '  option bootfile-name "http://ztp.ie1.example.net:8080/bootstrap";\n}') in text


def test_dnsmasq_entries(site):
    text = render_dhcp(site, ["c02"], URL + "/", fmt="dnsmasq")
    assert "dhcp-host=44:4c:a8:03:00:01,set:i2-ztp,10.0.0.25,c02-leaf1" in text.splitlines()
    assert 'dhcp-option-force=tag:i2-ztp,67,"http://ztp.ie1.example.net:8080/bootstrap"' in text
    assert "option:router" not in text  # no router given, none invented


def test_real_parsers_accept_the_output_and_reject_a_broken_one(site, tmp_path):
    dhcpd, dnsmasq = need("dhcpd"), need("dnsmasq")
    isc = tmp_path / "dhcpd.conf"
    isc.write_text(render_dhcp(site, ["c02"], URL, router="10.0.0.1"))
    ok = subprocess.run([dhcpd, "-t", "-cf", str(isc)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    isc.write_text(isc.read_text().replace("fixed-address 10.0.0.25;", "fixed-address 10.0.0.25"))
    assert subprocess.run([dhcpd, "-t", "-cf", str(isc)], capture_output=True).returncode != 0
    dm = tmp_path / "dnsmasq.conf"
    dm.write_text(render_dhcp(site, ["c02"], URL, fmt="dnsmasq", router="10.0.0.1"))
    ok = subprocess.run([dnsmasq, "--test", f"--conf-file={dm}"], capture_output=True, text=True)
    assert ok.returncode == 0 and "syntax check OK" in ok.stderr + ok.stdout, ok.stderr
    dm.write_text(dm.read_text() + "dhcp-hots=bad\n")
    assert subprocess.run([dnsmasq, "--test", f"--conf-file={dm}"], capture_output=True).returncode != 0


def test_bad_input(site):
    with pytest.raises(KeyError):
        render_dhcp(site, ["c99"], URL)
    with pytest.raises(ValueError):
        render_dhcp(site, ["c02"], URL, router="10.0.0.300")
    with pytest.raises(ValueError):
        render_dhcp(site, ["c02"], URL, fmt="kea")


def i2(*args: str, endpoints: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", "--site", "examples/ie1",
                           "--endpoints", str(endpoints), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "COLUMNS": "200"})


def test_cli(tmp_path):
    ep = tmp_path / "endpoints.yaml"
    ep.write_text(f"ztp: {{url: '{URL}', data_root: /srv/ztp}}\n")
    res = i2("fabric", "dhcp", "c02", "--format", "dnsmasq", endpoints=ep)
    assert res.returncode == 0 and "dhcp-host=44:4c:a8:03:00:02,set:i2-ztp,10.0.0.26,c02-leaf2" in res.stdout
    out = tmp_path / "ztp.conf"
    res = i2("fabric", "dhcp", "c02", "--router", "10.0.0.1", "--out", str(out), endpoints=ep)
    assert res.returncode == 0 and "option routers 10.0.0.1;" in out.read_text()
    res = i2("fabric", "dhcp", "c77", endpoints=ep)
    assert res.returncode == 1 and "no rack 'c77'" in res.stderr
    res = i2("fabric", "dhcp", "c02", "--router", "nope", endpoints=ep)
    assert res.returncode == 1 and "--router" in res.stderr
    ep.write_text("oneview: null\n")
    res = i2("fabric", "dhcp", "c02", endpoints=ep)
    assert res.returncode == 1 and "no ztp section" in res.stderr
