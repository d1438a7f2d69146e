"""The site model: typed intent, one pydantic model per thing an operator writes down.

A site is a directory of YAML files. Each file is a mapping whose top-level keys are sections
(``dcs``, ``spines``, ``racks``, ``servers``, ``cables``, ``clouds``, ``nuage``,
``applications``, ``upgrade``, ``site``); list sections may be split over several files
(``racks/c01.yaml`` holding that rack's ``racks``, ``servers`` and ``cables``), mapping sections
appear once.  No endpoints and no secrets live here: those are in the endpoints file.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

Name = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", min_length=1, max_length=63),
]
Mac = Annotated[
    str,
    StringConstraints(
        pattern=r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", to_lower=True, strip_whitespace=True
    ),
]
Asn = Annotated[int, Field(ge=1, le=4294967294)]
Vlan = Annotated[int, Field(ge=1, le=4094)]
Port = Annotated[int, Field(ge=1, le=65535)]
IPv4 = ipaddress.IPv4Address
IPv4Net = ipaddress.IPv4Network
IPv4If = ipaddress.IPv4Interface


class Strict(BaseModel):
    """Every model forbids unknown keys: a typo must be an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- site, DCs --------------------------------------------------------------------------------


class SiteInfo(Strict):
    name: Name
    description: str = ""
    domain: str = Field(description="DNS domain of the site's hosts, e.g. ie1.example.net")
    hardware_profiles: str = Field(
        "hardware-profiles",
        description="directory of hardware profiles, relative to the site directory",
    )
    ntp_servers: list[IPv4] = []
    dns_servers: list[IPv4] = []


class DC(Strict):
    name: Name
    location: str = ""


# --- fabric -----------------------------------------------------------------------------------


class Spine(Strict):
    name: Name
    dc: Name
    model: str
    serial: str
    system_mac: Mac | None = None
    asn: Asn
    loopback: IPv4
    mgmt: IPv4If


class Uplink(Strict):
    """A routed leaf port towards a spine; the spine end is found through the cabling plan."""

    port: str
    subnet: IPv4Net

    @field_validator("subnet")
    @classmethod
    def _p2p(cls, v: IPv4Net) -> IPv4Net:
        if v.prefixlen != 31:
            raise ValueError(f"uplink subnet {v} must be a /31 point-to-point")
        return v


class Leaf(Strict):
    name: Name
    model: str
    serial: str
    system_mac: Mac
    loopback: IPv4
    mgmt: IPv4If
    uplinks: list[Uplink] = Field(min_length=1)


class LeafPair(Strict):
    mlag_domain: Name
    asn: Asn
    peer_link: list[str] = Field(min_length=1, description="ports of each leaf in the peer link")
    peer_vlan: Vlan = 4094
    peer_subnet: IPv4Net = Field(description="/30 or /31 for the MLAG peer addresses")
    leaves: list[Leaf] = Field(min_length=2, max_length=2)

    @field_validator("peer_subnet")
    @classmethod
    def _peer(cls, v: IPv4Net) -> IPv4Net:
        if v.prefixlen not in (30, 31):
            raise ValueError(f"MLAG peer subnet {v} must be a /30 or /31")
        return v


RackKind = Literal["control", "compute", "storage", "baremetal", "border"]


class Rack(Strict):
    name: Name
    dc: Name
    kind: RackKind
    state: Literal["in-service", "planned"] = Field(
        "in-service", description="planned: racked by the rack runbook, leaves not provisioned"
    )
    leaves: LeafPair


class Nic(Strict):
    name: Name = Field(description="port name as the hardware profile declares it, e.g. nic1")
    mac: Mac


class Server(Strict):
    name: Name = Field(description="hostname")
    rack: Name
    u: int = Field(ge=1, le=52, description="lowest rack unit it occupies")
    serial: str
    oneview_name: str = Field(description="server-hardware name in OneView")
    hardware_profile: Name
    cloud: Name
    role: Name = Field(description="TripleO role in the target cloud")
    ilo: IPv4
    nics: list[Nic] = Field(min_length=1)


class Cable(Strict):
    """One physical cable: ``a`` and ``b`` are ``device:port``."""

    a: str
    b: str

    @field_validator("a", "b")
    @classmethod
    def _end(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*:\S+", v):
            raise ValueError(f"cable end {v!r} must look like device:port")
        return v

    @staticmethod
    def split(end: str) -> tuple[str, str]:
        device, _, port = end.partition(":")
        return device, port


# --- OpenStack clouds -------------------------------------------------------------------------

Release = Literal["newton", "ocata", "pike", "queens", "rocky", "stein", "train", "wallaby"]


class Role(Strict):
    name: Name
    count: int = Field(ge=0)
    flavor: Name
    profile: Name = Field(description="Ironic capability profile:<x> the role's nodes carry")
    hostname_format: str | None = None


class Pool(Strict):
    start: IPv4
    end: IPv4


class IsolatedNetwork(Strict):
    name: Name = Field(description="TripleO network name, e.g. InternalApi")
    vlan: Vlan | None = None
    cidr: IPv4Net
    gateway: IPv4 | None = None
    allocation_pools: list[Pool] = []

    @model_validator(mode="after")
    def _inside(self) -> IsolatedNetwork:
        for pool in self.allocation_pools:
            for ip in (pool.start, pool.end):
                if ip not in self.cidr:
                    raise ValueError(f"allocation pool address {ip} is outside {self.cidr}")
            if pool.start > pool.end:
                raise ValueError(f"allocation pool {pool.start}-{pool.end} is reversed")
        if self.gateway is not None and self.gateway not in self.cidr:
            raise ValueError(f"gateway {self.gateway} is outside {self.cidr}")
        return self


class CloudNuage(Strict):
    net_partition: Name
    cms_name: str = Field(description="name the cloud's CMS registration carries in VSD")
    vsc_controllers: list[IPv4] = Field(min_length=1, max_length=2)
    base_uri_version: str = "v6"


class CloudPure(Strict):
    backend_name: Name
    protocol: Literal["iSCSI", "FC"] = "iSCSI"
    use_chap: bool = False
    multipath_xfer: bool = True


class Cloud(Strict):
    name: Name
    release: Release
    osp_version: int = Field(ge=8, le=17)
    undercloud: Name = Field(description="undercloud host; its address is in the endpoints file")
    stack: Name = "overcloud"
    managed: bool = Field(True, description="false: i2 drains this cloud but never deploys it")
    roles: list[Role] = Field(min_length=1)
    networks: list[IsolatedNetwork] = []
    nuage: CloudNuage | None = None
    pure: CloudPure | None = None
    ironic: bool = False


# --- Nuage VSD and applications ---------------------------------------------------------------

_ENDPOINT = re.compile(r"^(any|external|(app|zone|subnet|macro|pg):([A-Za-z0-9._/-]+))$")


def parse_endpoint(text: str) -> tuple[str, str]:
    """``"app:billing"`` -> ``("app", "billing")``; ``"any"`` -> ``("any", "")``.

    ``subnet:<app>/<env>/<a|b>`` names one side of an application's subnet pair.
    """
    m = _ENDPOINT.match(text)
    if not m:
        raise ValueError(
            f"{text!r} is not an ACL endpoint (any, external, app:X, zone:X, subnet:APP/ENV/a|b, "
            "macro:X, pg:X)"
        )
    if m.group(1) in ("any", "external"):
        return m.group(1), ""
    kind, ref = m.group(2), m.group(3)
    if kind == "subnet" and not re.fullmatch(r"[^/]+/[^/]+/[ab]", ref):
        raise ValueError(f"subnet endpoint {text!r} must be subnet:APP/ENV/a or /b")
    return kind, ref


Endpoint = Annotated[str, Field(description="ACL endpoint, see parse_endpoint")]
Protocol = Literal["tcp", "udp", "icmp", "any"]


def _check_ports(ports: list[Port], protocol: str) -> None:
    if ports and protocol not in ("tcp", "udp"):
        raise ValueError(f"ports only apply to tcp/udp, not {protocol}")


class AclRule(Strict):
    name: Name
    src: Endpoint = Field(alias="from")
    dst: Endpoint = Field(alias="to")
    protocol: Protocol = "tcp"
    ports: list[Port] = []
    action: Literal["allow", "deny"] = "allow"
    stateful: bool = True

    @field_validator("src", "dst")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        parse_endpoint(v)
        return v

    @model_validator(mode="after")
    def _ports(self) -> AclRule:
        _check_ports(self.ports, self.protocol)
        return self


class NetworkMacro(Strict):
    name: Name
    cidr: IPv4Net


class VsdDomain(Strict):
    name: Name
    environment: Name


class NuageAcl(Strict):
    common: list[AclRule] = []


class Nuage(Strict):
    organisation: Name = Field(description="VSD enterprise shared by both clouds")
    domain_template: Name
    domains: list[VsdDomain] = Field(min_length=1)
    network_macros: list[NetworkMacro] = []
    acl: NuageAcl = NuageAcl()


class SubnetPair(Strict):
    a: IPv4Net
    b: IPv4Net

    @model_validator(mode="after")
    def _pair(self) -> SubnetPair:
        for side in ("a", "b"):
            net = getattr(self, side)
            if net.prefixlen != 26:
                raise ValueError(f"subnet {side} ({net}) must be a /26")
        if self.a == self.b or self.a.supernet() != self.b.supernet():
            raise ValueError(
                f"a ({self.a}) and b ({self.b}) must be the two /26 halves of one /25"
            )
        return self


class Volume(Strict):
    name: Name
    size_gb: int = Field(ge=1)


class Vm(Strict):
    name: Name
    flavor: Name
    image: str
    volumes: list[Name] = []
    metadata: dict[str, str] = {}


class AppEnvironment(Strict):
    project: Name
    subnets: SubnetPair
    vms: list[Vm] = Field(min_length=1)
    volumes: list[Volume] = []


class Talk(Strict):
    app: Name
    protocol: Protocol = "tcp"
    ports: list[Port] = []

    @model_validator(mode="after")
    def _ports(self) -> Talk:
        _check_ports(self.ports, self.protocol)
        return self


class Exposure(Strict):
    src: Endpoint = Field(alias="from", description="who consumes it, e.g. external, macro:X")
    protocol: Protocol = "tcp"
    ports: list[Port] = []

    @field_validator("src")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        parse_endpoint(v)
        return v


class Application(Strict):
    name: Name
    team: Name
    zone: Name | None = Field(None, description="VSD zone; defaults to the application name")
    stateful: bool = False
    writer_stop: Literal["none", "freeze", "stop-vms"] = Field(
        "freeze", description="how writers are stopped while volumes move: freeze (VMs keep "
        "serving, writes held: i2.writes=frozen), stop-vms (VMs stopped: an outage), none"
    )
    environments: dict[Name, AppEnvironment] = Field(min_length=1)
    talks_to: list[Talk] = []
    exposed_to: list[Exposure] = []
    rules: list[AclRule] = []

    @property
    def zone_name(self) -> str:
        return self.zone or self.name


# --- upgrade campaign -------------------------------------------------------------------------


class Wave(Strict):
    name: Name
    applications: list[Name] = Field(min_length=1)


class Recommission(Strict):
    servers: list[Name] = Field(min_length=1)
    role: Name = Field(description="role they take in the new cloud")
    after_wave: Name


class Upgrade(Strict):
    from_cloud: Name = Field(alias="from")
    to_cloud: Name = Field(alias="to")
    soak_seconds: float = Field(30, ge=0)
    waves: list[Wave] = Field(min_length=1)
    recommission: list[Recommission] = []


# --- the whole site ---------------------------------------------------------------------------

LIST_SECTIONS: dict[str, type[Strict]] = {
    "dcs": DC,
    "spines": Spine,
    "racks": Rack,
    "servers": Server,
    "cables": Cable,
    "clouds": Cloud,
    "applications": Application,
}
MAP_SECTIONS: dict[str, type[Strict]] = {"site": SiteInfo, "nuage": Nuage, "upgrade": Upgrade}
REQUIRED_SECTIONS = ("site", "dcs")


class Site(BaseModel):
    """A validated site. Build it with :func:`lifecycle.model.load_site`, not directly."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    site: SiteInfo
    dcs: list[DC] = []
    spines: list[Spine] = []
    racks: list[Rack] = []
    servers: list[Server] = []
    cables: list[Cable] = []
    clouds: list[Cloud] = []
    nuage: Nuage | None = None
    applications: list[Application] = []
    upgrade: Upgrade | None = None
    hardware_profiles: dict[str, Any] = {}
    digest: str = ""

    def rack(self, name: str) -> Rack:
        for r in self.racks:
            if r.name == name:
                return r
        raise KeyError(f"no rack {name!r} in site {self.site.name}")

    def cloud(self, name: str) -> Cloud:
        for c in self.clouds:
            if c.name == name:
                return c
        raise KeyError(f"no cloud {name!r} in site {self.site.name}")

    def application(self, name: str) -> Application:
        for a in self.applications:
            if a.name == name:
                return a
        raise KeyError(f"no application {name!r} in site {self.site.name}")

    def servers_in(self, rack: str) -> list[Server]:
        return [s for s in self.servers if s.rack == rack]

    def leaves(self) -> list[tuple[Rack, Leaf]]:
        return [(r, leaf) for r in self.racks for leaf in r.leaves.leaves]

    def peer_of(self, end: str) -> str | None:
        """The other end of the cable plugged into ``device:port``, if any."""
        for c in self.cables:
            if c.a == end:
                return c.b
            if c.b == end:
                return c.a
        return None
