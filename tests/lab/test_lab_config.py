"""lab.yaml: the underclouds' token lifetime (``i2 lab up --token-lifetime S``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lifecycle.lab.cli import lab_group
from lifecycle.lab.config import LabConfig


def test_token_lifetime_is_kept_and_defaults_to_keystones_hour(tmp_path: Path) -> None:
    LabConfig("examples/ie1").save(tmp_path)
    assert LabConfig.load(tmp_path).token_lifetime == 3600
    LabConfig("examples/ie1", token_lifetime=135).save(tmp_path)
    assert "token_lifetime: 135" in (tmp_path / "lab.yaml").read_text()
    assert LabConfig.load(tmp_path).token_lifetime == 135


@pytest.mark.parametrize("bad", [0, -5, "1h", True])
def test_a_bad_token_lifetime_in_lab_yaml_names_the_field(tmp_path: Path, bad: object) -> None:
    (tmp_path / "lab.yaml").write_text(f"site: examples/ie1\ntoken_lifetime: {bad}\n")
    with pytest.raises(ValueError, match=r"lab\.yaml token_lifetime: expected whole seconds >= 1"):
        LabConfig.load(tmp_path)


def test_up_refuses_a_bad_token_lifetime_before_anything_starts(tmp_path: Path) -> None:
    res = CliRunner().invoke(lab_group, ["up", "--site", "examples/ie1", "--dir", str(tmp_path / "l"),
                                         "--token-lifetime", "0"])
    assert res.exit_code == 2 and "--token-lifetime" in res.output
    assert not (tmp_path / "l").exists()
