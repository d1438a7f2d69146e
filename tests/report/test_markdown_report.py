"""The Markdown report of stored twin runs: what ran, on which site digest and endpoints, when,
who, each device's or application's outcome, quarantines with reasons, evidence, how to go on."""

from __future__ import annotations

from pathlib import Path

from lifecycle.model import load_site
from lifecycle.report.build import build_report
from lifecycle.report.markdown import render_markdown
from tests.report.stored import CAMPAIGN, DEMO, SITE, copy, fail_step, open_store, run_of

MISWIRED = ("c02-s03 nic1 (94:40:c9:03:03:01): LLDP sees c02-leaf1 Ethernet99, the cabling plan says "
            "c02-leaf1 Ethernet3")


def section(md: str, title: str) -> str:
    """The text of one ``## title`` section."""
    _, _, rest = md.partition(f"\n## {title}\n")
    assert rest, f"no section {title!r}"
    return rest.split("\n## ", 1)[0]


def rows(text: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("|---")]


def test_rack_report(tmp_path: Path):
    db = copy(tmp_path, DEMO)
    with open_store(db) as st:
        run_id = run_of(st, "rack")
    fail_step(db, run_id, "c02-s03/check", MISWIRED)
    with open_store(db) as st:
        run = st.get_run(run_id)
        md = render_markdown(build_report(st, run_id, load_site(SITE)))
    assert md.startswith(f"# i2 rack run {run_id}: rack:c02 — partial\n")
    head = dict((r[0], r[1]) for r in rows(md.split("\n## ", 1)[0]) if len(r) == 2)
    assert head["Site digest"] == f"`{run.site_digest}`"
    assert head["Endpoints"] == run.params["endpoints_file"]
    assert head["Started"] == run.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert head["Who"] == "(not recorded) on (not recorded)"
    table = {r[1]: r for r in rows(section(md, "Outcome"))[1:]}
    assert {f"c02-s0{i}" for i in range(1, 9)} <= set(table)
    assert table["c02-s03"][2] == "**check failed**" and "Ethernet99" in table["c02-s03"][4]
    assert table["c02-s01"][2] == "hypervisor" and "CPUs" in table["c02-s01"][3]
    assert "- **server:c02-s03**: check failed: c02-s03 nic1" in section(md, "Quarantines")
    rack = section(md, "Racks")
    assert "| 6 | c02-s03 | 1U | dl360g9-compute | ComputeNuage | quarantined |" in rack
    fabric = section(md, "Fabric")
    assert "| c02-s03:nic1 — c02-leaf1:Ethernet3 | server | **miswired** | c02-leaf1:Ethernet99 |" in fabric
    assert "1 miswired" in fabric and "planned" in fabric
    assert "| c02-leaf1 | lldp Ethernet49/1 | pass |" in section(md, "Evidence")
    assert f"- Resume: `i2 runs resume {run_id}`" in section(md, "Next")


def test_upgrade_report_has_the_timeline_of_every_application(tmp_path: Path):
    with open_store(copy(tmp_path, DEMO)) as st:
        run_id = run_of(st, "upgrade")
        doc = build_report(st, run_id, load_site(SITE))
    md = render_markdown(doc)
    timeline = rows(section(md, "Timeline"))
    assert timeline[0][:2] == ["Wave", "Application"] and "volumes_moved" in timeline[0]
    lanes = {r[1]: r for r in timeline[1:]}
    assert set(lanes) == {ln.app for ln in doc.timeline.lanes} and len(lanes) == 12
    assert lanes["billing/qa"][0] == "wave2" and lanes["notifications/prd"][0] == "wave1"
    assert lanes["billing/qa"][-2].endswith(" ms") and lanes["notifications/prd"][-2] == "-"
    assert "| app | billing/qa | moved |" in section(md, "Outcome")
    assert "no rollback" in section(md, "Next")


def test_aborted_upgrade_says_how_to_roll_back(tmp_path: Path):
    with open_store(copy(tmp_path, CAMPAIGN)) as st:
        md = render_markdown(build_report(st, run_of(st, "upgrade", "aborted"), load_site(SITE)))
    nxt = section(md, "Next")
    assert "Roll back:" in nxt and "`i2 upgrade rollback orders`" in nxt
    assert "soak running" in section(md, "Outcome")
    assert section(md, "Timeline").count("| not measured |") == 2  # aborted before its evidence step
