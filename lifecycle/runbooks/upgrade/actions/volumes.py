"""Cinder: a stateful application's volumes move between the clouds without a copy (detach,
unmanage from the source, manage into the destination), then attach to the destination's VMs."""

from __future__ import annotations

from typing import Any

from lifecycle.clouds import WRITES
from lifecycle.engine import ActionContext, PermanentError, StepOutputs, StepView, TransientError
from lifecycle.runbooks.common import adapter_errors
from lifecycle.runbooks.upgrade.actions.base import MoveAction, MoveParams, now
from lifecycle.runbooks.upgrade.model import Move


class VolumeParams(MoveParams):
    volume: str  # its name, the same in both clouds


class VolumeAction(MoveAction):
    system = "cinder"
    timeout = 900.0

    Params = VolumeParams

    def source_volume(self, m: Move, name: str) -> Any | None:
        """The volume in the source cloud, as this attempt's observe read it (else now)."""
        return self.seen(("volume", "src", name), lambda: self.src_of(m).volume(m.project, name))


class Detach(VolumeAction):
    """Detach the volume from its VM on the source; records the source volume's id."""

    name = "upgrade.detach"
    observe_first = True

    class Outputs(StepOutputs):
        old_id: str  # the volume's id in the source cloud (what the array names it after)
        size: int | None = None
        detached: bool

    def _moved(self, m: Move, name: str) -> Outputs | None:
        """Already in the destination (a resumed run): its record of where it came from."""
        moved = self.dst_of(m).volume(m.project, name)
        if moved is None:
            return None
        return self.Outputs(old_id=(moved.metadata or {}).get("i2.from", ""), detached=False)

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m, name = self.move(step), step.params.volume
        with adapter_errors(name):
            vol = self.source_volume(m, name)
            if vol is None:
                return self._moved(m, name)  # in neither: apply says so
        if vol.status == "available" and not self.src_of(m).attached_to(vol):
            return self.Outputs(old_id=vol.id, size=vol.size, detached=False)
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m, name = self.move(step), step.params.volume
        with adapter_errors(name):
            src = self.src_of(m)
            vol = self.source_volume(m, name)
            if vol is None:
                moved = self._moved(m, name)
                if moved is not None:  # nothing to detach
                    return moved
                raise PermanentError(f"{name}: in neither {src.name} nor {self.dst_of(m).name} "
                                     f"(project {m.project})")
            detached = False
            for sid in src.attached_to(vol):
                server = next((s for s in self.listed(src, m).values() if s.id == sid), None)
                if server is None:
                    raise PermanentError(f"{name}: attached to server {sid}, not one of {m.key}'s VMs")
                detached |= src.detach(server, vol)
            src.wait_volume(m.project, name, ("available",), settle=detached)  # just asked: not at once
        return self.Outputs(old_id=vol.id, size=vol.size, detached=detached)


class Unmanage(VolumeAction):
    """Release the volume from the source cloud's Cinder; it stays on the array (no copy)."""

    name = "upgrade.unmanage"
    observe_first = True

    class Outputs(StepOutputs):
        unmanaged: bool

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m, name = self.move(step), step.params.volume
        with adapter_errors(name):
            vol = self.source_volume(m, name)
        return None if vol is not None else self.Outputs(unmanaged=False)

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m, name = self.move(step), step.params.volume
        with adapter_errors(name):
            src = self.src_of(m)
            vol = self.source_volume(m, name)
            if vol is None:
                return self.Outputs(unmanaged=False)
            if vol.status not in ("available", "unmanaging"):
                raise PermanentError(f"{name}: is {vol.status} in {src.name}; only an available "
                                     "(detached) volume can be unmanaged")
            if vol.status == "available":  # unmanaging: a resumed run's request is under way
                src.unmanage(vol)
            # Cinder releases the array volume (renamed *-unmanaged) only when the volume is gone
            src.wait_volume_gone(m.project, name, settle=vol.status == "available")
        ctx.log("volume.unmanaged", volume=name, cloud=src.name, id=vol.id)
        return self.Outputs(unmanaged=True)


class Manage(VolumeAction):
    """Adopt the array volume the source cloud released into the team's project on the
    destination (no copy)."""

    name = "upgrade.manage"
    observe_first = True

    class Params(VolumeParams):
        detach_step: str  # the Detach step: the source volume's id

    class Outputs(StepOutputs):
        new_id: str
        old_id: str

    def _old_id(self, step: StepView) -> str:
        return step.output(step.params.detach_step, Detach.Outputs).old_id

    def _mine(self, m: Move, name: str, old_id: str) -> Any | None:
        vol = self.seen(("volume", "dst", name), lambda: self.dst_of(m).volume(m.project, name))
        if vol is not None and (vol.metadata or {}).get("i2.from") in (old_id, None, ""):
            return vol
        return None

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m, name = self.move(step), step.params.volume
        with adapter_errors(name):
            vol = self._mine(m, name, self._old_id(step))
        if vol is None or vol.status not in ("available", "in-use"):
            return None
        return self.Outputs(new_id=vol.id, old_id=self._old_id(step))

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m, name, old_id = self.move(step), step.params.volume, self._old_id(step)
        model = self.clouds_of(m)[1]
        if model.pure is None:
            raise PermanentError(f"cloud {model.name} has no pure backend to manage {name} into")
        with adapter_errors(name):
            dst = self.dst_of(m)
            vol = self._mine(m, name, old_id)
            managed = vol is None
            if vol is None:
                host = dst.backend_host(model.pure.backend_name)
                candidates = [v for v in dst.manageable(host)
                              if old_id and old_id in str((v.get("reference") or {}).get("name", ""))]
                if not candidates:
                    raise TransientError(f"{name}: the array shows no unmanaged volume of {old_id} "
                                         f"on {host} yet")
                cand = candidates[0]
                if not cand.get("safe_to_manage", False):
                    raise PermanentError(f"{name}: {cand['reference']['name']} is not safe to manage: "
                                         f"{cand.get('reason_not_safe')}")
                ref = cand["reference"]["name"]
                vol = dst.manage(m.project, host=host, ref=ref, name=name,
                                 metadata={"i2.from": old_id, "i2.app": m.key})
                ctx.log("volume.managed", volume=name, cloud=dst.name, ref=ref)
            vol = dst.wait_volume(m.project, name, ("available", "in-use"), settle=managed)
        return self.Outputs(new_id=vol.id, old_id=old_id)


class Attach(MoveAction):
    """Attach the moved volumes to their destination VMs and let writes go on there."""

    name, system = "upgrade.attach", "nova"
    timeout = 900.0
    observe_first = True

    class Outputs(StepOutputs):
        attached: dict[str, str]  # volume -> VM
        at: float | None = None

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        if not m.stateful and not any(vm.volumes for vm in m.spec.vms):
            return self.Outputs(attached={}, at=now())  # no volume moved, no writer stopped: nothing
        with adapter_errors(m.key):
            dst = self.dst_of(m)
            vms = self.servers(dst, m)
            done: dict[str, str] = {}
            for vm in m.spec.vms:
                server = vms.get(vm.name)
                if server is None or server.status != "ACTIVE":
                    return None
                if m.app.writer_stop == "freeze" and (server.metadata or {}).get(WRITES) == "frozen":
                    return None
                for name in vm.volumes:
                    vol = self.seen(("volume", "dst", name), lambda n=name: dst.volume(m.project, n))
                    if vol is None or server.id not in dst.attached_to(vol):
                        return None
                    done[name] = vm.name
            if self.hook_of(m) is not None and self.servers(self.src_of(m), m):
                return None  # whether the hook resumed cannot be read: resuming again is harmless
        return self.Outputs(attached=done, at=now())

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        done: dict[str, str] = {}
        hook = self.hook_of(m)
        with adapter_errors(m.key):
            dst = self.dst_of(m)
            vms = self.listed(dst, m)  # observe's listing
            for vm in m.spec.vms:
                server = vms.get(vm.name)
                if server is None:
                    raise PermanentError(f"{vm.name}: not in {dst.name} (boot step?)")
                if server.status == "SHUTOFF":  # stop-vms stopped it (a rollback back to A)
                    dst.start(server)
                    dst.wait_servers(m.project, [vm.name], cancelled=ctx.cancelled.wait)
                for name in vm.volumes:
                    # observe's read, a few ms old (attaching one attached already changes nothing)
                    vol = self.seen(("volume", "dst", name), lambda n=name: dst.volume(m.project, n))
                    if vol is None:
                        raise PermanentError(f"{name}: not in {dst.name} project {m.project}")
                    attached = dst.attach(server, vol)
                    dst.wait_volume(m.project, name, ("in-use",), settle=attached)
                    done[name] = vm.name
                if m.app.writer_stop == "freeze" and hook is None:
                    dst.set_metadata(server, **{WRITES: "normal"})
            if hook is not None:
                calls = self.svc.hooks().call(hook, self.ips(m, m.dst).values(), resume=True)
                ctx.log("writers.hook", app=m.key, calls=calls)
        return self.Outputs(attached=done, at=now())
