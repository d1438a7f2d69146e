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


def test_the_html_report_shows_the_miswire_and_quarantines(killed: tuple[Path, str], tmp_path: Path) -> None:
    """Issue 17: `i2 runs report --html` of the resumed run (the test above), loaded in headless
    Chromium: no console error, no request; every server of c02 in its elevation, the miswired and
    the dead-iLO servers quarantined with why on hover; every cable of c02's cabling plan in the
    fabric, the two swapped NICs' cables miswired with the port LLDP saw."""
    from lifecycle.model import load_site
    from tests.report.chromium import launch
    from tests.runbooks.twin import SITE

    labdir, run_id = killed
    html = tmp_path / "report.html"
    res = i2(labdir, "runs", "report", run_id, "--html", str(html))
    assert res.returncode == 0 and html.is_file(), res.stdout + res.stderr
    site = load_site(SITE)
    devices = set(C02) | {leaf.name for leaf in site.rack("c02").leaves.leaves}
    cables = {f"{c.a}-{c.b}": frozenset({c.a, c.b}) for c in site.cables
              if {c.split(c.a)[0], c.split(c.b)[0]} & devices}
    browser = launch()
    try:
        page = browser.page()
        loaded = page.load(html)
        assert loaded.errors == [] and loaded.foreign_requests() == [], loaded
        outcome = dict(zip(page.attrs("svg.elevation [data-server]", "data-server"),
                           page.attrs("svg.elevation [data-server]", "data-outcome"), strict=True))
        assert set(outcome) == set(C02)
        assert {s for s, o in outcome.items() if o == "quarantined"} == {"c02-s03", "c02-s04", "c02-s05"}
        why = dict(zip(page.attrs("svg.elevation [data-server]", "data-server"),
                       page.texts("svg.elevation [data-server] > title"), strict=True))
        assert "LLDP sees c02-leaf1 Ethernet4, the cabling plan says c02-leaf1 Ethernet3" in why["c02-s03"]
        assert "LLDP sees c02-leaf1 Ethernet3" in why["c02-s04"] and "ILO_UNREACHABLE" in why["c02-s05"]
        status = dict(zip(page.attrs("svg.fabric [data-cable]", "data-cable"),
                          page.attrs("svg.fabric [data-cable]", "data-status"), strict=True))
        assert set(status) == set(cables)
        miswired = {cables[c]: page.attrs(f'svg.fabric [data-cable="{c}"]', "data-seen")[0]
                    for c, s in status.items() if s == "miswired"}
        swapped = {frozenset({"c02-leaf1:Ethernet3", "c02-s03:nic1"}): "c02-leaf1:Ethernet4",
                   frozenset({"c02-leaf1:Ethernet4", "c02-s04:nic1"}): "c02-leaf1:Ethernet3"}
        assert miswired == swapped, miswired
        assert page.screenshot(tmp_path / "report.png").stat().st_size > 10_000
    finally:
        browser.close()
