"""The physical estate in the site model: spines, racks and their leaf pairs, servers, cables."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from lifecycle.model.base import Asn, IPv4, IPv4If, IPv4Net, Mac, Name, Strict, Vlan


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

