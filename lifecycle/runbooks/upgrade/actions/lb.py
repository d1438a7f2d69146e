"""The cutover through the load balancer, for application environments with ``lb``: the
destination's VMs bound to the environment's service group and UP before the source is drained
(graceful disable with the environment's ``drain_delay``), then unbound. These steps replace the
in-service metadata switch of :mod:`.cutover` for such applications.

Every step refuses before acting when acting would leave the virtual server with nobody to
serve: the drain unless every destination member is enabled and UP on the NetScaler, the unbind
by the adapter's own guard (:class:`~lifecycle.loadbalancer.WouldStopServing`). Each step's
outputs carry the load balancer's state as NITRO reported it right after (members, their
svrstate, the vserver's state) and the monitor transitions it saw (:class:`MemberWatch`); the
unbind, the move's last step on the load balancer, gathers them into the move's ``evidence``
(what ``upgrade.evidence`` and ``i2 upgrade status`` show).

NITRO calls: a step records what it read rather than reading again (the in-service wait its
last poll, the drain one read of the members after it). Every guard reads the appliance after
it asks, before it acts; the reads are the appliance's shared ones (``lb.poller``,
``lb.shared``): one bulk read, at most 50 ms after the first asked, serves every step that asked
before it began, and the in-service waits of all the moves poll the same read.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import ConfigDict

from lifecycle.engine import ActionContext, PermanentError, StepOutputs, StepView, TransientError
from lifecycle.loadbalancer import LbError, LbIntent, LoadBalancer, Member, Observed, diff, intents
from lifecycle.loadbalancer.evidence import MemberWatch, ordered, sides
from lifecycle.loadbalancer.layers import layers
from lifecycle.loadbalancer.lb import MON_BINDING, actionable
from lifecycle.runbooks.common import Services, adapter_errors
from lifecycle.runbooks.upgrade.actions.base import MoveAction, MoveParams, now
from lifecycle.runbooks.upgrade.actions.cutover import guard
from lifecycle.runbooks.upgrade.model import Move


def lb_intent(svc: Services, m: Move) -> LbIntent:
    """The NetScaler objects of the move's application environment (from the site)."""
    try:
        found = intents(svc.site, m.app.name, m.env)
    except KeyError as exc:
        raise PermanentError(f"{m.key}: {exc.args[0]}") from None
    if not found:
        raise PermanentError(f"{m.key}: no lb section for this environment in the site")
    return found[0]


def lb_state(intent: LbIntent, obs: Observed, *, vserver: bool = True,
             monitors: bool = True) -> dict[str, Any]:
    """The evidence of one observation: the vserver's state and every member, by side. The
    vserver's ``state`` and ``monitor_bound`` only when ``obs`` read them (``vserver``,
    ``monitors``): a step records what it read, and reads no more for the record's sake."""
    vs = obs.vserver or {}
    read: dict[str, Any] = {}
    if vserver:
        read["state"] = vs.get("curstate", "absent" if obs.vserver is None else "UNKNOWN")
    if monitors:
        read["monitor_bound"] = intent.monitorname in obs.monitors
    return {"at": now(), "vserver": intent.name, "vip": f"{intent.vserver['ipv46']}:{intent.vserver['port']}",
            **read, "servicegroup": intent.sg, "monitor": intent.monitorname,
            "members": [{"ip": m.ip, "port": m.port, "side": intent.side_of(m.ip), "state": m.state,
                         "svrstate": m.svrstate, "serving": m.serving, "since": m.since}
                        for m in obs.members]}


def on_side(intent: LbIntent, members: list[Member], side: str) -> list[Member]:
    """The members on ``side`` (their address in the side's subnet), on the service's port."""
    return [m for m in members if intent.side_of(m.ip) == side and m.port == intent.port]


def members(lb: LoadBalancer, sg: str) -> list[Member]:
    """The service group's members from a read made after this call, shared with the other
    steps reading that appliance at the same moment (one bulk read of every group's members)."""
    return lb.poller.read(sg)


def still_bound(svc: Services, m: Move) -> list[str]:
    """The source side's members still bound on the load balancer (for the deletion's refusal)."""
    intent = lb_intent(svc, m)
    return [f"{x.ip}:{x.port}" for x in on_side(intent, members(svc.lb(intent.device), intent.sg), m.src)]


def source_left(svc: Services, m: Move) -> bool | None:
    """Whether the source side's members are all drained (disabled): the soak is behind. None
    when none is bound (never bound, or unbound already): the caller asks the cloud."""
    intent = lb_intent(svc, m)
    with adapter_errors(f"{m.key} on {intent.device}"):
        src = on_side(intent, members(svc.lb(intent.device), intent.sg), m.src)
    return all(x.state.upper() == "DISABLED" for x in src) if src else None


def destination_problems(svc: Services, m: Move) -> list[str]:
    """The destination side's members that do not serve (not enabled and UP), or none bound:
    what the soak watches, from the appliance's shared read of every group's members."""
    intent = lb_intent(svc, m)
    with adapter_errors(f"{m.key} on {intent.device}"):
        mine = on_side(intent, members(svc.lb(intent.device), intent.sg), m.dst)
    if not mine:
        return [f"no {m.dst.upper()} member bound to {intent.sg}"]
    return [f"{x.ip}:{x.port} {x.state}/{x.svrstate} on {intent.sg}" for x in mine if not x.serving]


class _Addresses(StepOutputs):
    """The healthy step's outputs, as far as the in-service step reads them (its addresses)."""

    model_config = ConfigDict(extra="ignore")

    ips: dict[str, str] | None = None


def _who(members: list[Member]) -> str:
    return ", ".join(f"{m.ip}:{m.port} {m.state}/{m.svrstate}" for m in members) or "none"


class LbAction(MoveAction):
    """An action on the move's virtual server and service group."""

    system = "netscaler"

    def lb(self, m: Move) -> tuple[LbIntent, LoadBalancer]:
        intent = lb_intent(self.svc, m)
        with adapter_errors(f"{m.key} on {intent.device}"):
            return intent, self.svc.lb(intent.device)

    def observed(self, lb: LoadBalancer, intent: LbIntent,
                 known: list[Member] | None = None) -> tuple[dict[str, Any], Observed]:
        """Who serves now: the vserver, the service group's monitors and members, each from a read
        made after this call and shared with the other steps reading this appliance then
        (``known``: the members as the caller knows them, not read again)."""
        obs = Observed(intent.key, vserver=lb.shared("lbvserver").read(intent.name),
                       monitors=lb.shared(MON_BINDING).read(intent.sg),
                       members=members(lb, intent.sg) if known is None else known)
        return lb_state(intent, obs), obs

    @staticmethod
    def members_only(intent: LbIntent, members: list[Member]) -> dict[str, Any]:
        """The record of a read of the members alone (neither vserver nor monitors read)."""
        return lb_state(intent, Observed(intent.key, members=members), vserver=False, monitors=False)


class LbEnsure(LbAction):
    """The environment's vserver, service group, monitor and their bindings exist as the site
    says, and the content switching policy and GSLB service the site declares above it are bound,
    their csvserver and gslbvserver created when missing (idempotent; members are left alone). An
    immutable difference (service type, port, monitor type), a policy that targets another
    vserver, or a cspolicy or gslbservice missing (the platform team's), fails before any change.
    Drift (a member's weight, a policy's priority: the latter in the layers' record) is never
    changed."""

    name = "upgrade.lb_ensure"
    observe_first = True

    class Outputs(StepOutputs):
        changes: list[str]
        lb: dict[str, Any]
        layers: list[dict[str, Any]] = []  # the content switching and GSLB layers, as found after

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        intent, lb = self.lb(m)
        with adapter_errors(f"{m.key} on {intent.device}"):
            obs = lb.observe_shared(intent)
        if actionable(diff(intent, obs)):  # drift (a weight, a priority) is reported, not changed
            return None
        return self.Outputs(changes=[], lb=lb_state(intent, obs),
                            layers=[x.as_dict() for x in layers(intent, obs)])

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        intent, lb = self.lb(m)
        with adapter_errors(f"{m.key} on {intent.device}"):
            obs = lb.observe_shared(intent)
            made = lb.apply(intent, obs=obs)  # a Conflict (a policy targeting another vserver) stops it
            changes = [str(c) for c in made]
            # unchanged: the observation is the record; changed: read who serves after
            state = lb_state(intent, obs) if not changes else self.observed(lb, intent)[0]
            bound = {(c.rtype, c.name) for c in made if c.op == "bind"}
        found = [{**x.as_dict(), **({"status": "ok", "detail": f"bound: {x.detail}"}
                                    if (x.binding, x.vserver) in bound else {})} for x in layers(intent, obs)]
        ctx.log("lb.ensured", app=m.key, vserver=intent.name, changes=changes)
        return self.Outputs(changes=changes, lb=state, layers=found)


class LbInService(LbAction):
    """Bind the destination's VMs (their Neutron addresses) to the service group, enabled, and
    wait until their monitor says UP: the destination serves beside the source. Refused, like
    the metadata switch, while an entry naming the source subnet has no mirror."""

    name = "upgrade.lb_in_service"
    observe_first = True
    timeout = 900.0

    class Params(MoveParams):
        # the Healthy step: the destination's addresses, from the listing it judged healthy
        # (else listed in Nova)
        healthy_step: str | None = None

    class Outputs(StepOutputs):
        vms: list[str]
        members: dict[str, str]  # VM -> address bound
        at: float | None = None  # when every one was UP (the soak starts then)
        up_after_s: float | None = None
        transitions: list[dict[str, Any]] = []  # svrstate changes seen while waiting
        lb: dict[str, Any] = {}

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        intent, lb = self.lb(m)
        with adapter_errors(f"{m.key} on {intent.device}"):
            ips = self.addresses(step, m)
            if len(ips) < len(m.vms):
                return None
            current = self.seen(("lb-members", intent.sg), lambda: members(lb, intent.sg))
        if not set(ips.values()) <= {x.ip for x in current if x.serving and x.port == intent.port}:
            return None
        return self.Outputs(vms=sorted(ips), members=ips, at=now(), lb=self.members_only(intent, current))

    def addresses(self, step: StepView, m: Move) -> dict[str, str]:
        """VM -> the destination address to bind: as the healthy step read them (addresses do
        not change while a VM lives; one that did would never be UP, and A keeps serving), else
        listed now."""
        hs = step.params.healthy_step
        ips = (step.output(hs, _Addresses).ips if hs else None) or {}
        return dict(ips) if all(n in ips for n in m.vms) else self.ips(m, m.dst)

    @staticmethod
    def up_within(intent: LbIntent) -> float:
        """How long a new member may take to be UP: a few monitor intervals and the retries."""
        mon = intent.monitor
        return float(mon["interval"]) * (int(mon["retries"]) + 2) + float(mon["resptimeout"]) + 30.0

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        intent, lb = self.lb(m)
        where = f"{m.key} on {intent.device}"
        with adapter_errors(where):
            # the healthy step's addresses (or observe's listing) and observe's read of the
            # members, a few ms old: binding or enabling what is done already changes nothing
            ips = self.addresses(step, m)
            current = self.seen(("lb-members", intent.sg), lambda: members(lb, intent.sg))
            # the ACL entries read now; B's health is its monitor's, waited for below
            guard(self, m, step, ctx, in_service=False, destination=False)
            missing = [n for n in m.vms if n not in ips]
            if missing:
                raise PermanentError(f"{m.key}: {', '.join(missing)}: no address on {m.subnet(m.dst)} "
                                     f"({m.cidr(m.dst)}) to bind to {intent.sg}")
            bound_at = now()
            bound = lb.bind_members(intent.sg, ips.values(), intent.port, current=current)
            # drained before (a rollback)
            enabled = lb.enable(intent.sg, ips.values(), port=intent.port, current=current)
        ctx.log("lb.bound", app=m.key, servicegroup=intent.sg, bound=bound,
                enabled=[x.ip for x in enabled])
        # bound (DOWN) -> UP, or a rollback's OUT OF SERVICE -> UP, dated by NetScaler's change times
        watch = MemberWatch(intent.side_of, {(x.ip, x.port): x.svrstate for x in enabled})
        watch.bound([(ip, intent.port) for ip in bound], bound_at)
        group = self.wait_up(m, intent, lb, set(ips.values()), watch, ctx)
        at = now()
        ctx.log("b.in_service", app=m.key, vms=sorted(ips), vserver=intent.name)
        return self.Outputs(vms=sorted(ips), members=ips, at=at, up_after_s=round(at - bound_at, 3),
                            transitions=watch.transitions, lb=self.members_only(intent, group))

    def wait_up(self, m: Move, intent: LbIntent, lb: LoadBalancer, want: set[str], watch: MemberWatch,
                ctx: ActionContext) -> list[Member]:
        """Until every address of ``want`` is enabled and UP; the service group's members from the
        read that showed it. Polls through the appliance's shared poller: a quarter of the
        monitor's interval at first (NetScaler probes a new member at once), then further apart
        up to the interval."""
        where = f"{m.key} on {intent.device}"
        interval = float(intent.monitor["interval"])
        first = max(0.2, min(2.0, interval / 4))
        started, deadline = time.time(), time.monotonic() + self.up_within(intent)
        mine: list[Member] = []
        with lb.poller.waiting(intent.sg, first=first, most=max(first, min(5.0, interval))) as w:
            while True:
                try:
                    group, read_at = w.next(max(0.1, deadline - time.monotonic()), ctx.cancelled)
                except LbError as exc:  # NITRO's errors say themselves whether a retry can help
                    raise (TransientError if exc.transient else PermanentError)(f"{where}: {exc}") from None
                except InterruptedError:
                    raise TransientError(f"{m.key}: interrupted while waiting for the monitor") from None
                except TimeoutError:
                    group, read_at = None, time.time()
                if group is not None:
                    mine = [x for x in group if x.ip in want and x.port == intent.port]
                    watch.see(mine, round(read_at, 3))
                    if len(mine) == len(want) and all(x.serving for x in mine):
                        return group
                if time.monotonic() > deadline or group is None:
                    raise PermanentError(
                        f"{m.key}: {m.dst.upper()} is not UP on {intent.name} after "
                        f"{time.time() - started:.0f} s "
                        f"(monitor {intent.monitorname}): {_who(mine)}; {m.src.upper()} keeps serving. Check "
                        "that the ACLs let the SNIPs reach the members on the monitor's port")
                ctx.progress(f"{m.key}: waiting for {intent.monitorname} to say UP: {_who(mine)}")


class LbDrain(LbAction):
    """Gracefully disable the source's members: no new clients, established ones served for the
    drain delay. Refused before anything changes unless every destination VM is bound, enabled
    and UP, and every entry naming the source subnet is mirrored."""

    name = "upgrade.lb_drain"
    observe_first = True

    class Params(MoveParams):
        # the LbInService step: the destination's addresses it bound (else listed in Nova)
        in_service_step: str | None = None

    class Outputs(StepOutputs):
        drained: list[str]
        delay: int
        at: float | None = None  # when the drain began (established clients end by at + delay)
        transitions: list[dict[str, Any]] = []  # the source's UP -> GOING OUT OF SERVICE
        lb: dict[str, Any] = {}

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        intent, lb = self.lb(m)
        with adapter_errors(f"{m.key} on {intent.device}"):
            current = members(lb, intent.sg)
        src = on_side(intent, current, m.src)
        if any(x.state.upper() != "DISABLED" for x in src):
            return None
        # drained already (an attempt that died after NetScaler took the disable): the state each
        # member is in, dated by NetScaler's own change time, is the drain's evidence
        watch = MemberWatch(intent.side_of)
        watch.see(src, now())
        return self.Outputs(drained=[], delay=intent.drain_delay, at=now(), transitions=watch.transitions,
                            lb=self.members_only(intent, current))

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        intent, lb = self.lb(m)
        with adapter_errors(f"{m.key} on {intent.device}"):
            # the ACL entries read now; B's health is its members', read on the NetScaler now
            guard(self, m, step, ctx, in_service=False, destination=False)
            ins = step.params.in_service_step
            ips = step.output(ins, LbInService.Outputs).members if ins else self.ips(m, m.dst)
            current = members(lb, intent.sg)
            dst = {x.ip: x for x in on_side(intent, current, m.dst)}
            problems = [f"{n} ({ip}): " + (f"{dst[ip].state}/{dst[ip].svrstate}" if ip in dst
                                           else "not bound")
                        for n, ip in sorted(ips.items()) if ip not in dst or not dst[ip].serving]
            problems += [f"{n}: no address on {m.subnet(m.dst)}" for n in m.vms if n not in ips]
            if problems:
                raise PermanentError(f"{m.key}: refused: {m.dst.upper()} is not serving on {intent.name} "
                                     f"(monitor {intent.monitorname}): {'; '.join(problems)}. "
                                     f"{m.src.upper()} keeps serving; nothing was drained")
            src = on_side(intent, current, m.src)
            watch = MemberWatch(intent.side_of, {(x.ip, x.port): x.svrstate for x in src})
            at = now()
            drained = lb.drain(intent.sg, [x.ip for x in src], intent.drain_delay, port=intent.port,
                               current=current)  # the guard judged this read, made just now
            # the drain as NetScaler shows it (UP -> GOING OUT OF SERVICE): the members alone
            after = members(lb, intent.sg)
            state = self.members_only(intent, after)
            watch.see(on_side(intent, after, m.src), now())
        ctx.log("a.out_of_service", app=m.key, drained=[x.ip for x in drained], delay=intent.drain_delay)
        return self.Outputs(drained=[f"{x.ip}:{x.port}" for x in drained], delay=intent.drain_delay, at=at,
                            transitions=watch.transitions, lb=state)


class LbUnbind(LbAction):
    """Once the drain delay has passed, unbind the source's members. The adapter refuses (before
    any unbind) if no enabled, UP member would remain."""

    name = "upgrade.lb_unbind"
    observe_first = True
    timeout = 3600.0

    class Params(MoveParams):
        drain_step: str  # the LbDrain step: when the drain began, and its delay
        in_service_step: str  # the LbInService step: since when the destination served

    class Outputs(StepOutputs):
        unbound: list[str]
        at: float | None = None
        both_served: dict[str, float] | None = None  # from B UP to A's drain, and its end
        transitions: list[dict[str, Any]] = []  # the source's -> OUT OF SERVICE -> unbound
        lb: dict[str, Any] = {}
        evidence: dict[str, Any] = {}  # the move on the load balancer: see :meth:`LbUnbind.evidence`

    def window(self, step: StepView) -> dict[str, float] | None:
        ins = step.output(step.params.in_service_step, LbInService.Outputs)
        drain = step.output(step.params.drain_step, LbDrain.Outputs)
        if ins.at is None or drain.at is None:
            return None
        return {"from": ins.at, "to": drain.at, "drained_by": drain.at + drain.delay,
                "seconds": round(max(drain.at - ins.at, 0.0), 3)}

    def evidence(self, step: StepView, intent: LbIntent, obs: Observed, state: dict[str, Any],
                 own: list[dict[str, Any]], *, observed: bool = False) -> dict[str, Any]:
        """The move as the load balancer showed it: the vserver's state and each side's members at
        the end, every monitor transition the move's steps saw (in-service: the destination's DOWN
        -> UP; retire: the source's UP -> GOING OUT OF SERVICE; here: -> OUT OF SERVICE, unbound),
        how long the destination took to be UP, and the window in which both sides served.
        ``observed``: this step found the unbind done (a resumed or repeated run), so what it
        holds of the move is what the earlier steps found, not what they saw happen."""
        ins = step.output(step.params.in_service_step, LbInService.Outputs)
        drain = step.output(step.params.drain_step, LbDrain.Outputs)
        return {"at": state["at"], "vserver": intent.name, "vip": state["vip"], "state": state["state"],
                "servicegroup": intent.sg, "monitor": intent.monitorname,
                "monitor_bound": state["monitor_bound"], "sides": sides(obs.members, intent.side_of),
                "transitions": ordered([*ins.transitions, *drain.transitions, *own]),
                "up_after_s": ins.up_after_s, "drain_delay": drain.delay, "both_served": self.window(step),
                # a resumed run's earlier steps may have seen the move happen; a repeated one's did not
                "observed": observed and not (ins.transitions or drain.transitions)}

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        intent, lb = self.lb(m)
        with adapter_errors(f"{m.key} on {intent.device}"):
            if on_side(intent, members(lb, intent.sg), m.src):
                return None
            state, obs = self.observed(lb, intent)
        return self.Outputs(unbound=[], at=now(), both_served=self.window(step), lb=state,
                            evidence=self.evidence(step, intent, obs, state, [], observed=True))

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        intent, lb = self.lb(m)
        drain = step.output(step.params.drain_step, LbDrain.Outputs)
        until = (drain.at or time.time()) + drain.delay
        while (left := until - time.time()) > 0:  # established clients keep the source meanwhile
            ctx.progress(f"{m.key}: {m.src.upper()} draining, {left:.0f} s left")
            if ctx.cancelled.wait(min(left, 1.0)):
                raise TransientError(f"{m.key}: interrupted while {m.src.upper()} drains")
        watch = MemberWatch.from_rows(intent.side_of, [r for r in drain.lb.get("members", [])
                                                       if r.get("side") == m.src])
        with adapter_errors(f"{m.key} on {intent.device}"):
            current = members(lb, intent.sg)
            src = on_side(intent, current, m.src)
            watch.see(src, now())  # the drain's end: OUT OF SERVICE, when NetScaler says it came
            # the adapter's guard judges this read, made just now
            unbound = lb.unbind(intent.sg, [x.ip for x in src], port=intent.port, current=current)
            watch.unbound(unbound, now())
            # each DELETE's answer said it was done: the members are that read less them
            state, obs = self.observed(lb, intent, [x for x in current if x not in unbound])
        ctx.log("lb.unbound", app=m.key, unbound=[x.ip for x in unbound])
        return self.Outputs(unbound=[f"{x.ip}:{x.port}" for x in unbound], at=now(),
                            both_served=self.window(step), transitions=watch.transitions, lb=state,
                            evidence=self.evidence(step, intent, obs, state, watch.transitions))
