"""Readiness behind the load balancer: before anything moves, the application environment's
virtual server and monitor exist on its NetScaler, someone serves through it (A, or B when the
move is done), and VSD's real ACL entries let the NetScaler's SNIPs reach B on the service's and
the monitor's ports (else B's monitor could never say UP, and the drain of A would be refused).

The ACL check reads the domain's entries as VSD has them (the site model's own check,
:mod:`lifecycle.model.checks_lb`, proved the site's rules allow it): an egress entry (towards
the VMs) that forwards, located on B's subnet, B's zone or anywhere, from ANY or a network macro
holding every SNIP, for TCP (or any protocol) on the port (or every port). Deny entries are not
weighed: VSD orders them by priority, which the probes measure, not this report.

>>> from lifecycle.nuage.policy import Entry, Ref
>>> e = Entry("egress", "adc-to-x", Ref("ZONE", "x"), Ref("ENTERPRISE_NETWORK", "adc"), port="8080")
>>> reaches(e, {Ref("ZONE", "x"), Ref("SUBNET", "x-prd-b")}, {"adc"}, "6", 8080)
True
>>> reaches(e, {Ref("SUBNET", "y-prd-b")}, {"adc"}, "6", 8080)
False
"""

from __future__ import annotations

import ipaddress

from lifecycle.loadbalancer import diff, intents, who_serves
from lifecycle.nuage.policy import PROTOCOLS, Entry, Ref
from lifecycle.runbooks.common import Services, safe_observe
from lifecycle.runbooks.upgrade.model import Move


def reaches(e: Entry, to: set[Ref], macros: set[str], protocol: str, port: int | None) -> bool:
    """``e`` forwards traffic from the SNIPs (ANY, or one of ``macros``) to one of ``to``."""
    if e.direction != "egress" or e.action != "FORWARD":
        return False
    if e.location not in to and e.location.type != "ANY":
        return False
    if e.network.type != "ANY" and not (e.network.type == "ENTERPRISE_NETWORK" and e.network.name in macros):
        return False
    if e.protocol not in (protocol, "ANY"):
        return False
    return port is None or e.port in ("*", "", str(port))


def snip_gaps(svc: Services, m: Move, entries: list[Entry]) -> list[str]:
    """What the SNIPs cannot reach on B (``tcp/8081 for monitor mon_x``); empty when all is allowed."""
    site, lb = svc.site, m.spec.lb
    assert lb is not None and site.loadbalancer is not None
    device = next((d for d in site.loadbalancer.devices if d.name == lb.device), None)
    monitor = next((x for x in site.loadbalancer.monitors if x.monitorname == lb.monitor), None)
    if device is None or monitor is None:
        return []  # the site's own validation names it
    macros = {x.name for x in (site.nuage.network_macros if site.nuage else [])
              if all(ipaddress.ip_address(str(ip)) in x.cidr for ip in device.snips)}
    to = {Ref("SUBNET", m.subnet("b")), Ref("ZONE", m.zone)}
    proto = "17" if lb.servicegroup.servicetype == "UDP" else "6"
    needs = [(proto, lb.servicegroup.port, "to serve"),
             (PROTOCOLS[monitor.acl_protocol], monitor.port_for(lb.servicegroup.port),
              f"for monitor {monitor.monitorname}")]
    gaps = []
    for protocol, port, what in needs:
        if not any(reaches(e, to, macros, protocol, port) for e in entries):
            label = {v: k for k, v in PROTOCOLS.items()}.get(protocol, protocol)
            gaps.append(f"{label}{f'/{port}' if port is not None else ''} {what}")
    return gaps


def lb_findings(svc: Services, m: Move, entries: list[Entry]) -> list[tuple[str, str, str]]:
    """(check, level, detail) of the move's load balancing: vserver and monitor on the device,
    who serves, the SNIPs' reach to B."""
    out: list[tuple[str, str, str]] = []
    intent = intents(svc.site, m.app.name, m.env)[0]

    def observe() -> None:
        lb = svc.lb(intent.device)
        obs = lb.observe(intent)
        for what, have in (("vserver", obs.vserver), ("monitor", obs.monitor)):
            name = intent.name if what == "vserver" else intent.monitorname
            out.append((f"lb-{what}", "ok" if have else "blocking",
                        f"{name} on {intent.device}" + ("" if have else " is missing: A is not behind it")))
        if obs.vserver is None or obs.monitor is None:
            return
        changes = diff(intent, obs)
        bad = [str(c) for c in changes if c.op == "conflict"]
        if bad:
            out.append(("lb-config", "blocking", "; ".join(bad)))
        elif changes:
            out.append(("lb-config", "info", "will be made as the site says: "
                        + "; ".join(str(c) for c in changes)))
        serving = who_serves(intent, obs)
        sides = serving["serving_sides"]
        detail = ", ".join(f"{s.upper()}: {', '.join(serving['sides'][s]['serving'])}" for s in sides)
        out.append(("lb-serving", "ok" if sides else "blocking",
                    f"{intent.name} ({serving['vip']}) served by {detail}" if sides
                    else f"nobody serves through {intent.name} ({serving['vip']}) now: bring A UP first"))

    safe_observe(observe, lambda why: out.append(("lb", "blocking", f"{intent.device}: {why}")),
                 lambda why: out.append(("lb", "blocking", f"{intent.device}: cannot check: {why}")))
    gaps = snip_gaps(svc, m, entries)
    out.append(("lb-acl", "blocking" if gaps else "ok",
                f"VSD lets no SNIP of {intent.device} reach {m.subnet('b')} on " + ", ".join(gaps)
                if gaps else f"the SNIPs of {intent.device} reach {m.subnet('b')} (service and monitor)"))
    return out
