"""The twin undercloud's own TripleO: where it finds the templates, how it reads roles and Ironic
capabilities, and its plan check (THT's process-templates and Heat, run by lab code) on files i2
rendered, laid out as on the undercloud."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lifecycle.lab.undercloud import tht
from lifecycle.lab.undercloud.envfiles import deploy_files, deploy_parser
from lifecycle.lab.undercloud.heatcheck import check_plan, refusal
from lifecycle.model import load_site
from lifecycle.model.endpoints import load_endpoints
from lifecycle.tripleo import paths
from lifecycle.tripleo.render import render_overcloud
from tests.unavailable import unavailable

pytestmark = pytest.mark.slow(35)  # started first by the suite (tests/conftest.py)

SITE = paths.REPO_ROOT / "examples" / "ie1"
REMOTE = "/home/stack/i2/ie1-new"


def need_tree() -> None:
    if tht.missing():
        unavailable(str(tht.missing()))


def test_the_twin_and_i2_read_the_one_tree(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert tht.tht_tree() == paths.tht_tree()
    monkeypatch.setenv("I2_THT_CACHE", str(tmp_path))
    monkeypatch.setenv("I2_HEAT_VENV", str(tmp_path / "venv"))
    assert tht.tht_tree() == paths.tht_tree() == tmp_path / "tripleo-heat-templates-11.6.0"
    assert tht.heat_python() == paths.heat_venv() / "bin" / "python"
    assert "tripleo-heat-templates-11.6.0 is missing" in str(tht.missing())
    assert tht.UNDERCLOUD_THT == paths.UNDERCLOUD_THT


def test_capabilities_are_read_as_ironic_stores_them() -> None:
    caps = tht.parse_capabilities("node:computenuage-10, profile:compute,boot_mode:uefi,junk")
    assert caps == {"node": "computenuage-10", "profile": "compute", "boot_mode": "uefi"}
    assert tht.parse_capabilities("") == {}


def test_roles_come_from_tht_s_roles_files() -> None:
    need_tree()
    controller = tht.role_definition(tht.tht_tree(), "Controller")
    assert controller["HostnameFormatDefault"] == "%stackname%-controller-%index%"
    nuage = tht.role_definition(tht.tht_tree(), "ComputeNuage")  # THT has none: a copy of Compute
    assert nuage["name"] == "ComputeNuage" and "HostnameFormatDefault" not in nuage
    assert "OS::TripleO::Services::NovaCompute" in nuage["ServicesDefault"]
    with pytest.raises(FileNotFoundError):
        tht.role_definition(tht.tht_tree(), "Gateway")


@pytest.fixture()
def uploaded(tmp_path: Path) -> tuple[Path, list[str]]:
    """ie1-new as i2 renders it, in an undercloud's filesystem; the deploy's arguments."""
    (tmp_path / "secrets.yaml").write_text(yaml.safe_dump({"vsd": "vsd-Pa55-plan", "pure": "pure-T0ken",
                                                            "vsd-plugin-ie1-new": "plugin-plan",
                                                            "nuage-metadata-ie1-new": "md-plan"}))
    (tmp_path / "endpoints.yaml").write_text(yaml.safe_dump({
        "secrets_file": "secrets.yaml",
        "vsd": {"url": "https://127.0.0.1:8443", "username": "csproot", "password": {"secret": "vsd"},
                "plugins": {"ie1-new": {
                    "username": "ie1-new-neutron", "password": {"secret": "vsd-plugin-ie1-new"},
                    "metadata_secret": {"secret": "nuage-metadata-ie1-new"}}}},
        "pure": {"url": "https://127.0.0.1:8444", "api_token": {"secret": "pure"}}}))
    root = tmp_path / "fs"
    rendered = render_overcloud(load_site(SITE), "ie1-new", load_endpoints(tmp_path / "endpoints.yaml"),
                                root / REMOTE.lstrip("/"), counts={"Controller": 1, "ComputeNuage": 2},
                                nodes={"Controller": [("r01-s01", 0)],
                                       "ComputeNuage": [("c02-s01", 0), ("c02-s02", 1)]},
                                cms_id="0d8c-plan", remote_dir=REMOTE)
    assert rendered.command[:3] == ["openstack", "overcloud", "deploy"]
    return root, rendered.command[3:]


def test_a_rendered_plan_passes_and_a_broken_one_fails_with_the_undercloud_s_paths(
        uploaded: tuple[Path, list[str]]) -> None:
    need_tree()
    root, argv = uploaded
    files = deploy_files(deploy_parser().parse_args(argv), root)
    result = check_plan(files.request())
    assert refusal(result) == [], result
    assert (Path(result["processed"]) / "overcloud.yaml").is_file()  # THT's rendered plan

    ips = root / REMOTE.lstrip("/") / "ips-from-pool.yaml"
    ips.write_text(ips.read_text().replace("external_from_pool.yaml", "external_from_poll.yaml"))
    lines = refusal(check_plan(files.request()))
    assert lines[0].startswith(f"ERROR: {REMOTE}/ips-from-pool.yaml: ")
    assert f"{tht.UNDERCLOUD_THT}/network/ports/external_from_poll.yaml" in lines[0]
    assert lines[-1] == "ERROR: Heat Stack validation failed: the deployment was not started"


def test_heat_refuses_an_unknown_resource_type_in_a_nested_template(uploaded: tuple[Path, list[str]]) -> None:
    need_tree()
    root, argv = uploaded
    nic = root / REMOTE.lstrip("/") / "nic-configs" / "computenuage.yaml"
    assert "OS::Heat::Value" in nic.read_text()
    nic.write_text(nic.read_text().replace("OS::Heat::Value", "OS::Heat::Valu"))
    lines = refusal(check_plan(deploy_files(deploy_parser().parse_args(argv), root).request()))
    assert lines[0] == "ERROR: Failed to validate: The Resource Type (OS::Heat::Valu) could not be found."
