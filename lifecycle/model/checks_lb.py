"""Cross-checks of load balancing: names and VIPs used once, references that exist, VIPs outside
the applications' subnets, and SNIPs the site's own ACL rules let reach each application's B side.

Reachability is decided from the model's rules alone (the model imports no adapter): B of
``APP/ENV`` is reachable from a device's SNIPs on ``proto/port`` when an ``allow`` rule, among
the common rules, the applications' ``exposed_to`` and their ``rules``, goes

- from ``any``, ``external`` (both VSD's ANY network) or ``macro:M`` whose CIDR holds every SNIP,
- to ``any``, ``app:APP``, ``zone:<its zone>`` or ``subnet:APP/ENV/b`` (``subnet:APP/ENV/a``
  covers only A: a monitor could not see B),
- with the protocol (or ``any``) and the port (or no ports).

Deny rules are not weighed against allows: VSD orders them by priority, which the model leaves
to the policy code; the check proves an allow exists, the readiness report probes the real ACLs.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lifecycle.model.schema import AclRule, Application, LbDevice, LoadBalancer, Nuage, parse_endpoint
from lifecycle.model.schema_lb import acl_protocol

if TYPE_CHECKING:
    from lifecycle.model.checks import Checker


@dataclass(frozen=True)
class _Allow:
    src: str
    dst: str
    protocol: str
    ports: tuple[int, ...]


def _allows(nuage: Nuage, apps: list[Application]) -> list[_Allow]:
    out = [_Allow(r.src, r.dst, r.protocol, tuple(r.ports)) for r in nuage.acl.common
           if r.action == "allow"]
    for app in apps:
        out += [_Allow(x.src, f"app:{app.name}", x.protocol, tuple(x.ports)) for x in app.exposed_to]
        rules: list[AclRule] = app.rules
        out += [_Allow(r.src, r.dst, r.protocol, tuple(r.ports)) for r in rules if r.action == "allow"]
    return out


def _from_snips(allow: _Allow, device: LbDevice, macros: dict[str, Any]) -> bool:
    kind, ref = parse_endpoint(allow.src)
    if kind in ("any", "external"):
        return True
    return kind == "macro" and ref in macros and all(ip in macros[ref] for ip in device.snips)


def _to_b(allow: _Allow, app: Application, env: str) -> bool:
    kind, ref = parse_endpoint(allow.dst)
    return (kind == "any" or (kind == "app" and ref == app.name)
            or (kind == "zone" and ref == app.zone_name)
            or (kind == "subnet" and ref == f"{app.name}/{env}/b"))


def _carries(allow: _Allow, protocol: str, port: int | None) -> bool:
    if allow.protocol not in (protocol, "any"):
        return False
    return port is None or not allow.ports or port in allow.ports


class LbChecks:
    """The load-balancing checks, reporting through the site's :class:`Checker`."""

    def __init__(self, checker: Checker):
        self.c = checker
        self.s = checker.s
        self.broken = "loadbalancer" in checker.loaded.invalid_sections
        self.lb: LoadBalancer | None = self.s.get("loadbalancer")
        apps: list[Application] = self.s.get("applications", [])
        self.apps = apps
        self.envs = [(a, env, spec) for a in apps for env, spec in a.environments.items() if spec.lb]

    def run(self) -> None:
        self.check_section()
        self.check_names()
        self.check_vips()
        self.check_references_and_reach()
        for app in self.apps:
            if app.writer_hook is not None and app.writer_stop != "freeze":
                self.c.report(app, ("writer_hook",), "writer_hook is only used with writer_stop: "
                              f"freeze, not {app.writer_stop}")

    def check_section(self) -> None:
        lb = self.lb
        if lb is None:
            if self.envs and not self.broken:
                app, env, _ = self.envs[0]
                self.c.report(app, ("environments", env, "lb"),
                              "an application uses a load balancer but the site has no loadbalancer "
                              "section", "missing")
            return
        self.c.unique("load-balancer device name", ((d.name, (lb, ("devices", i, "name")))
                                                    for i, d in enumerate(lb.devices)))
        self.c.unique("monitor name", ((m.monitorname, (lb, ("monitors", i, "monitorname")))
                                       for i, m in enumerate(lb.monitors)), str.lower)
        self.c.unique("SNIP", ((ip, (lb, ("devices", i, "snips", j)))
                               for i, d in enumerate(lb.devices) for j, ip in enumerate(d.snips)))

    def check_names(self) -> None:
        def refs(*path: str) -> list[tuple[Any, Any]]:
            out = []
            for app, env, spec in self.envs:
                obj: Any = spec.lb
                for part in path:
                    obj = getattr(obj, part) if obj is not None else None
                if obj is not None:
                    out.append((obj, (app, ("environments", env, "lb", *path))))
            return out

        self.c.unique("lbvserver name", refs("lbvserver", "name"), str.lower)
        self.c.unique("servicegroup name", refs("servicegroup", "servicegroupname"), str.lower)
        self.c.unique("cspolicy name", refs("csvserver", "policyname"), str.lower)
        self.c.unique("gslbservice name", refs("gslbvserver", "servicename"), str.lower)
        self.c.unique("VIP", refs("lbvserver", "ipv46"))

    def check_vips(self) -> None:
        # application subnets are /26s (SubnetPair): a VIP's own /26 finds its subnet at once
        subnets: dict[Any, tuple[str, str, str]] = {}
        for app in self.apps:
            for env, spec in app.environments.items():
                for side in ("a", "b"):
                    subnets[getattr(spec.subnets, side)] = (app.name, env, side)
        snips = {ip for d in (self.lb.devices if self.lb else []) for ip in d.snips}
        devices = {d.name: d for d in (self.lb.devices if self.lb else [])}
        for app, env, spec in self.envs:
            assert spec.lb is not None
            vip, loc = spec.lb.lbvserver.ipv46, ("environments", env, "lb", "lbvserver", "ipv46")
            owner = subnets.get(ipaddress.ip_network((vip, 26), strict=False))
            if owner is not None:
                self.c.report(app, loc, f"VIP {vip} is inside application subnet "
                              f"{owner[0]}/{owner[1]}/{owner[2]}: a VIP lives on the load balancer",
                              "overlap")
            if vip in snips:
                self.c.report(app, loc, f"VIP {vip} is also a SNIP of the load balancer", "duplicate")
            device = devices.get(spec.lb.device)
            if device is not None and device.vip_range is not None and vip not in device.vip_range:
                self.c.report(app, loc, f"VIP {vip} is outside {device.name}'s vip_range "
                              f"{device.vip_range}")

    def check_references_and_reach(self) -> None:
        if self.broken:
            return  # what exists cannot be told: the section's own problems are reported
        devices = {d.name: d for d in (self.lb.devices if self.lb else [])}
        monitors = {m.monitorname: m for m in (self.lb.monitors if self.lb else [])}
        nuage: Nuage | None = self.s.get("nuage")
        allows = _allows(nuage, self.apps) if nuage else None  # None: no ACLs to judge by
        macros = {m.name: m.cidr for m in nuage.network_macros} if nuage else {}
        for app, env, spec in self.envs:
            lb = spec.lb
            assert lb is not None
            base = ("environments", env, "lb")
            device, monitor = devices.get(lb.device), monitors.get(lb.monitor)
            if device is None and self.lb is not None:
                known = ", ".join(sorted(devices)) or "none"
                self.c.report(app, (*base, "device"),
                              f"unknown load-balancer device {lb.device!r} (known: {known})", "reference")
            if monitor is None and self.lb is not None:
                known = ", ".join(sorted(monitors)) or "none"
                self.c.report(app, (*base, "monitor"),
                              f"unknown monitor {lb.monitor!r} (known: {known})", "reference")
            if device is None or allows is None:
                continue
            from_snips = [a for a in allows if _from_snips(a, device, macros) and _to_b(a, app, env)]
            member = lb.servicegroup
            needs = [(acl_protocol(member.servicetype), member.port, (*base, "servicegroup", "port"),
                      "serve")]
            if monitor is not None:
                needs.append((monitor.acl_protocol, monitor.port_for(member.port), (*base, "monitor"),
                              f"monitor ({monitor.monitorname})"))
            for protocol, port, loc, what in needs:
                if not any(_carries(a, protocol, port) for a in from_snips):
                    on = f"{protocol}/{port}" if port is not None else protocol
                    snips = ", ".join(str(ip) for ip in device.snips)
                    self.c.report(app, loc,
                                  f"the SNIPs of {device.name} cannot reach {app.name}/{env} B "
                                  f"({spec.subnets.b}) on {on} to {what}: no allow rule from any or "
                                  f"a macro holding {snips} to app:{app.name}, zone:{app.zone_name} "
                                  f"or subnet:{app.name}/{env}/b", "unreachable")
