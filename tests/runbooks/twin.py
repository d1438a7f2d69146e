"""Helpers for runbook tests on the twin: the real `i2` CLI in subprocesses, a lab per module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "examples" / "ie1"


def endpoints(labdir: Path) -> Path:
    """The lab's endpoints file, with ``vsd`` and ``pure`` sections added while the twin writes
    none (rendering the overcloud reads their address and secrets; nothing connects to them).
    Rewritten on every call: the lab rewrites its file when a rack is racked."""
    import yaml

    src = labdir / "endpoints.yaml"
    if not src.exists():
        return src
    data = yaml.safe_load(src.read_text()) or {}
    if "vsd" in data and "pure" in data:
        return src
    data.setdefault("vsd", {"url": "https://127.0.0.1:8443", "username": "csproot",
                            "password": {"secret": "vsd"}})
    data.setdefault("pure", {"url": "https://127.0.0.1:8444", "api_token": {"secret": "pure"}})
    out = labdir / "endpoints-tests.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


def env(labdir: Path, site: Path = SITE) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("I2_")}
    e.update(I2_SITE=str(site), I2_ENDPOINTS=str(endpoints(labdir)),
             I2_DB=f"sqlite:///{labdir / 'runs.db'}", I2_EVENTS_DIR=str(labdir / "events"),
             COLUMNS="200")
    return e


def i2(labdir: Path, *args: str, timeout: float = 900, site: Path = SITE) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", *args], cwd=ROOT,
                          env=env(labdir, site), capture_output=True, text=True, timeout=timeout)


def i2_json(labdir: Path, *args: str, ok: tuple[int, ...] = (0,), timeout: float = 900,
            site: Path = SITE) -> Any:
    res = i2(labdir, "-o", "json", *args, timeout=timeout, site=site)
    assert res.returncode in ok, f"i2 {' '.join(args)} -> {res.returncode}\n{res.stdout}\n{res.stderr}"
    return json.loads(res.stdout)


def edited_site(tmp: Path, *edits: tuple[str, str, str]) -> Path:
    """A copy of the example site under ``tmp`` with each ``(file, old, new)`` replaced once
    (``old`` must be there: an edit that silently misses would test the unedited site), its
    hardware profiles pointing back at the project's."""
    import shutil

    site = tmp / "site"
    shutil.copytree(SITE, site)
    for name, old, new in (("site.yaml", "hardware_profiles: ../../hardware-profiles",
                            f"hardware_profiles: {ROOT / 'hardware-profiles'}"), *edits):
        path = site / name
        text = path.read_text()
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1))
    return site


class Operator:
    """The operator's CLI against a lab directory and a site: ``i2``, ``-o json``, a run in the
    background."""

    def __init__(self, labdir: Path, site: Path):
        self.dir, self.site = labdir, site

    def i2(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return i2(self.dir, *args, timeout=timeout, site=self.site)

    def json(self, *args: str, ok: tuple[int, ...] = (0,)) -> Any:
        return i2_json(self.dir, *args, ok=ok, site=self.site)

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "lifecycle.cli.main", "-o", "json", *args],
                                cwd=ROOT, env=env(self.dir, self.site), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


@contextmanager
def lab(labdir: Path, *, faults: str = "", rack: str | None = "c02", site: Path = SITE,
        latency: str = "none", undercloud_releases: dict[str, str] | None = None,
        token_lifetime: int | None = None) -> Iterator[Path]:
    """``undercloud_releases``: e.g. ``{"uc-new": "current"}`` (the release an undercloud plays
    instead of its site cloud's); ``token_lifetime``: seconds the underclouds' tokens live."""
    up = ["lab", "up", "--site", str(site), "--dir", str(labdir), "--latency", latency]
    if token_lifetime is not None:
        up += ["--token-lifetime", str(token_lifetime)]
    if faults:
        up += ["--faults", faults]
    for uc, release in (undercloud_releases or {}).items():
        up += ["--undercloud-release", f"{uc}={release}"]
    res = i2(labdir, *up, timeout=300, site=site)
    assert res.returncode == 0, res.stdout + res.stderr
    try:
        if rack:
            res = i2(labdir, "lab", "rack", rack, "--dir", str(labdir), timeout=300)
            assert res.returncode == 0, res.stdout + res.stderr
        yield labdir
    finally:
        i2(labdir, "lab", "down", "--dir", str(labdir), timeout=120)


def wait_until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


C02 = [f"c02-s{i:02d}" for i in range(1, 9)]


def oneview_profiles(labdir: Path) -> Counter[str]:
    """Server profiles in the OneView emulator, counted by name (a double shows as 2)."""
    from hpOneView.oneview_client import OneViewClient

    from lifecycle.model.endpoints import SecretStore, load_endpoints

    ep = load_endpoints(labdir / "endpoints.yaml")
    ov = ep.oneview
    client = OneViewClient({"ip": ov.url.split("://", 1)[1], "api_version": ov.api_version,
                            "ssl_certificate": str(ep.path(ov.ca_file)),
                            "credentials": {"userName": ov.username,
                                            "password": SecretStore(ep).get(ov.password)}})
    return Counter(p["name"] for p in client.server_profiles.get_all())


def ironic_nodes(labdir: Path) -> list[dict[str, Any]]:
    return i2_json(labdir, "baremetal", "list", "c02", ok=(0, 1))


def undercloud_ironic(labdir: Path, undercloud: str = "uc-new", version: str = "1.58") -> Any:
    """An openstacksdk connection to an undercloud's Ironic as its ``stackrc`` would make it: the
    twin's Keystone, from the ``undercloud-clouds.yaml`` the lab writes, at the release's cap."""
    from openstack.config import OpenStackConfig
    from openstack.connection import Connection

    config = OpenStackConfig(config_files=[str(labdir / "undercloud-clouds.yaml")], load_envvars=False)
    return Connection(config=config.get_one(undercloud, baremetal_api_version=version))


def hypervisors(labdir: Path) -> set[str]:
    """ie1-new's hypervisors, as its Nova lists them (openstacksdk on the lab's clouds.yaml)."""
    from lifecycle.clouds import Cloud
    from lifecycle.model.endpoints import load_endpoints

    return {h.name for h in Cloud.connect(load_endpoints(labdir / "endpoints.yaml"), "ie1-new").hypervisors()}


def rack_outcome(labdir: Path, run_id: str) -> dict[str, dict[str, Any]]:
    """Per server of the rack run: the state its provide step ended in, its check step's outputs
    (CPUs, memory, disks, LLDP per NIC) and the capabilities i2 sets from the hardware profile,
    as Ironic has them now (``node`` apart: its index is the planner's)."""
    import sqlite3

    from lifecycle.baremetal import Baremetal
    from lifecycle.model.endpoints import load_endpoints

    db = sqlite3.connect(labdir / "runs.db")
    rows = db.execute("select key, outputs from steps where run_id=? and (key like '%/check' or "
                      "key like '%/provide')", (run_id,)).fetchall()
    db.close()
    out: dict[str, dict[str, Any]] = {}
    for key, outputs in rows:
        server, _, step = key.rpartition("/")
        data = json.loads(outputs)
        out.setdefault(server, {})[step] = data["provision_state"] if step == "provide" else data
    bm = Baremetal.connect(load_endpoints(endpoints(labdir)), "uc-new")
    mine = {k for item in c02_outcome().values() for k in item["capabilities"]}
    for server, item in out.items():
        # inspection adds its own (inspector's capabilities hook: cpu_aes, ...): not i2's to judge
        item["capabilities"] = {k: v for k, v in bm.capabilities(server).items() if k in mine}
    return out


def c02_outcome() -> dict[str, dict[str, Any]]:
    """What ``rack_outcome`` must say for c02, from the site: the hardware profile's figures and
    capabilities, the cabling plan's LLDP neighbours, every node provided."""
    from lifecycle.model import load_site

    site = load_site(SITE)
    out = {}
    for s in site.servers_in("c02"):
        p = site.hardware_profiles[s.hardware_profile]
        out[s.name] = {
            "provide": "available",
            "check": {"cpus": p.inventory.cpus, "memory_mb": p.inventory.memory_mb,
                      "disks": len(p.inventory.disks),
                      "lldp": {n.name: site.peer_of(f"{s.name}:{n.name}") for n in s.nics}},
            "capabilities": {"boot_mode": p.ironic.boot_mode, "profile": p.ironic.profile,
                             **p.ironic.capabilities}}
    return out
