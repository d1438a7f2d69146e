"""The upgrade runbook's actions: one class per step kind, each idempotent and observable.

Every action finds its objects by the names :mod:`lifecycle.runbooks.upgrade_model` fixes (and
by what earlier steps recorded), so a process killed anywhere resumes without creating a VSD
object, a VM or a volume twice. The steps that can break reachability (``in_service``,
``retire``) re-check their preconditions in the real systems and refuse, naming what is
missing, rather than let the probes find out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from lifecycle.clouds import IN_SERVICE, STEP, WRITES, CloudError
from lifecycle.engine import Action, ActionContext, PermanentError, RetryPolicy, StepView, TransientError
from lifecycle.nuage.policy import MIRROR_PREFIX, Entry, mirror_of
from lifecycle.runbooks.rack_actions import _errors
from lifecycle.runbooks.services import Services
from lifecycle.runbooks.teams import switch_team_entry, team_entry_cloud
from lifecycle.runbooks.upgrade_model import Move, clouds, moves

WAIT = RetryPolicy(max_attempts=60, base_delay=1.0, max_delay=3.0, jitter=0.2)


def _now() -> float:
    return round(time.time(), 3)


class _Move(Action):
    def __init__(self, svc: Services):
        self.svc = svc

    def move(self, step: StepView) -> Move:
        app, env = step.params["app"], step.params["env"]
        reverse = bool(step.params.get("reverse"))  # a rollback runs these actions from B to A
        found = [m for m in moves(self.svc.site, apps=[app], reverse=reverse) if m.env == env]
        if not found:
            raise PermanentError(f"{app}/{env}: not an application environment of the upgrade")
        return found[0]

    def clouds_of(self, m: Move) -> tuple[Any, Any]:
        """(source, destination) cloud models of the move (swapped in a rollback)."""
        old, new = clouds(self.svc.site)
        return (new, old) if m.reverse else (old, new)

    def src_of(self, m: Move) -> Any:
        return self.svc.cloud(self.clouds_of(m)[0].name)

    def dst_of(self, m: Move) -> Any:
        return self.svc.cloud(self.clouds_of(m)[1].name)

    def vsd(self) -> Any:
        return self.svc.nuage()

    def where(self, m: Move) -> tuple[Any, Any, Any]:
        """(enterprise, domain, zone) of the move in VSD; missing ones are permanent errors."""
        assert self.svc.site.nuage is not None
        vsd = self.vsd()
        org = self.svc.site.nuage.organisation
        ent = vsd.enterprise(org)
        if ent is None:
            raise PermanentError(f"VSD has no enterprise {org}")
        dom = vsd.domain(ent, m.domain)
        if dom is None:
            raise PermanentError(f"VSD enterprise {org} has no domain {m.domain}")
        zone = vsd.zone(dom, m.zone)
        if zone is None:
            raise PermanentError(f"VSD domain {m.domain} has no zone {m.zone}")
        return ent, dom, zone

    def subnet_id(self, m: Move, side: str) -> str | None:
        _, dom, _ = self.where(m)
        sub = self.vsd().subnet(dom, m.subnet(side))
        return sub.id if sub is not None else None

    def servers(self, cloud: Any, m: Move) -> dict[str, Any]:
        return {s.name: s for s in cloud.servers(project=m.project, names=m.vms)
                if s.status != "DELETED"}


# -- VSD and Neutron --------------------------------------------------------------------------


class NetPartition(_Move):
    """The new cloud's net-partition, linked to the enterprise the old cloud uses."""

    name, system = "upgrade.net_partition", "neutron"
    observe_first = True

    def _np(self) -> str:
        new = clouds(self.svc.site)[1]
        assert new.nuage is not None
        return new.nuage.net_partition

    def cloud(self) -> Any:
        return self.svc.cloud(clouds(self.svc.site)[1].name)

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        with _errors(f"net-partition {self._np()}"):
            found = next((p for p in self.cloud().net_partitions() if p["name"] == self._np()), None)
        return {"id": found["id"], "name": found["name"], "created": False} if found else None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        with _errors(f"net-partition {self._np()}"):
            np, created = self.cloud().ensure_net_partition(self._np())
            ent = self.vsd().enterprise(self._np())
        if ent is None or ent.id != np["id"]:
            raise PermanentError(f"net-partition {self._np()} of {self.cloud().name} is not linked to "
                                 f"the VSD enterprise {self._np()} (id {np['id']})")
        return {"id": np["id"], "name": np["name"], "created": created}


class VsdSubnet(_Move):
    """Subnet B (the other /26 of the pair) in the application's zone."""

    name, system = "upgrade.vsd_subnet", "vsd"
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.subnet(m.dst)):
            _, _, zone = self.where(m)
            sub = self.vsd().subnet(zone, m.subnet(m.dst))
        return {"id": sub.id, "name": sub.name, "created": False, "at": _now()} if sub is not None else None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        with _errors(m.subnet(m.dst)):
            _, _, zone = self.where(m)
            sub, created = self.vsd().ensure_subnet(
                zone, m.subnet(m.dst), m.cidr(m.dst),
                description=f"{m.app.name} {m.env} on {self.dst_of(m).name} (i2 upgrade)")
        ctx.log("vsd.subnet", subnet=sub.name, id=sub.id, created=created)
        return {"id": sub.id, "name": sub.name, "created": created, "at": _now()}


def _entries(self: _Move, m: Move, dom: Any) -> list[Entry]:
    """The entries that matter to the move: naming A or B, and i2's mirrors for either."""
    vsd = self.vsd()
    ids = {m.subnet(side): getattr(vsd.subnet(dom, m.subnet(side)), "id", None) for side in ("a", "b")}
    return list(vsd.entries_for(dom, ids))


def _unmirrored(m: Move, entries: list[Entry]) -> list[Entry]:
    """Entries naming the side the application leaves that do not cover the side it goes to.

    Forward: an entry naming A without its mirror for B. Rollback: a mirror naming B whose
    original (naming A) is gone."""
    src, dst = m.ref(m.src), m.ref(m.dst)
    ids = {e.id for e in entries}
    have = {e.external_id for e in entries if e.external_id}
    out = []
    for e in entries:
        if not e.names(src):
            continue
        if e.external_id.startswith(MIRROR_PREFIX):
            original = e.external_id[len(MIRROR_PREFIX):].rsplit(":", 1)[0]
            if m.reverse and original not in ids:
                out.append(e)
        elif mirror_of(e, src, dst, "").external_id not in have:
            out.append(e)
    return out


class AclMirror(_Move):
    """Copy every ACL entry that names subnet A explicitly, with subnet B in its place (zone
    and policy-group entries cover B already)."""

    name, system = "upgrade.acl_mirror", "vsd"
    observe_first = True

    def _state(self, m: Move) -> tuple[Any, list[Entry]]:
        _, dom, _ = self.where(m)
        return dom, _entries(self, m, dom)

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.key):
            _, entries = self._state(m)
        if _unmirrored(m, entries):
            return None
        return {"mirrored": [e.id for e in entries if e.names(m.ref(m.dst))
                             and e.external_id.startswith(MIRROR_PREFIX)]}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        b_id = step.dep_outputs[step.params["subnet_step"]]["id"]
        made = []
        with _errors(m.key):
            dom, entries = self._state(m)
            for e in _unmirrored(m, entries):
                mirror = self.vsd().create_entry(dom, mirror_of(e, m.ref(m.src), m.ref(m.dst), b_id))
                ctx.log("acl.mirror", of=e.id, rule=e.rule, mirror=mirror.id)
                made.append({"of": e.id, "rule": e.rule, "id": mirror.id})
        return {"mirrored": made}


class Network(_Move):
    """The Neutron network and VSD-managed subnet B in the team's project on the new cloud."""

    name, system = "upgrade.network", "neutron"
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.subnet(m.dst)):
            net = self.dst_of(m).network(m.project, m.subnet(m.dst))
            sub = self.dst_of(m).subnet(net.id, m.subnet(m.dst)) if net is not None else None
        if sub is None:
            return None
        return {"network_id": net.id, "subnet_id": sub["id"], "created": False}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        b_id = step.dep_outputs[step.params["subnet_step"]]["id"]
        np = step.dep_outputs[step.params["np_step"]]
        with _errors(m.subnet(m.dst)):
            net, net_created = self.dst_of(m).ensure_network(m.project, m.subnet(m.dst))
            sub, sub_created = self.dst_of(m).ensure_vsd_subnet(
                m.project, net.id, m.subnet(m.dst), m.cidr(m.dst), m.gateway(m.dst), np["name"], b_id)
        return {"network_id": net.id, "subnet_id": sub["id"], "created": net_created or sub_created}


# -- servers ------------------------------------------------------------------------------------


class Boot(_Move):
    """Boot the application's VMs on B (same names, flavors, images, metadata), out of service,
    and wait until every one is ACTIVE."""

    name, system = "upgrade.boot", "nova"
    timeout = 1800.0
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.key):
            up = self.servers(self.dst_of(m), m)
        if len(up) == len(m.vms) and all(s.status == "ACTIVE" for s in up.values()):
            return {"servers": {n: s.id for n, s in up.items()}, "created": []}
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        net_id = step.dep_outputs[step.params["network_step"]]["network_id"]
        old = self.servers(self.src_of(m), m)
        created = []
        with _errors(m.key):
            for vm in m.spec.vms:
                was = old.get(vm.name)
                meta = {k: v for k, v in ((was.metadata if was else None) or {}).items()
                        if not k.startswith("i2.")}
                meta.update(vm.metadata)
                meta.update({IN_SERVICE: "false", STEP: step.key})
                _, made = self.dst_of(m).boot(m.project, vm.name, flavor=vm.flavor, image=vm.image,
                                        network_id=net_id, metadata=meta,
                                        key_name=getattr(was, "key_name", None) if was else None)
                if made:
                    created.append(vm.name)
                    ctx.log("server.boot", server=vm.name, cloud=self.dst_of(m).name)
            ctx.progress(f"{m.key}: waiting for {len(m.vms)} VM(s) to be ACTIVE")
            up = self.dst_of(m).wait_servers(m.project, m.vms, timeout=ctx.remaining() or 1800,
                                       cancelled=ctx.cancelled.wait)
        return {"servers": {n: s.id for n, s in up.items()}, "created": created}


class Freeze(_Move):
    """Stop the writers of a stateful application as its policy says: ``freeze`` keeps the
    A VMs serving (``i2.writes=frozen``), ``stop-vms`` stops them (an outage)."""

    name, system = "upgrade.freeze", "nova"
    observe_first = True

    def _done(self, m: Move, vms: dict[str, Any]) -> bool:
        if m.app.writer_stop == "stop-vms":
            return all(s.status == "SHUTOFF" for s in vms.values())
        if m.app.writer_stop == "freeze":
            return all((s.metadata or {}).get(WRITES) == "frozen" for s in vms.values())
        return True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.key):
            vms = self.servers(self.src_of(m), m)
        return {"mode": m.app.writer_stop, "vms": sorted(vms), "at": _now()} if self._done(m, vms) else None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        with _errors(m.key):
            vms = self.servers(self.src_of(m), m)
            for s in vms.values():
                if m.app.writer_stop == "freeze":
                    self.src_of(m).set_metadata(s, **{WRITES: "frozen"})
                elif m.app.writer_stop == "stop-vms":
                    self.src_of(m).stop(s)
            if m.app.writer_stop == "stop-vms":
                self.src_of(m).wait_servers(m.project, sorted(vms), "SHUTOFF", cancelled=ctx.cancelled.wait)
        ctx.log("writers.stopped", app=m.key, mode=m.app.writer_stop)
        return {"mode": m.app.writer_stop, "vms": sorted(vms), "at": _now()}


# -- volumes ------------------------------------------------------------------------------------


class _Volume(_Move):
    system = "cinder"
    timeout = 900.0

    def volume_name(self, step: StepView) -> str:
        return str(step.params["volume"])


class Detach(_Volume):
    """Detach the volume from its A VM in the old cloud; records the old volume's id."""

    name = "upgrade.detach"
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m, name = self.move(step), self.volume_name(step)
        with _errors(name):
            vol = self.src_of(m).volume(m.project, name)
            if vol is None:
                moved = self.dst_of(m).volume(m.project, name)
                if moved is None:
                    return None  # in neither: apply says so
                return {"old_id": (moved.metadata or {}).get("i2.from", ""), "detached": False}
        if vol.status == "available" and not self.src_of(m).attached_to(vol):
            return {"old_id": vol.id, "size": vol.size, "detached": False}
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m, name = self.move(step), self.volume_name(step)
        with _errors(name):
            vol = self.src_of(m).volume(m.project, name)
            if vol is None:
                moved = self.dst_of(m).volume(m.project, name)
                if moved is not None:  # moved already (a resumed run): nothing to detach
                    return {"old_id": (moved.metadata or {}).get("i2.from", ""), "detached": False}
                raise PermanentError(f"{name}: in neither {self.src_of(m).name} nor {self.dst_of(m).name} "
                                     f"(project {m.project})")
            detached = False
            for sid in self.src_of(m).attached_to(vol):
                server = next((s for s in self.servers(self.src_of(m), m).values() if s.id == sid), None)
                if server is None:
                    raise PermanentError(f"{name}: attached to server {sid}, not one of {m.key}'s VMs")
                detached |= self.src_of(m).detach(server, vol)
            self.src_of(m).wait_volume(m.project, name, ("available",))
        return {"old_id": vol.id, "size": vol.size, "detached": detached}


class Unmanage(_Volume):
    """Release the volume from the old cloud's Cinder; it stays on the array (no copy)."""

    name = "upgrade.unmanage"
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m, name = self.move(step), self.volume_name(step)
        with _errors(name):
            vol = self.src_of(m).volume(m.project, name)
        return None if vol is not None else {"unmanaged": False}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m, name = self.move(step), self.volume_name(step)
        with _errors(name):
            vol = self.src_of(m).volume(m.project, name)
            if vol is None:
                return {"unmanaged": False}
            if vol.status not in ("available", "unmanaging"):
                raise PermanentError(f"{name}: is {vol.status} in {self.src_of(m).name}; only an available "
                                     "(detached) volume can be unmanaged")
            if vol.status == "available":  # unmanaging: a resumed run's request is under way
                self.src_of(m).unmanage(vol)
            # Cinder releases the array volume (renamed *-unmanaged) only when the volume is gone
            self.src_of(m).wait_volume_gone(m.project, name)
        ctx.log("volume.unmanaged", volume=name, cloud=self.src_of(m).name, id=vol.id)
        return {"unmanaged": True}


class Manage(_Volume):
    """Adopt the array volume the old cloud released into the team's project (no copy)."""

    name = "upgrade.manage"
    observe_first = True

    def _old_id(self, step: StepView) -> str:
        return str(step.dep_outputs[step.params["detach_step"]]["old_id"])

    def _mine(self, m: Move, name: str, old_id: str) -> Any | None:
        vol = self.dst_of(m).volume(m.project, name)
        if vol is not None and (vol.metadata or {}).get("i2.from") in (old_id, None, ""):
            return vol
        return None

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m, name = self.move(step), self.volume_name(step)
        with _errors(name):
            vol = self._mine(m, name, self._old_id(step))
        if vol is None or vol.status not in ("available", "in-use"):
            return None
        return {"new_id": vol.id, "old_id": self._old_id(step)}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m, name, old_id = self.move(step), self.volume_name(step), self._old_id(step)
        new = self.clouds_of(m)[1]
        if new.pure is None:
            raise PermanentError(f"cloud {new.name} has no pure backend to manage {name} into")
        with _errors(name):
            vol = self._mine(m, name, old_id)
            if vol is None:
                host = self.dst_of(m).backend_host(new.pure.backend_name)
                candidates = [v for v in self.dst_of(m).manageable(host)
                              if old_id and old_id in str((v.get("reference") or {}).get("name", ""))]
                if not candidates:
                    raise TransientError(f"{name}: the array shows no unmanaged volume of {old_id} "
                                         f"on {host} yet")
                cand = candidates[0]
                if not cand.get("safe_to_manage", False):
                    raise PermanentError(f"{name}: {cand['reference']['name']} is not safe to manage: "
                                         f"{cand.get('reason_not_safe')}")
                ref = cand["reference"]["name"]
                vol = self.dst_of(m).manage(m.project, host=host, ref=ref, name=name,
                                            metadata={"i2.from": old_id, "i2.app": m.key})
                ctx.log("volume.managed", volume=name, cloud=self.dst_of(m).name, ref=ref)
            vol = self.dst_of(m).wait_volume(m.project, name, ("available", "in-use"))
        return {"new_id": vol.id, "old_id": old_id}


class Attach(_Move):
    """Attach the imported volumes to their B VMs and let writes go on there."""

    name, system = "upgrade.attach", "nova"
    timeout = 900.0
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.key):
            vms = self.servers(self.dst_of(m), m)
            done: dict[str, str] = {}
            for vm in m.spec.vms:
                server = vms.get(vm.name)
                if server is None or server.status != "ACTIVE":
                    return None
                if m.app.writer_stop == "freeze" and (server.metadata or {}).get(WRITES) == "frozen":
                    return None
                for name in vm.volumes:
                    vol = self.dst_of(m).volume(m.project, name)
                    if vol is None or server.id not in self.dst_of(m).attached_to(vol):
                        return None
                    done[name] = vm.name
        return {"attached": done, "at": _now()}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        done: dict[str, str] = {}
        with _errors(m.key):
            vms = self.servers(self.dst_of(m), m)
            for vm in m.spec.vms:
                server = vms.get(vm.name)
                if server is None:
                    raise PermanentError(f"{vm.name}: not in {self.dst_of(m).name} (boot step?)")
                if server.status == "SHUTOFF":  # stop-vms stopped it (a rollback back to A)
                    self.dst_of(m).start(server)
                    self.dst_of(m).wait_servers(m.project, [vm.name], cancelled=ctx.cancelled.wait)
                for name in vm.volumes:
                    vol = self.dst_of(m).volume(m.project, name)
                    if vol is None:
                        raise PermanentError(f"{name}: not in {self.dst_of(m).name} project {m.project}")
                    self.dst_of(m).attach(server, vol)
                    self.dst_of(m).wait_volume(m.project, name, ("in-use",))
                    done[name] = vm.name
                if m.app.writer_stop == "freeze":
                    self.dst_of(m).set_metadata(server, **{WRITES: "normal"})
        return {"attached": done, "at": _now()}


def _vsd_ips(self: _Move, m: Move) -> dict[str, str]:
    """IP of each VM interface VSD knows on subnet B."""
    _, dom, _ = self.where(m)
    sub = self.vsd().subnet(dom, m.subnet(m.dst))
    if sub is None:
        return {}
    return {i.ip_address: i.name or "" for i in self.vsd().vm_interfaces(sub)}


def _b_state(self: _Move, m: Move) -> tuple[dict[str, Any], list[str]]:
    """B's servers and what is wrong with them (not ACTIVE, not resolved in VSD on B)."""
    vms = self.servers(self.dst_of(m), m)
    problems = [f"{n}: missing in {self.dst_of(m).name}" for n in m.vms if n not in vms]
    ips = _vsd_ips(self, m)
    for n, s in vms.items():
        if s.status != "ACTIVE":
            problems.append(f"{n}: {s.status}")
            continue
        mine = [a.get("addr") for net in (s.addresses or {}).values() for a in net]
        if not any(ip in ips for ip in mine):
            problems.append(f"{n}: no VSD interface on {m.subnet(m.dst)} "
                            f"(addresses {', '.join(mine) or 'none'})")
    return vms, problems


class Healthy(_Move):
    """B's VMs are ACTIVE and VSD resolved each one on subnet B."""

    name, system = "upgrade.healthy", "vsd"
    retry = WAIT

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        with _errors(m.key):
            vms, problems = _b_state(self, m)
        if problems:
            raise TransientError(f"{m.key} on B not healthy yet: " + "; ".join(problems))
        return {"vms": sorted(vms), "at": _now()}


def _guard(self: _Move, m: Move, step: StepView, ctx: ActionContext, *, in_service: bool) -> None:
    """Refuse a change that would break reachability: every entry naming A mirrored for B,
    B healthy (and already in service, when A is to leave).

    The first attempt refuses and names the entries; an operator's ``i2 runs resume`` (a later
    attempt) re-creates the missing mirrors, then checks again."""
    _, dom, _ = self.where(m)
    missing = _unmirrored(m, _entries(self, m, dom))
    if missing and step.attempt > 1 and not m.reverse:
        b_id = self.subnet_id(m, m.dst)
        for e in missing:
            mirror = self.vsd().create_entry(dom, mirror_of(e, m.ref(m.src), m.ref(m.dst), b_id or ""))
            ctx.log("acl.mirror", of=e.id, rule=e.rule, mirror=mirror.id, on="resume")
        missing = _unmirrored(m, _entries(self, m, dom))
    if missing:
        raise PermanentError(f"{m.key}: refused: ACL entr{'y' if len(missing) == 1 else 'ies'} naming "
                             f"{m.subnet(m.src)} without a mirror for {m.subnet(m.dst)}: "
                             + ", ".join(f"{e.direction} {e.rule} ({e.id})" for e in missing)
                             + f"; consumers it allows would lose {m.app.name} on {m.subnet(m.dst)}. "
                             "`i2 runs resume` re-creates the mirrors")
    vms, problems = _b_state(self, m)
    if in_service:
        problems += [f"{n}: not in service" for n, s in vms.items()
                     if (s.metadata or {}).get(IN_SERVICE) != "true"]
    if problems:
        raise PermanentError(f"{m.key}: refused: B is not ready: " + "; ".join(problems))


class InService(_Move):
    name, system = "upgrade.in_service", "nova"
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.key):
            vms = self.servers(self.dst_of(m), m)
        ok = vms and all((s.metadata or {}).get(IN_SERVICE) == "true" for s in vms.values())
        return {"vms": sorted(vms), "at": _now()} if ok and len(vms) == len(m.vms) else None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        with _errors(m.key):
            _guard(self, m, step, ctx, in_service=False)
            vms = self.servers(self.dst_of(m), m)
            for s in vms.values():
                self.dst_of(m).set_metadata(s, **{IN_SERVICE: "true"})
        ctx.log("b.in_service", app=m.key, vms=sorted(vms))
        return {"vms": sorted(vms), "at": _now()}


class Endpoint(Action):
    """Point the team's clouds.yaml entry (its project) at the new cloud; record the switch."""

    name, system = "upgrade.endpoint", "files"
    observe_first = True

    def __init__(self, svc: Services):
        self.svc = svc

    def _others_on(self, step: StepView, cloud: str) -> list[str]:
        """The project's applications outside this step's that still have VMs on ``cloud``."""
        conn = self.svc.cloud(cloud)
        mine = set(step.params.get("apps") or [step.params.get("app")])
        out = []
        for m in moves(self.svc.site):
            if (m.project == step.params["project"] and m.app.name not in mine
                    and conn.servers(project=m.project, names=m.vms)):
                out.append(m.key)
        return out

    def _to(self, step: StepView) -> tuple[str, str]:
        old, new = (c.name for c in clouds(self.svc.site))
        return (new, old) if step.params.get("reverse") else (old, new)

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        _, new = self._to(step)
        with _errors(f"team entry {step.params['project']}"):
            at = team_entry_cloud(self.svc.endpoints, step.params["project"])
        return {"project": step.params["project"], "cloud": new, "switched": False} if at == new else None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        old, new = self._to(step)
        # the project's endpoint moves with its last application; a rollback of any one of them
        # brings it back (not every application of the project runs on the new cloud any more)
        stay = [] if step.params.get("reverse") else self._others_on(step, old)
        if stay:
            return {"project": step.params["project"], "cloud": old, "switched": False,
                    "kept": f"{', '.join(stay)} of {step.params['project']} still run on {old}"}
        with _errors(f"team entry {step.params['project']}"):
            before = switch_team_entry(self.svc.endpoints, step.params["project"], new)
        ctx.log("endpoint.switched", project=step.params["project"], before=before, after=new)
        return {"project": step.params["project"], "cloud": new, "before": before or old,
                "switched": True, "at": _now()}


class Soak(_Move):
    """B keeps serving for the configured soak time before A is touched."""

    name, system = "upgrade.soak", "nova"
    timeout = 86400.0
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.key):  # A already retired or gone: the soak served its purpose
            left = self.servers(self.src_of(m), m)
        if any((s.metadata or {}).get(IN_SERVICE) != "false" for s in left.values()):
            return None
        return {"soaked_s": 0, "observed": True}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        since = float(step.dep_outputs[step.params["in_service_step"]].get("at") or time.time())
        soak = float(step.params.get("soak_seconds", 0))
        while True:
            with _errors(m.key):
                _, problems = _b_state(self, m)
            if problems:
                raise PermanentError(f"{m.key}: B stopped being healthy during the soak: "
                                     + "; ".join(problems))
            left = since + soak - time.time()
            if left <= 0:
                return {"soaked_s": round(time.time() - since, 1)}
            ctx.progress(f"{m.key}: soaking, {left:.0f} s left")
            if ctx.cancelled.wait(min(left, 1.0)):
                raise TransientError(f"{m.key}: soak interrupted")


class Retire(_Move):
    """Take A out of service, only once B is healthy, in service and allowed by every ACL."""

    name, system = "upgrade.retire", "nova"
    observe_first = True

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.key):
            vms = self.servers(self.src_of(m), m)
        if all((s.metadata or {}).get(IN_SERVICE) == "false" for s in vms.values()):
            return {"vms": sorted(vms), "at": _now()}
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        with _errors(m.key):
            _guard(self, m, step, ctx, in_service=True)
            vms = self.servers(self.src_of(m), m)
            for s in vms.values():
                self.src_of(m).set_metadata(s, **{IN_SERVICE: "false"})
        ctx.log("a.out_of_service", app=m.key, vms=sorted(vms))
        return {"vms": sorted(vms), "at": _now()}


class DeleteA(_Move):
    """Delete A's VMs in the old cloud (their VSD vports go with them)."""

    name, system = "upgrade.delete_a_vms", "nova"
    observe_first = True
    timeout = 900.0

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.key):
            left = self.servers(self.src_of(m), m)
        return None if left else {"deleted": []}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        with _errors(m.key):
            vms = self.servers(self.src_of(m), m)
            for s in vms.values():
                if (s.metadata or {}).get(IN_SERVICE) == "true":
                    raise PermanentError(f"{s.name}: still in service on {self.src_of(m).name}; not deleted")
                self.src_of(m).delete_server(s)
            self.src_of(m).wait_gone(m.project, sorted(vms))
        return {"deleted": sorted(vms)}


class DeleteANetwork(_Move):
    """Delete A's Neutron subnet and network in the old cloud."""

    name, system = "upgrade.delete_a_network", "neutron"
    observe_first = True

    def _find(self, m: Move) -> Any | None:
        return self.src_of(m).network(m.project, m.subnet(m.src))

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.key):
            return None if self._find(m) is not None else {"deleted": False}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        with _errors(m.key):
            net = self._find(m)
            if net is None:
                return {"deleted": False}
            for sid in net.subnet_ids or []:
                self.src_of(m).delete_subnet(sid, f"subnet {sid} of {m.subnet(m.src)}")
            self.src_of(m).delete_network(net.id, f"network {m.subnet(m.src)}")
        return {"deleted": True, "network_id": net.id}


class DeleteVsdA(_Move):
    """Delete VSD subnet A and the ACL entries that named it (their B mirrors stay)."""

    name, system = "upgrade.delete_vsd_a", "vsd"
    observe_first = True
    retry = WAIT

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        m = self.move(step)
        with _errors(m.key):
            return None if self.subnet_id(m, m.src) else {"deleted": False}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        vsd = self.vsd()
        with _errors(m.key):
            _, dom, _ = self.where(m)
            sub = vsd.subnet(dom, m.subnet(m.src))
            if sub is None:
                return {"deleted": False}
            removed: list[str] = []
            live = []
            for vp in vsd.vports(sub):
                # A's Neutron network is gone (the step before), so a vport whose Neutron port
                # no longer exists is one the plugin failed to delete (a VSD blip while Nova
                # deleted the VM): it is removed. Anything else is waited for, never touched.
                port_id, sep, _ = (vp.external_id or "").partition("@")
                if sep and not self.src_of(m).port_exists(port_id):
                    removed += vsd.remove_vport(sub, vp)
                else:
                    live.append(vp.name)
            if removed:
                ctx.log("vsd.orphans_removed", subnet=m.subnet(m.src), removed=removed)
            if live:  # the old cloud's ports go with its subnet; wait for Neutron to finish
                raise TransientError(f"{m.subnet(m.src)}: {len(live)} vport(s) still on it: "
                                     f"{', '.join(sorted(live)[:5])}")
            entries = [e for e in _entries(self, m, dom) if e.names(m.ref(m.src))]
            for e in entries:
                vsd.delete_entry(dom, e)
            vsd.delete(sub, f"VSD subnet {m.subnet(m.src)}")
        ctx.log("vsd.subnet_deleted", subnet=m.subnet(m.src), entries=[e.id for e in entries])
        return {"deleted": True, "entries": [e.id for e in entries]}


class RollbackCheck(_Move):
    """A rollback returns to A only while A exists: its VMs and VSD subnet A."""

    name, system = "upgrade.rollback_check", "nova"

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        m = self.move(step)
        with _errors(m.key):
            a_vms = self.servers(self.dst_of(m), m)
            a_subnet = self.subnet_id(m, m.dst)
            b_vms = self.servers(self.src_of(m), m)
        missing = [n for n in m.vms if n not in a_vms]
        if missing or not a_subnet:
            gone = ", ".join(missing) + (" and " if missing and not a_subnet else "") + (
                "" if a_subnet else f"VSD subnet {m.subnet(m.dst)}")
            raise PermanentError(f"{m.key}: cannot roll back: {gone} already cleaned up on A "
                                 "(rollback is possible until A is deleted)")
        return {"a_vms": sorted(a_vms), "b_vms": sorted(b_vms)}


class Evidence(_Move):
    """What the probes saw of the application during its move: downtime and write freeze."""

    name, system = "upgrade.evidence", "probes"
    retry = RetryPolicy(max_attempts=5, base_delay=1.0)

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        from lifecycle.probes import Probes

        m = self.move(step)
        probes = Probes.connect(self.svc.endpoints)
        since = float(step.dep_outputs[step.params["start_step"]].get("at") or 0)
        if probes is None:
            return {"probes": False, "since": since, "note": "no probe service in the endpoints file"}
        with _errors(f"probes of {m.key}"):
            seen = probes.downtime(since=since, until=time.time()).get(m.key)
        if seen is None:
            return {"probes": True, "since": since, "note": f"the probe service does not probe {m.key}"}
        return {"probes": True, "since": since, "downtime_ms": seen.get("downtime_ms", 0),
                "write_freeze_ms": seen.get("write_freeze_ms", 0), "samples": seen.get("samples", 0),
                "windows": seen.get("windows", [])[:20]}


def actions(svc: Services) -> list[Action]:
    kinds: list[Callable[[Services], Action]] = [
        NetPartition, VsdSubnet, AclMirror, Network, Boot, Freeze, RollbackCheck, Detach, Unmanage,
        Manage, Attach, Healthy, InService, Endpoint, Soak, Retire, DeleteA, DeleteANetwork, DeleteVsdA,
        Evidence]
    return [k(svc) for k in kinds]


__all__ = ["CloudError", "actions"]
