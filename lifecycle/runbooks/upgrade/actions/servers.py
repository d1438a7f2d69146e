"""Nova: the destination's VMs booted and healthy, the source's writers stopped, the source's
VMs deleted; and the rollback's check that A is still there to return to."""

from __future__ import annotations

from typing import Any

from lifecycle.clouds import IN_SERVICE, STEP, WRITES
from lifecycle.clouds.client import CloudError
from lifecycle.engine import ActionContext, PermanentError, StepOutputs, StepView, TransientError
from lifecycle.runbooks.common import adapter_errors
from lifecycle.runbooks.upgrade.actions.base import WAIT, MoveAction, MoveParams, VmsAt, now
from lifecycle.runbooks.upgrade.actions.lb import still_bound
from lifecycle.runbooks.upgrade.actions.network import Network
from lifecycle.runbooks.upgrade.model import Move


class Boot(MoveAction):
    """Boot the application's VMs on the destination (same names, flavors, images, metadata),
    out of service, and wait until every one is ACTIVE."""

    name, system = "upgrade.boot", "nova"
    timeout = 1800.0
    observe_first = True

    class Params(MoveParams):
        network_step: str  # the Network step: the network the VMs boot on

    class Outputs(StepOutputs):
        servers: dict[str, str]  # name -> id on the destination
        created: list[str]

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        with adapter_errors(m.key):
            up = self.servers(self.dst_of(m), m)
        if len(up) == len(m.vms) and all(s.status == "ACTIVE" for s in up.values()):
            return self.Outputs(servers={n: s.id for n, s in up.items()}, created=[])
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        net_id = step.output(step.params.network_step, Network.Outputs).network_id
        created = []
        with adapter_errors(m.key):
            dst = self.dst_of(m)
            have = self.listed(dst, m)  # one list for the move (observe's), not one per VM
            # the source's VMs give their metadata and key to the ones still to boot
            old = self.servers(self.src_of(m), m) if any(n not in have for n in m.vms) else {}
            for name in _failed_builds(have, step.key):
                # this step's own VM whose build failed (Nova's "Failed to allocate the
                # network(s)" when Neutron or its plugin's VSD call failed): never served, so it
                # is deleted and booted again (the step's retries bound how often)
                dst.delete_server(have.pop(name))
                dst.wait_gone(m.project, [name], settle=True)
                ctx.log("server.rebuild", server=name, cloud=dst.name)
            for vm in m.spec.vms:
                if vm.name in have:
                    continue
                was = old.get(vm.name)
                meta = {k: v for k, v in ((was.metadata if was else None) or {}).items()
                        if not k.startswith("i2.")}
                meta.update(vm.metadata)
                meta.update({IN_SERVICE: "false", STEP: step.key})
                _, made = dst.boot(m.project, vm.name, flavor=vm.flavor, image=vm.image,
                                   network_id=net_id, metadata=meta, absent=True,
                                   key_name=getattr(was, "key_name", None) if was else None)
                if made:
                    created.append(vm.name)
                    ctx.log("server.boot", server=vm.name, cloud=dst.name)
            ctx.progress(f"{m.key}: waiting for {len(m.vms)} VM(s) to be ACTIVE")
            try:
                # just booted: Nova builds them asynchronously, no use asking at once
                up = dst.wait_servers(m.project, m.vms, timeout=ctx.remaining() or 1800,
                                      cancelled=ctx.cancelled.wait, settle=bool(created))
            except CloudError as exc:
                if not exc.transient and _failed_builds(self.servers(dst, m), step.key):
                    raise TransientError(f"{exc}; the step deletes it and boots it again") from exc
                raise
        return self.Outputs(servers={n: s.id for n, s in up.items()}, created=created)


def _failed_builds(servers: dict[str, Any], step_key: str) -> list[str]:
    """The servers in ERROR that ``step_key`` booted (its mark in their metadata)."""
    return [n for n, s in servers.items()
            if s.status == "ERROR" and (getattr(s, "metadata", None) or {}).get(STEP) == step_key]


class Freeze(MoveAction):
    """Stop the writers of a stateful application on the source as its policy says: ``freeze``
    keeps the source's VMs serving (``i2.writes=frozen``), ``stop-vms`` stops them (an outage)."""

    name, system = "upgrade.freeze", "nova"
    observe_first = True

    class Outputs(StepOutputs):
        mode: str | None = None  # the application's writer_stop
        vms: list[str]
        at: float | None = None

    def _done(self, m: Move, vms: dict[str, Any]) -> bool:
        if self.hook_of(m) is not None:
            return not vms  # the hook's state cannot be read: quiescing again is harmless
        if m.app.writer_stop == "stop-vms":
            return all(s.status == "SHUTOFF" for s in vms.values())
        if m.app.writer_stop == "freeze":
            return all((s.metadata or {}).get(WRITES) == "frozen" for s in vms.values())
        return True

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        with adapter_errors(m.key):
            vms = self.servers(self.src_of(m), m)
        return self.Outputs(mode=m.app.writer_stop, vms=sorted(vms), at=now()) if self._done(m, vms) else None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        with adapter_errors(m.key):
            src = self.src_of(m)
            vms = self.listed(src, m)  # observe's listing
            hook = self.hook_of(m)
            if hook is not None:  # the application's own hook, not the metadata switch
                calls = self.svc.hooks().call(hook, self.ips(m, m.src).values(), resume=False)
                ctx.log("writers.hook", app=m.key, calls=calls)
            for s in vms.values():
                if m.app.writer_stop == "freeze" and hook is None:
                    src.set_metadata(s, **{WRITES: "frozen"})
                elif m.app.writer_stop == "stop-vms":
                    src.stop(s)
            if m.app.writer_stop == "stop-vms":
                src.wait_servers(m.project, sorted(vms), "SHUTOFF", cancelled=ctx.cancelled.wait,
                                 settle=any(s.status != "SHUTOFF" for s in vms.values()))
        ctx.log("writers.stopped", app=m.key, mode=m.app.writer_stop)
        return self.Outputs(mode=m.app.writer_stop, vms=sorted(vms), at=now())


class Healthy(MoveAction):
    """The destination's VMs are ACTIVE and VSD resolved each one on the destination subnet."""

    name, system = "upgrade.healthy", "vsd"
    retry = WAIT

    class Outputs(VmsAt):
        # VM -> its address on the destination subnet, from the listing judged healthy: what the
        # load balancer's in-service step binds (addresses do not change while a VM lives)
        ips: dict[str, str] | None = None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        with adapter_errors(m.key):
            vms, problems = self.destination_state(m)
        if problems:
            raise TransientError(f"{m.key} on {m.dst.upper()} not healthy yet: " + "; ".join(problems))
        return self.Outputs(vms=sorted(vms), at=now(), ips=self.ips(m, m.dst))  # ips: that listing


class DeleteSourceVms(MoveAction):
    """Delete the source's VMs (A's in the old cloud; B's in a rollback). Their VSD vports go
    with them."""

    name, system = "upgrade.delete_source_vms", "nova"
    aliases = ("upgrade.delete_a_vms",)
    observe_first = True
    timeout = 900.0

    class Outputs(StepOutputs):
        deleted: list[str]

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        with adapter_errors(m.key):
            left = self.servers(self.src_of(m), m)
        return None if left else self.Outputs(deleted=[])

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        with adapter_errors(m.key):
            src = self.src_of(m)
            # behind a load balancer, observe's listing names them (still_bound reads NITRO now);
            # without one, their in-service metadata is the guard: read now
            vms = self.listed(src, m) if m.spec.lb is not None else self.servers(src, m)
            if m.spec.lb is not None:  # behind a load balancer, its members are what serves
                bound = still_bound(self.svc, m) if vms else []
                if bound:
                    raise PermanentError(f"{m.key}: {', '.join(bound)} still bound to "
                                         f"{m.spec.lb.servicegroup.servicegroupname}; not deleted")
            for s in vms.values():
                if m.spec.lb is None and (s.metadata or {}).get(IN_SERVICE) == "true":
                    raise PermanentError(f"{s.name}: still in service on {src.name}; not deleted")
                src.delete_server(s)
            src.wait_gone(m.project, sorted(vms), settle=bool(vms))
        return self.Outputs(deleted=sorted(vms))


class RollbackCheck(MoveAction):
    """A rollback returns to A only while A exists: its VMs and VSD subnet A (a rollback's
    destination)."""

    name, system = "upgrade.rollback_check", "nova"

    class Outputs(StepOutputs):
        a_vms: list[str]
        b_vms: list[str]

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        with adapter_errors(m.key):
            a_vms = self.servers(self.dst_of(m), m)
            a_subnet = self.subnet_id(m, m.dst)
            b_vms = self.servers(self.src_of(m), m)
        missing = [n for n in m.vms if n not in a_vms]
        if missing or not a_subnet:
            gone = ", ".join(missing) + (" and " if missing and not a_subnet else "") + (
                "" if a_subnet else f"VSD subnet {m.subnet(m.dst)}")
            raise PermanentError(f"{m.key}: cannot roll back: {gone} already cleaned up on A "
                                 "(rollback is possible until A is deleted)")
        return self.Outputs(a_vms=sorted(a_vms), b_vms=sorted(b_vms))
