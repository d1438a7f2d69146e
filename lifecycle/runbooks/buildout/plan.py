"""The steps of a build-out, fixed when the run is created (``i2 buildout apply DC``).

The rack runbook's steps are reused, not copied: each rack's leaf steps
(:func:`lifecycle.runbooks.rack.leaves.leaf_steps`), every server's OneView and Ironic steps
(:func:`lifecycle.runbooks.rack.plan.server_steps`), the overcloud chain and its proof. What
only a build-out has is added around them: the undercloud gates, the first deploy of each
cloud (by the servers the build-out brings up, role by role) and the whole fabric's NRFU.

Racks come up in parallel, ``parallel_racks`` at a time: rack *k*'s ZTP is ordered after rack
*k - parallel_racks*'s leaves are verified. Each rack's steps are one batch (``rack:<name>``), so
``--max-fail-percent`` quarantines a failing rack while the others go on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lifecycle.engine import Plan, StepSpec
from lifecycle.fabric.spines import rack_spines
from lifecycle.model.schema import Rack, Server
from lifecycle.runbooks import overcloud
from lifecycle.runbooks.buildout.catalog import registry
from lifecycle.runbooks.buildout.checks import Nrfu, UndercloudReady
from lifecycle.runbooks.buildout.prove import ProveCloud
from lifecycle.runbooks.buildout.spines import StageSpines, VerifySpine
from lifecycle.runbooks.buildout.vsd import KEY as VSD_KEY
from lifecycle.runbooks.buildout.vsd import BootstrapVsd, nuage_clouds
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.overcloud.deploy import Prove
from lifecycle.runbooks.rack.fabric import AwaitZtp
from lifecycle.runbooks.rack.leaves import leaf_steps
from lifecycle.runbooks.rack.plan import leaves_of, refuse_serving, server_steps, train_clouds

RUNBOOK = "lifecycle.runbooks.buildout:build"


def racks_of(svc: Services, dc: str, racks: Sequence[str] | None) -> list[Rack]:
    """The DC's racks (all, or those named), in site order; a ValueError names what exists."""
    site = svc.site
    dcs = [d.name for d in site.dcs]
    if dc not in dcs:
        raise ValueError(f"no DC {dc!r} in site {site.site.name} (DCs: {', '.join(dcs) or 'none'})")
    mine = [r for r in site.racks if r.dc == dc]
    if not racks:
        return mine
    unknown = sorted(set(racks) - {r.name for r in mine})
    if unknown:
        raise ValueError(f"not racks of {dc}: {', '.join(unknown)} (its racks: "
                         f"{', '.join(r.name for r in mine) or 'none'})")
    return [r for r in mine if r.name in racks]


def is_compute(svc: Services, server: Server) -> bool:
    """A server whose role runs nova-compute (proved as a hypervisor, not only deployed)."""
    return server.role.startswith("Compute")


def build_plan(svc: Services, dc: str, *, racks: Sequence[str] | None = None, parallel_racks: int = 4,
               power: str = "off", ztp_timeout: float = 900) -> Plan:
    """The steps of ``i2 buildout apply``; the run's params let any process resume it."""
    if parallel_racks < 1:
        raise ValueError("--parallel-racks must be at least 1")
    site = svc.site
    chosen = racks_of(svc, dc, racks)
    if not chosen:
        raise ValueError(f"{dc} has no racks in site {site.site.name}")
    top = f"buildout:{dc}"
    steps: list[StepSpec] = []
    members = [s for r in chosen for s in site.servers_in(r.name)]
    refuse_serving(svc, members)

    ready: dict[str, str] = {}  # undercloud -> its gate
    for cloud in sorted({site.cloud(s.cloud).name for s in members}):
        c = site.cloud(cloud)
        if c.undercloud in ready or not c.managed:
            continue
        ready[c.undercloud] = key = f"undercloud/{c.undercloud}/ready"
        steps.append(StepSpec(key=key, target=f"undercloud:{c.undercloud}", action=UndercloudReady.name,
                              params=UndercloudReady.Params(undercloud=c.undercloud, cloud=cloud), batch=top,
                              system=f"undercloud:{c.undercloud}",
                              description=f"Check undercloud {c.undercloud} is ready for {cloud}"))

    # The spines first: staged (those not up yet), waited for, verified; a rack's leaves are
    # staged only once the spines they hang off verify.
    spines = [s.name for s in site.spines if s.dc == dc]
    spine_ok: dict[str, str] = {}
    if spines:
        steps.append(StepSpec(key="spines/ztp/stage", target=f"dc:{dc}", action=StageSpines.name,
                              params=StageSpines.Params(spines=spines), batch=top,
                              description=f"Stage ZTP for {dc}'s spines not up yet"))
    for spine in spines:
        steps.append(StepSpec(key=f"{spine}/ztp", target=f"switch:{spine}", action=AwaitZtp.name,
                              params=AwaitZtp.Params(leaf=spine, ztp_timeout=ztp_timeout),
                              deps=["spines/ztp/stage"], batch=top, system=f"fabric:{spine}",
                              description=f"Wait for {spine} to finish ZTP (or find it up)"))
        spine_ok[spine] = f"{spine}/verify"
        steps.append(StepSpec(key=spine_ok[spine], target=f"switch:{spine}", action=VerifySpine.name,
                              params=VerifySpine.Params(spine=spine), deps=[f"{spine}/ztp"], batch=top,
                              system=f"fabric:{spine}", description=f"Verify {spine}: BGP, LLDP, CVX"))

    verify: dict[str, str] = {}
    rack_of: dict[str, str] = {}
    for i, rack in enumerate(chosen):
        before = chosen[i - parallel_racks] if i >= parallel_racks else None
        after = [f"{leaf.name}/verify" for leaf in before.leaves.leaves] if before else []
        gate = [spine_ok[s] for s in rack_spines(site, rack.name) if s in spine_ok]
        lsteps, v = leaf_steps(rack, batch=f"rack:{rack.name}", ztp_timeout=ztp_timeout,
                               stage_key=f"{rack.name}/ztp/stage", deps=gate, after=after,
                               gate_spines=not gate)  # with spines of the run: their verify steps
        steps += lsteps
        verify.update(v)
        rack_of.update({s.name: rack.name for s in site.servers_in(rack.name)})

    srv = server_steps(svc, members, top, power=power,
                       inspect_after={s.name: [verify[x] for x in leaves_of(svc, s) if x in verify]
                                      for s in members})
    for st in srv:
        kind, _, name = st.target.partition(":")
        if kind == "server":
            st.batch = f"rack:{rack_of[name]}"
        if st.key.endswith("/enroll") and st.params.get("undercloud") in ready:
            st.deps.append(ready[st.params["undercloud"]])
    steps += srv

    # The VSD's organisation, once for the DC's clouds: each cloud's Nuage plugin logs in as the
    # user it makes, with the CMS id it registers, so every first deploy (from its render) waits.
    clouds = train_clouds(svc, members)
    nuage = nuage_clouds(svc, sorted(clouds)) if site.nuage is not None else []
    vsd_gate: list[str] = [VSD_KEY] if nuage else []
    if nuage:
        steps.append(StepSpec(key=VSD_KEY, target="vsd:bootstrap", action=BootstrapVsd.name, batch=top,
                              params=BootstrapVsd.Params(clouds=nuage), system="vsd",
                              description=f"Bootstrap the VSD for {', '.join(nuage)}: enterprise, domains, "
                                          "ACLs, CMS, plugin users"))

    deployed: list[str] = []
    for cloud, servers in sorted(clouds.items()):
        uc = site.cloud(cloud).undercloud
        # The first deploy takes the servers that are provided when it renders: it waits for every
        # one (``after``), and a quarantined server is left out rather than failing the cloud.
        render = overcloud.render_params(cloud, work=overcloud.work_dir(f"buildout-{dc}-{cloud}"),
                                         scale_out=[s.name for s in servers], first_deploy=True)
        chain = overcloud.overcloud_steps(cloud, render=render, deps=[ready[uc]] if uc in ready else [],
                                          batch=f"cloud:{cloud}", ensure=True, undercloud=uc)
        chain[0].after = [f"{s.name}/provide" for s in servers]
        chain[0].deps += vsd_gate  # rendered once the cloud's CMS and plugin user exist
        steps += chain
        deployed.append(chain[-1].key)
        late = late_steps(svc, dc, cloud, servers, rack_of, first=chain[-1].key)
        steps += late
        late_deploy = {r: st.key for st in late if st.key.endswith("/deploy")
                       for r in [st.key.split("/")[-2]]}
        deployed += list(late_deploy.values())
        proof = f"overcloud/{cloud}/prove"
        steps.append(StepSpec(key=proof, target=f"overcloud:{cloud}", action=ProveCloud.name,
                              deps=[chain[-1].key], batch=f"cloud:{cloud}", system=f"cloud:{cloud}",
                              params=ProveCloud.Params(cloud=cloud),
                              description=f"Prove {cloud}: Neutron's Nuage plugin talks to the VSD, "
                                          "Cinder's Pure backend is up"))
        deployed.append(proof)
        for s in servers:
            hv = is_compute(svc, s)
            # after its rack's late scale-out: done at once in a clean run, and the one that
            # deploys the server on a resume after its rack's fault is put right
            steps.append(StepSpec(key=f"{s.name}/deployed", target=f"server:{s.name}", action=Prove.name,
                                  deps=[chain[-1].key], after=[late_deploy[rack_of[s.name]]],
                                  batch=f"rack:{rack_of[s.name]}",
                                  system=f"ironic:{uc}",
                                  params=Prove.Params(server=s.name, cloud=cloud, hypervisor=hv),
                                  description=f"Prove {s.name} is deployed in {cloud}"
                                  + (" and a hypervisor" if hv else "")))

    steps.append(StepSpec(key="nrfu", target=f"dc:{dc}", action=Nrfu.name, batch=top,
                          params=Nrfu.Params(racks=[r.name for r in chosen]),
                          after=sorted([*verify.values(), *spine_ok.values()]) + deployed,
                          system="fabric:nrfu",
                          description=f"NRFU: the ANTA catalog of {dc}'s fabric"))
    registry(svc).check(steps)
    return Plan(kind="buildout", target=f"dc:{dc}", site_digest=site.digest, runbook=RUNBOOK,
                params={"site_dir": str(svc.site_dir.resolve()),
                        "endpoints_file": str(svc.endpoints_file.resolve()), "dc": dc,
                        "racks": [r.name for r in chosen], "parallel_racks": parallel_racks,
                        "power": power, "ztp_timeout": ztp_timeout},
                steps=steps, resources=resources(svc, chosen, steps))


def late_steps(svc: Services, dc: str, cloud: str, servers: Sequence[Server], rack_of: Mapping[str, str], *,
               first: str) -> list[StepSpec]:
    """Per rack, the cloud's late scale-out (``overcloud/<cloud>/late/<rack>/...``): it depends on
    the first deploy and on the rack's servers being provided, so a rack with a quarantined
    server skips it, and a resume once the fault is put right (the quarantined steps retried)
    runs it: it adds every server of the cloud provided and not deployed yet. In a clean run
    the render finds none (one Ironic read) and the next steps observe "nothing to add" at once.
    One after the other (``after``): each renders from the stack the one before deployed."""
    out: list[StepSpec] = []
    uc = svc.site.cloud(cloud).undercloud
    before: list[str] = []
    for rack in dict.fromkeys(rack_of[s.name] for s in servers):
        render = overcloud.render_params(cloud, work=overcloud.work_dir(f"buildout-{dc}-{cloud}-late-{rack}"),
                                         scale_out=[s.name for s in servers], late=True)
        chain = overcloud.overcloud_steps(
            cloud, render=render, base=f"overcloud/{cloud}/late/{rack}", batch=f"cloud:{cloud}",
            deps=[first, *(f"{s.name}/provide" for s in servers if rack_of[s.name] == rack)],
            ensure=True, undercloud=uc)
        for st in chain:
            st.description = (f"{st.key.rsplit('/', 1)[1].capitalize()} {cloud}'s late scale-out (servers "
                              f"provided after the first deploy, once {rack}'s are)")
        chain[0].after = before
        before = [chain[-1].key]
        out += chain
    return out


def resources(svc: Services, racks: Sequence[Rack], steps: Sequence[StepSpec]) -> list[str]:
    """What the run locks: its servers, every leaf of its racks, each stack and undercloud."""
    from lifecycle.runbooks.overcloud.plan import resources_of

    leaves = (f"switch:{leaf.name}" for r in racks for leaf in r.leaves.leaves)
    return sorted({*resources_of(svc, steps), *leaves})


def replan(svc: Services, run_params: Mapping[str, Any], old_steps: Sequence[Any]) -> Plan:
    """The plan of a stored build-out on the site as it is now (``i2 runs resume --replan``):
    the same DC, racks and parallelism, the work dirs the run already rendered into kept."""
    from lifecycle.runbooks.overcloud.plan import keep_work_dirs

    plan = build_plan(svc, str(run_params["dc"]), racks=list(run_params["racks"]),
                      parallel_racks=int(run_params.get("parallel_racks", 4)),
                      power=str(run_params.get("power", "off")),
                      ztp_timeout=float(run_params.get("ztp_timeout", 900)))
    return keep_work_dirs(plan, old_steps)
