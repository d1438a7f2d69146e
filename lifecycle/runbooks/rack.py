"""Rack runbook: from racked servers and leaves to hypervisors of their cloud.

``plan`` observes the systems and says what ``apply`` would do; ``build_plan`` fixes the
steps of a run; ``build`` is the engine's factory that rebuilds the actions on every resume.

Steps per rack (all in one batch, ``rack:<name>``, for ``--max-fail-percent``)::

    ztp/stage ─> <leaf>/ztp ─> <leaf>/verify ───────────────────────────┐
    template/<profile> ─> <server>/profile ─> enroll ─> manage ─> inspect ─> check ─> tag ─> provide
    <server>/identify ──────┘                                                                 │
    every provide of a cloud's servers ─> overcloud/<cloud>/render ─> validate ─> upload ─> deploy
    overcloud/<cloud>/deploy ─> <server>/hypervisor

The scale-out raises each role's ``<Role>Count`` by the rack's servers not yet deployed (counted
when it renders) and deploys through the undercloud; a second apply observes the stack already
deployed with those files. Only managed Train clouds are deployed (lifecycle.runbooks.overcloud).

>>> plan = build_plan(svc, "c02")                                   # doctest: +SKIP
>>> run_id = store.create_run(plan)                                 # doctest: +SKIP
>>> Engine(store, build(RunbookContext.from_run(store.get_run(run_id)))).execute(run_id)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lifecycle.engine import ActionRegistry, Plan, RunbookContext, StepSpec
from lifecycle.model.schema import Rack, Server
from lifecycle.runbooks import overcloud
from lifecycle.runbooks.rack_actions import actions
from lifecycle.runbooks.services import Services

RUNBOOK = "lifecycle.runbooks.rack:build"
LIMITS = {"oneview": 8, "ironic": 32, "fabric": 4, "ztp": 1, "undercloud": 1}


def build(ctx: RunbookContext) -> ActionRegistry:
    """Engine factory: the actions, bound to the site and endpoints the run was created with."""
    svc = ctx.extra.get("services") or Services(site_dir=ctx.params["site_dir"],
                                                endpoints_file=ctx.params["endpoints_file"])
    return ActionRegistry(actions(svc))


def _rack(svc: Services, name: str) -> Rack:
    try:
        return svc.site.rack(name)
    except KeyError:
        known = ", ".join(r.name for r in svc.site.racks)
        raise ValueError(f"no rack {name!r} in site {svc.site.site.name} (racks: {known})") from None


def _undercloud(svc: Services, server: Server) -> str:
    return svc.site.cloud(server.cloud).undercloud


def leaves_of(svc: Services, server: Server) -> list[str]:
    """The switches this server's NICs are cabled to."""
    out = []
    for nic in server.nics:
        peer = svc.site.peer_of(f"{server.name}:{nic.name}")
        if peer:
            out.append(peer.split(":", 1)[0])
    return sorted(set(out))


def allocate_indices(svc: Services, servers: list[Server]) -> dict[str, str]:
    """``node:<role>-N`` per server: kept when the node already has one, else the lowest free N
    in that Ironic (name order), so indices never move when racks are added."""
    from lifecycle.baremetal import role_capability

    out: dict[str, str] = {}
    by_uc: dict[tuple[str, str], list[Server]] = {}
    for s in sorted(servers, key=lambda s: s.name):
        by_uc.setdefault((_undercloud(svc, s), role_capability(s.role)), []).append(s)
    for (uc, prefix), members in by_uc.items():
        bm = svc.baremetal(uc)
        used = bm.used_indices(prefix)
        mine = {name: i for i, name in used.items()}
        taken = set(used)
        n = 0
        for s in members:
            if s.name in mine:
                out[s.name] = f"{prefix}-{mine[s.name]}"
                continue
            while n in taken:
                n += 1
            taken.add(n)
            out[s.name] = f"{prefix}-{n}"
    return out


def build_plan(svc: Services, rack_name: str, *, power: str = "off", ztp_timeout: float = 900,
               servers: list[str] | None = None) -> Plan:
    """The steps of ``i2 rack apply``; the run's params let any process resume it."""
    rack = _rack(svc, rack_name)
    site = svc.site
    batch = f"rack:{rack.name}"
    steps: list[StepSpec] = []
    ztp = rack.state == "planned"
    verify: dict[str, str] = {}
    if ztp:
        steps.append(StepSpec(key="ztp/stage", target=f"rack:{rack.name}", action="fabric.ztp_stage",
                              params={"rack": rack.name}, batch=batch,
                              description=f"Stage ZTP definitions for {rack.name}'s leaves"))
    for i, leaf in enumerate(rack.leaves.leaves):
        target = f"switch:{leaf.name}"
        deps = []
        if ztp:
            steps.append(StepSpec(key=f"{leaf.name}/ztp", target=target, action="fabric.await_ztp",
                                  params={"leaf": leaf.name, "ztp_timeout": ztp_timeout},
                                  deps=["ztp/stage"], batch=batch,
                                  description=f"Wait for {leaf.name} to finish ZTP"))
            deps = [f"{leaf.name}/ztp"]
        verify[leaf.name] = f"{leaf.name}/verify"
        # The peer link's LLDP names the MLAG peer only once the peer is provisioned too: verify
        # after every leaf of the rack has ended ZTP (done or failed: a failed peer is reported).
        peers = [f"{other.name}/ztp" for other in rack.leaves.leaves if ztp and other.name != leaf.name]
        steps.append(StepSpec(key=verify[leaf.name], target=target, action="fabric.verify",
                              params={"leaf": leaf.name, "rack": rack.name, "index": i}, deps=deps,
                              after=peers, batch=batch,
                              description=f"Verify {leaf.name}: config, MLAG, BGP, CVX, LLDP"))
    members = [s for s in site.servers_in(rack.name) if servers is None or s.name in servers]
    if servers is not None:
        unknown = sorted(set(servers) - {s.name for s in members})
        if unknown:
            raise ValueError(f"not servers of rack {rack.name}: {', '.join(unknown)}")
    steps += server_steps(svc, members, batch, power=power,
                          inspect_after={s.name: [verify[x] for x in leaves_of(svc, s) if x in verify]
                                         for s in members})
    steps += scale_out_steps(svc, rack.name, members, batch)
    return Plan(kind="rack", target=f"rack:{rack.name}", site_digest=site.digest, runbook=RUNBOOK,
                params={"site_dir": str(svc.site_dir.resolve()),
                        "endpoints_file": str(svc.endpoints_file.resolve()), "rack": rack.name},
                steps=steps)


def server_steps(svc: Services, members: list[Server], batch: str, *, power: str = "off",
                 inspect_after: dict[str, list[str]] | None = None, first: dict[str, list[str]] | None = None,
                 key_prefix: str = "") -> list[StepSpec]:
    """OneView templates, then per server: identify, profile, enroll, manage, inspect, check,
    tag, provide (in the undercloud of the server's cloud). ``inspect_after``: per server, the
    steps (its leaves' verification) its inspection waits for; ``first``: per server, steps its
    first step depends on (the upgrade's recommission: drained and undeployed)."""
    steps: list[StepSpec] = []
    for profile in sorted({s.hardware_profile for s in members}):
        steps.append(StepSpec(key=f"{key_prefix}template/{profile}", target=f"template:{profile}",
                              action="oneview.template", params={"profile": profile}, batch=batch,
                              description=f"Sync OneView server profile template for {profile}"))
    indices = allocate_indices(svc, members) if members else {}
    for s in members:
        t, k = f"server:{s.name}", f"{key_prefix}{s.name}"
        uc = _undercloud(svc, s)
        base = {"server": s.name, "undercloud": uc, "identify_step": f"{k}/identify"}
        template = f"{key_prefix}template/{s.hardware_profile}"

        def add(key: str, action: str, deps: list[str], desc: str, t: str = t, k: str = k,
                base: dict[str, Any] = base, **params: Any) -> None:
            steps.append(StepSpec(key=f"{k}/{key}", target=t, action=action, batch=batch,
                                  params={**base, **params}, deps=deps, description=desc))

        add("identify", "oneview.identify", list((first or {}).get(s.name, [])),
            f"Find {s.name} in OneView and check its identity")
        add("profile", "oneview.profile", [f"{k}/identify", template],
            f"Apply server profile to {s.name}", template_step=template, power=power)
        add("enroll", "ironic.enroll", [f"{k}/profile", f"{k}/identify"], f"Enroll {s.name} in {uc}")
        add("manage", "ironic.manage", [f"{k}/enroll"], f"Manage {s.name}")
        add("inspect", "ironic.inspect", [f"{k}/manage", *(inspect_after or {}).get(s.name, [])],
            f"Inspect {s.name}")
        add("check", "ironic.check", [f"{k}/inspect", f"{k}/identify"],
            f"Check {s.name}'s inventory and LLDP against profile and cabling")
        add("tag", "ironic.tag", [f"{k}/check", f"{k}/identify"], f"Tag {s.name} ({indices[s.name]})",
            node_index=indices[s.name])
        add("provide", "ironic.provide", [f"{k}/tag"], f"Provide {s.name}")
    return steps


def scale_out_steps(svc: Services, rack: str, members: list[Server], batch: str,
                    key_prefix: str = "") -> list[StepSpec]:
    """Per managed Train cloud of the rack's servers: scale out once they are all provided, then
    prove each one is a hypervisor of the cloud."""
    steps: list[StepSpec] = []
    for cloud, servers in sorted(_train_clouds(svc, members).items()):
        render = overcloud.render_params(cloud, work=overcloud.work_dir(f"rack-{rack}-{cloud}"),
                                         scale_out=[s.name for s in servers])
        chain = overcloud.overcloud_steps(cloud, render=render,
                                          deps=[f"{key_prefix}{s.name}/provide" for s in servers],
                                          batch=batch, ensure=True)
        steps += chain
        for s in servers:
            steps.append(StepSpec(key=f"{key_prefix}{s.name}/hypervisor", target=f"server:{s.name}",
                                  action="tripleo.prove", deps=[chain[-1].key], batch=batch,
                                  params={"server": s.name, "cloud": cloud},
                                  description=f"Prove {s.name} is a hypervisor of {cloud}"))
    return steps


# -- plan: one diff across the systems ---------------------------------------------------------


@dataclass
class Change:
    system: str  # ztp | fabric | oneview | ironic
    object: str
    action: str  # create | change | wait | none | blocked
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _safe(system: str, obj: str, fn: Any) -> list[Change]:
    try:
        return list(fn())
    except Exception as exc:  # an unreachable system blocks that part of the plan only
        return [Change(system, obj, "blocked", f"cannot observe: {exc}")]


def observe(svc: Services, rack_name: str) -> list[Change]:
    """What ``apply`` would create, change, wait for or leave alone, across every system."""
    from lifecycle.runbooks.rack_actions import StageZtp, _hostname

    rack = _rack(svc, rack_name)
    site = svc.site
    members = site.servers_in(rack.name)
    out: list[Change] = []

    def ztp() -> list[Change]:
        step = _view({"rack": rack.name})
        files = StageZtp(svc)._write(step, True)
        return [Change("ztp", f"data_root for {rack.name}", "change" if files else "none",
                       f"{len(files)} file(s) to write: {', '.join(files[:4])}"
                       + (" ..." if len(files) > 4 else "") if files else "staged")]

    if rack.state == "planned":
        out += _safe("ztp", rack.name, ztp)
    configs = svc.intended_configs()

    def leaf_changes(name: str) -> list[Change]:
        from lifecycle.fabric.eapi import diff

        if _hostname(svc, name) != name:
            return [Change("fabric", name, "wait", "not provisioned yet: will wait for ZTP")]
        text = diff(svc.switch(name), configs[name])
        n = sum(1 for line in text.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))
        return [Change("fabric", name, "change" if n else "none",
                       f"running config differs in {n} line(s)" if n else "config as rendered")]

    for leaf in rack.leaves.leaves:
        out += _safe("fabric", leaf.name, lambda n=leaf.name: leaf_changes(n))

    def templates() -> list[Change]:
        ov = svc.oneview()
        rows = []
        for p in sorted({s.hardware_profile for s in members}):
            seen = ov.observe_template(site.hardware_profiles[p])
            rows.append(Change("oneview", seen.name, {"created": "create", "updated": "change"}
                               .get(seen.action, "none"), "; ".join(seen.changes) or seen.action))
        return rows

    out += _safe("oneview", "templates", templates)

    def servers() -> list[Change]:
        ov = svc.oneview()
        rows = []
        uris = {}
        for s in members:
            p = site.hardware_profiles[s.hardware_profile]
            if p.name not in uris:
                uris[p.name] = ov.observe_template(p).uri
            state = ov.observe_server(s, uris[p.name]) if uris[p.name] else "no template yet"
            action = "none" if state == "ok" else ("blocked" if state.startswith(("missing", "mismatch"))
                                                   else "create" if state in ("no profile", "no template yet")
                                                   else "change")
            rows.append(Change("oneview", s.name, action, state))
        return rows

    out += _safe("oneview", "servers", servers)

    def nodes() -> list[Change]:
        rows = []
        indices = allocate_indices(svc, members)
        for s in members:
            bm = svc.baremetal(_undercloud(svc, s))
            node = bm.node(s.name)
            if node is None:
                rows.append(Change("ironic", s.name, "create",
                                   f"enroll, manage, inspect, tag node:{indices[s.name]}, provide"))
                continue
            caps = bm.capabilities(s.name)
            todo = []
            if node.provision_state not in ("available", "active"):
                todo.append(f"{node.provision_state} -> available")
            if caps.get("node") != indices[s.name]:
                todo.append(f"tag node:{indices[s.name]}")
            rows.append(Change("ironic", s.name, "change" if todo else "none",
                               ", ".join(todo) or f"{node.provision_state}, node:{caps.get('node')}"))
        return rows

    out += _safe("ironic", "nodes", nodes)
    for cloud, servers in sorted(_train_clouds(svc, members).items()):
        out += _safe("tripleo", cloud, lambda c=cloud, m=servers: _scale_out_change(svc, c, m))
    return out


def _train_clouds(svc: Services, members: list[Server]) -> dict[str, list[Server]]:
    """The rack's servers per managed Train cloud (the clouds i2 deploys)."""
    out: dict[str, list[Server]] = {}
    for s in members:
        cloud = svc.site.cloud(s.cloud)
        if cloud.managed and cloud.release == "train":
            out.setdefault(cloud.name, []).append(s)
    return out


def _scale_out_change(svc: Services, cloud_name: str, servers: list[Server]) -> list[Change]:
    from lifecycle.tripleo.deploy import observe_stack, tagged_nodes
    from lifecycle.tripleo.undercloud import Undercloud

    cloud = svc.site.cloud(cloud_name)
    roles = [r.name for r in cloud.roles]
    with Undercloud.connect(svc.endpoints, cloud.undercloud, svc.secrets) as uc:
        stack = observe_stack(uc, cloud.stack, roles)
    deployed = {n.name for m in tagged_nodes(svc.baremetal(cloud.undercloud).conn, roles).values()
                for n in m.values() if n.deployed}
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


def _view(params: dict[str, Any]) -> Any:
    from lifecycle.engine import StepView

    return StepView(key="plan", target="plan", action="plan", params=params, attempt=0,
                    dep_outputs={}, run_id="")


# -- report ------------------------------------------------------------------------------------


def _evidence(stage: str, out: dict[str, Any], before: str) -> str:
    """What a done step proves, added to (or replacing) the device's evidence so far."""
    def more(text: str) -> str:
        return "; ".join(x for x in (before, text) if x)

    if stage == "check":
        lldp = ", ".join(f"{k}={v}" for k, v in (out.get("lldp") or {}).items())
        return f"{out.get('cpus')} CPUs, {out.get('memory_mb')} MB, LLDP {lldp}"
    if stage == "tag":
        return more(f"node:{out.get('node')}")
    if stage == "verify":
        checks = out.get("checks") or []
        return f"{sum(1 for c in checks if c.get('ok'))}/{len(checks)} checks ok"
    if stage == "render":
        t = out.get("target") or {}
        counts = t.get("counts", {})
        changed = [f"{r} {n} -> {counts[r]}" for r, n in t.get("before", {}).items() if counts.get(r) != n]
        return ", ".join(changed) or "counts unchanged"
    if stage == "deploy":
        return more(f"deployed in {out['seconds']} s" if out.get("ran") else "already deployed")
    if stage == "hypervisor":
        where = f"{out.get('role')} {out.get('index')}, proof: {out.get('proof')}"
        return more(f"{out.get('hostname')} ({where})")
    return before


def report(store: Any, run_id: str) -> list[dict[str, Any]]:
    """One row per switch, server and overcloud of the run: state, evidence, what failed and why."""
    rows: dict[str, dict[str, Any]] = {}
    stopped: dict[str, bool] = {}
    for st in sorted(store.get_steps(run_id), key=lambda st: st.seq):
        kind, _, name = st.target.partition(":")
        if kind not in ("server", "switch", "overcloud"):
            continue
        row = rows.setdefault(st.target, {"device": name, "kind": kind, "state": "pending",
                                          "evidence": "", "error": ""})
        stage = st.key.rsplit("/", 1)[-1]
        status = str(st.status)
        if status == "done":
            out = st.outputs or {}
            row["state"] = {"provide": "available", "verify": "verified", "deploy": "deployed",
                            "hypervisor": "hypervisor" if out.get("proof") == "nova" else "deployed",
                            }.get(stage, f"{stage} done")
            row["evidence"] = _evidence(stage, out, row["evidence"])
        elif status in ("failed", "quarantined", "skipped") and not stopped.get(st.target):
            stopped[st.target] = True  # the first step that did not end done says where it stopped
            row["state"] = f"{stage} {status}"
            row["error"] = st.last_error or ""
        elif status in ("running", "pending") and not stopped.get(st.target):
            stopped[st.target] = True
            row["state"] = f"{stage} {status}"
    order = {"switch": 0, "server": 1, "overcloud": 2}
    return sorted(rows.values(), key=lambda r: (order[r["kind"]], r["device"]))
