"""The layers above an application environment's lbvserver: the content switching vserver whose
policy sends traffic to it (``csvserver_cspolicy_binding`` with ``targetlbvserver``), and the GSLB
vserver whose service is this site's VIP (``gslbvserver_gslbservice_binding``; the bound rows
carry the service's ``ipaddress``, ``port`` and state). Field names are NITRO's.

i2 creates a csvserver or gslbvserver the site names when the appliance has none (a
csvserver without a VIP of its own, non-addressable, as the site gives none; the service
type the lbvserver's), and binds what is missing; it never rebinds: a policy that targets
another lbvserver carries that vserver's traffic (moving it is an operator's decision), and a
policy bound at another priority than the site's is reported as ``drift``, not rebound. The
cspolicy (its rule) and the gslbservice (its GSLB site) are the platform team's: the site does
not describe them, so one missing is a conflict. A GSLB service that is not UP is ``down`` (the
readiness refuses).

>>> from types import SimpleNamespace as NS
>>> i = NS(name="lb_web", device="ns1", vserver={"ipv46": "10.9.0.10", "port": 443, "servicetype": "SSL"},
...        cs={"name": "cs_www", "policyname": "csp_web", "priority": 100}, gslb=None)
>>> obs = NS(cs_bound=[{"name": "cs_www", "policyname": "csp_web", "targetlbvserver": "lb_old"}])
>>> cs_layer(i, obs).detail
'cspolicy csp_web on csvserver cs_www targets lbvserver lb_old, not lb_web: i2 does not rebind it'
>>> cs_layer(i, NS(cs_bound=[], cspolicy=True)).bind
{'name': 'cs_www', 'policyname': 'csp_web', 'targetlbvserver': 'lb_web', 'priority': 100}
>>> x = cs_layer(i, NS(cs_bound=None, cspolicy=True))
>>> (x.status, x.create, x.bind["policyname"])
('create', [('csvserver', {'name': 'cs_www', 'servicetype': 'SSL'})], 'csp_web')
>>> row = {"policyname": "csp_web", "targetlbvserver": "lb_web", "priority": "90"}
>>> cs_layer(i, NS(cs_bound=[row])).detail
'cspolicy csp_web is bound to csvserver cs_www at priority 90, the site says 100: i2 does not rebind it'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CS_BINDING = "csvserver_cspolicy_binding"
GSLB_BINDING = "gslbvserver_gslbservice_binding"


@dataclass(frozen=True)
class Layer:
    """One layer as found: ``status`` ok | bind (missing, i2 binds it) | create (the csvserver or
    gslbvserver missing: i2 creates it, then binds) | drift (bound at another priority than the
    site's: reported, not changed) | conflict | down."""

    kind: str  # "cs" | "gslb"
    vserver: str  # the csvserver / gslbvserver
    member: str  # the cspolicy / gslbservice
    status: str
    detail: str
    bind: dict[str, Any] | None = None  # the binding i2 adds (status "bind")
    target: str | None = None  # cs: the lbvserver the policy targets on the appliance
    endpoint: str | None = None  # gslb: the service's ip:port on the appliance
    state: str | None = None  # gslb: the service's state (UP, DOWN, OUT OF SERVICE)
    # status "create": the objects i2 adds first, (type, add payload), before the binding
    create: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def binding(self) -> str:
        return CS_BINDING if self.kind == "cs" else GSLB_BINDING

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("bind", "create")}


def _row(rows: list[dict[str, Any]] | None, key: str, name: str) -> dict[str, Any] | None:
    return next((r for r in rows or [] if str(r.get(key)) == name), None)


def cs_layer(intent: Any, obs: Any) -> Layer | None:
    """The content switching layer of ``intent`` as ``obs`` found it (None: the site has none)."""
    if intent.cs is None:
        return None
    cs, pol, vs = str(intent.cs["name"]), str(intent.cs["policyname"]), intent.name

    def layer(status: str, detail: str, **kw: Any) -> Layer:
        return Layer("cs", cs, pol, status, detail, **kw)

    row = _row(obs.cs_bound, "policyname", pol)
    if row is not None:
        target = str(row.get("targetlbvserver") or "")
        if target != vs:
            elsewhere = target or "none"
            return layer("conflict", f"cspolicy {pol} on csvserver {cs} targets lbvserver {elsewhere}, "
                                     f"not {vs}: i2 does not rebind it", target=target or None)
        want, have = intent.cs.get("priority"), row.get("priority")
        if want and str(have) != str(want):
            return layer("drift", f"cspolicy {pol} is bound to csvserver {cs} at priority {have or 'none'}, "
                                  f"the site says {want}: i2 does not rebind it", target=target)
        return layer("ok", f"{cs} -> {pol} -> {vs}", target=target)
    if getattr(obs, "cspolicy", None) is False:
        return layer("conflict", f"cspolicy {pol} does not exist on {intent.device}: the platform team "
                                 "creates it (its rule), i2 only binds it")
    payload: dict[str, Any] = {"name": cs, "policyname": pol, "targetlbvserver": vs}
    if intent.cs.get("priority"):
        payload["priority"] = intent.cs["priority"]
    if obs.cs_bound is None:  # no such csvserver: i2 makes it (no VIP of its own), then binds
        kind = intent.vserver["servicetype"]
        return layer("create", f"csvserver {cs} does not exist on {intent.device}: create it "
                               f"(non-addressable, {kind}) and bind {pol} targeting {vs}",
                     bind=payload, create=[("csvserver", {"name": cs,
                                                          "servicetype": intent.vserver["servicetype"]})])
    return layer("bind", f"cspolicy {pol} is not bound to csvserver {cs}: bind it targeting {vs}",
                 bind=payload)


def _endpoint(obj: dict[str, Any]) -> str:
    return f"{obj.get('ipaddress') or obj.get('ip')}:{obj.get('port')}"


def gslb_layer(intent: Any, obs: Any) -> Layer | None:
    """The GSLB layer of ``intent`` as ``obs`` found it (None: the site has none). The service
    must be this site's VIP (the lbvserver's ``ipv46:port``) and UP."""
    if intent.gslb is None:
        return None
    g, svc = str(intent.gslb["name"]), str(intent.gslb["servicename"])
    vip = f"{intent.vserver['ipv46']}:{intent.vserver['port']}"

    def layer(status: str, detail: str, **kw: Any) -> Layer:
        return Layer("gslb", g, svc, status, detail, **kw)

    row = _row(obs.gslb_bound, "servicename", svc)
    found = row if row is not None else getattr(obs, "gslbservice", None)
    if found is None:
        return layer("conflict", f"gslbservice {svc} does not exist on {intent.device}: the platform team "
                                 f"creates it (its GSLB site, IP {vip}), i2 only binds it to {g}")
    where = _endpoint(found)
    # the bound row's effective state of the service (curstate on older firmware); the object's svrstate
    state = str((found.get("svreffgslbstate") or found.get("curstate")) if row is not None
                else found.get("svrstate") or "UNKNOWN").upper()
    if where != vip:
        return layer("conflict", f"gslbservice {svc} points at {where}, not this site's VIP {vip} "
                                 f"({intent.name})", endpoint=where, state=state)
    if obs.gslb_bound is None:  # no such gslbvserver: i2 makes it, then binds this site's service
        return layer("create", f"gslbvserver {g} does not exist on {intent.device}: create it "
                               f"({intent.vserver['servicetype']}) and bind {svc} ({vip}, {state})",
                     bind={"name": g, "servicename": svc}, endpoint=where, state=state,
                     create=[("gslbvserver", {"name": g, "servicetype": intent.vserver["servicetype"]})])
    if row is None:
        return layer("bind", f"gslbservice {svc} ({vip}, {state}) is not bound to gslbvserver {g}: bind it",
                     bind={"name": g, "servicename": svc}, endpoint=where, state=state)
    if state != "UP":
        return layer("down", f"gslbservice {svc} ({vip}) on gslbvserver {g} is {state}: GSLB sends no "
                             "client to this site", endpoint=where, state=state)
    return layer("ok", f"{g} -> {svc} ({vip}) UP", endpoint=where, state=state)


def layers(intent: Any, obs: Any) -> list[Layer]:
    """The content switching and GSLB layers the site declares for ``intent``."""
    return [x for x in (cs_layer(intent, obs), gslb_layer(intent, obs)) if x is not None]


__all__ = ["CS_BINDING", "GSLB_BINDING", "Layer", "cs_layer", "gslb_layer", "layers"]
