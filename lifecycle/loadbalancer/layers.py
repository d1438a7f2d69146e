"""The layers above an application environment's lbvserver: the content switching vserver whose
policy sends traffic to it (``csvserver_cspolicy_binding`` with ``targetlbvserver``), and the GSLB
vserver whose service is this site's VIP (``gslbvserver_gslbservice_binding``; the bound rows
carry the service's ``ipaddress``, ``port`` and state). Field names are NITRO's.

i2 binds what is missing, never rebinds: a policy that targets another lbvserver carries that
vserver's traffic (moving it is an operator's decision), and the csvserver, the cspolicy (its
rule), the gslbvserver and the gslbservice (its GSLB site) are made by the platform team. What
i2 cannot make is a conflict; a GSLB service that is not UP is ``down`` (the readiness refuses).

>>> from types import SimpleNamespace as NS
>>> i = NS(name="lb_web", device="ns1", vserver={"ipv46": "10.9.0.10", "port": 443},
...        cs={"name": "cs_www", "policyname": "csp_web", "priority": 100}, gslb=None)
>>> obs = NS(cs_bound=[{"name": "cs_www", "policyname": "csp_web", "targetlbvserver": "lb_old"}])
>>> cs_layer(i, obs).detail
'cspolicy csp_web on csvserver cs_www targets lbvserver lb_old, not lb_web: i2 does not rebind it'
>>> cs_layer(i, NS(cs_bound=[], cspolicy=True)).bind
{'name': 'cs_www', 'policyname': 'csp_web', 'targetlbvserver': 'lb_web', 'priority': 100}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

CS_BINDING = "csvserver_cspolicy_binding"
GSLB_BINDING = "gslbvserver_gslbservice_binding"


@dataclass(frozen=True)
class Layer:
    """One layer as found: ``status`` ok | bind (missing, i2 binds it) | conflict | down."""

    kind: str  # "cs" | "gslb"
    vserver: str  # the csvserver / gslbvserver
    member: str  # the cspolicy / gslbservice
    status: str
    detail: str
    bind: dict[str, Any] | None = None  # the binding i2 adds (status "bind")
    target: str | None = None  # cs: the lbvserver the policy targets on the appliance
    endpoint: str | None = None  # gslb: the service's ip:port on the appliance
    state: str | None = None  # gslb: the service's state (UP, DOWN, OUT OF SERVICE)

    @property
    def binding(self) -> str:
        return CS_BINDING if self.kind == "cs" else GSLB_BINDING

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "bind"}


def _row(rows: list[dict[str, Any]] | None, key: str, name: str) -> dict[str, Any] | None:
    return next((r for r in rows or [] if str(r.get(key)) == name), None)


def cs_layer(intent: Any, obs: Any) -> Layer | None:
    """The content switching layer of ``intent`` as ``obs`` found it (None: the site has none)."""
    if intent.cs is None:
        return None
    cs, pol, vs = str(intent.cs["name"]), str(intent.cs["policyname"]), intent.name

    def layer(status: str, detail: str, **kw: Any) -> Layer:
        return Layer("cs", cs, pol, status, detail, **kw)

    if obs.cs_bound is None:
        return layer("conflict", f"csvserver {cs} does not exist on {intent.device}: the platform team "
                                 "creates it (its VIP), i2 only binds its policy")
    row = _row(obs.cs_bound, "policyname", pol)
    if row is not None:
        target = str(row.get("targetlbvserver") or "")
        if target != vs:
            elsewhere = target or "none"
            return layer("conflict", f"cspolicy {pol} on csvserver {cs} targets lbvserver {elsewhere}, "
                                     f"not {vs}: i2 does not rebind it", target=target or None)
        return layer("ok", f"{cs} -> {pol} -> {vs}", target=target)
    if getattr(obs, "cspolicy", None) is False:
        return layer("conflict", f"cspolicy {pol} does not exist on {intent.device}: the platform team "
                                 "creates it (its rule), i2 only binds it")
    payload: dict[str, Any] = {"name": cs, "policyname": pol, "targetlbvserver": vs}
    if intent.cs.get("priority"):
        payload["priority"] = intent.cs["priority"]
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

    if obs.gslb_bound is None:
        return layer("conflict", f"gslbvserver {g} does not exist on {intent.device}: the platform team "
                                 "creates it, i2 only binds this site's service")
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
