"""``i2 buildout plan``: one diff across every system of the DC, what ``apply`` would create,
change, wait for or leave alone. The racks' rows are the rack runbook's own plan; an
unreachable system blocks its own rows only."""

from __future__ import annotations

from collections.abc import Sequence

from lifecycle.runbooks.buildout.plan import racks_of
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.rack.observe import Change, observe_rows
from lifecycle.runbooks.rack.observe import observe as observe_rack


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


def observe(svc: Services, dc: str, racks: Sequence[str] | None = None) -> list[Change]:
    chosen = racks_of(svc, dc, racks)
    site = svc.site
    clouds = sorted({s.cloud for r in chosen for s in site.servers_in(r.name)})
    out = underclouds(svc, clouds)
    for rack in chosen:
        out += observe_rack(svc, rack.name)
    return out
