"""What the adapter wants to exist on a NetScaler for one application environment, built from
the site model (``environments.<env>.lb`` and the ``loadbalancer.monitors`` it names), as the
NITRO objects themselves: field names and values are NITRO's, so the diff compares like with like.
The content switching and GSLB layers above the vserver (``cs``, ``gslb``) are names only: i2
binds them (:mod:`.layers`), the platform team makes them.

Members are not intent: the upgrade binds, drains and unbinds them (:mod:`.members`). Which
members are side a or b is where their address is: the environment's ``subnets.a``/``subnets.b``.

>>> from lifecycle.model.schema_lb import Balancing, LbMonitor
>>> bal = Balancing.model_validate({"device": "ns1", "monitor": "mon_web",
...     "lbvserver": {"name": "vs_web", "servicetype": "HTTP", "ipv46": "10.9.0.10", "port": 80},
...     "servicegroup": {"servicegroupname": "sg_web", "servicetype": "HTTP", "port": 8080}})
>>> mon = LbMonitor.model_validate({"monitorname": "mon_web", "type": "HTTP",
...                                 "httprequest": "GET /health", "respcode": ["200"]})
>>> i = LbIntent.build("web/prd", bal, mon)
>>> (i.vserver["lbmethod"], i.servicegroup, i.monitor["secure"], i.port)
('LEASTCONNECTION', {'servicegroupname': 'sg_web', 'servicetype': 'HTTP'}, 'NO', 8080)
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from lifecycle.model.schema_apps import AppEnvironment
from lifecycle.model.schema_lb import Balancing, LbMonitor

# Fields NITRO cannot change with a PUT: a difference needs the object re-created (an operator's call).
IMMUTABLE = {"lbvserver": ("servicetype", "port"), "servicegroup": ("servicetype",), "lbmonitor": ("type",)}


@dataclass(frozen=True)
class LbIntent:
    """One application environment's objects on its NetScaler."""

    key: str  # "<app>/<env>"
    device: str
    vserver: dict[str, Any]  # lbvserver add payload
    servicegroup: dict[str, Any]  # servicegroup add payload
    monitor: dict[str, Any]  # lbmonitor add payload
    port: int  # the members' port (servicegroup_servicegroupmember_binding port)
    drain_delay: int  # seconds of graceful disable
    sides: dict[str, str] = field(default_factory=dict)  # "a"/"b" -> the side's subnet (CIDR)
    # the csvserver whose policy selects this vserver: {name, policyname, priority}; None: none
    cs: dict[str, Any] | None = None
    gslb: dict[str, Any] | None = None  # the gslbvserver and this site's service: {name, servicename}

    @property
    def name(self) -> str:
        return str(self.vserver["name"])

    @property
    def sg(self) -> str:
        return str(self.servicegroup["servicegroupname"])

    @property
    def monitorname(self) -> str:
        return str(self.monitor["monitorname"])

    @classmethod
    def build(cls, key: str, bal: Balancing, monitor: LbMonitor,
              env: AppEnvironment | None = None) -> LbIntent:
        vs = bal.lbvserver
        return cls(
            key=key, device=bal.device,
            vserver={"name": vs.name, "servicetype": vs.servicetype, "ipv46": str(vs.ipv46), "port": vs.port,
                     "lbmethod": vs.lbmethod},
            servicegroup={"servicegroupname": bal.servicegroup.servicegroupname,
                          "servicetype": bal.servicegroup.servicetype},
            monitor=monitor_payload(monitor), port=bal.servicegroup.port, drain_delay=bal.drain_delay,
            sides={"a": str(env.subnets.a), "b": str(env.subnets.b)} if env is not None else {},
            cs=bal.csvserver.model_dump() if bal.csvserver is not None else None,
            gslb=bal.gslbvserver.model_dump() if bal.gslbvserver is not None else None)

    def side_of(self, ip: str) -> str | None:
        """``"a"``/``"b"``: which side's subnet holds ``ip`` (None: neither)."""
        addr = ipaddress.ip_address(ip)
        return next((s for s, net in self.sides.items() if addr in ipaddress.ip_network(net)), None)


def monitor_payload(m: LbMonitor) -> dict[str, Any]:
    """The ``lbmonitor`` add payload: only what the site sets, NITRO's defaults for the rest."""
    out: dict[str, Any] = {"monitorname": m.monitorname, "type": m.type, "interval": m.interval,
                           "resptimeout": m.resptimeout, "downtime": m.downtime, "retries": m.retries}
    if m.type != "PING":
        out["secure"] = "YES" if m.secure else "NO"
    for key in ("destport", "httprequest", "send", "recv"):
        value = getattr(m, key)
        if value is not None:
            out[key] = value
    if m.respcode:
        out["respcode"] = list(m.respcode)
    return out


def intents(site: Any, app: str | None = None, env: str | None = None) -> list[LbIntent]:
    """Every load-balanced application environment of ``site`` (optionally one app / one env).
    ``KeyError`` naming what is unknown."""
    monitors = {m.monitorname: m for m in (site.loadbalancer.monitors if site.loadbalancer else [])}
    apps = site.applications
    if app is not None and app not in {a.name for a in apps}:
        raise KeyError(f"no application {app!r} in the site")
    out = []
    for a in apps:
        if app is not None and a.name != app:
            continue
        if env is not None and env not in a.environments:
            raise KeyError(f"application {a.name} has no environment {env!r} "
                           f"(it has: {', '.join(sorted(a.environments))})")
        for e_name, e in sorted(a.environments.items()):
            if e.lb is None or (env is not None and e_name != env):
                continue
            if e.lb.monitor not in monitors:
                raise KeyError(f"{a.name}/{e_name}: monitor {e.lb.monitor!r} is not in loadbalancer.monitors")
            out.append(LbIntent.build(f"{a.name}/{e_name}", e.lb, monitors[e.lb.monitor], e))
    return out
