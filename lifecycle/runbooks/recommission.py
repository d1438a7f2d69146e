"""Recommissioning: the old cloud's emptied computes become hypervisors of the new cloud.

For each ``recommission`` entry of the upgrade (servers, role, after_wave), once that wave's
applications have left the old cloud::

    rec/<s>/drain ─> disable ─> undeploy ─┬─> rec/<rack>/fabric ────────────────────┐
                                          └─> rec/<s>/identify ─> profile ─> enroll ─> manage ─> inspect
    inspect ─> check ─> tag ─> provide ─> overcloud/<new>/render ─> validate ─> upload ─> deploy
    deploy ─> rec/<s>/hypervisor

The OneView, Ironic and overcloud steps are the rack runbook's own (lifecycle.runbooks.rack), run
on a view of the site in which the recommissioned servers already belong to the new cloud with
their new role (:func:`recommissioned`): their leaf ports render with the new cloud's VLANs,
they enroll in the new cloud's undercloud and get ``node:<role>-N`` indices there.

>>> view = recommissioned(site)                                             # doctest: +SKIP
>>> view.servers[0].cloud                                                   # doctest: +SKIP
'ie1-new'
"""

from __future__ import annotations

from typing import Any

from lifecycle.engine import Action, ActionContext, PermanentError, StepSpec, StepView, TransientError
from lifecycle.model.schema import Site
from lifecycle.runbooks.rack_actions import _errors
from lifecycle.runbooks.services import Services


def recommissioned(site: Site) -> Site:
    """The site as it is once every recommission entry is done (a copy; the site is untouched)."""
    if site.upgrade is None or not site.upgrade.recommission:
        return site
    new = site.upgrade.to_cloud
    moving = {name: r.role for r in site.upgrade.recommission for name in r.servers}
    servers = [s.model_copy(update={"cloud": new, "role": moving[s.name]}) if s.name in moving else s
               for s in site.servers]
    return site.model_copy(update={"servers": servers})


def recommission_steps(svc: Services, *, waves: list[str], after: dict[str, list[str]]) -> list[StepSpec]:
    """The steps of every recommission entry whose ``after_wave`` is in ``waves``; ``after``:
    per wave, the steps that end it (the entry's steps wait for them). ``svc.site`` must be the
    :func:`recommissioned` view."""
    from lifecycle.runbooks.rack import scale_out_steps, server_steps

    site = svc.site
    assert site.upgrade is not None
    old = site.cloud(site.upgrade.from_cloud)
    steps: list[StepSpec] = []
    for entry in site.upgrade.recommission:
        if entry.after_wave not in waves:
            continue
        batch = f"recommission:{entry.after_wave}"
        members = [s for s in site.servers if s.name in entry.servers]
        undeployed: dict[str, list[str]] = {}
        for s in members:
            k, t = f"rec/{s.name}", f"server:{s.name}"
            base = {"server": s.name, "old_cloud": old.name, "old_undercloud": old.undercloud}
            steps += [
                StepSpec(key=f"{k}/drain", target=t, action="upgrade.rec_drain", batch=batch, params=base,
                         after=list(after.get(entry.after_wave, [])),
                         description=f"{s.name}: no VM left on it in {old.name}"),
                StepSpec(key=f"{k}/disable", target=t, action="upgrade.rec_disable", batch=batch,
                         params=base, deps=[f"{k}/drain"],
                         description=f"Disable {s.name}'s nova-compute in {old.name}"),
                StepSpec(key=f"{k}/undeploy", target=t, action="upgrade.rec_undeploy", batch=batch,
                         params=base, deps=[f"{k}/disable"],
                         description=f"Undeploy {s.name} from {old.undercloud}'s Ironic, delete its "
                                     f"compute service in {old.name}"),
            ]
            undeployed.setdefault(s.rack, []).append(f"{k}/undeploy")
        fabric: dict[str, str] = {}
        for rack, keys in sorted(undeployed.items()):
            fabric[rack] = f"rec/{rack}/fabric"
            steps.append(StepSpec(key=fabric[rack], target=f"rack:{rack}", action="upgrade.rec_fabric",
                                  batch=batch, deps=keys, params={"rack": rack},
                                  description=f"Move {rack}'s leaf ports of the recommissioned servers "
                                              f"to {site.upgrade.to_cloud}'s VLANs (config sessions)"))
        steps += server_steps(svc, members, batch, key_prefix="rec/",
                              first={s.name: [f"rec/{s.name}/undeploy"] for s in members},
                              inspect_after={s.name: [fabric[s.rack]] for s in members})
        steps += scale_out_steps(svc, f"recommission-{entry.after_wave}", members, batch, key_prefix="rec/")
    return steps


class _Rec(Action):
    def __init__(self, svc: Services):
        self.svc = svc

    def cloud(self, step: StepView) -> Any:
        return self.svc.cloud(step.params["old_cloud"])

    @staticmethod
    def short(name: str | None) -> str:
        return (name or "").split(".")[0]


class Drain(_Rec):
    """Nothing may still run on the compute: the wave moved its VMs away."""

    name, system = "upgrade.rec_drain", "nova"

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        server = step.params["server"]
        with _errors(server):
            left = [s.name for s in self.cloud(step).servers()
                    if self.short(getattr(s, "compute_host", None) or getattr(s, "hypervisor_hostname", None))
                    == server]
        if left:
            raise PermanentError(f"{server}: {len(left)} VM(s) still on it in {step.params['old_cloud']}: "
                                 f"{', '.join(sorted(left))} (move them, then `i2 runs resume`)")
        return {"vms": 0}


class Disable(_Rec):
    name, system = "upgrade.rec_disable", "nova"
    observe_first = True

    def _service(self, step: StepView) -> Any | None:
        return next((s for s in self.cloud(step).compute_services()
                     if self.short(s.host) == step.params["server"]), None)

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        with _errors(step.params["server"]):
            svc = self._service(step)
        if svc is None or svc.status == "disabled":
            return {"disabled": False, "service": "gone" if svc is None else svc.host}
        return None

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        with _errors(step.params["server"]):
            svc = self._service(step)
            if svc is None:
                return {"disabled": False, "service": "gone"}
            self.cloud(step).disable_compute(svc.host, "i2 upgrade: recommissioned into the new cloud")
        return {"disabled": True, "service": svc.host}


class Undeploy(_Rec):
    """The node leaves the old undercloud's Ironic (undeployed, then deleted) and its compute
    service the old cloud's Nova: one Ironic at a time drives a BMC."""

    name, system = "upgrade.rec_undeploy", "ironic"
    observe_first = True
    timeout = 1800.0

    def _gone(self, step: StepView) -> bool:
        bm = self.svc.baremetal(step.params["old_undercloud"])
        return bm.node(step.params["server"]) is None

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        with _errors(step.params["server"]):
            return {"deleted": False} if self._gone(step) and self._service(step) is None else None

    def _service(self, step: StepView) -> Any | None:
        return next((s for s in self.cloud(step).compute_services()
                     if self.short(s.host) == step.params["server"]), None)

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        server = step.params["server"]
        bm = self.svc.baremetal(step.params["old_undercloud"])
        with _errors(server):
            node = bm.node(server)
            state = node.provision_state if node is not None else None
            if node is not None:
                left = ctx.remaining()
                bm.undeploy(server, cancelled=ctx.cancelled, **({"timeout": left} if left else {}))
                bm.delete(server)
                ctx.log("ironic.deleted", server=server, undercloud=step.params["old_undercloud"])
            svc = self._service(step)
            if svc is not None:
                cloud = self.cloud(step)
                try:
                    cloud.conn.compute.delete_service(svc, ignore_missing=True)
                except Exception as exc:  # Nova refuses while instances remain on the host
                    raise TransientError(f"{server}: {cloud.name} keeps its compute service: {exc}") from None
        return {"deleted": node is not None, "was": state}


class Fabric(_Rec):
    """The rack's leaves get the recommissioned servers' ports with the new cloud's VLANs,
    through config sessions (diff first, then commit and write memory)."""

    name, system = "upgrade.rec_fabric", "fabric"
    observe_first = True

    def _leaves(self, step: StepView) -> list[str]:
        return [leaf.name for leaf in self.svc.site.rack(step.params["rack"]).leaves.leaves]

    def _diff(self, leaf: str) -> str:
        from lifecycle.fabric.eapi import diff

        return str(diff(self.svc.switch(leaf), self.svc.intended_configs()[leaf]))

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        with _errors(step.params["rack"]):
            if any(self._diff(leaf).strip() for leaf in self._leaves(step)):
                return None
        return {"changed": {}}

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        from lifecycle.fabric.eapi import push

        changed: dict[str, int] = {}
        for leaf in self._leaves(step):
            with _errors(leaf):
                text = push(self.svc.switch(leaf), self.svc.intended_configs()[leaf])
            n = sum(1 for line in text.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))
            changed[leaf] = n
            ctx.log("fabric.pushed", leaf=leaf, lines=n)
        return {"changed": changed}


def actions(svc: Services) -> list[Action]:
    return [k(svc) for k in (Drain, Disable, Undeploy, Fabric)]
