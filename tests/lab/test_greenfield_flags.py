"""`i2 lab up --greenfield` and `--brownfield NAME=on|off`: what lab.yaml keeps and the errors the
CLI gives before anything starts."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from lifecycle.cli.main import cli
from lifecycle.lab.config import LabConfig, brownfield_fields, parse_brownfield

SWITCHES = sorted(f.name.removeprefix("brownfield_") for f in fields(LabConfig)
                  if f.name.startswith("brownfield_"))


def up(tmp_path: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["lab", "up", "--site", "examples/ie2-buildout",
                                   "--dir", str(tmp_path / "lab"), *args])
    return res.exit_code, res.output


def test_an_unknown_switch_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    code, out = up(tmp_path, "--brownfield", "vsd_stale=off")
    assert code == 2 and "--brownfield" in out
    assert "no brownfield switch 'vsd_stale'" in out
    known = out.split("(known: ", 1)[1]
    assert all(name in known for name in SWITCHES), out
    assert not (tmp_path / "lab").exists()  # refused before anything was written


@pytest.mark.parametrize("bad", ["switches", "switches=yes", "switches=", "=on",
                                 "brownfield_switches=off"])
def test_a_malformed_or_prefixed_switch_is_refused(tmp_path: Path, bad: str) -> None:
    code, out = up(tmp_path, "--brownfield", bad)
    assert code == 2 and "--brownfield" in out, out
    assert repr(bad) in out or "no brownfield switch" in out, out
    assert not (tmp_path / "lab").exists()


def test_greenfield_refuses_a_switch_turned_on(tmp_path: Path) -> None:
    code, out = up(tmp_path, "--greenfield", "--brownfield", "switches=on",
                   "--brownfield", "vsd_stale_cms=off")
    assert code == 2 and "--greenfield turns every brownfield switch off" in out
    assert "asked on: switches" in out and "vsd_stale_cms" not in out.split("asked on:")[1]
    assert not (tmp_path / "lab").exists()


def test_parse_on_and_off() -> None:
    assert parse_brownfield(["switches=off", "vsd_team_objects=on", "cloud_flavor_drift=off"]) == {
        "brownfield_switches": False, "brownfield_vsd_team_objects": True,
        "brownfield_cloud_flavor_drift": ""}
    default = next(f.default for f in fields(LabConfig) if f.name == "brownfield_cloud_flavor_drift")
    assert parse_brownfield(["cloud_flavor_drift=on"]) == {"brownfield_cloud_flavor_drift": default}
    assert sorted(n.removeprefix("brownfield_") for n in brownfield_fields()) == SWITCHES


def test_the_flags_win_over_brownfield_yaml(tmp_path: Path) -> None:
    """`up` saves the flags in lab.yaml; the operator's brownfield.yaml is read over lab.yaml at
    every start, the flags of this start over both."""
    flags = parse_brownfield(["vsd_stale_cms=off", "switches=on"])
    LabConfig("examples/ie1", cli_brownfield=flags, **flags).save(tmp_path)
    (tmp_path / "brownfield.yaml").write_text(
        "brownfield_vsd_stale_cms: true\nbrownfield_switches: false\n"
        "brownfield_cloud_foreign: false\n")
    cfg = LabConfig.load(tmp_path)
    assert (cfg.brownfield_vsd_stale_cms, cfg.brownfield_switches) == (False, True)
    assert cfg.brownfield_cloud_foreign is False  # the file's own switch still counts
    assert cfg.brownfield_vsd_team_objects is True  # neither: the default
    LabConfig("examples/ie1").save(tmp_path)  # a later start without flags: the file again
    assert LabConfig.load(tmp_path).brownfield_switches is False


def test_greenfield_turns_every_brownfield_switch_off(tmp_path: Path) -> None:
    LabConfig("examples/ie2-buildout", greenfield=True).save(tmp_path)
    saved = yaml.safe_load((tmp_path / "lab.yaml").read_text())
    assert saved["greenfield"] is True
    assert {k: v for k, v in saved.items() if k.startswith("brownfield_") and v} == {}
    # an operator's brownfield.yaml does not bring any back into a greenfield lab
    (tmp_path / "brownfield.yaml").write_text("brownfield_switches: true\n")
    cfg = LabConfig.load(tmp_path)
    assert cfg.greenfield and not cfg.brownfield_switches and cfg.brownfield_cloud_flavor_drift == ""
    assert LabConfig("examples/ie1").greenfield is False  # brownfield stays the default
