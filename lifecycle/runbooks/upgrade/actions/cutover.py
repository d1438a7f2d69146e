"""The cutover: the destination in service, a soak, the source out of service; and what the
probes saw of it. The steps that can break reachability (``in_service``, ``retire``) re-check
their preconditions in the real systems and refuse, naming what is missing, rather than let
the probes find out."""

from __future__ import annotations

import time
from typing import Any

from pydantic import ConfigDict

from lifecycle.clouds import IN_SERVICE
from lifecycle.clouds.base import backoff
from lifecycle.engine import ActionContext, PermanentError, RetryPolicy, StepOutputs, StepView, TransientError
from lifecycle.nuage.policy import mirror_of
from lifecycle.runbooks.common import adapter_errors
from lifecycle.runbooks.upgrade.actions.base import MoveAction, MoveParams, VmsAt, fresh, now
from lifecycle.runbooks.upgrade.actions.vsd import VsdSubnet
from lifecycle.runbooks.upgrade.model import Move, unmirrored


def guard(action: MoveAction, m: Move, step: StepView, ctx: ActionContext, *, in_service: bool,
          destination: bool = True) -> None:
    """Refuse a change that would break reachability: every entry naming the source subnet
    mirrored for the destination, the destination healthy (and already in service, when the
    source is to leave). ``destination`` False: the ACL entries only; behind a load balancer the
    destination's health is its members' monitors, which the caller reads on the NetScaler (a
    member is UP only when the VM answers through the ACLs), stronger than Nova's ACTIVE and VSD's
    interface, which the ``healthy`` step checked just before.

    The first attempt refuses and names the entries; an operator's ``i2 runs resume`` (a later
    attempt) re-creates the missing mirrors, then checks again.

    Everything it decides on is read now (the entries, the destination's VMs and VSD's
    interfaces), in requests shared only with moves asking at the same moment."""
    fresh()
    _, dom, _ = action.where(m)
    missing = unmirrored(m, action.entries(m, dom))
    if missing and step.attempt > 1 and not m.reverse:
        dst_subnet_id = action.subnet_id(m, m.dst)
        for e in missing:
            mirror = action.vsd().create_entry(dom, mirror_of(e, m.ref(m.src), m.ref(m.dst),
                                                              dst_subnet_id or ""))
            ctx.log("acl.mirror", of=e.id, rule=e.rule, mirror=mirror.id, on="resume")
        missing = unmirrored(m, action.entries(m, dom))
    if missing:
        raise PermanentError(f"{m.key}: refused: ACL entr{'y' if len(missing) == 1 else 'ies'} naming "
                             f"{m.subnet(m.src)} without a mirror for {m.subnet(m.dst)}: "
                             + ", ".join(f"{e.direction} {e.rule} ({e.id})" for e in missing)
                             + f"; consumers it allows would lose {m.app.name} on {m.subnet(m.dst)}. "
                             "`i2 runs resume` re-creates the mirrors")
    if not destination:
        return
    vms, problems = action.destination_state(m)
    if in_service:
        problems += [f"{n}: not in service" for n, s in vms.items()
                     if (s.metadata or {}).get(IN_SERVICE) != "true"]
    if problems:
        raise PermanentError(f"{m.key}: refused: {m.dst.upper()} is not ready: " + "; ".join(problems))


class InServiceAt(StepOutputs):
    """When the destination went in service: the ``at`` of either in-service step (the metadata
    switch's or the load balancer's, :class:`~lifecycle.runbooks.upgrade.actions.lb.LbInService`)."""

    model_config = ConfigDict(extra="ignore")

    at: float | None = None


class InService(MoveAction):
    """Put the destination's VMs in service (the source's keep serving until retired)."""

    name, system = "upgrade.in_service", "nova"
    observe_first = True

    class Outputs(VmsAt):
        pass

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        with adapter_errors(m.key):
            vms = self.servers(self.dst_of(m), m)
        ok = vms and all((s.metadata or {}).get(IN_SERVICE) == "true" for s in vms.values())
        return self.Outputs(vms=sorted(vms), at=now()) if ok and len(vms) == len(m.vms) else None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        with adapter_errors(m.key):
            guard(self, m, step, ctx, in_service=False)
            dst = self.dst_of(m)
            vms = self.listed(dst, m)  # the guard's listing, just made
            for s in vms.values():
                dst.set_metadata(s, **{IN_SERVICE: "true"})
        ctx.log("b.in_service", app=m.key, vms=sorted(vms))  # event name kept: journals use it
        return self.Outputs(vms=sorted(vms), at=now())


class Soak(MoveAction):
    """The destination keeps serving for the configured soak time before the source is touched."""

    name, system = "upgrade.soak", "nova"
    timeout = 86400.0
    observe_first = True

    class Params(MoveParams):
        in_service_step: str  # the InService step: when the soak started
        soak_seconds: float = 0.0

    class Outputs(StepOutputs):
        soaked_s: int | float
        observed: bool | None = None  # the source was retired already: no soak needed

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        if m.spec.lb is not None:  # behind a load balancer: the source drained already
            from lifecycle.runbooks.upgrade.actions.lb import source_left

            left_lb = source_left(self.svc, m)
            if left_lb is not None:  # A's members bound: drained or not
                return self.Outputs(soaked_s=0, observed=True) if left_lb else None
        with adapter_errors(m.key):  # the source already retired or gone: the soak served its purpose
            left = self.servers(self.src_of(m), m)
        if any((s.metadata or {}).get(IN_SERVICE) != "false" for s in left.values()):
            return None
        return self.Outputs(soaked_s=0, observed=True)

    def problems(self, m: Move) -> list[str]:
        """What is wrong with the destination now. Behind a load balancer: its members, each
        enabled and UP (its monitor reaching the application), from the appliance's shared read
        that every move's soak polls; else its VMs in Nova and VSD."""
        if m.spec.lb is not None:
            from lifecycle.runbooks.upgrade.actions.lb import destination_problems

            return destination_problems(self.svc, m)
        return self.destination_state(m)[1]

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        since = step.output(step.params.in_service_step, InServiceAt).at or time.time()
        soak = step.params.soak_seconds
        # the destination's health is read at the start, further apart as the soak goes (up to
        # every 15 s), and at its end
        waits = backoff(1.0, 1.5, 15.0)
        while True:
            with adapter_errors(m.key):
                problems = self.problems(m)
            if problems:
                raise PermanentError(f"{m.key}: {m.dst.upper()} stopped being healthy during the soak: "
                                     + "; ".join(problems))
            left = since + soak - time.time()
            if left <= 0:
                return self.Outputs(soaked_s=round(time.time() - since, 1))
            ctx.progress(f"{m.key}: soaking, {left:.0f} s left")
            if ctx.cancelled.wait(min(left, next(waits))):
                raise TransientError(f"{m.key}: soak interrupted")


class Retire(MoveAction):
    """Take the source out of service, only once the destination is healthy, in service and
    allowed by every ACL."""

    name, system = "upgrade.retire", "nova"
    observe_first = True

    class Outputs(VmsAt):
        pass

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        with adapter_errors(m.key):
            vms = self.servers(self.src_of(m), m)
        if all((s.metadata or {}).get(IN_SERVICE) == "false" for s in vms.values()):
            return self.Outputs(vms=sorted(vms), at=now())
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        with adapter_errors(m.key):
            guard(self, m, step, ctx, in_service=True)
            src = self.src_of(m)
            vms = self.servers(src, m)  # after the guard: the source's VMs now
            for s in vms.values():
                src.set_metadata(s, **{IN_SERVICE: "false"})
        ctx.log("a.out_of_service", app=m.key, vms=sorted(vms))  # event name kept: journals use it
        return self.Outputs(vms=sorted(vms), at=now())


class Evidence(MoveAction):
    """What the probes saw of the application during its move (downtime and write freeze) and,
    behind a load balancer, what the load balancer showed of it (``lb``: the vserver's state and
    each side's members at the end, the monitor transitions, the window in which both sides
    served; see :meth:`~lifecycle.runbooks.upgrade.actions.lb.LbUnbind.evidence`)."""

    name, system = "upgrade.evidence", "probes"
    retry = RetryPolicy(max_attempts=5, base_delay=1.0)

    class Params(MoveParams):
        start_step: str  # the VsdSubnet step: when the move started

    class Outputs(StepOutputs):
        probes: bool  # whether a probe service is configured
        since: float
        note: str | None = None  # why there is no measurement
        downtime_ms: int | float | None = None
        write_freeze_ms: int | float | None = None
        samples: int | None = None
        windows: list[dict[str, Any]] | None = None  # the first 20 outage windows
        lb: dict[str, Any] | None = None  # the load balancer's view of the move (applications with lb)

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        from lifecycle.probes import Probes

        m = self.move(step)
        lb = self.lb_evidence(step, m) if m.spec.lb is not None else None
        probes = Probes.connect(self.svc.endpoints)
        since = float(step.output(step.params.start_step, VsdSubnet.Outputs).at or 0)
        if probes is None:
            return self.Outputs(probes=False, since=since, note="no probe service in the endpoints file",
                                lb=lb)
        with adapter_errors(f"probes of {m.key}"):
            seen = probes.downtime(since=since, until=time.time()).get(m.key)
        if seen is None:
            return self.Outputs(probes=True, since=since, note=f"the probe service does not probe {m.key}",
                                lb=lb)
        return self.Outputs(probes=True, since=since, downtime_ms=seen.get("downtime_ms", 0),
                            write_freeze_ms=seen.get("write_freeze_ms", 0), samples=seen.get("samples", 0),
                            windows=seen.get("windows", [])[:20], lb=lb)

    def lb_evidence(self, step: StepView, m: Move) -> dict[str, Any]:
        """The unbind step's account of the move when it is a dependency of this step; else the
        load balancer's state now (two GETs), the transitions being in the unbind step's outputs."""
        from lifecycle.loadbalancer import LbError
        from lifecycle.loadbalancer.evidence import sides
        from lifecycle.runbooks.upgrade.actions.lb import lb_intent

        for out in step.dep_outputs.values():
            found = (out or {}).get("evidence")
            if isinstance(found, dict) and found.get("vserver"):
                return dict(found)
        intent = lb_intent(self.svc, m)
        where = f"{m.key} on {intent.device}"
        try:
            obs = self.svc.lb(intent.device).snapshot(intent)
        except LbError as exc:
            if exc.transient:
                raise TransientError(f"{where}: {exc}") from None
            # the move is done: a NetScaler that refuses to be read now does not undo it
            return {"vserver": intent.name, "note": f"not read: {exc}"}
        vs = obs.vserver or {}
        unbind = f"unbind-{m.src}"
        return {"at": now(), "vserver": intent.name,
                "vip": f"{intent.vserver['ipv46']}:{intent.vserver['port']}",
                "state": vs.get("curstate", "absent" if obs.vserver is None else "UNKNOWN"),
                "servicegroup": intent.sg, "monitor": intent.monitorname,
                "sides": sides(obs.members, intent.side_of),
                "note": f"read at the end of the move; the monitor transitions and the window in which both "
                        f"sides served are in step {unbind}'s outputs (evidence)"}
