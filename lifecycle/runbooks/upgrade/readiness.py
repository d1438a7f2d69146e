"""Readiness: what the new cloud, VSD and the old cloud say about each move, before a run.

Per wave and application, a finding says what blocks (a missing flavor, quota, zone), what the
run will do (create subnet B, mirror an entry, import a volume) and what is done already.
Nothing is changed. An unreachable system blocks the checks that need it, not the report.

Brownfield: what others made is reported and left alone, never adopted or deleted.
``foreign`` is what exists, is not i2's and is left alone (other teams' ACL entries, macros,
policy groups, subnets, servers, networks and volumes, a CMS of no cloud of the site): it
blocks only when the move would have to delete it (a server on subnet A's network) or collide
with it (a subnet overlapping B). ``drift`` is the same name with other properties (a flavor
whose size differs between the clouds blocks the moves that use it: B would be sized wrong).
``adopt?`` is what could be i2's (an image with the expected checksum under another name).

>>> Finding("wave1", "billing/prd", "volume", "info", "billing-prd-ledger will be imported").as_dict()
{'wave': 'wave1', 'app': 'billing/prd', 'check': 'volume', 'level': 'info',
 'detail': 'billing-prd-ledger will be imported'}
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from lifecycle.nuage.policy import (
    MIRROR_PREFIX,
    Entry,
    PriorityError,
    Ref,
    intended_entries,
    mirror_of,
    mirror_priority,
    rules_for,
    subnet_name,
)
from lifecycle.runbooks.common import Services, safe_observe
from lifecycle.runbooks.upgrade.model import Move, clouds, moves, unmirrored
from lifecycle.runbooks.upgrade.readiness_lb import lb_findings

R = TypeVar("R")


@dataclass
class Finding:
    """One line of the readiness report."""

    wave: str
    app: str  # app/env, or "" for the campaign
    check: str
    level: str  # ok | info | warning | blocking
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _safe(out: list[Finding], wave: str, app: str, check: str, fn: Callable[[], R]) -> R | None:
    """``fn()``; an unreachable system blocks that check (a blocking finding), not the report.
    Refused credentials, TLS failures and bugs block it too (a move must not start on a check
    that could not run), but with the real message, not as "cannot observe"."""
    return safe_observe(fn, lambda why: out.append(Finding(wave, app, check, "blocking", why)),
                        lambda why: out.append(Finding(wave, app, check, "blocking", f"cannot check: {why}")))


def readiness(svc: Services, *, wave: str | None = None, apps: list[str] | None = None) -> list[Finding]:
    """Per wave and application: what the new cloud, VSD and the old cloud say about the move."""
    site = svc.site
    old_c, new_c = clouds(site)
    selected = moves(site, wave=wave, apps=apps)
    out: list[Finding] = []
    assert site.nuage is not None and new_c.nuage is not None
    new, old = svc.cloud(new_c.name), svc.cloud(old_c.name)
    vsd = svc.nuage()

    def campaign() -> None:
        ent = vsd.enterprise(site.nuage.organisation)
        if ent is None:
            out.append(Finding("", "", "vsd", "blocking",
                               f"VSD has no enterprise {site.nuage.organisation}"))
        nps = {p["name"]: p for p in new.net_partitions()}
        np = nps.get(new_c.nuage.net_partition)
        if np is None:
            out.append(Finding("", "", "net-partition", "info",
                               f"{new_c.name} has no net-partition {new_c.nuage.net_partition}: "
                               "it will be created, linking the existing enterprise"))
        elif ent is not None and np["id"] != ent.id:
            out.append(Finding("", "", "net-partition", "blocking",
                               f"net-partition {np['name']} of {new_c.name} is not enterprise {ent.name}"))
        else:
            out.append(Finding("", "", "net-partition", "ok", f"{np['name']} linked ({np['id']})"))

    _safe(out, "", "", "campaign", campaign)
    flavors = {f.name: f for f in
               _safe(out, "", "", "flavors", lambda: list(new.conn.compute.flavors())) or []}
    new_images = _safe(out, "", "", "images", lambda: list(new.conn.image.images())) or []
    images = {i.name for i in new_images}
    seen: dict[str, Any] = {"acls": {}, "projects": set()}
    _safe(out, "", "", "brownfield", lambda: out.extend(_campaign_brownfield(
        svc, vsd, new, old, flavors, new_images, seen)))
    by_wave: dict[str, list[Move]] = {}
    for m in selected:
        by_wave.setdefault(m.wave, []).append(m)
    if apps is None:  # recommissioning follows whole waves only (as build_plan)
        from lifecycle.runbooks.recommission.plan import leaf_findings

        out += leaf_findings(svc, waves=list(by_wave))
    acls: dict[str, Any] = seen["acls"]  # VSD domain id -> its entries
    for wname, members in by_wave.items():
        need = {"vcpus": 0, "memory_mb": 0}
        for m in members:
            _safe(out, wname, m.key, "move", lambda m=m, need=need: out.extend(_app_findings(
                svc, m, new, old, flavors, images, need, acls, seen)))
        free = _safe(out, wname, "", "capacity", new.capacity)
        if free is not None:
            short = [k for k in ("vcpus", "memory_mb") if need[k] > free[k]]
            level = "blocking" if short else "ok"
            out.append(Finding(wname, "", "capacity", level,
                               f"needs {need['vcpus']} vCPUs / {need['memory_mb']} MB, {new_c.name} has "
                               f"{free['vcpus']} / {free['memory_mb']} MB free on {free['hosts']} host(s)"))
    return out


def _app_findings(svc: Services, m: Move, new: Any, old: Any, flavors: dict[str, Any],
                  images: set[str], need: dict[str, int], acls: dict[str, Any],
                  seen: dict[str, Any]) -> list[Finding]:
    site = svc.site
    w, k = m.wave, m.key
    out: list[Finding] = []
    vsd = svc.nuage()
    olds = {s.name: s for s in old.servers(project=m.project, names=m.vms)}
    news = {s.name: s for s in new.servers(project=m.project, names=m.vms)}
    moved = len(news) == len(m.vms) and not olds
    if moved:
        out.append(Finding(w, k, "state", "ok",
                           f"moved: {len(news)} VM(s) on {new.name}, none left on {old.name}"))
    project = new.project(m.project)
    if project is None:
        out.append(Finding(w, k, "project", "blocking", f"{new.name} has no project {m.project}"))
    else:
        out.append(Finding(w, k, "project", "ok", f"{m.project} exists"))
        quota = new.quota(m.project)
        todo = [v for v in m.spec.vms if v.name not in news]
        cores = sum(int(flavors[v.flavor].vcpus) for v in todo if v.flavor in flavors)
        ram = sum(int(flavors[v.flavor].ram) for v in todo if v.flavor in flavors)
        short = [f"{key} ({left} left, {want} needed)" for key, left, want in
                 (("instances", quota["instances"], len(todo)), ("cores", quota["cores"], cores),
                  ("ram", quota["ram"], ram)) if left != -1 and want > left]
        tight = _tight(quota, todo, flavors) if todo and not short else ""
        out.append(Finding(w, k, "quota", "blocking" if short else "warning" if tight else "ok",
                           "short of " + ", ".join(short) if short else tight or f"{len(todo)} VM(s) fit"))
    out += _project_brownfield(svc, m, new, old, seen)
    for v in m.spec.vms:
        if v.flavor in seen.get("drift", {}):  # blocks a VM still to boot: B would be sized wrong
            out.append(Finding(w, k, "drift", "info" if v.name in news else "blocking",
                               f"flavor {v.flavor} {seen['drift'][v.flavor]}: " + (
                                   f"B's {v.name} was booted already" if v.name in news else
                                   f"B's {v.name} would be sized wrong; make {new.name}'s {v.flavor} match")))
        if v.flavor not in flavors:
            out.append(Finding(w, k, "flavor", "blocking", f"{new.name} has no flavor {v.flavor} ({v.name})"))
        else:
            if v.name not in news:
                need["vcpus"] += int(flavors[v.flavor].vcpus)
                need["memory_mb"] += int(flavors[v.flavor].ram)
        if v.image not in images:
            alias = seen.get("aliases", {}).get(v.image)
            out.append(Finding(w, k, "image", "blocking", f"{new.name} has no image {v.image} ({v.name})"
                               + (f"; adopt?: {', '.join(alias)} has its checksum" if alias else "")))
        was = olds.get(v.name)
        key = getattr(was, "key_name", None) if was else None
        if key and new.keypair(key) is None:
            out.append(Finding(w, k, "keypair", "blocking", f"{new.name} has no keypair {key} ({v.name})"))
    ent = vsd.enterprise(site.nuage.organisation) if site.nuage else None
    dom = vsd.domain(ent, m.domain) if ent is not None else None
    zone = vsd.zone(dom, m.zone) if dom is not None else None
    if zone is None:
        out.append(Finding(w, k, "vsd-zone", "blocking", f"VSD has no zone {m.zone} in domain {m.domain}"))
        return out
    b = vsd.subnet(dom, m.subnet("b"))
    if b is not None and b.parent_id != zone.id:
        out.append(Finding(w, k, "vsd-subnet", "blocking", f"{m.subnet('b')} exists outside zone {m.zone}"))
    elif b is not None:
        out.append(Finding(w, k, "vsd-subnet", "ok", f"{m.subnet('b')} exists ({b.address})"))
    else:
        out.append(Finding(w, k, "vsd-subnet", "info", f"{m.subnet('b')} ({m.cidr('b')}) will be created "
                                                         f"in zone {m.zone}"))
    ids = {m.subnet(side): getattr(vsd.subnet(dom, m.subnet(side)), "id", None) for side in ("a", "b")}
    entries = vsd.entries_for(dom, ids)
    naming = [e for e in entries if e.names(m.ref("a")) and not e.external_id.startswith(MIRROR_PREFIX)]
    missing = unmirrored(m, entries)
    if missing and dom.id not in acls:
        acls[dom.id] = vsd.entries(dom, ent)
    for e in naming:
        state, level = "mirrored for B", "ok"
        if e in missing:
            state, level = _mirror_at(e, m, acls[dom.id])
        out.append(Finding(w, k, "acl", level,
                           f"{e.direction} entry {e.rule} names {m.subnet('a')} explicitly: {state}"))
    out += [Finding(w, k, *f) for f in seen.get("subnets", {}).get(m.key, [])]
    if m.spec.lb is not None:
        if dom.id not in acls:  # every entry of the domain, read once per report
            acls[dom.id] = vsd.entries(dom, ent)
        out += [Finding(w, k, *f) for f in lb_findings(svc, m, acls[dom.id])]
    hook = m.app.writer_hook
    if m.stateful and hook is not None and m.app.writer_stop == "freeze":
        # a declared hook i2 cannot call would fail the freeze step with A's writers running
        why = svc.hooks().check(hook)
        through = "vm_access.http_proxy" if hook.kind == "http" else "the vm_access.ssh_jump host"
        out.append(Finding(w, k, "writers", "ok" if why is None else "blocking",
                           why or f"writers quiesced by the {hook.kind} hook through {through}"))
    if m.stateful:
        for name in m.volumes:
            v_old = old.volume(m.project, name)
            v_new = new.volume(m.project, name)
            if v_new is not None:
                out.append(Finding(w, k, "volume", "ok", f"{name} already in {new.name} ({v_new.status})"))
            elif v_old is None:
                out.append(Finding(w, k, "volume", "blocking", f"{name} is in neither cloud"))
            else:
                out.append(Finding(w, k, "volume", "info",
                                   f"{name} ({v_old.size} GB, {v_old.status}) will be imported into "
                                   f"{new.name} without copying"))
        if m.app.writer_stop == "stop-vms":
            out.append(Finding(w, k, "writers", "warning", "writer_stop stop-vms stops A's VMs while "
                                                           "volumes move: an outage the probes will show"))
    return out


# -- brownfield: what others made, reported and left alone ---------------------------------------

def _size(f: Any) -> str:
    return f"{f.vcpus} vCPUs / {f.ram} MB / {f.disk} GB"


def _campaign_brownfield(svc: Services, vsd: Any, new: Any, old: Any, flavors: dict[str, Any],
                         new_images: list[Any], seen: dict[str, Any]) -> list[Finding]:
    """Flavors and images that differ between the clouds, and what VSD holds that the site does
    not say (a CMS of no cloud of the site, macros, per domain: policy groups, subnets, entries).
    Per-move findings it finds on the way go in ``seen`` for :func:`_app_findings`."""
    site = svc.site
    assert site.nuage is not None
    out: list[Finding] = []
    vms = [v for a in site.applications for e in a.environments.values() for v in e.vms]
    used = {v.flavor for v in vms}
    drift: dict[str, str] = {}
    for f in old.conn.compute.flavors():
        now = flavors.get(f.name)
        if now is not None and _size(now) != _size(f):
            drift[f.name] = f"is {_size(now)} in {new.name}, {_size(f)} in {old.name}"
            if f.name not in used:
                out.append(Finding("", "", "drift", "info", f"flavor {f.name} {drift[f.name]}; no "
                                                             "application uses it: left alone"))
    seen["drift"] = {n: d for n, d in drift.items() if n in used}
    olds = {i.name: i for i in old.conn.image.images()}
    seen["aliases"] = aliases = {}
    for name in sorted({v.image for v in vms}):
        was = olds.get(name)
        if was is None or not was.checksum:
            continue
        same = sorted(i.name for i in new_images if i.checksum == was.checksum and i.name != name)
        if same:
            aliases[name] = same
            out.append(Finding("", "", "adopt?", "info", f"image {', '.join(same)} in {new.name} has the "
                               f"checksum of {name} ({old.name}'s): the same image under another name? "
                               f"Left alone: B boots {name}"))
        now = next((i for i in new_images if i.name == name), None)
        if now is not None and now.checksum and now.checksum != was.checksum:
            out.append(Finding("", "", "drift", "warning",
                               f"image {name} in {new.name} is not {old.name}'s (checksum "
                               f"{now.checksum[:12]}, {was.checksum[:12]}): B would boot other bits"))
    ent = vsd.enterprise(site.nuage.organisation)
    if ent is None:
        return out
    ours = {c.nuage.cms_name for c in site.clouds if c.nuage is not None}
    stale = {c.id: c.name for c in vsd.all(vsd.me.cloud_mgmt_systems) if c.name not in ours}
    out += [Finding("", "", "foreign", "info", f"VSD CMS {n} ({i}) is no cloud of the site (one that no "
                                                f"longer exists?): left alone, with what carries its id")
            for i, n in sorted(stale.items(), key=lambda x: x[1])]
    macros = {m.name for m in site.nuage.network_macros}
    extra = sorted(f"{x.name} ({x.address}/{x.netmask})" for x in vsd.all(ent.enterprise_networks)
                   if x.name not in macros)
    if extra:
        out.append(Finding("", "", "foreign", "info", f"network macros not in the site: {', '.join(extra)}: "
                                                      "left alone"))
    for d in site.nuage.domains:
        dom = vsd.domain(ent, d.name)
        if dom is not None:
            out += _domain_brownfield(svc, vsd, d.environment, dom, ent, stale, seen)
    return out


def _domain_brownfield(svc: Services, vsd: Any, env: str, dom: Any, ent: Any, stale: dict[str, str],
                       seen: dict[str, Any]) -> list[Finding]:
    site = svc.site
    out: list[Finding] = []
    apps = [a for a in site.applications if env in a.environments]
    names = {subnet_name(a.name, env, side) for a in apps for side in ("a", "b")}
    rules = rules_for(site, env)
    pgs = {x[3:] for r in rules for x in (r.src, r.dst) if x.startswith("pg:")}
    extra = sorted(pg.name for pg in vsd.all(dom.policy_groups) if pg.name not in pgs)
    if extra:
        out.append(Finding("", "", "foreign", "info", f"{dom.name}: policy groups no rule of the site "
                                                      f"uses: {', '.join(extra)}: left alone"))
    zones = {z.id: z.name for z in vsd.all(dom.zones)}
    for sub in vsd.all(dom.subnets):
        if sub.name in names:
            continue
        net = ipaddress.ip_network(f"{sub.address}/{sub.netmask}", strict=False)
        cms = (sub.external_id or "").rpartition("@")[2]
        by = f", made by CMS {stale[cms]} (no cloud of the site)" if cms in stale else ""
        out.append(Finding("", "", "foreign", "info", f"{dom.name}: zone {zones.get(sub.parent_id, '?')} "
                           f"holds subnet {sub.name} ({net}), not in the site{by}: left alone"))
        for a in apps:
            b = a.environments[env].subnets.b
            if net.overlaps(b):
                seen.setdefault("subnets", {}).setdefault(f"{a.name}/{env}", []).append(
                    ("foreign", "blocking", f"subnet {sub.name} ({net}) is not in the site and overlaps B "
                                            f"({b}): VSD would refuse B, and i2 leaves {sub.name} alone"))
    if dom.id not in seen["acls"]:
        seen["acls"][dom.id] = vsd.entries(dom, ent)
    meant = {_meaning(e) for e in intended_entries(site, env)}
    site_refs = {Ref("SUBNET", n) for n in names}
    foreign = sorted((e for e in seen["acls"][dom.id] if not e.external_id.startswith(MIRROR_PREFIX)
                      and _meaning(e) not in meant and not {e.location, e.network} & site_refs),
                     key=lambda e: (e.direction, e.priority))
    for e in foreign[:10]:
        out.append(Finding("", "", "foreign", "info",
                           f"{dom.name}: {e.direction} entry '{e.rule}' at priority {e.priority} "
                           f"({e.location} -> {e.network} {e.protocol}/{e.port} {e.action}) is not from the "
                           "site's rules: left alone"))
    if len(foreign) > 10:
        out.append(Finding("", "", "foreign", "info",
                           f"{dom.name}: {len(foreign) - 10} more entries not from the site's rules: "
                           "left alone"))
    return out


def _meaning(e: Entry) -> tuple[str, ...]:
    """What an entry does, whoever wrote it and whatever it is called or numbered."""
    l4 = e.protocol in ("6", "17")
    return (e.direction, str(e.location), str(e.network), e.protocol, e.port if l4 else "*", e.action)


def _mirror_at(e: Entry, m: Move, entries: list[Entry]) -> tuple[str, str]:
    """Where the mirror of ``e`` would go now, and why not right after it; blocking when no
    priority next to it is free (the acl-mirror step would fail)."""
    held = {x.priority: x for x in entries if x.direction == e.direction}
    try:
        at = mirror_priority(mirror_of(e, m.ref(m.src), m.ref(m.dst), ""), held)
    except PriorityError as exc:
        return f"to mirror for B, but {exc}", "blocking"
    nxt = held.get(e.priority + 1)
    why = f" ({e.priority + 1} holds '{nxt.rule}')" if at != e.priority + 1 and nxt is not None else ""
    return f"to mirror for B at priority {at}{why}", "info"


def _tight(quota: dict[str, int], todo: list[Any], flavors: dict[str, Any]) -> str:
    """The quota fits the move but leaves no room for one more of its largest VMs."""
    sized = [flavors[v.flavor] for v in todo if v.flavor in flavors]
    if not sized:
        return ""
    big = max(sized, key=lambda f: (int(f.vcpus), int(f.ram)))
    after = {"instances": quota["instances"] - len(todo),
             "cores": quota["cores"] - sum(int(f.vcpus) for f in sized),
             "ram": quota["ram"] - sum(int(f.ram) for f in sized)}
    room = {"instances": 1, "cores": int(big.vcpus), "ram": int(big.ram)}
    low = [f"{key} {after[key]}" for key in after if quota[key] != -1 and after[key] < room[key]]
    return (f"{len(todo)} VM(s) fit, nearly exhausted: {', '.join(low)} left after the move, no room "
            f"for another {big.name}") if low else ""


def _project_brownfield(svc: Services, m: Move, new: Any, old: Any, seen: dict[str, Any]) -> list[Finding]:
    """Servers, volumes and networks of the move's project that the site does not know. Left
    alone; a server on subnet A's network blocks the move, whose clean-up deletes that network."""
    site = svc.site
    envs = [e for a in site.applications for e in a.environments.values() if e.project == m.project]
    vms = {v.name for e in envs for v in e.vms}
    vols = {v.name for e in envs for v in e.volumes}
    nets = {subnet_name(a.name, env, side) for a in site.applications for env, e in a.environments.items()
            if e.project == m.project for side in ("a", "b")}
    first = m.project not in seen["projects"]
    if first:
        seen["projects"].add(m.project)
        seen[m.project] = {c.name: _owned(c, m.project) for c in (old, new)}
    out: list[Finding] = []
    for c in (old, new):
        servers, volumes, networks = seen[m.project][c.name]
        for s in servers:
            if s.name in vms:
                continue
            where = ", ".join(sorted(s.addresses or {})) or "no network"
            if c is old and m.subnet(m.src) in (s.addresses or {}):
                out.append(Finding(m.wave, m.key, "foreign", "blocking",
                                   f"server {s.name} ({c.name}, project {m.project}) is not in the site and "
                                   f"has an address on {m.subnet(m.src)}: the move deletes that network once "
                                   f"A's VMs are gone, and i2 does not delete what it did not create. "
                                   f"Refused: move {s.name} off {m.subnet(m.src)} (or retire it) first"))
            elif first:
                out.append(Finding(m.wave, m.key, "foreign", "info", f"server {s.name} ({c.name}, project "
                                   f"{m.project}, on {where}) is not in the site: left alone"))
        if first:
            out += [Finding(m.wave, m.key, "foreign", "info",
                            f"volume {v.name} ({c.name}, project {m.project}, {v.size} GB, {v.status}) is "
                            "not in the site: left alone") for v in volumes if v.name not in vols]
            out += [Finding(m.wave, m.key, "foreign", "info",
                            f"network {n} ({c.name}, project {m.project}) is not in the site: left alone")
                    for n in sorted(networks - nets)]
    return out


def _owned(cloud: Any, project: str) -> tuple[list[Any], list[Any], set[str]]:
    """The project's servers, volumes and network names (each checked against the project's id:
    a service that ignores the project filter must not lend one project another's objects)."""
    p = cloud.project(project)
    if p is None:
        return [], [], set()
    return ([s for s in cloud.servers(project=project) if s.project_id == p.id],
            [v for v in cloud.volumes(project=project) if v.project_id == p.id],
            {n.name for n in cloud.conn.network.networks(project_id=p.id) if n.project_id == p.id})
