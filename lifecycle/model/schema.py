"""The site model: typed intent, one pydantic model per thing an operator writes down.

A site is a directory of YAML files. Each file is a mapping whose top-level keys are sections
(``dcs``, ``spines``, ``racks``, ``servers``, ``cables``, ``clouds``, ``nuage``,
``applications``, ``upgrade``, ``loadbalancer``, ``site``); list sections may be split over several files
(``racks/c01.yaml`` holding that rack's ``racks``, ``servers`` and ``cables``), mapping sections
appear once.  No endpoints and no secrets live here: those are in the endpoints file.

This module holds the site itself, its clouds and its upgrade campaign; the fabric and the
applications are in :mod:`lifecycle.model.schema_fabric` and :mod:`lifecycle.model.schema_apps`,
re-exported here so ``from lifecycle.model.schema import X`` finds every model.

>>> Cloud.model_validate({"name": "c1", "release": "train", "osp_version": 16, "undercloud": "uc",
...                       "roles": [{"name": "Compute", "count": 2, "flavor": "compute",
...                                  "profile": "compute"}]}).stack
'overcloud'
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lifecycle.model.base import (
    Asn,
    IPv4,
    IPv4If,
    IPv4Net,
    Mac,
    Name,
    Port,
    Strict,
    Vlan,
)
from lifecycle.model.schema_apps import (
    AclRule,
    AppEnvironment,
    Application,
    Endpoint,
    Exposure,
    NetworkMacro,
    Nuage,
    NuageAcl,
    Protocol,
    SubnetPair,
    Talk,
    Vm,
    Volume,
    VsdDomain,
    parse_endpoint,
)
from lifecycle.model.schema_fabric import (
    Cable,
    Leaf,
    LeafPair,
    Nic,
    Rack,
    RackKind,
    Server,
    Spine,
    Uplink,
)
from lifecycle.model.schema_lb import (
    Balancing,
    HttpHook,
    LbDevice,
    LbMonitor,
    LbVserver,
    LoadBalancer,
    ServiceGroup,
    SshHook,
)

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
MAP_SECTIONS: dict[str, type[Strict]] = {
    "site": SiteInfo, "nuage": Nuage, "upgrade": Upgrade, "loadbalancer": LoadBalancer,
}
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
    loadbalancer: LoadBalancer | None = None
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


__all__ = [
    "DC", "LIST_SECTIONS", "MAP_SECTIONS", "REQUIRED_SECTIONS", "AclRule", "AppEnvironment",
    "Application", "Asn", "Balancing", "Cable", "Cloud", "CloudNuage", "CloudPure", "Endpoint",
    "Exposure", "HttpHook", "IPv4", "IPv4If", "IPv4Net", "IsolatedNetwork", "LbDevice", "LbMonitor",
    "LbVserver", "Leaf", "LeafPair", "LoadBalancer", "Mac", "Name", "NetworkMacro", "Nic", "Nuage",
    "NuageAcl", "Pool", "Port", "Protocol", "Rack", "RackKind", "Recommission", "Release", "Role",
    "Server", "ServiceGroup", "Site", "SiteInfo", "Spine", "SshHook", "Strict", "SubnetPair",
    "Talk", "Upgrade", "Uplink", "Vlan", "Vm", "Volume", "VsdDomain", "Wave", "parse_endpoint",
]
