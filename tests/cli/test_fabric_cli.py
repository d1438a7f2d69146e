"""`i2 fabric` against the twin: clean diff on in-service racks, a change shown then pushed,
verification of a rack, and ZTP staging through the endpoints file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow(125)  # started first by the suite (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]


def i2(*args: str, labdir: Path | None = None) -> subprocess.CompletedProcess[str]:
    pre = ["--site", "examples/ie1"]
    if labdir:
        pre += ["--endpoints", str(labdir / "endpoints.yaml")]
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", *pre, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    labdir = tmp_path_factory.mktemp("fablab")
    res = i2("lab", "up", "--dir", str(labdir))
    assert res.returncode == 0, res.stdout + res.stderr
    yield labdir
    i2("lab", "down", "--dir", str(labdir))


def test_diff_verify_push(lab):
    # the in-service switches as their team typed them (brownfield): only semantic drift shows
    first = i2("-o", "json", "fabric", "diff", "c01", labdir=lab)
    assert first.returncode == 1, first.stdout + first.stderr
    diffs = json.loads(first.stdout)
    assert "vlan 999" in diffs["c01-leaf1"] and "Ethernet48" in diffs["c01-leaf1"], diffs
    assert "allowed vlan add" not in diffs["c01-leaf1"] and "\n!!" not in diffs["c01-leaf1"]
    spines = i2("fabric", "diff", "spines", labdir=lab)
    assert spines.returncode == 1 and "Loopback0" in spines.stdout, spines.stdout
    # i2's own config put back (the team's extras removed: a push says so first)
    pushed = i2("fabric", "push", "c01", "--yes", labdir=lab)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    clean = i2("-o", "json", "fabric", "diff", "c01", labdir=lab)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout) == {"c01-leaf1": "", "c01-leaf2": ""}

    verified = i2("-o", "json", "fabric", "verify", "c01", labdir=lab)
    assert verified.returncode == 0, verified.stdout
    checks = json.loads(verified.stdout)
    assert {c["check"] for c in checks} >= {"mlag", "cvx", "lldp Ethernet49/1"}
    assert all(c["ok"] for c in checks)

    # Drift: someone changed a description by hand on c01-leaf1; diff shows it, push repairs it.

    from lifecycle.fabric.eapi import connect
    from lifecycle.model.endpoints import SecretStore, load_endpoints

    ep = load_endpoints(lab / "endpoints.yaml")
    node = connect(ep, SecretStore(ep), "c01-leaf1")
    node.config(["interface Ethernet3", "description hand-edited"])
    drift = i2("fabric", "diff", "c01", labdir=lab)
    assert drift.returncode == 1 and "+   description hand-edited" not in drift.stdout
    assert "-   description hand-edited" in drift.stdout
    assert i2("fabric", "push", "c01", "--dry-run", labdir=lab).returncode == 0
    assert i2("fabric", "diff", "c01", labdir=lab).returncode == 1  # dry run changed nothing
    pushed = i2("fabric", "push", "c01", "--yes", labdir=lab)
    assert pushed.returncode == 0, pushed.stderr
    assert i2("fabric", "diff", "c01", labdir=lab).returncode == 0


def test_ztp_staging_and_errors(lab):
    staged = i2("-o", "json", "fabric", "ztp", "c02", labdir=lab)
    assert staged.returncode == 0, staged.stderr
    assert "neighbordb" in json.loads(staged.stdout)["changed"]
    again = i2("-o", "json", "fabric", "ztp", "c02", labdir=lab)
    assert json.loads(again.stdout)["changed"] == []
    unknown = i2("fabric", "diff", "c99", labdir=lab)
    assert unknown.returncode == 1 and "no rack 'c99'" in unknown.stderr
    no_endpoints = i2("fabric", "diff", "c01")
    assert no_endpoints.returncode == 2 and "--endpoints" in no_endpoints.stderr
