"""What the immutable-cloud upgrade moves, derived from the site model alone (pure logic).

A :class:`Move` is one environment of one application going from its subnet A on the old
cloud to subnet B on the new one, in the same VSD zone (a rollback is the same move reversed:
its *source* side is B, its *destination* A). Names are fixed here once, so every step (and
every resumed process) finds the same objects: the VSD subnets are ``<app>-<env>-a|b``, the
Neutron network and subnet of each side carry the same name, and VMs keep their names
(hostnames survive the move).

>>> from lifecycle.model import load_site
>>> site = load_site("examples/ie1")
>>> [m.key for m in moves(site, wave="wave1")][:2]
['notifications/prd', 'notifications/qa']
>>> m = moves(site, apps=["billing"])[0]
>>> m.subnet(m.src), m.subnet(m.dst), m.cidr(m.dst), m.volumes
('billing-prd-a', 'billing-prd-b', '10.20.4.64/26', ['billing-prd-ledger'])
>>> back = moves(site, apps=["billing"], reverse=True)[0]
>>> back.subnet(back.src), back.subnet(back.dst)
('billing-prd-b', 'billing-prd-a')
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property

from lifecycle.model.schema import AppEnvironment, Application, Cloud, Site, Upgrade, Wave
from lifecycle.nuage.policy import MIRROR_PREFIX, Entry, Ref, mirror_of, subnet_name


class UpgradeModelError(ValueError):
    """The site does not describe an upgrade i2 can run (names what is missing)."""


@dataclass(frozen=True)
class Move:
    app: Application
    env: str
    wave: str
    domain: str  # VSD domain of the environment
    reverse: bool = False  # a rollback: from B (new cloud) back to A (old cloud)

    @property
    def src(self) -> str:
        """The side the application leaves: ``a`` (``b`` in a rollback)."""
        return "b" if self.reverse else "a"

    @property
    def dst(self) -> str:
        """The side the application goes to: ``b`` (``a`` in a rollback)."""
        return "a" if self.reverse else "b"

    @property
    def key(self) -> str:
        return f"{self.app.name}/{self.env}"

    @cached_property
    def spec(self) -> AppEnvironment:
        return self.app.environments[self.env]

    @property
    def project(self) -> str:
        return self.spec.project

    @property
    def zone(self) -> str:
        return self.app.zone_name

    def subnet(self, side: str) -> str:
        return subnet_name(self.app.name, self.env, side)

    def cidr(self, side: str) -> str:
        return str(getattr(self.spec.subnets, side))

    def gateway(self, side: str) -> str:
        return str(ipaddress.ip_network(self.cidr(side)).network_address + 1)

    def ref(self, side: str) -> Ref:
        return Ref("SUBNET", self.subnet(side))

    @property
    def vms(self) -> list[str]:
        return [v.name for v in self.spec.vms]

    @property
    def volumes(self) -> list[str]:
        return [v.name for v in self.spec.volumes]

    @property
    def stateful(self) -> bool:
        return self.app.stateful and bool(self.spec.volumes)


def unmirrored(m: Move, entries: list[Entry]) -> list[Entry]:
    """Entries naming the side the application leaves that do not cover the side it goes to.

    Forward: an entry naming A without its mirror for B. Rollback: a mirror naming B whose
    original (naming A) is gone."""
    src, dst = m.ref(m.src), m.ref(m.dst)
    ids = {e.id for e in entries}
    have = {e.external_id for e in entries if e.external_id}
    out = []
    for e in entries:
        if not e.names(src):
            continue
        if e.external_id.startswith(MIRROR_PREFIX):
            original = e.external_id[len(MIRROR_PREFIX):].rsplit(":", 1)[0]
            if m.reverse and original not in ids:
                out.append(e)
        elif mirror_of(e, src, dst, "").external_id not in have:
            out.append(e)
    # by priority: mirrors made in this order take the same priorities on every run
    return sorted(out, key=lambda e: (e.direction, e.priority))


def upgrade_of(site: Site) -> Upgrade:
    if site.upgrade is None:
        raise UpgradeModelError("the site has no upgrade section (from, to, waves)")
    if site.nuage is None:
        raise UpgradeModelError("the site has no nuage section: the upgrade moves subnets in VSD")
    return site.upgrade


def clouds(site: Site) -> tuple[Cloud, Cloud]:
    """(old, new) cloud models of the upgrade."""
    up = upgrade_of(site)
    old, new = site.cloud(up.from_cloud), site.cloud(up.to_cloud)
    for c in (old, new):
        if c.nuage is None:
            raise UpgradeModelError(f"cloud {c.name} has no nuage section (net_partition, cms_name)")
    return old, new


def waves(site: Site, wave: str | None = None) -> list[Wave]:
    up = upgrade_of(site)
    if wave is None:
        return list(up.waves)
    found = [w for w in up.waves if w.name == wave]
    if not found:
        raise UpgradeModelError(f"no wave {wave!r} (waves: {', '.join(w.name for w in up.waves)})")
    return found


def moves(site: Site, *, wave: str | None = None, apps: list[str] | None = None,
          reverse: bool = False) -> list[Move]:
    """Every application environment to move, wave by wave, in the site's order."""
    assert site.nuage is not None
    domains = {d.environment: d.name for d in site.nuage.domains}
    known = {a.name for a in site.applications}
    unknown = sorted(set(apps or []) - known)
    if unknown:
        raise UpgradeModelError(f"no application {', '.join(unknown)} in the site")
    out: list[Move] = []
    for w in waves(site, wave):
        for name in w.applications:
            if apps and name not in apps:
                continue
            app = site.application(name)
            for env in app.environments:
                if env not in domains:
                    raise UpgradeModelError(f"application {name}: no VSD domain for environment {env}")
                out.append(Move(app, env, w.name, domains[env], reverse))
    if apps:
        missing = sorted(set(apps) - {m.app.name for m in out})
        if missing:
            raise UpgradeModelError(f"{', '.join(missing)}: in no wave{' ' + wave if wave else ''}")
    return out


def wave_of(site: Site, app: str) -> str:
    for w in upgrade_of(site).waves:
        if app in w.applications:
            return w.name
    raise UpgradeModelError(f"application {app} is in no wave")


def flavor_needs(site: Site, move: Move) -> dict[str, int]:
    """How many servers of each flavor the move boots in the new cloud."""
    out: dict[str, int] = {}
    for vm in move.spec.vms:
        out[vm.flavor] = out.get(vm.flavor, 0) + 1
    return out
