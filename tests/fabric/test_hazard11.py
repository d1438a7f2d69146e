"""Hazard 11 (issue 12): secrets. Every secret the endpoints file resolves is masked wherever i2
records it, whatever the key; the files that hold the switches' password hash are private and
every switch's hash has its own salt. (The twin-wide scan: tests/runbooks/test_hazards_10_11_twin.py.)
"""

from __future__ import annotations

import re
import secrets as pysecrets
import stat
import warnings
from pathlib import Path

import yaml
from click.testing import CliRunner

from lifecycle.cli.main import cli
from lifecycle.engine import Store
from lifecycle.fabric import write_data_root
from lifecycle.fabric.intent import fabric_secret_hash, intended_configs
from lifecycle.model import load_site
from lifecycle.model.endpoints import load_endpoints

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

SITE = Path("examples/ie1")


def _endpoints(tmp: Path, monkeypatch) -> tuple[Path, dict[str, str]]:
    """An endpoints file with each kind of reference (env, file, secrets_file), fresh values."""
    values = {k: pysecrets.token_urlsafe(12) for k in ("eapi", "vsd", "bmc")}
    (tmp / "secrets.yaml").write_text(yaml.safe_dump({"eapi": values["eapi"]}))
    (tmp / "bmc.pass").write_text(values["bmc"] + "\n")
    monkeypatch.setenv("HAZARD11_VSD", values["vsd"])
    (tmp / "endpoints.yaml").write_text(yaml.safe_dump({
        "secrets_file": "secrets.yaml",
        "fabric": {"defaults": {"username": "i2", "password": {"secret": "eapi"}}},
        "vsd": {"url": "https://vsd.example", "username": "csproot", "password": {"env": "HAZARD11_VSD"}},
        "bmc": {"username": "admin", "password": {"file": "bmc.pass"}}}))
    return tmp / "endpoints.yaml", values


def test_hazard11_every_resolved_secret_is_masked_under_any_key(tmp_path, monkeypatch):
    ep_file, values = _endpoints(tmp_path, monkeypatch)
    ep = load_endpoints(ep_file)
    from lifecycle.model.endpoints import SecretStore

    store = SecretStore(ep)
    for ref in (ep.fabric.defaults.password, ep.vsd.password, ep.bmc.password):
        store.get(ref)
    # the engine's store, with its default (process) redactor, as every run records
    runs = Store.open(f"sqlite:///{tmp_path / 'runs.db'}")
    recorded = runs.redactor.redact({"detail": f"login with {values['eapi']} refused",
                                     "cmd": ["curl", "-u", f"admin:{values['bmc']}"],
                                     "note": f"vsd {values['vsd']}"})
    text = repr(recorded)
    assert not [k for k, v in values.items() if v in text], text
    assert text.count("***") == 3


def test_hazard11_ztp_files_are_private_and_each_switch_has_its_own_salt(tmp_path, monkeypatch):
    ep_file, values = _endpoints(tmp_path, monkeypatch)
    ep, site = load_endpoints(ep_file), load_site(SITE)
    root = tmp_path / "ztp" / "data"
    write_data_root(site, "c02", root, secret_hash=fabric_secret_hash(site, ep))
    files = [p for p in root.rglob("*") if p.is_file()]
    dirs = [root.parent, *(p for p in root.rglob("*") if p.is_dir())]
    assert len(files) > 8
    assert [str(p) for p in files if stat.S_IMODE(p.stat().st_mode) != 0o600] == []
    assert [str(p) for p in dirs if stat.S_IMODE(p.stat().st_mode) != 0o700] == []

    hashes = {}
    for leaf in ("c02-leaf1", "c02-leaf2"):
        hashes[leaf] = re.search(r"secret sha512 (\S+)", (root / "files/configs" / leaf).read_text()).group(1)
        assert crypt.crypt(values["eapi"], hashes[leaf]) == hashes[leaf]  # the switch accepts i2
    configs = intended_configs(site, ep)
    everyone = {re.search(r"secret sha512 (\S+)", c).group(1).split("$")[2] for c in configs.values()}
    assert len(everyone) == len(configs), "two switches share a salt"
    assert {n: configs[n] for n in hashes} == {n: (root / "files/configs" / n).read_text() for n in hashes}
    # a re-render is stable: nothing to write
    assert write_data_root(site, "c02", root, secret_hash=fabric_secret_hash(site, ep)) == []


def test_hazard11_rendered_configs_written_by_the_cli_are_private(tmp_path, monkeypatch):
    ep_file, _ = _endpoints(tmp_path, monkeypatch)
    out = tmp_path / "out" / "configs"
    res = CliRunner().invoke(cli, ["--site", str(SITE), "--endpoints", str(ep_file),
                                   "fabric", "render", "c02", "--out", str(out)])
    assert res.exit_code == 0, res.output
    written = sorted(out.iterdir())
    assert [p.name for p in written] == ["c02-leaf1.cfg", "c02-leaf2.cfg"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o600}
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
