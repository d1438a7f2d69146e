"""The recommissioning steps of an upgrade run, and the site as it is once they are done."""

from __future__ import annotations

from lifecycle.engine import ActionRegistry, StepSpec
from lifecycle.model.schema import Site
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.rack import actions as rack_actions
from lifecycle.runbooks.rack import scale_out_steps, server_steps
from lifecycle.runbooks.recommission.fabric import Fabric
from lifecycle.runbooks.recommission.old_cloud import (
    Disable,
    Drain,
    OldCloudParams,
    OldNodeDelete,
    OldStackParams,
    Undeploy,
)


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
        # One node delete on the old director for the entry's servers, once each is disabled: the
        # old stack shrinks before the old Ironic forgets them (hazard 7).
        delete = f"rec/{old.name}/{entry.after_wave}/node-delete"
        steps.append(StepSpec(key=delete, target=f"overcloud:{old.name}", action=OldNodeDelete.name,
                              batch=batch, deps=[f"rec/{s.name}/disable" for s in members],
                              params=OldStackParams(cloud=old.name, servers=[s.name for s in members]),
                              system=f"undercloud:{old.undercloud}",
                              description=f"Delete {', '.join(s.name for s in members)} from "
                                          f"{old.name}'s stack {old.stack} (openstack overcloud node "
                                          f"delete on {old.undercloud})"))
        for s in members:
            k, t = f"rec/{s.name}", f"server:{s.name}"
            base = OldCloudParams(server=s.name, old_cloud=old.name, old_undercloud=old.undercloud)
            steps += [
                StepSpec(key=f"{k}/drain", target=t, action=Drain.name, batch=batch, params=base,
                         after=list(after.get(entry.after_wave, [])),
                         description=f"{s.name}: no VM left on it in {old.name}"),
                StepSpec(key=f"{k}/disable", target=t, action=Disable.name, batch=batch,
                         params=base, deps=[f"{k}/drain"],
                         description=f"Disable {s.name}'s nova-compute in {old.name}"),
                StepSpec(key=f"{k}/undeploy", target=t, action=Undeploy.name, batch=batch,
                         params=base, deps=[f"{k}/disable", delete], system=f"ironic:{old.undercloud}",
                         description=f"Delete {s.name} from {old.undercloud}'s Ironic once out of the "
                                     f"stack, and its compute service in {old.name}"),
            ]
            undeployed.setdefault(s.rack, []).append(f"{k}/undeploy")
        fabric: dict[str, str] = {}
        for rack, keys in sorted(undeployed.items()):
            fabric[rack] = f"rec/{rack}/fabric"
            steps.append(StepSpec(key=fabric[rack], target=f"rack:{rack}", action=Fabric.name,
                                  batch=batch, deps=keys, params=Fabric.Params(rack=rack),
                                  description=f"Move {rack}'s leaf ports of the recommissioned servers "
                                              f"to {site.upgrade.to_cloud}'s VLANs (config sessions)"))
        steps += server_steps(svc, members, batch, key_prefix="rec/",
                              first={s.name: [f"rec/{s.name}/undeploy"] for s in members},
                              inspect_after={s.name: [fabric[s.rack]] for s in members})
        steps += scale_out_steps(svc, f"recommission-{entry.after_wave}", members, batch, key_prefix="rec/")
    ActionRegistry([*rack_actions(svc), Drain(svc), Disable(svc), OldNodeDelete(svc), Undeploy(svc),
                    Fabric(svc)]).check(steps)
    return steps
