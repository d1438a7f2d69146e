"""Load balancing in the site model: the NetScaler (ADC) devices, their health monitors, each
application environment's virtual server, and the hook that quiesces an application's writers.

Field names are NITRO's wherever the model maps 1:1 onto a NITRO resource (``lbvserver``:
``name, servicetype, ipv46, port, lbmethod``; ``servicegroup``: ``servicegroupname,
servicetype``; ``lbmonitor``: ``monitorname, type, destport, httprequest, respcode, send, recv,
interval, resptimeout, downtime, retries, secure``), and so are the values (``ROUNDROBIN``,
``HTTP-ECV``, ...), so the adapter maps without translating. What NITRO spreads over several
calls is one field here: ``servicegroup.port`` is the ``port`` of every
``servicegroup_servicegroupmember_binding``; ``drain_delay`` the ``delay`` of a graceful
``action=disable`` of a member.

>>> m = LbMonitor.model_validate({"monitorname": "mon_web", "type": "HTTP",
...                               "httprequest": "GET /health", "respcode": ["200"]})
>>> (m.interval, m.downtime, m.retries, m.port_for(8443))
(5, 30, 3, 8443)
>>> LbMonitor.model_validate({"monitorname": "m", "type": "TCP", "send": "x"})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for LbMonitor
  Value error, send/recv only apply to TCP-ECV and HTTP-ECV monitors, not TCP ...
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from lifecycle.model.base import IPv4, IPv4Net, Name, Port, Strict

# NITRO servicetype values the estate uses (lbvserver and servicegroup alike)
ServiceType = Literal["HTTP", "SSL", "TCP", "SSL_TCP", "SSL_BRIDGE", "UDP", "ANY"]
LbMethod = Literal[
    "ROUNDROBIN", "LEASTCONNECTION", "LEASTRESPONSETIME", "LEASTBANDWIDTH", "LEASTPACKETS",
    "SOURCEIPHASH", "DESTINATIONIPHASH", "SRCIPDESTIPHASH", "URLHASH", "DOMAINHASH", "TOKEN",
]
MonitorType = Literal["PING", "TCP", "HTTP", "TCP-ECV", "HTTP-ECV"]

# Monitors every NetScaler has built in: adding one of these names fails with 273 (exists).
BUILTIN_MONITORS = frozenset({
    "ping", "tcp", "http", "tcp-ecv", "http-ecv", "udp-ecv", "dns", "ftp", "tcp-default",
    "ping-default", "arp", "nd6", "https", "https-ecv", "tcps", "dns-tcp",
})


def acl_protocol(servicetype: str) -> str:
    """The protocol an ACL must allow for members of this servicetype."""
    return "udp" if servicetype == "UDP" else "any" if servicetype == "ANY" else "tcp"


class LbDevice(Strict):
    """A NetScaler (an HA pair is one device: one configuration, one NSIP in the endpoints)."""

    name: Name
    snips: list[IPv4] = Field(min_length=1, description="subnet IPs the ADC reaches members from")
    vip_range: IPv4Net | None = Field(None, description="where its VIPs are; checked if given")


class LbMonitor(Strict):
    monitorname: Name
    type: MonitorType
    destport: Port | None = Field(None, description="default: the member's port")
    secure: bool = Field(False, description="probe over TLS (NITRO secure YES/NO)")
    httprequest: str | None = Field(None, description="HTTP only, e.g. 'GET /health'")
    respcode: list[str] = Field([], description="HTTP only: codes or ranges, e.g. ['200-299']")
    send: str | None = Field(None, description="TCP-ECV/HTTP-ECV: what is sent")
    recv: str | None = Field(None, description="TCP-ECV/HTTP-ECV: what the answer must contain")
    interval: int = Field(5, ge=1, le=20940, description="seconds between probes")
    resptimeout: int = Field(2, ge=1, le=20939, description="seconds a probe may take")
    downtime: int = Field(30, ge=1, le=20939, description="seconds a DOWN member waits to be probed")
    retries: int = Field(3, ge=1, le=127, description="consecutive failures before DOWN")

    @model_validator(mode="after")
    def _by_type(self) -> LbMonitor:
        if (self.httprequest is not None or self.respcode) and self.type != "HTTP":
            raise ValueError(f"httprequest/respcode only apply to HTTP monitors, not {self.type}")
        if (self.send is not None or self.recv is not None) and not self.type.endswith("-ECV"):
            raise ValueError(f"send/recv only apply to TCP-ECV and HTTP-ECV monitors, not {self.type}")
        if self.type == "PING" and (self.destport is not None or self.secure):
            raise ValueError("a PING monitor has no port and no TLS")
        if self.resptimeout >= self.interval:
            raise ValueError(f"resptimeout ({self.resptimeout}) must be less than interval "
                             f"({self.interval}), as NetScaler requires")
        if self.monitorname.lower() in BUILTIN_MONITORS:
            raise ValueError(f"{self.monitorname!r} is a built-in NetScaler monitor name")
        return self

    def port_for(self, member_port: int) -> int | None:
        """The port the monitor probes on a member (None: ICMP)."""
        return None if self.type == "PING" else self.destport or member_port

    @property
    def acl_protocol(self) -> str:
        return "icmp" if self.type == "PING" else "tcp"


class LoadBalancer(Strict):
    """The ``loadbalancer`` section: the devices and the monitors vservers refer to by name."""

    devices: list[LbDevice] = Field(min_length=1)
    monitors: list[LbMonitor] = []


class LbVserver(Strict):
    name: Name
    servicetype: ServiceType
    ipv46: IPv4 = Field(description="the VIP: one per application environment")
    port: Port
    lbmethod: LbMethod = "LEASTCONNECTION"


class ServiceGroup(Strict):
    servicegroupname: Name
    servicetype: ServiceType
    port: Port = Field(description="the members' port (servicegroupmember binding port)")


class CsBinding(Strict):
    """The content-switching vserver this one sits behind, and the policy that selects it."""

    name: Name = Field(description="csvserver name")
    policyname: Name = Field(description="cspolicy bound to it with targetlbvserver = this one")
    priority: int | None = Field(None, ge=1, le=2147483647)


class GslbBinding(Strict):
    name: Name = Field(description="gslbvserver name")
    servicename: Name = Field(description="gslbservice that points at this site's VIP")


class Balancing(Strict):
    """One application environment behind the load balancer. Both sides' VMs are members of
    the service group; the upgrade binds B, waits for its monitor, then drains A."""

    device: Name
    lbvserver: LbVserver
    servicegroup: ServiceGroup
    monitor: Name = Field(description="monitorname of a monitor in the loadbalancer section")
    drain_delay: int = Field(30, ge=0, le=2147483647,
                             description="seconds of graceful disable (NITRO delay, graceful YES)")
    csvserver: CsBinding | None = None
    gslbvserver: GslbBinding | None = None


class HttpHook(Strict):
    """Quiesce writers with an HTTP request to every VM of the side (its address from Nova);
    resume with ``resume_method`` on the same path. Credentials, if any, are in the endpoints."""

    kind: Literal["http"]
    scheme: Literal["http", "https"] = "https"
    port: Port
    path: str = Field(pattern=r"^/\S*$")
    method: Literal["POST", "PUT", "DELETE"] = "POST"
    resume_method: Literal["POST", "PUT", "DELETE"] = "DELETE"
    expect_status: list[int] = Field([200, 204], min_length=1)


class SshHook(Strict):
    """Quiesce writers by running ``command`` on every VM of the side over SSH (key in the
    endpoints); ``resume_command`` undoes it. Exit status 0 is success."""

    kind: Literal["ssh"]
    user: Name = "cloud-user"
    command: str = Field(min_length=1)
    resume_command: str = Field(min_length=1)


WriterHook = Annotated[HttpHook | SshHook, Field(discriminator="kind")]
