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


@contextmanager
def lab(labdir: Path, *, faults: str = "", rack: str | None = "c02", site: Path = SITE,
        latency: str = "none") -> Iterator[Path]:
    up = ["lab", "up", "--site", str(site), "--dir", str(labdir), "--latency", latency]
    if faults:
        up += ["--faults", faults]
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


def hypervisors(labdir: Path) -> set[str]:
    """ie1-new's hypervisors, as its Nova lists them (openstacksdk on the lab's clouds.yaml)."""
    from lifecycle.clouds import Cloud
    from lifecycle.model.endpoints import load_endpoints

    return {h.name for h in Cloud.connect(load_endpoints(labdir / "endpoints.yaml"), "ie1-new").hypervisors()}
