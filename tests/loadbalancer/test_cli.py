"""``i2 lb`` without a NetScaler to talk to: usage, unknown names, and an unreachable device
reported per virtual server with exit 1 (the runs against the twin are in test_emulator.py)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lifecycle.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    (tmp_path / "endpoints.yaml").write_text("probes: {url: 'https://probes.example'}\n")
    result = CliRunner().invoke(cli, ["--site", str(ROOT / "examples/ie1"), "--endpoints",
                                      str(tmp_path / "endpoints.yaml"), *args])
    return result.exit_code, result.output


def test_status_names_what_it_cannot_reach(tmp_path: Path) -> None:
    code, out = run(tmp_path, "-o", "json", "lb", "status", "web-portal")
    assert code == 1
    rows = json.loads(out)
    assert [r["app"] for r in rows] == ["web-portal/prd", "web-portal/qa"]
    assert all("no netscaler entry for device 'ie1-adc1'" in r["error"] for r in rows)


def test_unknown_names_and_sides(tmp_path: Path) -> None:
    code, out = run(tmp_path, "lb", "drain", "web-portal", "--env", "dev", "--side", "a")
    assert code == 1 and "has no environment 'dev'" in out
    code, out = run(tmp_path, "lb", "enable", "nope", "--env", "prd", "--side", "b", "--dry-run")
    assert code == 1 and "no application 'nope'" in out
    code, out = run(tmp_path, "lb", "drain", "web-portal", "--env", "prd", "--side", "c")
    assert code == 2 and "'c' is not one of 'a', 'b'" in out
