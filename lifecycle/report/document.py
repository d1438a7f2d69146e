"""The report of a run as data: what the builders (one per runbook) produce from the run store and
the site model, and what every renderer (Markdown, HTML, JSON) reads. Nothing here queries a live
system; ``-o json`` is this document as it is (schema ``i2.report/1``, see docs/reports.md).

>>> doc = Report(run=RunInfo(id="r1", kind="rack", target="rack:c02", status="succeeded"))
>>> doc.model_dump(mode="json", by_alias=True)["schema"]
'i2.report/1'
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "i2.report/1"


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunInfo(Part):
    """What ran, where, when and by whom."""

    id: str
    kind: str  # rack | upgrade | buildout | overcloud | recommission
    target: str
    status: str
    site: str = ""
    site_digest: str = ""
    endpoints: str = ""  # the endpoints file (a path, never its secrets)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    user: str = ""
    host: str = ""
    error: str | None = None


class Outcome(Part):
    """One device, server, cloud or application of the run and where it ended."""

    kind: str  # switch | server | overcloud | app | undercloud | dc ...
    name: str
    state: str  # e.g. available, hypervisor, verified, moved, quarantined, failed
    evidence: str = ""
    error: str | None = None
    quarantined: bool = False


class Quarantine(Part):
    target: str
    reason: str


class Check(Part):
    """A piece of evidence: a check that passed or failed, an inspected fact, a probe's window."""

    name: str
    target: str = ""
    result: Literal["pass", "fail", "skip", "info"] = "info"
    detail: str = ""


class Server(Part):
    """A server in a rack elevation: its U (lowest), its height, and how the run left it."""

    name: str
    u: int
    height: int = 1
    profile: str = ""
    role: str = ""
    outcome: str = ""  # available | hypervisor | deployed | quarantined | failed | untouched ...
    reason: str = ""  # why (shown on hover), e.g. the quarantine's error


class Rack(Part):
    name: str
    dc: str = ""
    units: int = 42
    leaves: list[str] = Field(default_factory=list)  # the leaf pair, drawn at the top
    servers: list[Server] = Field(default_factory=list)


class FabricNode(Part):
    name: str
    role: Literal["spine", "leaf", "server", "cvx", "other"]
    rack: str = ""


class Cable(Part):
    """A planned cable, coloured by what LLDP proved."""

    a: str
    a_port: str
    b: str
    b_port: str
    kind: Literal["uplink", "peer", "server", "other"] = "other"
    status: Literal["planned", "miswired", "not_seen", "unknown"] = "unknown"
    seen: str = ""  # for a miswired cable: the neighbour and port LLDP saw instead


class Fabric(Part):
    nodes: list[FabricNode] = Field(default_factory=list)
    cables: list[Cable] = Field(default_factory=list)


class Span(Part):
    name: str  # a phase (b_built, volumes_moved, in_service, soak, a_retired), "freeze" or "downtime"
    start: datetime
    end: datetime
    detail: str = ""


class Lane(Part):
    """One application environment in an upgrade's timeline."""

    app: str
    wave: int = 0  # the wave's place in the campaign (1, 2, ...); 0: unknown
    wave_name: str = ""  # added: the wave's name in the site's upgrade section
    phases: list[Span] = Field(default_factory=list)
    freezes: list[Span] = Field(default_factory=list)
    downtime: list[Span] = Field(default_factory=list)
    downtime_ms: float = 0.0
    probed: bool = False  # added: the probes measured this move (else downtime_ms says nothing)
    both_serving_ms: float | None = None  # the window in which A and B both served


class Timeline(Part):
    start: datetime | None = None
    end: datetime | None = None
    lanes: list[Lane] = Field(default_factory=list)


class Next(Part):
    """How to go on: the commands an operator runs next."""

    resume: str = ""
    rollback: str = ""
    notes: list[str] = Field(default_factory=list)


class Report(Part):
    schema_: str = Field(default=SCHEMA, alias="schema")
    run: RunInfo
    outcomes: list[Outcome] = Field(default_factory=list)
    quarantines: list[Quarantine] = Field(default_factory=list)
    evidence: list[Check] = Field(default_factory=list)
    racks: list[Rack] = Field(default_factory=list)
    fabric: Fabric | None = None
    timeline: Timeline | None = None
    next: Next = Field(default_factory=Next)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
