"""The site's access rules as the platform team wrote them into VSD: the lab's own reading of
``applications.yaml`` and ``nuage.yaml`` (the site model only, no i2 code).

VSD decides a VM's traffic twice, in its L3 domain: the *ingress* ACL template holds what may
leave a VM (located at the VM's side, aimed at the other), the *egress* template what may reach a
VM. So a rule becomes an ingress grant when its source is a place VMs live in (a zone, a subnet,
a policy group, or any VM of the domain) and an egress grant when its destination is. The
outside world (``external``) and network macros never hold VMs.

The team numbered its grants in hundreds: each rule takes the next free hundred, one priority
per port, so every rule has room after it.

>>> from pathlib import Path
>>> from lifecycle.model import load_site
>>> site = load_site(Path(__file__).parents[2] / "examples" / "ie1")
>>> gs = grants(site, "prd")
>>> g = next(g for g in gs if g.label == "reporting-to-ledger")
>>> g.direction, g.location, g.network, g.protocol, g.port, g.priority > 0
('ingress', ('ZONE', 'reporting'), ('SUBNET', 'billing-prd-a'), '6', '5432', True)
>>> sorted({g.label for g in gs if g.location == ("ANY", "")})[:2]
['allow-dns', 'allow-node-exporter']
>>> [g.label for g in gs if g.label.startswith("web-portal-from")]
['web-portal-from-external']
>>> p = a_subnets(site)[0]
>>> p.domain, p.zone, p.subnet, p.cidr, p.gateway
('ie1-prd', 'web-portal', 'web-portal-prd-a', '10.20.1.0/26', '10.20.1.1')
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from lifecycle.model.schema import Site

# IANA protocol numbers, as VSD stores them; "any" is VSD's own word
IP_PROTOCOL = {"tcp": "6", "udp": "17", "icmp": "1", "any": "ANY"}
HOLDS_VMS = {"ANY", "ZONE", "SUBNET", "POLICYGROUP"}


def vsd_subnet(app: str, env: str, side: str) -> str:
    """The VSD (and Neutron) name of one side of an application's pair, ``billing-prd-a``: the
    name the upgrade looks subnets up by, so it is the wire contract, not a lab choice."""
    return f"{app}-{env}-{side}"


@dataclass(frozen=True)
class Placement:
    """Where one application environment sits before the upgrade: its A side."""

    app: str
    env: str
    domain: str
    zone: str
    subnet: str
    cidr: str

    @property
    def gateway(self) -> str:
        return str(ipaddress.ip_network(self.cidr).network_address + 1)


def a_subnets(site: Site) -> list[Placement]:
    """Every application environment that has a domain, in the site's order."""
    assert site.nuage is not None
    domain_of = {d.environment: d.name for d in site.nuage.domains}
    return [Placement(app.name, env, domain_of[env], app.zone or app.name, vsd_subnet(app.name, env, "a"),
                      str(spec.subnets.a))
            for app in site.applications for env, spec in app.environments.items() if env in domain_of]


@dataclass(frozen=True)
class Grant:
    """One ACL entry as the team wrote it. Sides are (VSD type, name); ANY has no name."""

    direction: str  # ingress | egress
    label: str  # what the team wrote in the entry's description
    location: tuple[str, str]
    network: tuple[str, str]
    protocol: str
    port: str  # destination port, "*" for every port
    action: str  # FORWARD | DROP
    stateful: bool
    priority: int

    @property
    def meaning(self) -> tuple[str, tuple[str, str], tuple[str, str], str, str, str, bool]:
        """What the entry does, whatever it is called or numbered."""
        return (self.direction, self.location, self.network, self.protocol, self.port, self.action,
                self.stateful)


@dataclass(frozen=True)
class _Rule:
    label: str
    src: str
    dst: str
    protocol: str
    ports: tuple[int, ...]
    allow: bool = True
    stateful: bool = True


def _side(endpoint: str, env: str, site: Site) -> tuple[str, str] | None:
    """An endpoint of the model's rule syntax (``app:x``, ``subnet:app/env/a``...) as it exists
    in the domain of ``env``; None when it has no place there (an app without that env)."""
    kind, _, ref = endpoint.partition(":")
    if kind in ("any", "external"):
        return ("ANY", "")
    if kind == "app":
        app = next((a for a in site.applications if a.name == ref), None)
        if app is None or env not in app.environments:
            return None
        return ("ZONE", app.zone or app.name)
    if kind == "subnet":
        app_name, its_env, side = ref.split("/")
        return ("SUBNET", vsd_subnet(app_name, its_env, side)) if its_env == env else None
    return {"zone": ("ZONE", ref), "macro": ("ENTERPRISE_NETWORK", ref), "pg": ("POLICYGROUP", ref)}[kind]


def _rules(site: Site, env: str) -> list[_Rule]:
    """The domain's rules in the order the site gives them: the common ones, then each
    application's (who it calls, who calls it, its own rules)."""
    out = [_Rule(r.name, r.src, r.dst, r.protocol, tuple(r.ports), r.action == "allow", r.stateful)
           for r in (site.nuage.acl.common if site.nuage else [])]
    has_env = {a.name for a in site.applications if env in a.environments}
    for app in site.applications:
        if app.name not in has_env:
            continue
        out += [_Rule(f"{app.name}-to-{t.app}", f"app:{app.name}", f"app:{t.app}", t.protocol, tuple(t.ports))
                for t in app.talks_to if t.app in has_env]
        out += [_Rule(f"{app.name}-from-{x.src.replace(':', '-')}", x.src, f"app:{app.name}", x.protocol,
                      tuple(x.ports)) for x in app.exposed_to]
        out += [_Rule(r.name, r.src, r.dst, r.protocol, tuple(r.ports), r.action == "allow", r.stateful)
                for r in app.rules]
    return out


def grants(site: Site, env: str) -> list[Grant]:
    """The entries the site's rules mean in the domain of ``env``, numbered as the team does."""
    out: list[Grant] = []
    last = 0
    for rule in _rules(site, env):
        src, dst = _side(rule.src, env, site), _side(rule.dst, env, site)
        if src is None or dst is None:
            continue
        first = (last // 100 + 1) * 100  # the next free hundred
        ports = [str(p) for p in rule.ports] or ["*"]
        last = first + len(ports) - 1
        for n, port in enumerate(ports):
            kw = {"label": rule.label, "protocol": IP_PROTOCOL[rule.protocol], "port": port,
                  "action": "FORWARD" if rule.allow else "DROP", "stateful": rule.stateful,
                  "priority": first + n}
            if src[0] in HOLDS_VMS and not rule.src.startswith("external"):
                out.append(Grant("ingress", location=src, network=dst, **kw))
            if dst[0] in HOLDS_VMS and not rule.dst.startswith("external"):
                out.append(Grant("egress", location=dst, network=src, **kw))
    return out
