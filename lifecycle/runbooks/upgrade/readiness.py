"""Readiness: what the new cloud, VSD and the old cloud say about each move, before a run.

Per wave and application, a finding says what blocks (a missing flavor, quota, zone), what the
run will do (create subnet B, mirror an entry, import a volume) and what is done already.
Nothing is changed. An unreachable system blocks the checks that need it, not the report.

>>> Finding("wave1", "billing/prd", "volume", "info", "billing-prd-ledger will be imported").as_dict()
{'wave': 'wave1', 'app': 'billing/prd', 'check': 'volume', 'level': 'info',
 'detail': 'billing-prd-ledger will be imported'}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from lifecycle.nuage.policy import MIRROR_PREFIX
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
    images = {i.name for i in _safe(out, "", "", "images", lambda: list(new.conn.image.images())) or []}
    by_wave: dict[str, list[Move]] = {}
    for m in selected:
        by_wave.setdefault(m.wave, []).append(m)
    acls: dict[str, Any] = {}  # VSD domain id -> its entries
    for wname, members in by_wave.items():
        need = {"vcpus": 0, "memory_mb": 0}
        for m in members:
            _safe(out, wname, m.key, "move", lambda m=m, need=need: out.extend(_app_findings(
                svc, m, new, old, flavors, images, need, acls)))
        free = _safe(out, wname, "", "capacity", new.capacity)
        if free is not None:
            short = [k for k in ("vcpus", "memory_mb") if need[k] > free[k]]
            level = "blocking" if short else "ok"
            out.append(Finding(wname, "", "capacity", level,
                               f"needs {need['vcpus']} vCPUs / {need['memory_mb']} MB, {new_c.name} has "
                               f"{free['vcpus']} / {free['memory_mb']} MB free on {free['hosts']} host(s)"))
    return out


def _app_findings(svc: Services, m: Move, new: Any, old: Any, flavors: dict[str, Any],
                  images: set[str], need: dict[str, int], acls: dict[str, Any]) -> list[Finding]:
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
        out.append(Finding(w, k, "quota", "blocking" if short else "ok",
                           "short of " + ", ".join(short) if short else f"{len(todo)} VM(s) fit"))
    for v in m.spec.vms:
        if v.flavor not in flavors:
            out.append(Finding(w, k, "flavor", "blocking", f"{new.name} has no flavor {v.flavor} ({v.name})"))
        else:
            if v.name not in news:
                need["vcpus"] += int(flavors[v.flavor].vcpus)
                need["memory_mb"] += int(flavors[v.flavor].ram)
        if v.image not in images:
            out.append(Finding(w, k, "image", "blocking", f"{new.name} has no image {v.image} ({v.name})"))
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
    for e in naming:
        state = "to mirror for B" if e in missing else "mirrored for B"
        out.append(Finding(w, k, "acl", "info" if e in missing else "ok",
                           f"{e.direction} entry {e.rule} names {m.subnet('a')} explicitly: {state}"))
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
