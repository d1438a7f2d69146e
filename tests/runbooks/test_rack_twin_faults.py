"""`i2 rack apply c02` on the twin with a miswire and a dead BMC, killed -9 halfway: the killed
run keeps what it acts on (hazard 2), the faults are confined to their servers and the resumed run
doubles nothing in OneView or Ironic. One lab for the module; the tests run in file order."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runbooks.twin import C02, ROOT, env, i2, i2_json, ironic_nodes, lab, oneview_profiles, wait_until

pytestmark = [pytest.mark.needs_root("ZTP's mount namespaces need root"),
              pytest.mark.slow(200)]


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The lab, and the id of its `i2 rack apply c02` run killed -9 once three servers are enrolled."""
    faults = "cable.miswire=c02-s03:nic1~c02-s04:nic1,bmc.dead=c02-s05"
    with lab(tmp_path_factory.mktemp("faults") / "lab", faults=faults) as labdir:
        proc = subprocess.Popen([sys.executable, "-m", "lifecycle.cli.main", "-o", "json", "rack", "apply",
                                 "c02", "--yes", "--max-fail-percent", "60"], cwd=ROOT, env=env(labdir),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def some_enrolled() -> bool:
            try:
                db = sqlite3.connect(labdir / "runs.db")
                n = db.execute("select count(*) from steps where key like '%/enroll' and status='done'"
                               ).fetchone()[0]
                db.close()
                return n >= 3
            except sqlite3.Error:
                return False

        wait_until(some_enrolled, 600, "three servers enrolled")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        yield labdir, i2_json(labdir, "runs", "list")[0]["id"]


def test_hazard2_a_killed_rack_run_keeps_its_cloud_s_stack_from_other_runs(killed: tuple[Path, str]) -> None:
    """The rack run scales ie1-new out once its servers are provided: until it is resumed or
    aborted, no other run may deploy ie1-new's stack from the same undercloud directory."""
    labdir, run_id = killed
    res = i2(labdir, "overcloud", "deploy", "ie1-new", "--yes", timeout=300)
    assert res.returncode == 1, res.stdout + res.stderr
    assert re.search(rf"run {run_id} \(running\), the rack run on rack:c02, holds stack:ie1-new, "
                     r"undercloud:uc-new: resume or abort it first", res.stderr), res.stderr
    assert i2_json(labdir, "runs", "list", "--kind", "overcloud") == []  # refused before any run


def test_faults_are_confined_and_kill_9_resumes(killed: tuple[Path, str]) -> None:
    labdir, run_id = killed
    res = i2(labdir, "-o", "json", "runs", "resume", run_id, "--max-fail-percent", "60")
    assert res.returncode == 1, res.stdout + res.stderr  # partial: three servers quarantined
    report = i2_json(labdir, "rack", "report", run_id, ok=(1,))
    devices = {d["device"]: d for d in report["devices"]}
    assert devices["c02-s03"]["state"] == "check failed"
    assert ("c02-s03 nic1 (94:40:c9:03:03:01): LLDP sees c02-leaf1 Ethernet4, the cabling plan says "
            "c02-leaf1 Ethernet3") in devices["c02-s03"]["error"]
    assert devices["c02-s04"]["state"] == "check failed"
    assert "LLDP sees c02-leaf1 Ethernet3" in devices["c02-s04"]["error"]
    # OneView cannot power a server whose iLO is dead: that server stops at its profile
    assert devices["c02-s05"]["state"] == "profile failed", devices["c02-s05"]
    assert "c02-s05: OneView task failed (ILO_UNREACHABLE): Unable to communicate with the iLO" in \
        devices["c02-s05"]["error"]
    ok = [s for s in C02 if s not in ("c02-s03", "c02-s04", "c02-s05")]
    # provided, but the rack scales its cloud out as a whole: once every server is provided
    assert all(devices[s]["state"] == "hypervisor skipped" for s in ok), report
    assert devices["ie1-new"]["state"] == "render skipped"
    # nothing doubled by the kill: one profile and one node per server (none for the dead iLO)
    profiles = oneview_profiles(labdir)
    assert max(profiles.values()) == 1 and set(profiles) >= set(C02) - {"c02-s05"}, profiles
    names = Counter(n["server"] for n in ironic_nodes(labdir) if n["state"] != "not enrolled")
    assert names == Counter({s: 1 for s in C02 if s != "c02-s05"})
    states = {n["server"]: n["state"] for n in ironic_nodes(labdir)}
    assert states["c02-s03"] == "manageable"  # quarantined: never provided
    assert {states[s] for s in ok} == {"available"}
