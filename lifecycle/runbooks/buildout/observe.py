"""``i2 buildout plan``: one diff across every system of the DC, what ``apply`` would create,
change, wait for or leave alone. The racks' rows are the rack runbook's own plan; an
unreachable system blocks its own rows only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from lifecycle.model.schema import Server
from lifecycle.runbooks.buildout.plan import racks_of
from lifecycle.runbooks.buildout.vsd import nuage_clouds
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.rack.observe import Change, observe_rows, stack_and_deployed
from lifecycle.runbooks.rack.observe import observe as observe_rack
from lifecycle.runbooks.rack.plan import allocate_indices, train_clouds


def underclouds(svc: Services, clouds: Sequence[str]) -> list[Change]:
    """Each managed cloud's undercloud: ready (``none``) or what is missing (``blocked``)."""
    from lifecycle.tripleo.readiness import check_undercloud
    from lifecycle.tripleo.undercloud import Undercloud

    out: list[Change] = []
    seen: set[str] = set()
    for name in clouds:
        cloud = svc.site.cloud(name)
        if not cloud.managed or cloud.undercloud in seen:
            continue
        seen.add(cloud.undercloud)

        def rows(cloud=cloud) -> list[Change]:
            with Undercloud.connect(svc.endpoints, cloud.undercloud, svc.secrets) as uc:
                checks = check_undercloud(uc, release=cloud.release, stack=cloud.stack)
            bad = [c for c in checks if not c.ok]
            if bad:
                return [Change("undercloud", cloud.undercloud, "blocked",
                               "; ".join(f"{c.check}: {c.detail}" for c in bad))]
            stack = next((c.detail for c in checks if c.check == "stack"), "")
            return [Change("undercloud", cloud.undercloud, "none", f"ready ({stack})")]

        out += observe_rows("undercloud", cloud.undercloud, rows)
    return out


def first_deploy(svc: Services, cloud_name: str, servers: Sequence[Server]) -> list[Change]:
    """The cloud's first deploy (or, when its stack exists, the scale-out by the servers not
    deployed yet), role by role."""
    cloud = svc.site.cloud(cloud_name)
    stack, deployed = stack_and_deployed(svc, cloud_name)
    new = Counter(s.role for s in servers if s.name not in deployed)
    if not new:
        return [Change("tripleo", cloud_name, "none", "every server of the build-out is deployed")]
    if stack is None:
        detail = ", ".join(f"{r} {n}" for r, n in new.items())
        return [Change("tripleo", cloud_name, "create", f"first deploy through {cloud.undercloud}: {detail}")]
    have = {r: stack.counts.get(r, 0) for r in new}
    detail = ", ".join(f"{r} {have[r]} -> {have[r] + n}" for r, n in new.items())
    return [Change("tripleo", cloud_name, "change", f"scale out {detail} through {cloud.undercloud}")]


def observe(svc: Services, dc: str, racks: Sequence[str] | None = None) -> list[Change]:
    chosen = racks_of(svc, dc, racks)
    site = svc.site
    members = [s for r in chosen for s in site.servers_in(r.name)]
    out = underclouds(svc, sorted({s.cloud for s in members}))
    indices: dict[str, str] = {}  # across the racks, as the run allocates them

    def allocate() -> list[Change]:
        indices.update(allocate_indices(svc, members))
        return []

    out += observe_rows("ironic", "node indices", allocate)
    seen: set[tuple[str, str]] = set()
    for rack in chosen:
        for row in observe_rack(svc, rack.name, indices=indices or None, tripleo=False,
                                spines=False):
            if (row.system, row.object) not in seen:  # a template shared by racks is shown once
                seen.add((row.system, row.object))
                out.append(row)
    clouds = train_clouds(svc, members)
    if site.nuage is not None and nuage_clouds(svc, sorted(clouds)):
        out += observe_rows("vsd", "bootstrap", lambda: vsd_bootstrap(svc))
    for cloud, servers in sorted(clouds.items()):
        out += observe_rows("tripleo", cloud, lambda c=cloud, m=servers: first_deploy(svc, c, m))
    return out


def vsd_bootstrap(svc: Services) -> list[Change]:
    """What the run's ``vsd/bootstrap`` would make (one row: the count and the first few)."""
    from lifecycle.nuage.bootstrap import BootstrapError, intent, plan

    try:
        want = intent(svc.site, svc.endpoints)
    except BootstrapError as exc:
        return [Change("vsd", "bootstrap", "error", str(exc))]
    done = plan(svc.nuage(), want, svc.endpoints, svc.secrets)
    if done.blocked:
        return [Change("vsd", "bootstrap", "blocked",
                       "; ".join(f"{i.kind} {i.name}: {i.detail}" for i in done.blocked[:3]))]
    if not done.changes:
        return [Change("vsd", "bootstrap", "none", f"organised ({len(done.items)} objects)")]
    first = ", ".join(f"{i.kind} {i.name}" for i in done.changes[:4])
    return [Change("vsd", "bootstrap", "create", f"{len(done.changes)} to make or fix: {first}"
                   + (" ..." if len(done.changes) > 4 else ""))]
