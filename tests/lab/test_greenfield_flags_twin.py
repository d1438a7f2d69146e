"""`i2 lab up --brownfield NAME=on|off` on the ie1 twin: each flag reaches what the twin writes,
wins over the operator's LABDIR/brownfield.yaml for the switch it names, and leaves the file's
other switches and the defaults as they were. Read with vspk and pyeapi over verified TLS."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pyeapi
import pytest
import yaml

from lifecycle.lab.config import LabConfig
from lifecycle.lab.estate_vsd import stale_cms_name
from lifecycle.model import load_site
from lifecycle.model.endpoints import SecretStore, load_endpoints
from tests.lab.test_greenfield_twin import i2, vsd_session

SITE = Path(__file__).resolve().parents[2] / "examples" / "ie1"
pytestmark = [pytest.mark.needs_root("the twin's ZTP needs root"),
              pytest.mark.slow(40)]  # started first by the suite (tests/conftest.py)


@pytest.fixture(scope="module")
def labdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    d = tmp_path_factory.mktemp("flags") / "lab"
    d.mkdir()
    # the operator's file: the stale CMS on (the flag below turns it off), team objects off
    (d / "brownfield.yaml").write_text("brownfield_vsd_stale_cms: true\n"
                                       "brownfield_vsd_team_objects: false\n")
    res = i2("lab", "up", "--site", str(SITE), "--dir", str(d),
             "--brownfield", "vsd_stale_cms=off", "--brownfield", "switches=off")
    assert res.returncode == 0, res.stdout + res.stderr
    try:
        yield d
    finally:
        i2("lab", "down", "--dir", str(d))


def test_lab_yaml_keeps_the_flags(labdir: Path) -> None:
    saved = yaml.safe_load((labdir / "lab.yaml").read_text())
    assert saved["cli_brownfield"] == {"brownfield_vsd_stale_cms": False,
                                       "brownfield_switches": False}
    cfg = LabConfig.load(labdir)
    assert (cfg.greenfield, cfg.brownfield_vsd_stale_cms, cfg.brownfield_switches,
            cfg.brownfield_vsd_team_objects, cfg.brownfield_vsd_foreign_entries) == (
        False, False, False, False, True)


def test_vsd_follows_the_flag_and_the_file(labdir: Path) -> None:
    site = load_site(SITE)
    s = vsd_session(labdir)
    cms = {c.name for c in s.user.cloud_mgmt_systems.get()}
    assert stale_cms_name(site) not in cms  # the flag won over the file's `true`
    ent = s.user.enterprises.get_first(filter='name == "IE1"')
    assert ent is not None  # the estate itself is written as always
    macros = {m.name for m in ent.enterprise_networks.get()}
    assert "netops-syslog" in macros  # foreign entries: on by default, needs its macro
    assert "backup-vault" not in macros  # team objects: off in brownfield.yaml
    assert {m.name for m in site.nuage.network_macros} <= macros


def test_switches_are_typed_without_the_drift(labdir: Path) -> None:
    ep = load_endpoints(labdir / "endpoints.yaml")
    ctx = ssl.create_default_context(cafile=str(ep.path(ep.fabric.defaults.ca_file)))
    dev = ep.fabric.device("c01-leaf1")
    node = pyeapi.client.Node(pyeapi.connect(
        transport="https", host=dev.host, port=dev.port, username=ep.fabric.defaults.username,
        password=SecretStore(ep).get(ep.fabric.defaults.password), context=ctx, timeout=10))
    running = node.enable(["show running-config"], encoding="text")[0]["result"]["output"]
    assert "router bgp 65102" in running  # in service, configured
    assert "vlan 999" not in running and "legacy-backup" not in running  # no team's drift
