"""The physical world a twin emulates, derived from the site model (plus injected faults).

Emulators take these plain specs, not the site model, so each can be started on its own in a
contract test with a handful of hand-made specs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from lifecycle.lab.base.faults import FaultPlan
from lifecycle.model.schema import Cable, Site

# Deterministic UUIDs: the same site gives the same system ids on every `i2 lab up`.
_NS = uuid.UUID("6f1c2a52-3f4e-4c1e-9b8a-2f6d1e0a9c11")


def system_uuid(serial: str) -> str:
    return str(uuid.uuid5(_NS, f"system:{serial}"))


@dataclass
class NicSpec:
    name: str  # as the site names it, e.g. nic1
    port_id: str  # OneView physical port id, e.g. "FlexibleLOM 1:1"
    mac: str


@dataclass
class ServerSpec:
    name: str  # hostname in the site
    oneview_name: str
    serial: str
    model: str  # OneView server hardware type name, e.g. "DL360 Gen9 1"
    ilo: str
    rack: str
    nics: list[NicSpec]
    profile: str  # hardware profile name
    racked: bool = True  # False: appears only once the rack is racked (`i2 lab rack R`)
    uuid: str = ""
    cpus: int = 0
    memory_mb: int = 0
    disks_gb: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.uuid = self.uuid or system_uuid(self.serial)


@dataclass
class SwitchSpec:
    name: str
    model: str
    serial: str
    system_mac: str
    mgmt_ip: str  # with prefix, e.g. 10.0.0.25/24
    role: str  # spine | leaf | cvx
    rack: str | None = None
    ztp: bool = False  # boots with an empty startup-config into Zero Touch Provisioning
    racked: bool = True


@dataclass(frozen=True)
class Link:
    a_dev: str
    a_port: str
    b_dev: str
    b_port: str

    def ends(self) -> tuple[tuple[str, str], tuple[str, str]]:
        return (self.a_dev, self.a_port), (self.b_dev, self.b_port)


@dataclass
class World:
    servers: list[ServerSpec]
    switches: list[SwitchSpec]
    links: list[Link]  # as actually cabled (a miswire fault differs from the plan)
    planned_links: list[Link]

    def server(self, name: str) -> ServerSpec:
        return next(s for s in self.servers if s.name == name)

    def switch(self, name: str) -> SwitchSpec:
        return next(s for s in self.switches if s.name == name)

    def rack(self, rack: str) -> None:
        """Make a planned rack's servers and leaves appear (they were just racked)."""
        for item in [*self.servers, *self.switches]:
            if getattr(item, "rack", None) == rack:
                item.racked = True


def _link(cable: Cable) -> Link:
    a_dev, a_port = Cable.split(cable.a)
    b_dev, b_port = Cable.split(cable.b)
    return Link(a_dev, a_port, b_dev, b_port)


def miswire(links: list[Link], spec: str) -> list[Link]:
    """Swap the far ends of two cables: ``devA:portA~devB:portB`` names their near ends."""
    left, _, right = spec.partition("~")
    ends = [tuple(x.split(":", 1)) for x in (left, right)]
    idx: list[tuple[int, bool]] = []
    for dev, port in ends:
        for i, link in enumerate(links):
            if (link.a_dev, link.a_port) == (dev, port):
                idx.append((i, True))
            elif (link.b_dev, link.b_port) == (dev, port):
                idx.append((i, False))
    if len(idx) != 2:
        raise ValueError(f"miswire {spec!r}: both ends must be cabled in the site")
    out = list(links)
    (i, i_a), (j, j_a) = idx
    near_i = (links[i].a_dev, links[i].a_port) if i_a else (links[i].b_dev, links[i].b_port)
    far_i = (links[i].b_dev, links[i].b_port) if i_a else (links[i].a_dev, links[i].a_port)
    near_j = (links[j].a_dev, links[j].a_port) if j_a else (links[j].b_dev, links[j].b_port)
    far_j = (links[j].b_dev, links[j].b_port) if j_a else (links[j].a_dev, links[j].a_port)
    out[i] = Link(*near_i, *far_j)
    out[j] = Link(*near_j, *far_i)
    return out


def build_world(site: Site, faults: FaultPlan | None = None) -> World:
    """Specs for every server and switch of ``site``; planned racks start un-racked."""
    faults = faults or FaultPlan()
    planned = {r.name for r in site.racks if r.state == "planned"}
    servers = []
    for s in site.servers:
        hp = site.hardware_profiles[s.hardware_profile]
        ports = {n.name: n.port_id for n in hp.nics}
        inv = hp.inventory
        servers.append(ServerSpec(
            name=s.name, oneview_name=s.oneview_name, serial=s.serial, model=hp.server_model,
            ilo=str(s.ilo), rack=s.rack, profile=s.hardware_profile,
            nics=[NicSpec(n.name, ports[n.name], n.mac) for n in s.nics],
            racked=s.rack not in planned, cpus=inv.cpus, memory_mb=inv.memory_mb,
            disks_gb=[d.size_gb for d in inv.disks for _ in range(d.count)],
        ))
    switches = [SwitchSpec(sp.name, sp.model, sp.serial, sp.system_mac or "", str(sp.mgmt), "spine")
                for sp in site.spines]
    for rack in site.racks:
        for leaf in rack.leaves.leaves:
            switches.append(SwitchSpec(
                leaf.name, leaf.model, leaf.serial, leaf.system_mac, str(leaf.mgmt), "leaf",
                rack=rack.name, ztp=rack.name in planned, racked=rack.name not in planned))
    planned_links = [_link(c) for c in site.cables]
    links = planned_links
    for spec in faults.targets("cable", "miswire"):
        links = miswire(links, spec)
    return World(servers, switches, links, planned_links)
