"""The recommissioning steps of an upgrade run, and the site as it is once they are done."""

from __future__ import annotations

from typing import Any

from lifecycle.engine import ActionRegistry, StepSpec
from lifecycle.model.schema import Site
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.rack import actions as rack_actions
from lifecycle.runbooks.rack import scale_out_steps, server_steps
from lifecycle.runbooks.recommission.fabric import Fabric, configs_before
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


def leaf_findings(svc: Services, *, waves: list[str]) -> list[Any]:
    """Readiness of the recommissions after ``waves``: what only their racks' leaves have (the
    network team's own settings), which the fabric step leaves alone, as ``foreign`` findings
    (:class:`lifecycle.runbooks.upgrade.readiness.Finding`). A leaf that cannot be read is a
    warning: the step diffs it again before it pushes. ``svc.site`` is the recommissioned view."""
    from lifecycle.fabric.drift import foreign, kept_items, running_config
    from lifecycle.runbooks.common import safe_observe
    from lifecycle.runbooks.upgrade.readiness import Finding

    site = svc.site
    assert site.upgrade is not None
    out: list[Finding] = []
    before: dict[str, str] = {}
    for entry in site.upgrade.recommission:
        if entry.after_wave not in waves:
            continue
        racks = sorted({s.rack for s in site.servers if s.name in entry.servers})
        for leaf in (x.name for r in racks for x in site.rack(r).leaves.leaves):
            def one(leaf: str = leaf, wave: str = entry.after_wave) -> None:
                if not before:
                    before.update(configs_before(svc))
                items = kept_items(foreign(running_config(svc.switch(leaf)),
                                           svc.intended_configs()[leaf], before.get(leaf, "")))
                if items:
                    more = f", and {len(items) - 3} more" if len(items) > 3 else ""
                    out.append(Finding(wave, "", "foreign", "info", f"{leaf}: {len(items)} setting(s) "
                                       f"only on the switch, not in the site ({'; '.join(items[:3])}"
                                       f"{more}): left alone by the recommission's push"))

            def warn(why: str, leaf: str = leaf, wave: str = entry.after_wave) -> None:
                out.append(Finding(wave, "", "foreign", "warning", f"{leaf}: {why}"))

            safe_observe(one, warn, warn)
    return out
