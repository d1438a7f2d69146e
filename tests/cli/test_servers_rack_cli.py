"""`i2 servers`, `i2 rack` (plan, dry run, refusals) and `i2 baremetal` against the twin, through
the real CLI in subprocesses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runbooks.twin import i2, i2_json, lab

pytestmark = pytest.mark.slow(100)  # started first by the suite (tests/conftest.py)


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with lab(tmp_path_factory.mktemp("cli-lab")) as labdir:
        yield labdir


def test_templates_sync_dry_run_then_created_then_unchanged(twin: Path) -> None:
    dry = i2_json(twin, "servers", "templates", "sync", "--dry-run")
    assert {d["template"]: d["action"] for d in dry} == {
        "i2-dl360g9-compute": "created", "i2-dl360g9-controller": "created",
        "i2-dl380g9-compute-large": "created"}
    assert {d["action"] for d in i2_json(twin, "servers", "templates", "sync")} == {"created"}
    assert {d["action"] for d in i2_json(twin, "servers", "templates", "sync")} == {"unchanged"}
    bad = i2(twin, "servers", "templates", "sync", "--profile", "nope")
    assert bad.returncode == 1 and "unknown hardware profile(s): nope" in bad.stderr


def test_servers_list_apply_facts(twin: Path) -> None:
    listed = i2_json(twin, "servers", "list", "c02")
    assert [d["server"] for d in listed] == [f"c02-s{i:02d}" for i in range(1, 9)]
    assert {d["state"] for d in listed} == {"NoProfileApplied"} and not any(d["problems"] for d in listed)
    dry = i2_json(twin, "servers", "apply", "c02", "--server", "c02-s01", "--dry-run")
    assert dry == [{"server": "c02-s01", "state": "no profile"}]
    done = i2_json(twin, "servers", "apply", "c02", "--server", "c02-s01", "--yes", "--power", "off")
    assert done[0]["action"] == "created" and done[0]["compliance"] == "Compliant"
    again = i2_json(twin, "servers", "apply", "c02", "--server", "c02-s01", "--yes", "--power", "off")
    assert again[0]["action"] == "unchanged"
    facts = {d["server"]: d for d in i2_json(twin, "servers", "facts", "c02")}
    assert facts["c02-s02"]["macs"] == {"nic1": "94:40:c9:03:02:01", "nic2": "94:40:c9:03:02:02"}
    unknown = i2(twin, "servers", "apply", "c02", "--server", "c09-s01", "--yes")
    assert unknown.returncode == 1 and "not servers of rack c02: c09-s01" in unknown.stderr


def test_rack_plan_dry_run_and_refusals(twin: Path) -> None:
    steps = i2_json(twin, "rack", "apply", "c02", "--dry-run")
    keys = [s["key"] for s in steps]
    assert keys[:2] == ["ztp/stage", "c02-leaf1/ztp"] and "c02-s08/provide" in keys
    # 71 racking steps, then the scale-out of ie1-new (render, validate, upload, deploy) and a
    # hypervisor proof per server
    assert len(keys) == 71 + 4 + 8 and keys[-1] == "c02-s08/hypervisor"
    inspect = next(s for s in steps if s["key"] == "c02-s01/inspect")
    assert set(inspect["deps"]) == {"c02-s01/manage", "c02-leaf1/verify", "c02-leaf2/verify"}
    no = i2(twin, "rack", "apply", "c02")
    assert no.returncode == 1 and "refusing to change the estate without --yes" in no.stderr
    assert i2_json(twin, "runs", "list") == []  # nothing was created
    unknown = i2(twin, "rack", "plan", "c99")
    assert unknown.returncode == 1 and "no rack 'c99' in site ie1 (racks: c01, c02, r01)" in unknown.stderr


def test_baremetal_before_enrolment(twin: Path) -> None:
    nodes = i2_json(twin, "baremetal", "list", "c02", ok=(1,))
    assert {n["state"] for n in nodes} == {"not enrolled"}
    exported = i2_json(twin, "baremetal", "export", "c02", "--no-secrets")
    node = exported["instackenv"]["nodes"][0]
    assert node["pm_password"] == "<secret>" and node["pm_type"] == "redfish"
    out = twin / "instackenv.json"
    res = i2(twin, "baremetal", "export", "c02", "--instackenv", str(out))
    assert res.returncode == 0 and oct(out.stat().st_mode & 0o777) == "0o600"
    assert json.loads(out.read_text())["nodes"][0]["pm_password"] != "<secret>"
