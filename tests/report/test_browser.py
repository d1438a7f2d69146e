"""The HTML report in a real browser (Debian's headless Chromium over the DevTools protocol): the
page loads with no console error and no request but itself, every picture's elements are there
and visible, a quarantined server and a miswired cable show as such, the tables sort and filter
without a server, the page prints, and a screenshot is written under the test's directory.

Built from a hand-made document and from the stored twin runs (``tests/data/runstores``, on
``examples/ie1``); ``tests/runbooks/test_rack_twin_faults.py`` renders a live twin run's with
its real miswire and quarantines."""

from __future__ import annotations

import base64
import struct
from pathlib import Path
from typing import Any

from lifecycle.model import load_site
from lifecycle.report.build import build_report
from lifecycle.report.document import Report
from lifecycle.report.html import render_html
from lifecycle.report.svg import OUTCOME_COLOURS
from tests.report.chromium import Chromium, Page
from tests.report.conftest import HOSTILE
from tests.report.stored import CAMPAIGN, DEMO, SITE, copy, fail_step, open_store, run_of

MISWIRED = ("c02-s03 nic1 (94:40:c9:03:03:01): LLDP sees c02-leaf1 Ethernet4, the cabling plan says "
            "c02-leaf1 Ethernet3")


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def rgb(colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(colour[i:i + 2], 16) for i in (1, 3, 5)))


def show(chromium: Chromium, doc: Report, out: Path) -> Page:
    """``doc`` rendered to ``out``/report.html and loaded: nothing in the console, nothing fetched;
    a screenshot of the whole page written beside it."""
    html = out / "report.html"
    html.write_text(render_html(doc))
    page = chromium.page()
    loaded = page.load(html)
    assert loaded.errors == []
    assert loaded.requests == [loaded.url] and loaded.foreign_requests() == []
    shot = page.screenshot(out / "report.png")
    width, height = png_size(shot)
    assert width >= 1000 and height > 600
    return page


def visible(page: Page, selector: str) -> list[Any]:
    """How many elements ``selector`` finds take room on the page (a straight line has no height)."""
    return page.evaluate(
        f"Array.from(document.querySelectorAll('{selector}')).filter(e => {{"
        " const r = e.getBoundingClientRect(); return r.width > 0 || r.height > 0; }).length")


def test_hand_built_report(chromium: Chromium, sample: Report, tmp_path: Path):
    page = show(chromium, sample, tmp_path)
    try:
        assert page.evaluate("typeof window.pwned") == "undefined"  # escaped text never ran
        servers = [s for r in sample.racks for s in r.servers]
        assert page.count("svg.elevation") == len(sample.racks)
        assert visible(page, "svg.elevation [data-server]") == len(servers)
        names = page.attrs("svg.elevation [data-server]", "data-server")
        assert sorted(names) == sorted(s.name for s in servers)
        assert visible(page, "svg.fabric [data-cable]") == len(sample.fabric.cables)
        assert visible(page, "svg.timeline g.lane") == len(sample.timeline.lanes)
        # the quarantined server: its colour, and why on hover
        q = '[data-server="c02-s02"]'
        assert page.attrs(q, "data-outcome") == ["quarantined"]
        assert page.evaluate(f"getComputedStyle(document.querySelector('{q} rect')).fill") == \
            rgb(OUTCOME_COLOURS["quarantined"])
        assert page.evaluate(f"document.querySelector('{q} > title').textContent").endswith(
            f"quarantined: LLDP sees c02-leaf1 Ethernet4 {HOSTILE}")
        # the miswired cable: red, the port seen on the picture
        m = '[data-cable="c02-leaf1:Ethernet2-c02-s02:nic1"]'
        assert page.attrs(m, "data-status") == ["miswired"]
        assert page.evaluate(f"document.querySelector('{m} text').textContent") == "seen c02-leaf1:Ethernet4"
        sort_and_filter(page, sample)
        pdf = page.send("Page.printToPDF", printBackground=True)["data"]
        assert base64.b64decode(pdf)[:5] == b"%PDF-"
    finally:
        page.close()


def sort_and_filter(page: Page, doc: Report) -> None:
    names = "Array.from(document.querySelectorAll('#outcomes-table tbody tr'), r => r.cells[1].textContent)"
    th = "document.querySelectorAll('#outcomes-table thead th')[1]"
    page.evaluate(f"{th}.click()")
    assert page.evaluate(names) == sorted((o.name for o in doc.outcomes), key=str.lower)
    page.evaluate(f"{th}.click()")
    assert page.evaluate(names) == sorted((o.name for o in doc.outcomes), key=str.lower, reverse=True)
    page.evaluate("(() => { const i = document.querySelector('input[data-filter=\"outcomes-table\"]');"
                  " i.value = 'quarantined c02'; i.dispatchEvent(new Event('input')); })()")
    shown = page.evaluate("Array.from(document.querySelectorAll('#outcomes-table tbody tr'))"
                          ".filter(r => !r.hidden).map(r => r.cells[1].textContent)")
    assert shown == ["c02-s02"]


def rack_devices(site: Any, rack: str) -> tuple[set[str], set[str]]:
    """A rack's servers, and the ids of every cable of its cabling plan (a leaf's or server's)."""
    servers = {s.name for s in site.servers_in(rack)}
    devices = servers | {leaf.name for leaf in site.rack(rack).leaves.leaves}
    cables = {f"{c.a}-{c.b}" for c in site.cables if {c.split(c.a)[0], c.split(c.b)[0]} & devices}
    return servers, cables


def test_stored_rack_run(chromium: Chromium, tmp_path: Path):
    """Every server of rack c02 in its elevation and every cable of c02 in the fabric, as the site
    plans them (not as the builder chose them); the stored run proved them all as planned."""
    site = load_site(SITE)
    db = copy(tmp_path)
    with open_store(db) as st:
        doc = build_report(st, run_of(st, "rack"), site)
    page = show(chromium, doc, tmp_path)
    try:
        servers, cables = rack_devices(site, "c02")
        assert page.attrs("svg.elevation", "data-rack") == ["c02"]
        assert set(page.attrs('svg.elevation[data-rack="c02"] [data-server]', "data-server")) == servers
        assert visible(page, "svg.elevation [data-server]") == len(servers)
        assert set(page.attrs("svg.fabric [data-cable]", "data-cable")) == cables
        assert visible(page, "svg.fabric [data-cable]") == len(cables)
        assert set(page.attrs("svg.fabric [data-cable]", "data-status")) == {"planned"}
        assert set(page.attrs("svg.elevation [data-server]", "data-outcome")) == {"hypervisor"}
    finally:
        page.close()


def test_stored_rack_run_with_a_miswire_and_a_quarantine(chromium: Chromium, tmp_path: Path):
    """The stored run with c02-s03's check failed as the twin's miswire fails it (the engine's
    records edited, ``tests/report/stored.py``): quarantined, and its cable miswired."""
    db = copy(tmp_path)
    with open_store(db) as st:
        run_id = run_of(st, "rack")
    fail_step(db, run_id, "c02-s03/check", MISWIRED)
    with open_store(db) as st:
        doc = build_report(st, run_id, load_site(SITE))
    page = show(chromium, doc, tmp_path)
    try:
        s03 = '[data-server="c02-s03"]'
        assert page.attrs(f"svg.elevation {s03}", "data-outcome") == ["quarantined"]
        assert MISWIRED in page.evaluate(f"document.querySelector('svg.elevation {s03} > title').textContent")
        bad = page.evaluate("Array.from(document.querySelectorAll('svg.fabric [data-status=\"miswired\"]'),"
                            " e => [e.dataset.cable, e.querySelector('title').textContent,"
                            " e.querySelector('text').textContent])")
        assert len(bad) == 1 and "c02-s03:nic1" in bad[0][0] and "c02-leaf1:Ethernet3" in bad[0][0]
        assert bad[0][1].endswith("LLDP saw c02-leaf1:Ethernet4 instead")
        assert bad[0][2] == "seen c02-leaf1:Ethernet4"
        assert page.count("#quarantines-table tbody tr") >= 1
    finally:
        page.close()


def moved_apps(steps: list[Any]) -> set[str]:
    """The application environments a run put in service on B (from the run's steps)."""
    return {f"{s.params['app']}/{s.params['env']}" for s in steps
            if s.target.startswith("app:") and s.key.endswith("/in-service") and str(s.status) == "done"}


def test_stored_upgrades(chromium: Chromium, tmp_path: Path):
    """The demo's whole campaign and the campaign store's second upgrade: every moved application
    in the timeline, with its phases; the aborted one too, with what it did before it stopped."""
    site = load_site(SITE)
    checked = 0
    for name in (DEMO, CAMPAIGN):
        db = copy(tmp_path, name)
        with open_store(db) as st:
            runs = [r for r in st.list_runs() if r.kind == "upgrade"]
            docs = [(r, st.get_steps(r.id), build_report(st, r.id, site)) for r in runs]
        for run, steps, doc in docs:
            out = tmp_path / run.id
            out.mkdir()
            page = show(chromium, doc, out)
            try:
                apps = moved_apps(steps)
                lanes = page.attrs("svg.timeline g.lane", "data-app")
                assert apps <= set(lanes) and len(lanes) == len(set(lanes)), (run.id, apps, lanes)
                assert visible(page, "svg.timeline g.lane") == len(lanes)
                for app in apps:
                    phases = page.attrs(f'svg.timeline g.lane[data-app="{app}"] [data-phase]', "data-phase")
                    assert {"b_built", "in_service"} <= set(phases), (app, phases)
                checked += len(apps)
            finally:
                page.close()
    assert checked >= 12  # the demo's campaign alone moves 12 application environments
