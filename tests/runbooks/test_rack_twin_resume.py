"""Stopping and resuming `i2 rack apply c02` on the twin, through the real CLI (issue 12):
SIGTERM mid-run ends the run ``interrupted`` with exit 130 (hazard 12); the operator then edits
the site (c02-s08 leaves the rack), so resuming is refused naming the steps the edit affects, and
``--replan`` goes on from there without re-running a done step (hazard 5). One lab for the
module; the tests run in file order.

uc-new plays a current release here (the real Ironic 39 at its own API range, without
ironic-inspector), so the run takes the agent inspection path (Ironic's own in-band inspection,
the IPA ISO); the rack ends as it does on Train (test_rack_twin.py): the same inspection figures,
LLDP neighbours and capabilities, for the seven servers left in the rack."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.cli.test_runs_cli import copy_site
from tests.runbooks.twin import (
    C02,
    ROOT,
    c02_outcome,
    env,
    hypervisors,
    i2,
    i2_json,
    ironic_nodes,
    lab,
    rack_outcome,
    wait_until,
)

pytestmark = [pytest.mark.needs_root("ZTP's mount namespaces need root"),
              pytest.mark.slow(210)]


class Rack:
    def __init__(self, labdir: Path, site: Path) -> None:
        self.labdir, self.site = labdir, site
        self.run_id = ""

    def i2(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return i2(self.labdir, *args, timeout=timeout, site=self.site)

    def steps(self) -> dict[str, tuple[str, int]]:
        db = sqlite3.connect(self.labdir / "runs.db")
        try:
            return {k: (s, a) for k, s, a in db.execute(
                "select key, status, attempts from steps where run_id=?", (self.run_id,))}
        finally:
            db.close()


@pytest.fixture(scope="module")
def rack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rack]:
    tmp = tmp_path_factory.mktemp("resume")
    with lab(tmp / "lab", undercloud_releases={"uc-new": "current"}) as labdir:
        yield Rack(labdir, copy_site(tmp / "site"))


def test_uc_new_plays_a_current_release_and_inspects_with_the_agent(rack: Rack) -> None:
    uc = i2_json(rack.labdir, "baremetal", "check", site=rack.site)["underclouds"]["uc-new"]
    assert (uc["release"], uc["inspection"]) == ("current", "agent"), uc


def test_hazard12_sigterm_mid_rack_apply_ends_the_run_interrupted_exit_130(rack: Rack) -> None:
    err = rack.labdir / "apply.stderr"
    with err.open("w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "lifecycle.cli.main", "-o", "json", "rack", "apply",
                                 "c02", "--yes"], cwd=ROOT, env=env(rack.labdir, rack.site),
                                stdout=subprocess.DEVNULL, stderr=fh)

    def under_way() -> bool:
        runs = i2_json(rack.labdir, "runs", "list", "--kind", "rack", site=rack.site)
        rack.run_id = runs[0]["id"] if runs else ""
        done = {k for k, (s, _) in rack.steps().items() if s == "done"} if rack.run_id else set()
        return {"c02-leaf1/verify", "c02-leaf2/verify"} <= done and any(k.endswith("/enroll") for k in done)

    wait_until(under_way, 600, "the leaves verified and a server enrolled")
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(600)  # graceful: the steps in flight finish first
    text = err.read_text()
    assert code == 130, text
    assert f"run {rack.run_id}: interrupted: resume with `i2 runs resume {rack.run_id}`" in text
    run = i2_json(rack.labdir, "runs", "show", rack.run_id, site=rack.site)
    assert (run["status"], run["owner"], run["error"]) == ("interrupted", None, "stopped on request")
    statuses = {s for s, _ in rack.steps().values()}
    assert "running" not in statuses and "pending" in statuses


def test_hazard5_resume_on_an_edited_site_is_refused_then_replanned(rack: Rack) -> None:
    assert rack.run_id, "needs the interrupted run of the test before"
    before = rack.steps()
    rack_file = rack.site / "racks" / "c02.yaml"
    data = yaml.safe_load(rack_file.read_text())
    data["servers"] = [s for s in data["servers"] if s["name"] != "c02-s08"]  # c02-s08 leaves the rack
    data["cables"] = [c for c in data["cables"] if not c["a"].startswith("c02-s08:")]
    rack_file.write_text(yaml.safe_dump(data, sort_keys=False))

    refused = rack.i2("-o", "json", "runs", "resume", rack.run_id)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"`i2 runs resume {rack.run_id} --replan`" in refused.stderr
    drift = yaml.safe_load(refused.stdout)
    pending_s08 = sorted(k for k, (s, _) in before.items() if k.startswith("c02-s08/") and s != "done")
    assert pending_s08 and sorted(drift["removed"]) == pending_s08, drift
    assert "overcloud/ie1-new/render" in drift["changed"]  # it scales out by seven servers now
    assert drift["added"] == []
    assert rack.steps() == before  # refused: nothing ran

    res = rack.i2("-o", "json", "runs", "resume", rack.run_id, "--replan")
    assert res.returncode == 0, res.stdout + res.stderr
    assert i2_json(rack.labdir, "runs", "show", rack.run_id, site=rack.site)["status"] == "succeeded"
    after = rack.steps()
    assert not [k for k in pending_s08 if k in after]
    # done steps were kept, never run again
    assert {k: v for k, v in after.items() if k in before and before[k][0] == "done"} == \
        {k: v for k, v in before.items() if v[0] == "done"}
    assert hypervisors(rack.labdir) >= {f"{s}.ie1.example.net" for s in C02[:7]}
    assert "c02-s08.ie1.example.net" not in hypervisors(rack.labdir)


def test_the_rack_ends_as_on_train_inspected_by_the_agent(rack: Rack) -> None:
    assert rack.run_id, "needs the resumed run of the tests before"
    left = C02[:7]  # c02-s08 left the rack
    outcome, want = rack_outcome(rack.labdir, rack.run_id), c02_outcome()
    assert {s: outcome.get(s) for s in left} == {s: want[s] for s in left}

    log = [json.loads(line) for line in
           (rack.labdir / "ironic" / "uc-new" / "api-versions.jsonl").read_text().splitlines() if line]
    assert not [r for r in log if r["service"] == "inspector"]
    # i2 names a node by its name or its UUID in the path: either counts
    names = {n["server"]: {n["server"], n["uuid"]} for n in ironic_nodes(rack.labdir) if n["server"] in left}
    assert len(names) == 7
    inspected = Counter(str(r["path"]).split("/")[3] for r in log if r.get("target") == "inspect"
                        and r["method"] == "PUT" and r["status"] == 202)
    assert all(ids & set(inspected) for ids in names.values()), inspected
    # the inventory read the agent way (API 1.81), which Train's 1.58 does not offer
    read = {str(r["path"]).split("/")[3] for r in log if r["method"] == "GET"
            and str(r["path"]).endswith("/inventory") and r["status"] == 200}
    assert all(ids & read for ids in names.values()), read
