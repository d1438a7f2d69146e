"""Readiness behind the load balancer: before anything moves, the application environment's
virtual server and monitor exist on its NetScaler, someone serves through it (A, or B when the
move is done), the content switching policy the site declares above it targets it and the GSLB
service is this site's VIP and UP (``lb-cs``, ``lb-gslb``), and VSD's real ACL entries let the
NetScaler's SNIPs reach B on the service's and the monitor's ports (else B's monitor could never
say UP, and the drain of A would be refused).

The ACL check reads the domain's entries as VSD has them (the site model's own check,
:mod:`lifecycle.model.checks_lb`, proved the site's rules allow it), as VSD weighs them: per
SNIP, the egress entries (towards the VMs) in priority order, and the first that matches traffic
from that SNIP (network ANY, or a network macro holding it) to B (located on B's subnet, B's
zone or anywhere), for TCP (or any protocol) on the port (or every port), decides. B is
reachable when that entry forwards for at least one SNIP; a DROP placed before the forwarding
entry (say, a network team's block of the SNIPs towards B) keeps B's monitor from ever saying UP.
Templates are not ranked apart (TOP/BOTTOM): entries are weighed by their priority alone.

>>> from lifecycle.nuage.policy import Entry, Ref
>>> e = Entry("egress", "adc-to-x", Ref("ZONE", "x"), Ref("ENTERPRISE_NETWORK", "adc"), port="8080",
...           priority=1000)
>>> to = {Ref("ZONE", "x"), Ref("SUBNET", "x-prd-b")}
>>> reaches(e, to, {"adc"}, "6", 8080), reaches(e, {Ref("SUBNET", "y-prd-b")}, {"adc"}, "6", 8080)
(True, False)
>>> block = Entry("egress", "block-adc", Ref("SUBNET", "x-prd-b"), Ref("ENTERPRISE_NETWORK", "adc"),
...               protocol="ANY", action="DROP", priority=100)
>>> first_match([e, block], to, {"adc"}, "6", 8080).rule
'block-adc'
"""

from __future__ import annotations

import ipaddress

from lifecycle.loadbalancer import diff, intents, who_serves
from lifecycle.loadbalancer.layers import CS_BINDING, GSLB_BINDING, Layer, layers
from lifecycle.nuage.policy import PROTOCOLS, Entry, Ref
from lifecycle.runbooks.common import Services, safe_observe
from lifecycle.runbooks.upgrade.model import Move


def matches(e: Entry, to: set[Ref], macros: set[str], protocol: str, port: int | None) -> bool:
    """``e`` is an egress entry that matches traffic from a SNIP (ANY, or one of ``macros``: the
    network macros holding it) to one of ``to``, whatever it does with it."""
    if e.direction != "egress":
        return False
    if e.location not in to and e.location.type != "ANY":
        return False
    if e.network.type != "ANY" and not (e.network.type == "ENTERPRISE_NETWORK" and e.network.name in macros):
        return False
    if e.protocol not in (protocol, "ANY"):
        return False
    return port is None or _port_in(e.port, port)


def _port_in(spec: str, port: int) -> bool:
    low, dash, high = str(spec or "*").partition("-")
    if low in ("*", ""):
        return True
    if not (low.isdigit() and (not dash or high.isdigit())):
        return False
    return int(low) <= port <= int(high if dash else low)


def reaches(e: Entry, to: set[Ref], macros: set[str], protocol: str, port: int | None) -> bool:
    """``e`` forwards traffic from the SNIPs (ANY, or one of ``macros``) to one of ``to``."""
    return e.action == "FORWARD" and matches(e, to, macros, protocol, port)


def first_match(entries: list[Entry], to: set[Ref], macros: set[str], protocol: str,
                port: int | None) -> Entry | None:
    """The entry that decides for this traffic: the first that matches it, by priority."""
    ordered = sorted(entries, key=lambda e: e.priority)  # stable: equal priorities keep VSD's order
    return next((e for e in ordered if matches(e, to, macros, protocol, port)), None)


def snip_gaps(svc: Services, m: Move, entries: list[Entry]) -> list[str]:
    """What the SNIPs cannot reach on B (``tcp/8081 for monitor mon_x``, and the DROP entry that
    decides when one does); empty when all is allowed."""
    site, lb = svc.site, m.spec.lb
    assert lb is not None and site.loadbalancer is not None
    device = next((d for d in site.loadbalancer.devices if d.name == lb.device), None)
    monitor = next((x for x in site.loadbalancer.monitors if x.monitorname == lb.monitor), None)
    if device is None or monitor is None:
        return []  # the site's own validation names it
    macros = site.nuage.network_macros if site.nuage else []
    holding = {str(ip): {x.name for x in macros if ipaddress.ip_address(str(ip)) in x.cidr}
               for ip in device.snips}
    to = {Ref("SUBNET", m.subnet("b")), Ref("ZONE", m.zone)}
    proto = "17" if lb.servicegroup.servicetype == "UDP" else "6"
    needs = [(proto, lb.servicegroup.port, "to serve"),
             (PROTOCOLS[monitor.acl_protocol], monitor.port_for(lb.servicegroup.port),
              f"for monitor {monitor.monitorname}")]
    gaps = []
    for protocol, port, what in needs:
        deciding = [first_match(entries, to, names, protocol, port) for names in holding.values()]
        if any(e is not None and e.action == "FORWARD" for e in deciding):
            continue
        label = {v: k for k, v in PROTOCOLS.items()}.get(protocol, protocol)
        gap = f"{label}{f'/{port}' if port is not None else ''} {what}"
        drops = sorted({f"{e.rule} (priority {e.priority})" for e in deciding if e is not None})
        gaps.append(gap + (f" (dropped first by egress entry {', '.join(drops)})" if drops else ""))
    return gaps


def layer_finding(layer: Layer) -> tuple[str, str, str]:
    """(check, level, detail) of a content switching or GSLB layer: a policy that targets another
    vserver, or a GSLB service missing or not UP, refuses the move (clients reaching the site
    through that layer would not follow it, or GSLB sends none); a binding missing is made by
    lb-ensure.

    >>> layer_finding(Layer("gslb", "g", "s", "bind", "s not bound: bind it", state="DOWN"))
    ('lb-gslb', 'blocking', 's not bound: bind it; the service is DOWN: GSLB sends no client to this site')
    """
    check = f"lb-{layer.kind}"
    if layer.status in ("conflict", "down"):
        return check, "blocking", layer.detail
    if layer.kind == "gslb" and layer.state not in (None, "UP"):
        why = f"the service is {layer.state}: GSLB sends no client to this site"
        return check, "blocking", f"{layer.detail}; {why}"
    if layer.status == "bind":
        return check, "info", f"lb-ensure will bind it: {layer.detail}"
    if layer.status == "create":
        return check, "info", f"lb-ensure will {layer.detail}"
    if layer.status == "drift":
        return check, "warning", layer.detail
    return check, "ok", layer.detail


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
        for layer in layers(intent, obs):
            out.append(layer_finding(layer))
        # the layers' own findings say what is wrong above the vserver; lb-config the rest
        every = diff(intent, obs)
        layered = (CS_BINDING, GSLB_BINDING, "csvserver", "gslbvserver")
        changes = [c for c in every if c.rtype not in layered and c.op != "drift"]
        # a member's weight other than the one i2 binds B at: B would not take A's share
        drift = [c.detail for c in every if c.op == "drift" and c.rtype not in layered]
        if drift:
            out.append(("lb-drift", "warning", "; ".join(drift)))
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
