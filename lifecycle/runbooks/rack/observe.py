"""``i2 rack plan``: one diff across the systems, what ``apply`` would create, change, wait for
or leave alone. An unreachable system blocks its own rows only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from lifecycle.model.schema import Server
from lifecycle.runbooks.common import Services, safe_observe
from lifecycle.runbooks.overcloud import tagged_nodes
from lifecycle.runbooks.rack.base import diff_lines
from lifecycle.runbooks.rack.fabric import leaf_hostname, spines_healthy, ztp_files
from lifecycle.runbooks.rack.oneview import serving_reason
from lifecycle.runbooks.rack.plan import allocate_indices, find_rack, train_clouds, undercloud_of

if TYPE_CHECKING:
    from lifecycle.tripleo.deploy import StackView


@dataclass
class Change:
    """One row of the plan.

    >>> Change("ironic", "c02-s01", "create", "enroll").as_dict()
    {'system': 'ironic', 'object': 'c02-s01', 'action': 'create', 'detail': 'enroll'}
    """

    system: str  # ztp | fabric | oneview | ironic | tripleo
    object: str
    action: str  # create | change | wait | none | blocked (unreachable) | error
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def observe_rows(system: str, obj: str, fn: Callable[[], list[Change]]) -> list[Change]:
    """``fn``'s rows; an unreachable system gives a "blocked" row, any other failure (refused
    credentials, TLS, a bug) an "error" row with the real message: fix it, waiting will not."""
    failed: list[Change] = []
    rows = safe_observe(fn, lambda why: failed.append(Change(system, obj, "blocked", why)),
                        lambda why: failed.append(Change(system, obj, "error", why)))
    return failed if rows is None else list(rows)


def observe(svc: Services, rack_name: str, *, indices: dict[str, str] | None = None,
            tripleo: bool = True, spines: bool = True) -> list[Change]:
    """What ``apply`` would create, change, wait for or leave alone, across every system.
    ``indices``: the node indices a larger run allocated (the build-out's, across its racks);
    ``tripleo``: add the scale-out's row (the build-out shows its first deploy instead);
    ``spines``: the spine gate's row (the build-out verifies its spines in steps of its own)."""
    rack = find_rack(svc, rack_name)
    site = svc.site
    members = site.servers_in(rack.name)
    out: list[Change] = []

    def ztp() -> list[Change]:
        files = ztp_files(svc, rack.name, dry_run=True)
        return [Change("ztp", f"data_root for {rack.name}", "change" if files else "none",
                       f"{len(files)} file(s) to write: {', '.join(files[:4])}"
                       + (" ..." if len(files) > 4 else "") if files else "staged")]

    if rack.state == "planned":
        out += observe_rows("ztp", rack.name, ztp)
        if spines:
            out += observe_rows("fabric", f"spines of {rack.name}", lambda: spine_gate(svc, rack.name))
    configs = svc.intended_configs()

    def leaf_changes(name: str) -> list[Change]:
        from lifecycle.fabric.eapi import diff

        if leaf_hostname(svc, name) != name:
            return [Change("fabric", name, "wait", "not provisioned yet: will wait for ZTP")]
        n = diff_lines(diff(svc.switch(name), configs[name]))
        return [Change("fabric", name, "change" if n else "none",
                       f"running config differs in {n} line(s)" if n else "config as rendered")]

    for leaf in rack.leaves.leaves:
        out += observe_rows("fabric", leaf.name, lambda n=leaf.name: leaf_changes(n))

    def templates() -> list[Change]:
        ov = svc.oneview()
        rows = []
        for p in sorted({s.hardware_profile for s in members}):
            seen = ov.observe_template(site.hardware_profiles[p])
            rows.append(Change("oneview", seen.name, {"created": "create", "updated": "change"}
                               .get(seen.action, "none"), "; ".join(seen.changes) or seen.action))
        return rows

    out += observe_rows("oneview", "templates", templates)

    def servers() -> list[Change]:
        ov = svc.oneview()
        rows = []
        uris: dict[str, str | None] = {}
        for s in members:
            p = site.hardware_profiles[s.hardware_profile]
            if p.name not in uris:
                uris[p.name] = ov.observe_template(p).uri
            uri = uris[p.name]
            state = ov.observe_server(s, uri) if uri else "no template yet"
            action = "none" if state == "ok" else ("blocked" if state.startswith(("missing", "mismatch"))
                                                   else "create" if state in ("no profile", "no template yet")
                                                   else "change")
            changes = action in ("create", "change")
            why = serving_reason(svc, s.name, undercloud_of(svc, s)) if changes else None
            if why:  # hazard 1: apply refuses to re-profile (and power off) a serving server
                action, state = "blocked", (f"{state}; refused: {s.name} is serving ({why}): drain it "
                                            f"first through the upgrade's recommission")
            ilo = ov.ilo_drift(s, p) if not state.startswith("missing") else ""
            if ilo:  # reported, never acted on: apply changes no iLO
                state = f"{state}; drift: {s.name}: {ilo}; left alone"
            rows.append(Change("oneview", s.name, action, state))
        return rows

    out += observe_rows("oneview", "servers", servers)

    def nodes() -> list[Change]:
        rows = []
        index = indices or allocate_indices(svc, members)
        for s in members:
            bm = svc.baremetal(undercloud_of(svc, s))
            node = bm.node(s.name)
            if node is None:
                rows.append(Change("ironic", s.name, "create",
                                   f"enroll, manage, inspect, tag node:{index[s.name]}, provide"))
                continue
            caps = bm.capabilities(s.name)
            todo = []
            if node.provision_state not in ("available", "active"):
                todo.append(f"{node.provision_state} -> available")
            if caps.get("node") != index[s.name]:
                todo.append(f"tag node:{index[s.name]}")
            rows.append(Change("ironic", s.name, "change" if todo else "none",
                               ", ".join(todo) or f"{node.provision_state}, node:{caps.get('node')}"))
        return rows

    out += observe_rows("ironic", "nodes", nodes)
    for cloud, servers_of in sorted(train_clouds(svc, members).items() if tripleo else ()):
        out += observe_rows("tripleo", cloud, lambda c=cloud, m=servers_of: scale_out_change(svc, c, m))
    return out


def spine_gate(svc: Services, rack: str) -> list[Change]:
    """The gate ``apply`` stages the rack's leaves behind: its spines healthy, or what it waits for."""
    from lifecycle.engine import TransientError

    try:
        healthy = spines_healthy(svc, rack)
    except TransientError as exc:
        return [Change("fabric", f"spines of {rack}", "wait", f"ZTP staging waits: {exc}")]
    return [Change("fabric", f"spines of {rack}", "none", f"healthy: {', '.join(healthy)}")]


def stack_and_deployed(svc: Services, cloud_name: str) -> tuple[StackView | None, set[str]]:
    """The cloud's stack as its undercloud has it (None: not deployed yet) and the names of the
    servers Ironic has deployed in it (the rack's scale-out and the build-out's first deploy)."""
    from lifecycle.tripleo.deploy import observe_stack
    from lifecycle.tripleo.undercloud import Undercloud

    cloud = svc.site.cloud(cloud_name)
    roles = [r.name for r in cloud.roles]
    with Undercloud.connect(svc.endpoints, cloud.undercloud, svc.secrets) as uc:
        stack = observe_stack(uc, cloud.stack, roles)
    deployed = {n.name for m in tagged_nodes(svc.baremetal(cloud.undercloud), roles).values()
                for n in m.values() if n.deployed}
    return stack, deployed


def scale_out_change(svc: Services, cloud_name: str, servers: list[Server]) -> list[Change]:
    """The counts the scale-out would raise, from the stack and Ironic as they are now."""
    cloud = svc.site.cloud(cloud_name)
    stack, deployed = stack_and_deployed(svc, cloud_name)
    new: dict[str, int] = {}
    for s in servers:
        if s.name not in deployed:
            new[s.role] = new.get(s.role, 0) + 1
    counts = {r.name: (stack.counts.get(r.name, r.count) if stack else r.count) for r in cloud.roles}
    if not new:
        return [Change("tripleo", cloud_name, "none", "the rack's servers are deployed")]
    detail = ", ".join(f"{r} {counts[r]} -> {counts[r] + n}" for r, n in new.items())
    return [Change("tripleo", cloud_name, "change", f"scale out {detail} through {cloud.undercloud}, "
                                                     "then prove the hypervisors")]
