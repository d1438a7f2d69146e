"""VSD: the new cloud's net-partition, the destination subnet, the ACL mirrors, and the source
subnet's removal once its side is gone."""

from __future__ import annotations

from typing import Any

from lifecycle.engine import ActionContext, PermanentError, StepOutputs, StepParams, StepView, TransientError
from lifecycle.nuage.policy import MIRROR_PREFIX, Entry, mirror_of
from lifecycle.runbooks.common import adapter_errors
from lifecycle.runbooks.upgrade.actions.base import WAIT, MoveAction, MoveParams, now
from lifecycle.runbooks.upgrade.model import Move, clouds, unmirrored


class NetPartition(MoveAction):
    """The new cloud's net-partition, linked to the enterprise the old cloud uses."""

    name, system = "upgrade.net_partition", "neutron"
    observe_first = True

    class Params(StepParams):
        """None: the campaign has one net-partition, the site names it."""

    class Outputs(StepOutputs):
        id: str
        name: str
        created: bool

    def _np(self) -> str:
        new = clouds(self.svc.site)[1]
        assert new.nuage is not None
        return new.nuage.net_partition

    def cloud(self) -> Any:
        return self.svc.cloud(clouds(self.svc.site)[1].name)

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        with adapter_errors(f"net-partition {self._np()}"):
            found = next((p for p in self.cloud().net_partitions() if p["name"] == self._np()), None)
        return self.Outputs(id=found["id"], name=found["name"], created=False) if found else None

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        with adapter_errors(f"net-partition {self._np()}"):
            np, created = self.cloud().ensure_net_partition(self._np())
            ent = self.vsd().enterprise(self._np())
        if ent is None or ent.id != np["id"]:
            raise PermanentError(f"net-partition {self._np()} of {self.cloud().name} is not linked to "
                                 f"the VSD enterprise {self._np()} (id {np['id']})")
        return self.Outputs(id=np["id"], name=np["name"], created=created)


class VsdSubnet(MoveAction):
    """The destination subnet (B: the other /26 of the pair) in the application's zone."""

    name, system = "upgrade.vsd_subnet", "vsd"
    observe_first = True

    class Outputs(StepOutputs):
        id: str
        name: str
        created: bool
        at: float | None = None  # when the move started (the evidence counts from here)
        source_id: str | None = None  # the source subnet's id, from the same read

        def ids(self, m: Move) -> dict[str, str | None]:
            """Subnet name -> id, both sides, as this step read them."""
            return {m.subnet(m.src): self.source_id, m.subnet(m.dst): self.id}

    def found(self, m: Move) -> Any | None:
        """The destination subnet, as this attempt's observe read it (else now): read by name in
        the domain, with the other moves of the wave starting at the same moment (one request
        for them all). A subnet of that name in another zone of the domain is refused: i2 finds
        subnets by name in their domain."""
        _, dom, zone = self.where(m)

        def read() -> Any | None:
            sub = self.vsd_subnets(dom, [m.subnet(m.src), m.subnet(m.dst)])[m.subnet(m.dst)]
            parent = getattr(sub, "parent_id", None)
            if sub is not None and parent and parent != zone.id:
                raise PermanentError(f"VSD subnet {m.subnet(m.dst)} exists in domain {m.domain} outside "
                                     f"zone {m.zone} (its zone's id {parent}, not {zone.id})")
            return sub
        return self.seen("vsd-subnet", read)

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        with adapter_errors(m.subnet(m.dst)):
            sub = self.found(m)
        if sub is None:
            return None
        return self.Outputs(id=sub.id, name=sub.name, created=False, at=now(), source_id=self.source_id(m))

    def source_id(self, m: Move) -> str | None:
        """The source subnet's id, from the read that found the destination's (both in one)."""
        _, dom, _ = self.where(m)
        return getattr(self.vsd_subnets(dom, [m.subnet(m.src)])[m.subnet(m.src)], "id", None)

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        with adapter_errors(m.subnet(m.dst)):
            _, _, zone = self.where(m)
            # observe (this attempt) found none: created without looking again
            absent = self.found(m) is None
            sub, created = self.vsd().ensure_subnet(
                zone, m.subnet(m.dst), m.cidr(m.dst), absent=absent,
                description=f"{m.app.name} {m.env} on {self.dst_of(m).name} (i2 upgrade)")
            src_id = self.source_id(m)
        ctx.log("vsd.subnet", subnet=sub.name, id=sub.id, created=created)
        return self.Outputs(id=sub.id, name=sub.name, created=created, at=now(), source_id=src_id)


class Mirrored(StepOutputs):
    """One mirror made: of which entry (its id and rule), and the mirror's id."""

    of: str
    rule: str
    id: str
    priority: int | None = None  # where the mirror went (next to its original, never colliding)


class AclMirror(MoveAction):
    """Copy every ACL entry that names the source subnet explicitly, with the destination
    subnet in its place (zone and policy-group entries cover it already)."""

    name, system = "upgrade.acl_mirror", "vsd"
    observe_first = True

    class Params(MoveParams):
        subnet_step: str  # the VsdSubnet step: the destination subnet's id

    class Outputs(StepOutputs):
        # observed: the ids of the mirrors found; applied: what was made
        mirrored: list[Mirrored | str]

    def _entries(self, step: StepView, m: Move, dom: Any) -> list[Entry]:
        """The move's entries, read now (once per attempt: apply takes observe's), naming the
        subnets by the ids the subnet step read a moment ago: a mirror missed because a subnet's
        id changed since is refused by the in-service guard, which reads them afresh."""
        ids = step.output(step.params.subnet_step, VsdSubnet.Outputs).ids(m)
        return self.seen("entries", lambda: self.entries(m, dom, ids))

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        with adapter_errors(m.key):
            _, dom, _ = self.where(m)
            entries = self._entries(step, m, dom)
        if unmirrored(m, entries):
            return None
        return self.Outputs(mirrored=[e.id for e in entries if e.names(m.ref(m.dst))
                                      and e.external_id.startswith(MIRROR_PREFIX)])

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        dst_subnet_id = step.output(step.params.subnet_step, VsdSubnet.Outputs).id
        made: list[Mirrored | str] = []
        with adapter_errors(m.key):
            _, dom, _ = self.where(m)
            # observe's read (this attempt, a few ms before): create_entry looks for each mirror
            # by its externalID before creating it, so nothing is made twice
            for e in unmirrored(m, self._entries(step, m, dom)):
                # the adapter picks the priority from what the template holds now (hazard 6)
                mirror = self.vsd().create_entry(dom, mirror_of(e, m.ref(m.src), m.ref(m.dst), dst_subnet_id))
                ctx.log("acl.mirror", of=e.id, rule=e.rule, mirror=mirror.id, priority=mirror.priority)
                made.append(Mirrored(of=e.id, rule=e.rule, id=mirror.id, priority=mirror.priority))
        return self.Outputs(mirrored=made)


class DeleteSourceVsd(MoveAction):
    """Delete the source's VSD subnet and the ACL entries that named it (their mirrors for the
    destination stay)."""

    name, system = "upgrade.delete_source_vsd", "vsd"
    aliases = ("upgrade.delete_vsd_a",)
    observe_first = True
    retry = WAIT

    class Outputs(StepOutputs):
        deleted: bool
        entries: list[str] | None = None

    def observe(self, step: StepView, ctx: ActionContext) -> Outputs | None:
        m = self.move(step)
        with adapter_errors(m.key):
            _, dom, _ = self.where(m)
            # both subnets and the entries naming them in one round (with the other moves of
            # the domain asking then): apply deletes the entries this read found, by id
            self.seen("entries", lambda: self.entries(m, dom))
            found = self.vsd_subnets(dom, [m.subnet(m.src)])  # from that round
            return None if found[m.subnet(m.src)] is not None else self.Outputs(deleted=False)

    def apply(self, step: StepView, ctx: ActionContext) -> Outputs:
        m = self.move(step)
        vsd = self.vsd()
        with adapter_errors(m.key):
            _, dom, _ = self.where(m)
            read = self.seen("entries", lambda: self.entries(m, dom))  # observe's, a few ms old
            sub = self.vsd_subnets(dom, [m.subnet(m.src)])[m.subnet(m.src)]
            if sub is None:
                return self.Outputs(deleted=False)
            self._orphans(m, sub, ctx)
            entries = [e for e in read if e.names(m.ref(m.src))]
            for e in entries:
                vsd.delete_entry(dom, e)
            vsd.delete(sub, f"VSD subnet {m.subnet(m.src)}")
        ctx.log("vsd.subnet_deleted", subnet=m.subnet(m.src), entries=[e.id for e in entries])
        return self.Outputs(deleted=True, entries=[e.id for e in entries])

    def _orphans(self, m: Move, sub: Any, ctx: ActionContext) -> None:
        """Remove the vports left behind on the source subnet; wait for the others to go."""
        vsd = self.vsd()
        removed: list[str] = []
        live = []
        for vp in vsd.vports(sub):
            # The source's Neutron network is gone (the step before), so a vport whose Neutron
            # port no longer exists is one the plugin failed to delete (a VSD blip while Nova
            # deleted the VM): it is removed. Anything else is waited for, never touched.
            port_id, sep, _ = (vp.external_id or "").partition("@")
            if sep and not self.src_of(m).port_exists(port_id):
                removed += vsd.remove_vport(sub, vp)
            else:
                live.append(vp.name)
        if removed:
            ctx.log("vsd.orphans_removed", subnet=m.subnet(m.src), removed=removed)
        if live:  # the source cloud's ports go with its subnet; wait for Neutron to finish
            raise TransientError(f"{m.subnet(m.src)}: {len(live)} vport(s) still on it: "
                                 f"{', '.join(sorted(live)[:5])}")
