"""What a synthetic site holds (:class:`Spec`), its numbering plan and who sits in which rack."""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field

LEAF_MODEL = "DCS-7050SX3-48YC8"  # 48 x 25G server ports, QSFP 49-56 (uplinks from 49, MLAG 55/56)
LEAF_SERVER_PORTS = 48
PEER_LINK = ["Ethernet55/1", "Ethernet56/1"]
MAX_SPINES = 6  # uplinks on Ethernet49/1 .. Ethernet54/1
PORTS_PER_CARD = 36
SPINE_MODELS = (("DCS-7504R3", 4), ("DCS-7508R3", 8))  # line cards in slots 3 onwards

SPINE_ASN, LEAF_ASN_BASE = 65000, 65100
MGMT = ipaddress.IPv4Network("10.0.0.0/20")
ILO_BASE = ipaddress.IPv4Address("10.1.0.0")  # 10.1.<rack>.<10 + slot>
SPINE_LOOPBACKS = ipaddress.IPv4Address("10.255.0.0")
LEAF_LOOPBACKS = ipaddress.IPv4Address("10.255.1.0")
UPLINKS = ipaddress.IPv4Address("10.254.0.0")  # consecutive /31s
PEER_SUBNETS = ipaddress.IPv4Address("10.253.0.0")  # one /31 per rack
APP_SUBNETS = ipaddress.IPv4Network("10.64.0.0/10")  # one /25 per application and environment
ENVIRONMENTS = ("prd", "qa")
MAX_APPS = APP_SUBNETS.num_addresses // 128 // len(ENVIRONMENTS)

TEAMS = ("digital", "platform", "commerce", "finance", "data", "ops")
WORDS = ("portal", "api", "orders", "billing", "ledger", "search", "catalog", "cart", "auth",
         "notify", "report", "stream", "media", "events", "quotes", "claims", "crm", "pricing")


@dataclass(frozen=True)
class Spec:
    """What to generate."""

    racks: int = 40
    servers_per_rack: int = 24
    apps: int = 150
    seed: int = 1
    spines: int = 2
    wave_size: int = 25
    name: str = "syn1"

    def problems(self) -> list[str]:
        out = []
        if self.racks < 1:
            out.append("--racks must be at least 1")
        if not 1 <= self.servers_per_rack <= LEAF_SERVER_PORTS:
            out.append(f"--servers-per-rack must be 1..{LEAF_SERVER_PORTS} (leaf server ports)")
        if not 1 <= self.apps <= MAX_APPS:
            out.append(f"--apps must be 1..{MAX_APPS}")
        if not 1 <= self.spines <= MAX_SPINES:
            out.append(f"--spines must be 1..{MAX_SPINES} (leaf uplink ports)")
        if self.wave_size < 1:
            out.append("--wave-size must be at least 1")
        most = SPINE_MODELS[-1][1] * PORTS_PER_CARD // 2 - 1
        if self.racks > most:
            out.append(f"--racks must be at most {most}: each spine has a port per leaf")
        return out


@dataclass
class RackPlan:
    no: int  # 0 for the control rack
    name: str
    kind: str
    state: str
    cloud: str
    role: str
    servers: list[str] = field(default_factory=list)


@dataclass
class Layout:
    spec: Spec
    old_cloud: str
    new_cloud: str
    spine_model: str
    racks: list[RackPlan]

    @property
    def spine_names(self) -> list[str]:
        return [f"{self.spec.name}-spine{k}" for k in range(1, self.spec.spines + 1)]

    def leaf_index(self, rack: RackPlan, leaf: int) -> int:
        """0-based position of a leaf among all leaves: its port on every spine."""
        return 2 * self.racks.index(rack) + leaf - 1


def plan(spec: Spec) -> Layout:
    leaves = 2 * (spec.racks + 1)
    model = next(m for m, cards in SPINE_MODELS if leaves <= cards * PORTS_PER_CARD)
    old, new = f"{spec.name}-old", f"{spec.name}-new"
    racks = [RackPlan(0, "ctl01", "control", "in-service", new, "Controller")]
    racks[0].servers = [f"ctl01-s{i:02d}" for i in range(1, 4)]
    in_service = math.ceil(spec.racks / 2)
    for no in range(1, spec.racks + 1):
        name = f"r{no:03d}"
        rack = (RackPlan(no, name, "compute", "in-service", old, "Compute") if no <= in_service
                else RackPlan(no, name, "compute", "planned", new, "ComputeNuage"))
        rack.servers = [f"{name}-s{i:02d}" for i in range(1, spec.servers_per_rack + 1)]
        racks.append(rack)
    return Layout(spec, old, new, model, racks)
