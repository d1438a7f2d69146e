"""The steps of a rack run, fixed when the run is created (``i2 rack apply``); the upgrade's
recommissioning reuses :func:`server_steps` and :func:`scale_out_steps`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lifecycle.engine import Plan, StepSpec
from lifecycle.model.schema import Rack, Server
from lifecycle.runbooks import overcloud
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.overcloud.deploy import Prove
from lifecycle.runbooks.rack.base import ServerParams
from lifecycle.runbooks.rack.catalog import registry
from lifecycle.runbooks.rack.ironic import Tag
from lifecycle.runbooks.rack.leaves import leaf_steps
from lifecycle.runbooks.rack.oneview import ApplyProfile, SyncTemplate, serving_reason

RUNBOOK = "lifecycle.runbooks.rack:build"


def find_rack(svc: Services, name: str) -> Rack:
    """The rack, or a ValueError that lists the site's racks."""
    try:
        return svc.site.rack(name)
    except KeyError:
        known = ", ".join(r.name for r in svc.site.racks)
        raise ValueError(f"no rack {name!r} in site {svc.site.site.name} (racks: {known})") from None


def undercloud_of(svc: Services, server: Server) -> str:
    return svc.site.cloud(server.cloud).undercloud


def leaves_of(svc: Services, server: Server) -> list[str]:
    """The switches this server's NICs are cabled to."""
    out = []
    for nic in server.nics:
        peer = svc.site.peer_of(f"{server.name}:{nic.name}")
        if peer:
            out.append(peer.split(":", 1)[0])
    return sorted(set(out))


def allocate_indices(svc: Services, servers: list[Server]) -> dict[str, str]:
    """``node:<role>-N`` per server: kept when the node already has one, else the lowest free N
    in that Ironic (name order), so indices never move when racks are added."""
    from lifecycle.baremetal import role_capability

    out: dict[str, str] = {}
    by_uc: dict[tuple[str, str], list[Server]] = {}
    for s in sorted(servers, key=lambda s: s.name):
        by_uc.setdefault((undercloud_of(svc, s), role_capability(s.role)), []).append(s)
    for (uc, prefix), members in by_uc.items():
        bm = svc.baremetal(uc)
        used = bm.used_indices(prefix)
        mine = {name: i for i, name in used.items()}
        taken = set(used)
        n = 0
        for s in members:
            if s.name in mine:
                out[s.name] = f"{prefix}-{mine[s.name]}"
                continue
            while n in taken:
                n += 1
            taken.add(n)
            out[s.name] = f"{prefix}-{n}"
    return out


def train_clouds(svc: Services, members: list[Server]) -> dict[str, list[Server]]:
    """The servers per managed Train cloud (the clouds i2 deploys)."""
    out: dict[str, list[Server]] = {}
    for s in members:
        cloud = svc.site.cloud(s.cloud)
        if cloud.managed and cloud.release == "train":
            out.setdefault(cloud.name, []).append(s)
    return out


def build_plan(svc: Services, rack_name: str, *, power: str = "off", ztp_timeout: float = 900,
               servers: list[str] | None = None) -> Plan:
    """The steps of ``i2 rack apply``; the run's params let any process resume it. Every step's
    params are checked against its action before the run exists."""
    rack = find_rack(svc, rack_name)
    site = svc.site
    batch = f"rack:{rack.name}"
    steps, verify = leaf_steps(rack, batch=batch, ztp_timeout=ztp_timeout)
    members = [s for s in site.servers_in(rack.name) if servers is None or s.name in servers]
    if servers is not None:
        unknown = sorted(set(servers) - {s.name for s in members})
        if unknown:
            raise ValueError(f"not servers of rack {rack.name}: {', '.join(unknown)}")
    refuse_serving(svc, members)
    steps += server_steps(svc, members, batch, power=power,
                          inspect_after={s.name: [verify[x] for x in leaves_of(svc, s) if x in verify]
                                         for s in members})
    steps += scale_out_steps(svc, rack.name, members, batch)
    registry(svc).check(steps)
    return Plan(kind="rack", target=f"rack:{rack.name}", site_digest=site.digest, runbook=RUNBOOK,
                params={"site_dir": str(svc.site_dir.resolve()),
                        "endpoints_file": str(svc.endpoints_file.resolve()), "rack": rack.name},
                steps=steps, resources=rack_resources(svc, rack, steps))


def serving_refusals(svc: Services, members: list[Server]) -> list[str]:
    """Hazard 1: one line per serving server (deployed in Ironic) whose OneView profile would change
    (and so power it off), naming it and why. Observes only: ``i2 rack apply`` and ``i2 servers
    apply`` ask it before touching anything."""
    refused = []
    for s in members:
        why = serving_reason(svc, s.name, undercloud_of(svc, s))
        if why is None:
            continue
        ov = svc.oneview()
        tpl = ov.observe_template(svc.site.hardware_profiles[s.hardware_profile])
        state = ov.observe_server(s, tpl.uri) if tpl.action == "unchanged" else f"template {tpl.action}"
        if state != "ok":
            refused.append(f"{s.name}: {why}; its profile would change ({state}) and power it off")
    return refused


def refuse_serving(svc: Services, members: list[Server]) -> None:
    """A ValueError naming each of :func:`serving_refusals`: only the upgrade's recommission, which
    drains a server first, may re-profile it. Asked before the run exists, so nothing is touched."""
    refused = serving_refusals(svc, members)
    if refused:
        raise ValueError("refused: serving servers, drain them first through the upgrade's recommission "
                         "(nothing was touched):\n  " + "\n  ".join(refused))


def server_steps(svc: Services, members: list[Server], batch: str, *, power: str = "off",
                 inspect_after: dict[str, list[str]] | None = None, first: dict[str, list[str]] | None = None,
                 key_prefix: str = "") -> list[StepSpec]:
    """OneView templates, then per server: identify, profile, enroll, manage, inspect, check,
    tag, provide (in the undercloud of the server's cloud). ``inspect_after``: per server, the
    steps (its leaves' verification) its inspection waits for; ``first``: per server, steps its
    first step depends on (the upgrade's recommission: drained and undeployed)."""
    steps: list[StepSpec] = []
    for profile in sorted({s.hardware_profile for s in members}):
        steps.append(StepSpec(key=f"{key_prefix}template/{profile}", target=f"template:{profile}",
                              action=SyncTemplate.name, params=SyncTemplate.Params(profile=profile),
                              batch=batch, description=f"Sync OneView server profile template for {profile}"))
    indices = allocate_indices(svc, members) if members else {}
    for s in members:
        t, k = f"server:{s.name}", f"{key_prefix}{s.name}"
        uc = undercloud_of(svc, s)
        base = ServerParams(server=s.name, undercloud=uc, identify_step=f"{k}/identify")
        template = f"{key_prefix}template/{s.hardware_profile}"

        def add(key: str, action: str, deps: list[str], desc: str, params: ServerParams = base,
                t: str = t, k: str = k, uc: str = uc) -> None:
            # Ironic steps count against their undercloud's Ironic (limits per endpoint)
            steps.append(StepSpec(key=f"{k}/{key}", target=t, action=action, batch=batch,
                                  params=params, deps=deps, description=desc,
                                  system=f"ironic:{uc}" if action.startswith("ironic.") else None))

        add("identify", "oneview.identify", list((first or {}).get(s.name, [])),
            f"Find {s.name} in OneView and check its identity")
        # the recommission's undeploy step drained the server: a hard dependency the profile step checks
        drained = ((first or {}).get(s.name) or [None])[0]
        add("profile", ApplyProfile.name, [f"{k}/identify", template, *([drained] if drained else [])],
            f"Apply server profile to {s.name}",
            ApplyProfile.Params(**base.model_dump(), template_step=template, power=power, drained_by=drained))
        add("enroll", "ironic.enroll", [f"{k}/profile", f"{k}/identify"], f"Enroll {s.name} in {uc}")
        add("manage", "ironic.manage", [f"{k}/enroll"], f"Manage {s.name}")
        add("inspect", "ironic.inspect", [f"{k}/manage", *(inspect_after or {}).get(s.name, [])],
            f"Inspect {s.name}")
        add("check", "ironic.check", [f"{k}/inspect", f"{k}/identify"],
            f"Check {s.name}'s inventory and LLDP against profile and cabling")
        add("tag", Tag.name, [f"{k}/check", f"{k}/identify"], f"Tag {s.name} ({indices[s.name]})",
            Tag.Params(**base.model_dump(), node_index=indices[s.name]))
        add("provide", "ironic.provide", [f"{k}/tag"], f"Provide {s.name}")
    return steps


def scale_out_steps(svc: Services, rack: str, members: list[Server], batch: str,
                    key_prefix: str = "") -> list[StepSpec]:
    """Per managed Train cloud of the rack's servers: scale out once they are all provided, then
    prove each one is a hypervisor of the cloud."""
    steps: list[StepSpec] = []
    for cloud, servers in sorted(train_clouds(svc, members).items()):
        render = overcloud.render_params(cloud, work=overcloud.work_dir(f"rack-{rack}-{cloud}"),
                                         scale_out=[s.name for s in servers])
        chain = overcloud.overcloud_steps(cloud, render=render,
                                          deps=[f"{key_prefix}{s.name}/provide" for s in servers],
                                          batch=batch, ensure=True,
                                          undercloud=svc.site.cloud(cloud).undercloud)
        steps += chain
        for s in servers:
            steps.append(StepSpec(key=f"{key_prefix}{s.name}/hypervisor", target=f"server:{s.name}",
                                  action=Prove.name, deps=[chain[-1].key], batch=batch,
                                  system=f"ironic:{svc.site.cloud(cloud).undercloud}",
                                  params=Prove.Params(server=s.name, cloud=cloud),
                                  description=f"Prove {s.name} is a hypervisor of {cloud}"))
    return steps


def replan(svc: Services, run_params: Mapping[str, Any], old_steps: Sequence[Any]) -> Plan:
    """The plan of a stored ``i2 rack apply`` run on the site as it is now (``i2 runs resume
    --replan``): the same rack, power and ZTP timeout (read back from the run's steps) and the
    same servers, less those the site no longer has in the rack (a server added to the rack
    needs a new ``i2 rack apply`` once this run is done)."""
    from lifecycle.runbooks.overcloud.plan import keep_work_dirs

    rack = find_rack(svc, str(run_params["rack"]))
    params = [st.params or {} for st in old_steps]
    power = next((p["power"] for p in params if "power" in p), "off")
    ztp_timeout = next((p["ztp_timeout"] for p in params if "ztp_timeout" in p), 900.0)
    current = {s.name for s in svc.site.servers_in(rack.name)}
    servers = sorted({st.target.split(":", 1)[1] for st in old_steps if st.target.startswith("server:")}
                     & current)
    plan = build_plan(svc, rack.name, power=power, ztp_timeout=ztp_timeout, servers=servers)
    return keep_work_dirs(plan, old_steps)


def rack_resources(svc: Services, rack: Rack, steps: list[StepSpec]) -> list[str]:
    """The run's servers, every leaf of the rack (even when not re-verified) and each stack it
    scales out, with its undercloud."""
    from lifecycle.runbooks.overcloud.plan import resources_of

    return sorted({*resources_of(svc, steps), *(f"switch:{leaf.name}" for leaf in rack.leaves.leaves)})
