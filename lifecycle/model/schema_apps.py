"""Nuage VSD and the applications in the site model: ACL rules, domains, subnets, VMs."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from lifecycle.model.base import IPv4Net, Name, Port, Strict
from lifecycle.model.schema_lb import Balancing, WriterHook

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
    lb: Balancing | None = Field(None, description="its virtual server on the load balancer")


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
    writer_hook: WriterHook | None = Field(
        None, description="how writers are quiesced and resumed for writer_stop: freeze"
    )
    environments: dict[Name, AppEnvironment] = Field(min_length=1)
    talks_to: list[Talk] = []
    exposed_to: list[Exposure] = []
    rules: list[AclRule] = []

    @property
    def zone_name(self) -> str:
        return self.zone or self.name

