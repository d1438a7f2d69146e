"""Upgrade runbook: the immutable-cloud upgrade, application by application, subnet by subnet.

``readiness`` observes both clouds and VSD and says, per wave and application, what blocks and
what will be done; ``build_plan`` fixes the steps of a run; ``build`` is the engine's factory
that rebuilds the actions on every resume.

Steps per application environment (make before break; ``--app``/``--wave`` select)::

    net-partition ─> vsd-subnet ─> acl-mirror ──────────────────────────────┐
                         └──────> network ─> boot ─> [freeze ─> per volume: detach ─> unmanage
                                                      ─> manage] ─> attach ─> healthy ─> in-service
    in-service ─> soak ─> retire ─> delete-a-vms ─> delete-a-network ─> delete-vsd-a
    in-service (every app of a project) ─> endpoint/<project>

B's VMs are booted before any volume moves, so the writers are held only while volumes move.
Waves run one after the other; a failed application is quarantined and its wave goes on
within ``--max-fail-percent``.

>>> plan = build_plan(svc, wave="wave1")                                  # doctest: +SKIP
>>> run_id = store.create_run(plan)                                       # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lifecycle.engine import ActionRegistry, Plan, RunbookContext, StepSpec
from lifecycle.runbooks.services import Services
from lifecycle.runbooks.upgrade_actions import actions
from lifecycle.runbooks.upgrade_model import Move, clouds, moves, upgrade_of

RUNBOOK = "lifecycle.runbooks.upgrade:build"
LIMITS = {"vsd": 4, "neutron": 4, "nova": 8, "cinder": 4, "files": 1, "probes": 2,
          "oneview": 8, "ironic": 32, "fabric": 4, "undercloud": 1}
# Rough seconds per step kind on a production estate (ETA only; the soak comes on top).
STEP_SECONDS = {"upgrade.boot": 90.0, "upgrade.healthy": 10.0, "upgrade.manage": 15.0,
                "upgrade.unmanage": 10.0, "upgrade.detach": 15.0, "upgrade.attach": 20.0,
                "upgrade.delete_a_vms": 30.0}


def services(svc: Services) -> Services:
    """The upgrade works on the site as it is after recommissioning (lifecycle.runbooks.recommission)."""
    from lifecycle.runbooks.recommission import recommissioned

    return svc.override_site(recommissioned(svc.site))


def build(ctx: RunbookContext) -> ActionRegistry:
    """Engine factory: the actions, bound to the site and endpoints the run was created with:
    the upgrade's, and the rack and overcloud runbooks' for recommissioning."""
    from lifecycle.runbooks import rack_actions, recommission

    svc = ctx.extra.get("services") or services(Services(site_dir=ctx.params["site_dir"],
                                                         endpoints_file=ctx.params["endpoints_file"]))
    return ActionRegistry([*actions(svc), *rack_actions.actions(svc), *recommission.actions(svc)])


def _move_steps(m: Move, np_step: str, soak: float) -> tuple[list[StepSpec], str, str]:
    """The steps of one move; returns them, the in-service key and the last key."""
    k, t, batch = m.key, f"app:{m.app.name}", f"wave:{m.wave}"
    base = {"app": m.app.name, "env": m.env}
    steps: list[StepSpec] = []

    def add(name: str, action: str, deps: list[str], desc: str, **params: Any) -> str:
        key = f"{k}/{name}"
        steps.append(StepSpec(key=key, target=t, action=action, batch=batch, deps=deps,
                              params={**base, **params}, description=desc))
        return key

    sub = add("vsd-subnet", "upgrade.vsd_subnet", [np_step],
              f"Create VSD subnet {m.subnet('b')} ({m.cidr('b')}) in zone {m.zone} of {m.domain}")
    acl = add("acl-mirror", "upgrade.acl_mirror", [sub],
              f"Mirror ACL entries naming {m.subnet('a')} for {m.subnet('b')}", subnet_step=sub)
    net = add("network", "upgrade.network", [sub, np_step],
              f"Create network and VSD-managed subnet {m.subnet('b')} in {m.project}",
              subnet_step=sub, np_step=np_step)
    boot = add("boot", "upgrade.boot", [net], f"Boot {', '.join(m.vms)} on {m.subnet('b')}",
               network_step=net)
    before_attach = [boot]
    if m.stateful:
        freeze = add("freeze", "upgrade.freeze", [boot],
                     f"Stop writers of {m.key} ({m.app.writer_stop})")
        for vol in m.volumes:
            det = add(f"volume/{vol}/detach", "upgrade.detach", [freeze], f"Detach {vol}", volume=vol)
            unm = add(f"volume/{vol}/unmanage", "upgrade.unmanage", [det],
                      f"Unmanage {vol} in the old cloud", volume=vol)
            man = add(f"volume/{vol}/manage", "upgrade.manage", [unm, det],
                      f"Manage {vol} into the new cloud", volume=vol, detach_step=det)
            before_attach.append(man)
    attach = add("attach", "upgrade.attach", before_attach,
                 f"Attach volumes to B's VMs{' and resume writes' if m.stateful else ''}")
    healthy = add("healthy", "upgrade.healthy", [attach], f"{m.key} on B: ACTIVE and resolved in VSD")
    ins = add("in-service", "upgrade.in_service", [healthy, acl], f"Put {m.key} on B in service")
    soak_k = add("soak", "upgrade.soak", [ins], f"Soak {m.key} on B for {soak:g} s",
                 in_service_step=ins, soak_seconds=soak)
    ret = add("retire", "upgrade.retire", [soak_k], f"Take {m.key} on A out of service")
    dvm = add("delete-a-vms", "upgrade.delete_a_vms", [ret], f"Delete A's VMs of {m.key}")
    dnet = add("delete-a-network", "upgrade.delete_a_network", [dvm],
               f"Delete network {m.subnet('a')} in the old cloud")
    clean = add("delete-vsd-a", "upgrade.delete_vsd_a", [dnet],
                f"Delete VSD subnet {m.subnet('a')} and the entries naming it")
    last = add("evidence", "upgrade.evidence", [sub, clean],
               f"Downtime of {m.key} as the probes saw it", start_step=sub)
    return steps, ins, last


def build_plan(svc: Services, *, wave: str | None = None, apps: list[str] | None = None,
               recommission: bool = True) -> Plan:
    """The steps of ``i2 upgrade apply``; the run's params let any process resume it.
    Recommissioning (whole waves only) allocates node indices in the new undercloud's Ironic:
    ``svc`` must be :func:`services`' view of the site."""
    site = svc.site
    up = upgrade_of(site)
    old, new = clouds(site)
    selected = moves(site, wave=wave, apps=apps)
    np_key = "net-partition"
    steps = [StepSpec(key=np_key, target=f"cloud:{new.name}", action="upgrade.net_partition",
                      description=f"Link net-partition {new.nuage.net_partition if new.nuage else ''} "
                                  f"in {new.name} to the VSD enterprise")]
    in_service: dict[str, list[str]] = {}
    prev_wave_last: list[str] = []
    by_wave: dict[str, list[Move]] = {}
    for m in selected:
        by_wave.setdefault(m.wave, []).append(m)
    for members in by_wave.values():
        lasts = []
        for m in members:
            mine, ins, last = _move_steps(m, np_key, up.soak_seconds)
            mine[0].after.extend(prev_wave_last)  # waves run one after the other
            steps += mine
            in_service.setdefault(m.project, []).append(ins)
            lasts.append(last)
        prev_wave_last = lasts
    if apps is None and recommission:  # recommissioning follows whole waves only
        from lifecycle.runbooks.recommission import recommission_steps

        ends = {w: [s.key for s in steps if s.batch == f"wave:{w}" and s.key.endswith("/evidence")]
                for w in by_wave}
        steps += recommission_steps(svc, waves=list(by_wave), after=ends)
    for project, keys in sorted(in_service.items()):
        names = sorted({m.app.name for m in selected if m.project == project})
        steps.append(StepSpec(key=f"endpoint/{project}", target=f"project:{project}",
                              action="upgrade.endpoint", params={"project": project, "apps": names},
                              deps=keys,
                              description=f"Point {project}'s clouds.yaml entry at {new.name} once "
                                          "every application of the project runs there"))
    scope = f"wave {wave}" if wave else "all waves"
    return Plan(kind="upgrade", target=f"upgrade:{old.name}>{new.name}", site_digest=site.digest,
                runbook=RUNBOOK,
                params={"site_dir": str(svc.site_dir.resolve()),
                        "endpoints_file": str(svc.endpoints_file.resolve()), "wave": wave,
                        "apps": apps, "scope": scope},
                steps=steps)


def build_rollback_plan(svc: Services, app: str) -> Plan:
    """``i2 upgrade rollback APP``: the application back on A, its volumes included, B removed.
    Possible until A is cleaned (the first step checks, and refuses naming what is gone)."""
    site = svc.site
    old, new = clouds(site)
    steps: list[StepSpec] = []
    for m in moves(site, apps=[app], reverse=True):
        k, t = f"{m.key}/rollback", f"app:{m.app.name}"
        base = {"app": m.app.name, "env": m.env, "reverse": True}

        def add(name: str, action: str, deps: list[str], desc: str, k: str = k, t: str = t,
                base: dict[str, Any] = base, **params: Any) -> str:
            key = f"{k}/{name}"
            steps.append(StepSpec(key=key, target=t, action=action, deps=deps, batch=f"rollback:{app}",
                                  params={**base, **params}, description=desc))
            return key

        check = add("check", "upgrade.rollback_check", [], f"{m.key}: A still there to return to")
        before_attach = [check]
        if m.stateful:
            freeze = add("freeze", "upgrade.freeze", [check], f"Stop writers of {m.key} on B")
            for vol in m.volumes:
                det = add(f"volume/{vol}/detach", "upgrade.detach", [freeze], f"Detach {vol} from B",
                          volume=vol)
                unm = add(f"volume/{vol}/unmanage", "upgrade.unmanage", [det],
                          f"Unmanage {vol} in {new.name}", volume=vol)
                man = add(f"volume/{vol}/manage", "upgrade.manage", [unm, det],
                          f"Manage {vol} back into {old.name}", volume=vol, detach_step=det)
                before_attach.append(man)
        attach = add("attach", "upgrade.attach", before_attach, f"{m.key} on A: volumes attached, writing")
        healthy = add("healthy", "upgrade.healthy", [attach], f"{m.key} on A: ACTIVE and resolved in VSD")
        ins = add("in-service", "upgrade.in_service", [healthy], f"{m.key} on A in service")
        ret = add("retire", "upgrade.retire", [ins], f"Take {m.key} on B out of service")
        dvm = add("delete-b-vms", "upgrade.delete_a_vms", [ret], f"Delete B's VMs of {m.key}")
        dnet = add("delete-b-network", "upgrade.delete_a_network", [dvm],
                   f"Delete network {m.subnet('b')} in {new.name}")
        add("delete-vsd-b", "upgrade.delete_vsd_a", [dnet],
            f"Delete VSD subnet {m.subnet('b')} and its mirrored entries")
        steps.append(StepSpec(key=f"endpoint/{m.project}/rollback", target=f"project:{m.project}",
                              action="upgrade.endpoint",
                              params={"project": m.project, "reverse": True, "app": m.app.name},
                              deps=[ins], batch=f"rollback:{app}",
                              description=f"Point {m.project}'s clouds.yaml entry back at {old.name}"))
    return Plan(kind="upgrade-rollback", target=f"rollback:{app}", site_digest=site.digest,
                runbook=RUNBOOK, params={"site_dir": str(svc.site_dir.resolve()),
                                         "endpoints_file": str(svc.endpoints_file.resolve()), "app": app},
                steps=steps)


# -- readiness -----------------------------------------------------------------------------------


@dataclass
class Finding:
    wave: str
    app: str  # app/env, or "" for the campaign
    check: str
    level: str  # ok | info | warning | blocking
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _safe(out: list[Finding], wave: str, app: str, check: str, fn: Any) -> Any:
    try:
        return fn()
    except Exception as exc:  # an unreachable system blocks that check, not the report
        out.append(Finding(wave, app, check, "blocking", f"cannot observe: {exc}"))
        return None


def readiness(svc: Services, *, wave: str | None = None, apps: list[str] | None = None) -> list[Finding]:
    """Per wave and application: what the new cloud, VSD and the old cloud say about the move."""
    site = svc.site
    old_c, new_c = clouds(site)
    selected = moves(site, wave=wave, apps=apps)
    out: list[Finding] = []
    assert site.nuage is not None and new_c.nuage is not None
    new, old = svc.cloud(new_c.name), svc.cloud(old_c.name)
    vsd = svc.nuage()

    def campaign() -> None:
        ent = vsd.enterprise(site.nuage.organisation)
        if ent is None:
            out.append(Finding("", "", "vsd", "blocking",
                               f"VSD has no enterprise {site.nuage.organisation}"))
        nps = {p["name"]: p for p in new.net_partitions()}
        np = nps.get(new_c.nuage.net_partition)
        if np is None:
            out.append(Finding("", "", "net-partition", "info",
                               f"{new_c.name} has no net-partition {new_c.nuage.net_partition}: "
                               "it will be created, linking the existing enterprise"))
        elif ent is not None and np["id"] != ent.id:
            out.append(Finding("", "", "net-partition", "blocking",
                               f"net-partition {np['name']} of {new_c.name} is not enterprise {ent.name}"))
        else:
            out.append(Finding("", "", "net-partition", "ok", f"{np['name']} linked ({np['id']})"))

    _safe(out, "", "", "campaign", campaign)
    flavors = {f.name: f for f in
               _safe(out, "", "", "flavors", lambda: list(new.conn.compute.flavors())) or []}
    images = {i.name for i in _safe(out, "", "", "images", lambda: list(new.conn.image.images())) or []}
    by_wave: dict[str, list[Move]] = {}
    for m in selected:
        by_wave.setdefault(m.wave, []).append(m)
    for wname, members in by_wave.items():
        need = {"vcpus": 0, "memory_mb": 0}
        for m in members:
            _safe(out, wname, m.key, "move", lambda m=m, need=need: out.extend(_app_findings(
                svc, m, new, old, flavors, images, need)))
        free = _safe(out, wname, "", "capacity", new.capacity)
        if free is not None:
            short = [k for k in ("vcpus", "memory_mb") if need[k] > free[k]]
            level = "blocking" if short else "ok"
            out.append(Finding(wname, "", "capacity", level,
                               f"needs {need['vcpus']} vCPUs / {need['memory_mb']} MB, {new_c.name} has "
                               f"{free['vcpus']} / {free['memory_mb']} MB free on {free['hosts']} host(s)"))
    return out


def _app_findings(svc: Services, m: Move, new: Any, old: Any, flavors: dict[str, Any],
                  images: set[str], need: dict[str, int]) -> list[Finding]:
    from lifecycle.nuage.policy import MIRROR_PREFIX
    from lifecycle.runbooks.upgrade_actions import _unmirrored

    site = svc.site
    w, k = m.wave, m.key
    out: list[Finding] = []
    vsd = svc.nuage()
    olds = {s.name: s for s in old.servers(project=m.project, names=m.vms)}
    news = {s.name: s for s in new.servers(project=m.project, names=m.vms)}
    moved = len(news) == len(m.vms) and not olds
    if moved:
        out.append(Finding(w, k, "state", "ok",
                           f"moved: {len(news)} VM(s) on {new.name}, none left on {old.name}"))
    project = new.project(m.project)
    if project is None:
        out.append(Finding(w, k, "project", "blocking", f"{new.name} has no project {m.project}"))
    else:
        out.append(Finding(w, k, "project", "ok", f"{m.project} exists"))
        quota = new.quota(m.project)
        todo = [v for v in m.spec.vms if v.name not in news]
        cores = sum(int(flavors[v.flavor].vcpus) for v in todo if v.flavor in flavors)
        ram = sum(int(flavors[v.flavor].ram) for v in todo if v.flavor in flavors)
        short = [f"{key} ({left} left, {want} needed)" for key, left, want in
                 (("instances", quota["instances"], len(todo)), ("cores", quota["cores"], cores),
                  ("ram", quota["ram"], ram)) if left != -1 and want > left]
        out.append(Finding(w, k, "quota", "blocking" if short else "ok",
                           "short of " + ", ".join(short) if short else f"{len(todo)} VM(s) fit"))
    for v in m.spec.vms:
        if v.flavor not in flavors:
            out.append(Finding(w, k, "flavor", "blocking", f"{new.name} has no flavor {v.flavor} ({v.name})"))
        else:
            if v.name not in news:
                need["vcpus"] += int(flavors[v.flavor].vcpus)
                need["memory_mb"] += int(flavors[v.flavor].ram)
        if v.image not in images:
            out.append(Finding(w, k, "image", "blocking", f"{new.name} has no image {v.image} ({v.name})"))
        was = olds.get(v.name)
        key = getattr(was, "key_name", None) if was else None
        if key and new.keypair(key) is None:
            out.append(Finding(w, k, "keypair", "blocking", f"{new.name} has no keypair {key} ({v.name})"))
    ent = vsd.enterprise(site.nuage.organisation) if site.nuage else None
    dom = vsd.domain(ent, m.domain) if ent is not None else None
    zone = vsd.zone(dom, m.zone) if dom is not None else None
    if zone is None:
        out.append(Finding(w, k, "vsd-zone", "blocking", f"VSD has no zone {m.zone} in domain {m.domain}"))
        return out
    b = vsd.subnet(dom, m.subnet("b"))
    if b is not None and b.parent_id != zone.id:
        out.append(Finding(w, k, "vsd-subnet", "blocking", f"{m.subnet('b')} exists outside zone {m.zone}"))
    elif b is not None:
        out.append(Finding(w, k, "vsd-subnet", "ok", f"{m.subnet('b')} exists ({b.address})"))
    else:
        out.append(Finding(w, k, "vsd-subnet", "info", f"{m.subnet('b')} ({m.cidr('b')}) will be created "
                                                         f"in zone {m.zone}"))
    ids = {m.subnet(side): getattr(vsd.subnet(dom, m.subnet(side)), "id", None) for side in ("a", "b")}
    entries = vsd.entries_for(dom, ids)
    naming = [e for e in entries if e.names(m.ref("a")) and not e.external_id.startswith(MIRROR_PREFIX)]
    missing = _unmirrored(m, entries)
    for e in naming:
        state = "to mirror for B" if e in missing else "mirrored for B"
        out.append(Finding(w, k, "acl", "info" if e in missing else "ok",
                           f"{e.direction} entry {e.rule} names {m.subnet('a')} explicitly: {state}"))
    if m.stateful:
        for name in m.volumes:
            v_old = old.volume(m.project, name)
            v_new = new.volume(m.project, name)
            if v_new is not None:
                out.append(Finding(w, k, "volume", "ok", f"{name} already in {new.name} ({v_new.status})"))
            elif v_old is None:
                out.append(Finding(w, k, "volume", "blocking", f"{name} is in neither cloud"))
            else:
                out.append(Finding(w, k, "volume", "info",
                                   f"{name} ({v_old.size} GB, {v_old.status}) will be imported into "
                                   f"{new.name} without copying"))
        if m.app.writer_stop == "stop-vms":
            out.append(Finding(w, k, "writers", "warning", "writer_stop stop-vms stops A's VMs while "
                                                           "volumes move: an outage the probes will show"))
    return out


def eta_seconds(plan: Plan, soak: float) -> float:
    """A rough duration: steps run in parallel within a wave, soaks once per wave."""
    waves = {s.batch for s in plan.steps if s.batch}
    per_app: dict[str, float] = {}
    for s in plan.steps:
        per_app[s.target] = per_app.get(s.target, 0.0) + STEP_SECONDS.get(s.action, 2.0)
    return round(max(per_app.values() or [0]) * max(len(waves), 1) + soak * len(waves), 1)


# -- report --------------------------------------------------------------------------------------


def report(store: Any, run_ids: list[str]) -> list[dict[str, Any]]:
    """One row per application environment across runs (oldest first, later runs win): where
    it stands, its downtime and write freeze as the probes measured them, volumes imported."""
    rows: dict[str, dict[str, Any]] = {}
    for run_id in run_ids:
        stopped: set[str] = set()
        for st in sorted(store.get_steps(run_id), key=lambda s: s.seq):
            if not st.target.startswith("app:"):
                continue
            app, env = st.params.get("app"), st.params.get("env")
            key = f"{app}/{env}"
            row = rows.setdefault(key, {"app": key, "state": "pending", "downtime_ms": None,
                                        "write_freeze_ms": None, "volumes": {}, "error": ""})
            if run_id not in row.setdefault("_runs", []):  # a later run starts this row afresh
                row["_runs"].append(run_id)
                row.update(state="pending", error="")
            stage = st.key[len(key) + 1:]
            out = st.outputs or {}
            if str(st.status) == "done" and key not in stopped:
                row["state"] = {"evidence": "moved", "rollback/delete-vsd-b": "rolled back"}.get(
                    stage, f"{stage} done")
                if stage == "evidence":
                    row["downtime_ms"] = out.get("downtime_ms")
                    row["write_freeze_ms"] = out.get("write_freeze_ms")
                if stage.endswith("/manage"):
                    row["volumes"][stage.split("/")[-2]] = {"from": out.get("old_id"),
                                                            "to": out.get("new_id")}
            elif str(st.status) in ("failed", "quarantined", "skipped", "running", "pending") \
                    and key not in stopped:
                stopped.add(key)
                row["state"] = f"{stage} {st.status}"
                row["error"] = st.last_error or ""
    out = []
    for row in rows.values():
        row.pop("_runs", None)
        out.append(row)
    return sorted(out, key=lambda r: r["app"])
