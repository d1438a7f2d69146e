"""The HTML report's fixtures: hand-built documents (every picture, every status, hostile text),
reports built from the stored twin runs of ``tests/data/runstores`` on ``examples/ie1``, and a
headless Chromium (skipped without one on a developer's machine, a failure under ``CI``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from lifecycle.report.document import (
    Cable,
    Check,
    Fabric,
    FabricNode,
    Lane,
    Next,
    Outcome,
    Quarantine,
    Rack,
    Report,
    RunInfo,
    Server,
    Span,
    Timeline,
)
from tests.report.chromium import Chromium, launch

HOSTILE = '<img src="x" onerror="window.pwned=1">&amp;"\''  # text that would be markup if unescaped


def sample_report(hostile: str = HOSTILE) -> Report:
    """A rack run and an upgrade in one document: two racks (a quarantined, a failed, an untouched
    and a 2U server), a fabric with cables of every status, two waves of lanes."""
    t0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)

    def at(s: float) -> datetime:
        return t0 + timedelta(seconds=s)

    servers = [Server(name="c02-s01", u=1, profile="dl360g9-compute", outcome="hypervisor"),
               Server(name="c02-s02", u=2, profile="dl360g9-compute", outcome="quarantined",
                      reason=f"LLDP sees c02-leaf1 Ethernet4 {hostile}"),
               Server(name="c02-s03", u=3, height=2, profile="dl380g9-compute-large", outcome="failed",
                      reason="OneView task failed (ILO_UNREACHABLE)"),
               Server(name="c02-s04", u=5, outcome="untouched", reason="not part of this run")]
    racks = [Rack(name="c02", dc="dc1", units=12, leaves=["c02-leaf1", "c02-leaf2"], servers=servers),
             Rack(name="c03", units=8, leaves=["c03-leaf1", "c03-leaf2"],
                  servers=[Server(name=f"c03-{hostile}", u=1, outcome="available")])]
    nodes = [FabricNode(name="sp1", role="spine"), FabricNode(name="sp2", role="spine")]
    nodes += [FabricNode(name=leaf, role="leaf", rack=r.name) for r in racks for leaf in r.leaves]
    nodes += [FabricNode(name=s.name, role="server", rack=r.name) for r in racks for s in r.servers]
    leaves = ["c02-leaf1", "c02-leaf2", "c03-leaf1", "c03-leaf2"]
    cables = [Cable(a=leaf, a_port=f"Ethernet49/{i}", b=f"sp{i}", b_port=f"Ethernet{n}/1", kind="uplink",
                    status="planned") for n, leaf in enumerate(leaves, 1) for i in (1, 2)]
    cables += [Cable(a=f"{r}-leaf1", a_port=f"Ethernet5{i}/1", b=f"{r}-leaf2", b_port=f"Ethernet5{i}/1",
                     kind="peer", status="planned") for r in ("c02", "c03") for i in (5, 6)]
    for j, s in enumerate(servers, 1):
        status = {"c02-s02": "miswired", "c02-s04": "not_seen"}.get(s.name, "planned")
        cables += [Cable(a="c02-leaf1", a_port=f"Ethernet{j}", b=s.name, b_port="nic1", kind="server",
                         status=status, seen="c02-leaf1:Ethernet4" if status == "miswired" else ""),
                   Cable(a="c02-leaf2", a_port=f"Ethernet{j}", b=s.name, b_port="nic2", kind="server",
                         status="unknown" if s.name == "c02-s04" else "planned")]
    cables.append(Cable(a="c03-leaf1", a_port="Ethernet1", b=f"c03-{hostile}", b_port="nic1", kind="server",
                        status="miswired", seen=hostile))
    phases = ["b_built", "volumes_moved", "in_service", "soak", "a_retired"]
    lanes = []
    for k, app in enumerate(["shop/prd", "shop/qa", f"x{hostile}/prd", "billing/prd"]):
        wave, base = (1, k * 10) if k < 2 else (2, 600 + k * 10)
        spans = [Span(name=p, start=at(base + 60 * i), end=at(base + 60 * i + 55))
                 for i, p in enumerate(phases)]
        lanes.append(Lane(app=app, wave=wave, wave_name=f"w{wave}", phases=spans,
                          freezes=[Span(name="freeze", start=at(base + 62), end=at(base + 70),
                                        detail="write freeze 8000 ms (probes)")],
                          downtime=[Span(name="downtime", start=at(base + 180),
                                         end=at(base + 180.3), detail=f"http 502 {hostile}")]
                          if k % 2 == 0 else [],
                          downtime_ms=300.0 if k % 2 == 0 else 0.0, both_serving_ms=1200.0))
    return Report(
        run=RunInfo(id="run-1", kind="upgrade", target="upgrade:ie1-old>ie1-new", status="partial",
                    site="ie1", site_digest="sha256:abc", endpoints="/etc/i2/endpoints.yaml",
                    started_at=t0, finished_at=at(1300), user="ops", host="jump1", error=f"boom {hostile}"),
        outcomes=[Outcome(kind="server", name=s.name, state=s.outcome, evidence=f"64 CPUs {hostile}",
                          error=s.reason or None, quarantined=s.outcome == "quarantined") for s in servers]
        + [Outcome(kind="app", name=lane.app, state="moved", evidence="downtime 300 ms") for lane in lanes],
        quarantines=[Quarantine(target="server:c02-s02", reason=f"LLDP sees c02-leaf1 Ethernet4 {hostile}")],
        evidence=[Check(name="mlag", target="c02-leaf1", result="pass", detail="state active"),
                  Check(name="lldp Ethernet1", target="c02-leaf1", result="fail", detail=hostile)],
        racks=racks, fabric=Fabric(nodes=nodes, cables=cables),
        timeline=Timeline(lanes=lanes),
        next=Next(resume="i2 runs resume run-1", rollback="i2 upgrade rollback shop",
                  notes=[f"note {hostile}"]))


@pytest.fixture
def sample() -> Report:
    return sample_report()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    browser = launch()
    yield browser
    browser.close()
