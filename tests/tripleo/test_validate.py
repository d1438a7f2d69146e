"""Validation with the real THT tree, Heat and tripleoclient: ie1-new passes; every negative
fixture in tests/data/tripleo-bad fails with its message, naming the file and the parameter."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lifecycle.tripleo.validate import validate_rendered
from tests.tripleo.conftest import (
    CLOUD,
    PURE_TOKEN,
    SITE,
    VSD_PASSWORD,
    apply_edits,
    copy_rendered,
    fixtures,
    load_fixture,
)

pytestmark = pytest.mark.slow(60)  # started first by the suite (tests/conftest.py)


def test_ie1_new_is_valid(good):
    _, report, _ = good
    assert report.errors == [], [str(f) for f in report.errors]
    assert report.findings == []  # a CMS id was given: not even a warning
    assert report.stats["nested_stacks"] > 100  # Heat validated the nested stacks, not just the root
    assert report.stats["templates"] > 100


@pytest.mark.parametrize("name", fixtures())
def test_negative_fixture_fails_with_its_message(name, good, tmp_path):
    rendered, _, instackenv = good
    fixture = load_fixture(name)
    work = copy_rendered(rendered.out_dir, tmp_path / "rendered")
    (work / "instackenv.json").write_text(instackenv.read_text())
    apply_edits(work, fixture.get("edits", []))
    report = validate_rendered(work, instackenv=work / "instackenv.json",
                               ironic_nodes=fixture.get("ironic_nodes"))
    assert not report.ok
    expect = fixture["expect"]
    hits = [f for f in report.errors if f.check == expect["check"] and f.file == expect["file"]
            and f.parameter == expect.get("parameter", f.parameter) and expect["message"] in f.message]
    assert hits, f"{name}: expected {expect}, got {[(f.check, str(f)) for f in report.findings]}"
    for also in fixture.get("also", []):
        assert any(f.check == also["check"] and f.file == also["file"] and f.parameter == also["parameter"]
                   for f in report.errors), also


def test_every_check_has_a_negative_fixture():
    checks = {load_fixture(n)["expect"]["check"] for n in fixtures()}
    assert checks >= {"process-templates", "parameters", "registry", "services", "placement", "heat",
                      "instackenv", "secrets"}


def _cli():
    from lifecycle.cli.main import cli
    from lifecycle.cli.overcloud import overcloud_group

    if "overcloud" not in cli.commands:
        cli.add_command(overcloud_group)
    return cli


def test_cli_render_and_validate(good, endpoints_file, tmp_path):
    runner = CliRunner()
    base = ["--site", str(SITE), "--endpoints", str(endpoints_file)]
    res = runner.invoke(_cli(), [*base, "-o", "json", "overcloud", "render", CLOUD,
                                 "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert "secrets.yaml" in data["files"] and data["command"][:3] == ["openstack", "overcloud", "deploy"]
    res = runner.invoke(_cli(), [*base, "-o", "json", "overcloud", "validate", CLOUD, "--cms-id", "x"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["ok"] is True
    assert VSD_PASSWORD not in res.output and PURE_TOKEN not in res.output


def test_cli_validate_exits_1_on_findings(good, endpoints_file, tmp_path):
    bad = tmp_path / "endpoints.yaml"
    bad.write_text(endpoints_file.read_text())
    (tmp_path / "secrets.yaml").write_text(endpoints_file.with_name("secrets.yaml").read_text())
    res = CliRunner().invoke(_cli(), ["--site", str(SITE), "--endpoints", str(bad), "-o", "json",
                                      "overcloud", "validate", CLOUD, "--cms-id", "x",
                                      "-e", "/home/stack/containers-prepare-parameter.yaml"])
    assert res.exit_code == 1, res.output
    assert "containers-prepare-parameter.yaml" in res.output  # an extra env file that is not there
