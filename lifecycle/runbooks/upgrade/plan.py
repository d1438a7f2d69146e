"""The steps of an upgrade run and of a rollback, fixed when the run is created; each step's
params are its action's typed model, checked here (a wrong key fails the plan, not the run)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from lifecycle.engine import Plan, StepParams, StepSpec
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.upgrade.actions import (
    AclMirror,
    Attach,
    Boot,
    DeleteSourceNetwork,
    DeleteSourceVms,
    DeleteSourceVsd,
    Detach,
    Endpoint,
    Evidence,
    Freeze,
    Healthy,
    InService,
    LbDrain,
    LbEnsure,
    LbInService,
    LbUnbind,
    Manage,
    NetPartition,
    Network,
    Retire,
    RollbackCheck,
    Soak,
    Unmanage,
    VsdSubnet,
)
from lifecycle.runbooks.upgrade.actions.base import MoveAction
from lifecycle.runbooks.upgrade.eta import base_seconds, estimate
from lifecycle.runbooks.upgrade.factory import RUNBOOK, registry
from lifecycle.runbooks.upgrade.model import Move, clouds, moves, upgrade_of

# Seconds per step kind, before the site's timers (soak, monitor, drain delay): see eta.py
STEP_SECONDS = base_seconds()


class _Steps:
    """The steps of one move, keyed ``<prefix>/<name>``, each with its action's params."""

    def __init__(self, m: Move, prefix: str, batch: str):
        self.m, self.prefix, self.batch = m, prefix, batch
        self.steps: list[StepSpec] = []

    def add(self, name: str, action: type[MoveAction], deps: list[str], desc: str, **params: Any) -> str:
        key = f"{self.prefix}/{name}"
        p = action.Params(app=self.m.app.name, env=self.m.env, reverse=self.m.reverse, **params)
        self.steps.append(StepSpec(key=key, target=f"app:{self.m.app.name}", action=action.name,
                                   batch=self.batch, deps=deps, params=p, description=desc))
        return key


def _move_steps(m: Move, np_step: str, soak: float) -> tuple[list[StepSpec], str, str]:
    """The steps of one move; returns them, the in-service key and the last key."""
    s = _Steps(m, m.key, f"wave:{m.wave}")
    src, dst = m.subnet(m.src), m.subnet(m.dst)
    sub = s.add("vsd-subnet", VsdSubnet, [np_step],
                f"Create VSD subnet {dst} ({m.cidr(m.dst)}) in zone {m.zone} of {m.domain}")
    acl = s.add("acl-mirror", AclMirror, [sub], f"Mirror ACL entries naming {src} for {dst}", subnet_step=sub)
    net = s.add("network", Network, [sub, np_step],
                f"Create network and VSD-managed subnet {dst} in {m.project}",
                subnet_step=sub, np_step=np_step)
    boot = s.add("boot", Boot, [net], f"Boot {', '.join(m.vms)} on {dst}", network_step=net)
    before_attach = [boot]
    if m.stateful:
        freeze = s.add("freeze", Freeze, [boot], f"Stop writers of {m.key} ({m.app.writer_stop})")
        for vol in m.volumes:
            det = s.add(f"volume/{vol}/detach", Detach, [freeze], f"Detach {vol}", volume=vol)
            unm = s.add(f"volume/{vol}/unmanage", Unmanage, [det], f"Unmanage {vol} in the old cloud",
                        volume=vol)
            man = s.add(f"volume/{vol}/manage", Manage, [unm, det], f"Manage {vol} into the new cloud",
                        volume=vol, detach_step=det)
            before_attach.append(man)
    attach = s.add("attach", Attach, before_attach,
                   f"Attach volumes to B's VMs{' and resume writes' if m.stateful else ''}")
    healthy = s.add("healthy", Healthy, [attach], f"{m.key} on B: ACTIVE and resolved in VSD")
    if m.spec.lb is None:
        ins = s.add("in-service", InService, [healthy, acl], f"Put {m.key} on B in service")
    else:
        ens = s.add("lb-ensure", LbEnsure, [sub], f"{m.spec.lb.lbvserver.name}, its service group and "
                    f"monitor on {m.spec.lb.device} as the site says")
        ins = s.add("in-service", LbInService, [healthy, acl, ens],
                    f"Bind {m.key}'s B VMs to {m.spec.lb.servicegroup.servicegroupname}; wait for "
                    f"{m.spec.lb.monitor} to say UP", healthy_step=healthy)
    soak_k = s.add("soak", Soak, [ins], f"Soak {m.key} on B for {soak:g} s", in_service_step=ins,
                   soak_seconds=soak)
    ret = _out_of_service(s, m, [soak_k], ins, "A")
    # step keys name the side they delete (A here, B in a rollback); the actions, the role
    dvm = s.add("delete-a-vms", DeleteSourceVms, [ret], f"Delete A's VMs of {m.key}")
    dnet = s.add("delete-a-network", DeleteSourceNetwork, [dvm], f"Delete network {src} in the old cloud")
    clean = s.add("delete-vsd-a", DeleteSourceVsd, [dnet],
                  f"Delete VSD subnet {src} and the entries naming it")
    # behind a load balancer, the unbind step's account of the NetScaler goes into the evidence
    last = s.add("evidence", Evidence, [sub, clean] + ([ret] if m.spec.lb is not None else []),
                 f"Downtime of {m.key} as the probes saw it",
                 start_step=sub)
    return s.steps, ins, last


def _out_of_service(s: _Steps, m: Move, deps: list[str], ins: str, side: str) -> str:
    """Take the source (``side``) out of service; the last key. Behind a load balancer: drain its
    members gracefully, then unbind them once the drain delay has passed."""
    if m.spec.lb is None:
        return s.add("retire", Retire, deps, f"Take {m.key} on {side} out of service")
    # the in-service step's outputs name the destination's addresses it bound
    ret = s.add("retire", LbDrain, list(dict.fromkeys([*deps, ins])),
                f"Drain {m.key}'s {side} members from {m.spec.lb.lbvserver.name} "
                f"({m.spec.lb.drain_delay} s graceful), once B is UP", in_service_step=ins)
    return s.add(f"unbind-{side.lower()}", LbUnbind, [ret, ins], f"Unbind {m.key}'s {side} members after "
                 "the drain delay", drain_step=ret, in_service_step=ins)


def _endpoint(project: str, params: StepParams, deps: list[str], desc: str, key: str,
              batch: str | None = None) -> StepSpec:
    return StepSpec(key=key, target=f"project:{project}", action=Endpoint.name, params=params, deps=deps,
                    batch=batch, description=desc)


def _run_params(svc: Services, **more: Any) -> dict[str, Any]:
    """What any process needs to rebuild the actions (and the plan's own scope)."""
    return {"site_dir": str(svc.site_dir.resolve()), "endpoints_file": str(svc.endpoints_file.resolve()),
            **more}


def build_plan(svc: Services, *, wave: str | None = None, apps: list[str] | None = None,
               recommission: bool = True) -> Plan:
    """The steps of ``i2 upgrade apply``; the run's params let any process resume it.
    Recommissioning (whole waves only) allocates node indices in the new undercloud's Ironic:
    ``svc`` must be :func:`~lifecycle.runbooks.upgrade.factory.services`' view of the site."""
    site = svc.site
    up = upgrade_of(site)
    old, new = clouds(site)
    selected = moves(site, wave=wave, apps=apps)
    np_key = "net-partition"
    steps = [StepSpec(key=np_key, target=f"cloud:{new.name}", action=NetPartition.name,
                      params=NetPartition.Params(),
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
        steps.append(_endpoint(project, Endpoint.Params(project=project, apps=names), keys,
                               f"Point {project}'s clouds.yaml entry at {new.name} once every "
                               "application of the project runs there", key=f"endpoint/{project}"))
    registry(svc).check(steps)
    scope = f"wave {wave}" if wave else "all waves"
    return Plan(kind="upgrade", target=f"upgrade:{old.name}>{new.name}", site_digest=site.digest,
                runbook=RUNBOOK, params=_run_params(svc, wave=wave, apps=apps, scope=scope), steps=steps,
                resources=move_resources(svc, steps, selected))


def build_rollback_plan(svc: Services, app: str) -> Plan:
    """``i2 upgrade rollback APP``: the application back on A, its volumes included, B removed.
    Possible until A is cleaned (the first step checks, and refuses naming what is gone)."""
    site = svc.site
    old, new = clouds(site)
    steps: list[StepSpec] = []
    for m in moves(site, apps=[app], reverse=True):
        s = _Steps(m, f"{m.key}/rollback", f"rollback:{app}")
        check = s.add("check", RollbackCheck, [], f"{m.key}: A still there to return to")
        before_attach = [check]
        if m.stateful:
            freeze = s.add("freeze", Freeze, [check], f"Stop writers of {m.key} on B")
            for vol in m.volumes:
                det = s.add(f"volume/{vol}/detach", Detach, [freeze], f"Detach {vol} from B", volume=vol)
                unm = s.add(f"volume/{vol}/unmanage", Unmanage, [det], f"Unmanage {vol} in {new.name}",
                            volume=vol)
                man = s.add(f"volume/{vol}/manage", Manage, [unm, det], f"Manage {vol} back into {old.name}",
                            volume=vol, detach_step=det)
                before_attach.append(man)
        attach = s.add("attach", Attach, before_attach, f"{m.key} on A: volumes attached, writing")
        healthy = s.add("healthy", Healthy, [attach], f"{m.key} on A: ACTIVE and resolved in VSD")
        if m.spec.lb is None:
            ins = s.add("in-service", InService, [healthy], f"{m.key} on A in service")
        else:
            ins = s.add("in-service", LbInService, [healthy], f"{m.key}'s A VMs bound, enabled and UP on "
                        f"{m.spec.lb.lbvserver.name}", healthy_step=healthy)
        ret = _out_of_service(s, m, [ins], ins, "B")
        dvm = s.add("delete-b-vms", DeleteSourceVms, [ret], f"Delete B's VMs of {m.key}")
        dnet = s.add("delete-b-network", DeleteSourceNetwork, [dvm],
                     f"Delete network {m.subnet('b')} in {new.name}")
        s.add("delete-vsd-b", DeleteSourceVsd, [dnet],
              f"Delete VSD subnet {m.subnet('b')} and its mirrored entries")
        steps += s.steps
        steps.append(_endpoint(m.project, Endpoint.Params(project=m.project, reverse=True, app=m.app.name),
                               [ins], f"Point {m.project}'s clouds.yaml entry back at {old.name}",
                               key=f"endpoint/{m.project}/rollback", batch=f"rollback:{app}"))
    registry(svc).check(steps)
    return Plan(kind="upgrade-rollback", target=f"rollback:{app}", site_digest=site.digest,
                runbook=RUNBOOK, params=_run_params(svc, app=app), steps=steps,
                resources=move_resources(svc, steps, moves(site, apps=[app], reverse=True)))


def eta_seconds(plan: Plan, soak: float | None = None, *, site: Any = None,
                limits: Mapping[str, int] | None = None) -> float:
    """Seconds ``i2 upgrade apply`` of ``plan`` should take, as :mod:`.eta` models it (the soak
    is in the soak steps' params; ``soak`` is ignored). The site's timers and the endpoints'
    concurrency limits are read from the plan's site and endpoints unless given."""
    from lifecycle.model import load_site
    from lifecycle.runbooks.upgrade.factory import LIMITS

    if site is None:
        site = load_site(plan.params["site_dir"])
    if limits is None:
        limits = dict(LIMITS)
        from lifecycle.model.endpoints import EndpointsInvalid, load_endpoints
        from lifecycle.model.limits import step_limits

        with contextlib.suppress(EndpointsInvalid, OSError):  # none yet: the runbook's own limits
            limits = step_limits(load_endpoints(plan.params["endpoints_file"]), LIMITS)
    lim = dict(limits)
    return round(estimate(plan, site, lambda sys: lim.get(sys, lim.get(sys.split(":", 1)[0], 4))), 1)


__all__ = ["STEP_SECONDS", "build_plan", "build_rollback_plan", "eta_seconds"]


def replan(svc: Services, run_params: Mapping[str, Any], old_steps: Sequence[Any]) -> Plan:
    """The plan of a stored upgrade (or rollback) run on the site as it is now (``i2 runs resume
    --replan``): the same wave, applications or rolled-back application."""
    from lifecycle.runbooks.overcloud.plan import keep_work_dirs
    from lifecycle.runbooks.upgrade.factory import services

    view = services(svc)
    if "app" in run_params:
        return build_rollback_plan(view, str(run_params["app"]))
    plan = build_plan(view, wave=run_params.get("wave"), apps=run_params.get("apps"))
    return keep_work_dirs(plan, old_steps)


def move_resources(svc: Services, steps: list[StepSpec], selected: list[Move]) -> list[str]:
    """The applications, projects, servers and stacks of the run (see ``resources_of``), and the
    VSD zone of each move: its subnets and ACL entries change there."""
    from lifecycle.runbooks.overcloud.plan import resources_of

    return sorted({*resources_of(svc, steps), *(f"vsd-zone:{m.domain}/{m.zone}" for m in selected)})
