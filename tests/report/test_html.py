"""The HTML report without a browser: each picture's SVG parsed as XML (well formed, so every text
was escaped), every server, cable and lane present where and as it should be, and the page
self-contained (nothing it could fetch)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from lifecycle.report.document import Fabric, Rack, Report, RunInfo, Server, Timeline
from lifecycle.report.html import render_html
from lifecycle.report.svg import CABLE_COLOURS, OUTCOME_COLOURS
from lifecycle.report.svg.fabric import cable_id, fabric
from lifecycle.report.svg.rack import U_H, elevation
from lifecycle.report.svg.timeline import timeline
from tests.report.conftest import HOSTILE, sample_report

NS = {"s": "http://www.w3.org/2000/svg"}


def xml(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def by(root: ET.Element, attr: str) -> dict[str, ET.Element]:
    return {e.get(attr): e for e in root.iter() if e.get(attr) is not None}


def title_of(e: ET.Element) -> str:
    return e.find("s:title", NS).text


def test_every_server_sits_at_its_u_coloured_by_its_outcome(sample: Report):
    for rack in sample.racks:
        root = xml(elevation(rack))
        assert root.get("data-rack") == rack.name
        numbers = [int(t.text) for t in root.iter(f"{{{NS['s']}}}text") if t.get("class") == "u-number"]
        assert sorted(numbers) == list(range(1, rack.units + 1))
        frame = next(e for e in root.iter() if e.get("class") == "frame")
        bottom = float(frame.get("y")) + float(frame.get("height"))
        servers = by(root, "data-server")
        assert set(servers) == {s.name for s in rack.servers}
        for s in rack.servers:
            g = servers[s.name]
            rect = g.find("s:rect", NS)
            assert g.get("data-outcome") == s.outcome and int(g.get("data-u")) == s.u
            assert rect.get("fill") == OUTCOME_COLOURS[s.outcome]
            # the box spans its units: its bottom edge on U(u-1)'s top, its height `height` units
            assert float(rect.get("y")) + float(rect.get("height")) + 1 == bottom - (s.u - 1) * U_H
            assert float(rect.get("height")) + 2 == s.height * U_H
            assert s.name in title_of(g) and s.outcome in title_of(g)
            if s.reason:
                assert s.reason in title_of(g)  # why, on hover: the text itself, unescaped by the parser
        assert {e.get("data-legend-outcome") for e in root.iter() if e.get("data-legend-outcome")} == \
            set(OUTCOME_COLOURS)
        leaves = by(root, "data-leaf")
        assert list(leaves) == rack.leaves
        assert all(float(g.find("s:rect", NS).get("y")) < float(frame.get("y")) for g in leaves.values())


def test_a_quarantined_server_says_why_on_hover(sample: Report):
    g = by(xml(elevation(sample.racks[0])), "data-server")["c02-s02"]
    assert g.get("data-outcome") == "quarantined"
    assert g.find("s:rect", NS).get("fill") == OUTCOME_COLOURS["quarantined"]
    assert title_of(g).endswith(f"quarantined: LLDP sees c02-leaf1 Ethernet4 {HOSTILE}")


def test_a_server_outside_the_rack_s_units_is_still_shown():
    rack = Rack(name="c09", units=4,
                servers=[Server(name="c09-s01", u=1), Server(name="c09-s07", u=7, height=2)])
    root = xml(elevation(rack))
    assert set(by(root, "data-server")) == {"c09-s01", "c09-s07"}
    assert "no place in this rack's units:" in "".join(root.itertext())


def test_fabric_every_cable_coloured_by_what_lldp_proved(sample: Report):
    fab = sample.fabric
    root = xml(fabric(fab))
    cables = by(root, "data-cable")
    assert set(cables) == {cable_id(c) for c in fab.cables} and len(cables) == len(fab.cables)
    for c in fab.cables:
        g = cables[cable_id(c)]
        line = g.findall("s:line", NS)[-1]
        assert g.get("data-status") == c.status and line.get("stroke") == CABLE_COLOURS[c.status]
        assert (line.get("stroke-dasharray") is not None) == (c.status in ("not_seen", "unknown"))
        assert f"{c.a}:{c.a_port}" in title_of(g) and f"{c.b}:{c.b_port}" in title_of(g)
        if c.status == "miswired":  # the port seen, on the picture and on hover
            label = g.find("s:text", NS).text  # cut to fit when long (the hostile text is)
            assert label == f"seen {c.seen}" if len(c.seen) < 30 else label.startswith("seen <img")
            assert title_of(g).endswith(f"LLDP saw {c.seen} instead") and g.get("data-seen") == c.seen
    assert {e.get("data-legend-cable") for e in root.iter() if e.get("data-legend-cable")} == \
        {"as planned", "miswired", "not_seen", "unknown"}


def test_fabric_rows_spines_leaves_servers_and_peer_links(sample: Report):
    root = xml(fabric(sample.fabric))
    nodes = by(root, "data-node")
    assert set(nodes) == {n.name for n in sample.fabric.nodes}

    def box(name: str) -> tuple[float, float, float]:
        r = nodes[name].find("s:rect", NS)
        return float(r.get("x")), float(r.get("y")), float(r.get("width"))

    ys = {n.role: box(n.name)[1] for n in sample.fabric.nodes}
    assert ys["spine"] < ys["leaf"] < ys["server"]
    columns = {e.get("data-rack"): e for e in root.iter() if e.get("class") == "rack-column"}
    for rack in sample.racks:  # a rack's servers sit in its column, under its leaves
        r = columns[rack.name].find("s:rect", NS)
        left, right = float(r.get("x")), float(r.get("x")) + float(r.get("width"))
        for name in [*rack.leaves, *(s.name for s in rack.servers)]:
            x, _, w = box(name)
            assert left <= x and x + w <= right, name
    for c in (c for c in sample.fabric.cables if c.kind == "peer"):  # MLAG peer links: leaf to leaf
        line = by(root, "data-cable")[cable_id(c)].findall("s:line", NS)[-1]
        assert line.get("y1") == line.get("y2")
        assert box(c.a)[0] + box(c.a)[2] == float(line.get("x1")) and float(line.get("x2")) == box(c.b)[0]


def test_timeline_lanes_phases_freezes_downtime_and_waves(sample: Report):
    tl = sample.timeline
    root = xml(timeline(tl))
    lanes = by(root, "data-app")
    lane_groups = {e.get("data-app"): e for e in root.iter() if e.get("class") == "lane"}
    assert set(lane_groups) == {ln.app for ln in tl.lanes}
    assert set(lanes) >= set(lane_groups)
    for ln in tl.lanes:
        g = lane_groups[ln.app]
        assert [p.get("data-phase") for p in g if p.get("class") == "phase"] == [p.name for p in ln.phases]
        assert len([e for e in g if e.get("class") == "freeze"]) == len(ln.freezes)
        downs = [e for e in g if e.get("class") == "downtime"]
        assert len(downs) == len(ln.downtime)
        for d in downs:  # 300 ms on a 20 min axis: still drawn, at least 3 px
            rect = d.find("s:rect", NS)
            assert float(rect.get("width")) >= 3 and rect.get("fill") == "#d32f2f"
    waves = [e for e in root.iter() if e.get("class") == "wave"]
    assert [w.get("data-wave") for w in waves] == ["1", "2"]
    assert [w.find("s:text", NS).text for w in waves] == ["wave 1: w1", "wave 2: w2"]
    # the wave 2 separator lies below every wave 1 lane and above every wave 2 lane
    sep = float(waves[1].find("s:line", NS).get("y1"))
    for ln in tl.lanes:
        phase = next(e for e in lane_groups[ln.app] if e.get("class") == "phase")
        y = float(phase.find("s:rect", NS).get("y"))
        assert (y < sep) == (ln.wave == 1)
    ticks = [t.find("s:text", NS).text for t in root.iter() if t.get("class") == "tick"]
    assert 3 <= len(ticks) <= 11 and ticks == sorted(ticks) and ticks[0] == "10:00"


def test_the_page_escapes_every_text_of_the_run(sample: Report):
    page = render_html(sample)
    assert HOSTILE not in page and "<img" not in page and 'onerror="' not in page
    assert page.count("&lt;img src=") >= 10  # names, reasons, evidence, run error, notes ...
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    assert len(svgs) == len(sample.racks) + 2  # elevations, fabric, timeline
    texts = ["".join(xml(s).itertext()) for s in svgs]
    assert sum(HOSTILE in t for t in texts) >= 3  # round-trips as text in elevation, fabric, timeline


def test_the_page_is_self_contained_and_has_every_section():
    sample = sample_report(hostile="x")  # the escaped hostile text would match src= (as text)
    page = render_html(sample)
    assert not re.search(r"<(link|img|iframe|object|embed)\b|@import|url\((?!#)|\bsrc=|href=\"(?!#)", page)
    assert set(re.findall(r"https?://[^\s\"')]+", page)) == {"http://www.w3.org/2000/svg"}  # a namespace
    assert "default-src 'none'" in page  # the browser fetches nothing even if text slipped through
    for text in ("sha256:abc", "/etc/i2/endpoints.yaml", "ops@jump1", "2026-05-01 10:00:00 UTC", "partial",
                 "i2 runs resume run-1", "i2 upgrade rollback shop", "@media print"):
        assert text in page, text
    rows = re.findall(r'<tr data-outcome="', page)
    assert len(rows) == len(sample.outcomes)
    assert page.count("<tr data-quarantine=") == 1 and page.count("<tr data-check=") == 2
    for table in ("outcomes-table", "evidence-table"):
        assert f'data-filter="{table}"' in page and f'<table id="{table}" class="sortable">' in page


def test_a_run_without_site_has_no_pictures():
    run = RunInfo(id="r", kind="overcloud", target="overcloud:ie1-new", status="succeeded")
    page = render_html(Report(run=run, fabric=Fabric(), timeline=Timeline()))
    assert "<svg" not in page and "No device, server or application in this run." in page
    assert 'id="racks"' not in page and 'id="fabric"' not in page and 'id="timeline"' not in page


def test_sample_is_consistent():
    """The hand-built document covers every status and outcome the pictures tell apart."""
    doc = sample_report()
    assert {c.status for c in doc.fabric.cables} == set(CABLE_COLOURS)
    assert {"quarantined", "failed", "untouched", "hypervisor", "available"} <= \
        {s.outcome for r in doc.racks for s in r.servers}
