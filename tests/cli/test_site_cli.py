"""`i2 site validate` as an operator runs it: the installed console script, exit codes, output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
I2 = [sys.executable, "-m", "lifecycle.cli.main"]


def i2(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}  # rich folds tables to 80 columns when piped
    return subprocess.run([*I2, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=env)


def broken_copy(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(ROOT / "examples/ie1", site)
    cfg = site / "site.yaml"
    cfg.write_text(cfg.read_text().replace("../../hardware-profiles",
                                           str(ROOT / "hardware-profiles")))
    rack = site / "racks/c02.yaml"
    text = rack.read_text().replace("serial: CZJ7030002", "serial: CZJ7030001", 1)
    rack.write_text(text.replace("c02-leaf1:Ethernet3}", "c02-leaf1:Ethernet99}"))
    apps = site / "applications.yaml"
    apps.write_text(apps.read_text().replace("b: 10.20.4.64/26", "b: 10.20.5.64/26"))
    return site


def test_example_site_validates():
    res = i2("site", "validate", "examples/ie1")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "valid" in res.stdout and "c02" in res.stdout


def test_example_site_json_summary():
    res = i2("-o", "json", "site", "validate", "examples/ie1")
    assert res.returncode == 0
    data = json.loads(res.stdout)
    assert data["valid"] is True
    racks = {r["name"]: r for r in data["summary"]["racks"]}
    assert racks["c02"]["state"] == "planned" and racks["c02"]["servers"] == 8
    assert data["summary"]["applications"] == 6


def test_every_problem_is_printed_and_exit_is_1(tmp_path):
    site = broken_copy(tmp_path)
    res = i2("-o", "json", "site", "validate", str(site))
    assert res.returncode == 1
    problems = json.loads(res.stdout)["problems"]
    got = {(p["file"], p["field"]) for p in problems}
    assert ("racks/c02.yaml", "servers[c02-s02].serial") in got
    assert ("racks/c02.yaml", "cables[10].b") in got
    assert ("applications.yaml", "applications[billing].environments.prd.subnets") in got
    assert all(p["line"] > 0 for p in problems)


def test_table_output_names_file_and_line(tmp_path):
    site = broken_copy(tmp_path)
    res = i2("site", "validate", str(site))
    assert res.returncode == 1
    assert "racks/c02.yaml:50" in res.stdout
    assert "servers[c02-s02].serial" in res.stdout  # brackets survive the rich table
    assert "not valid" in res.stderr


def test_site_from_environment_and_usage_errors(tmp_path):
    env_res = subprocess.run([*I2, "site", "validate"], cwd=ROOT, capture_output=True, text=True,
                             env={"I2_SITE": "examples/ie1", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert env_res.returncode == 0, env_res.stderr
    no_site = subprocess.run([*I2, "site", "validate"], cwd=tmp_path, capture_output=True,
                             text=True, env={"PATH": "/usr/bin:/bin"}, timeout=120)
    assert no_site.returncode == 2 and "--site" in no_site.stderr
    assert i2("--bogus").returncode == 2
    assert i2("-o", "xml", "site", "validate").returncode == 2


def test_missing_directory_is_a_problem_not_a_traceback(tmp_path):
    res = i2("site", "validate", str(tmp_path / "nowhere"))
    assert res.returncode == 1
    assert "does not exist" in res.stdout
    assert "Traceback" not in res.stderr
