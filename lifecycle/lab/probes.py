"""Workload probes: each application's consumers probe it continuously over the twin's data plane.

A probe is (consumer -> application/environment, protocol, port), derived from the site:
``talks_to`` (the consuming application's VMs), ``exposed_to`` (an external client, or an
address of a network macro), explicit ``rules`` from another application, and the common
rules from a network macro to ``any`` (monitoring scrapes every application). Every interval
(50 ms by default) each probe is evaluated from what the clouds, the VSD and the load balancer
say *now*:

- an application environment behind the twin's NetScaler (``lb`` in the site, and the lab runs
  one): its **serving** VMs are those holding the address of a member of its vserver that is
  UP and enabled (the NetScaler's own view: monitors passed, not disabled);
  a probe on the vserver's port or the members' port goes **through the VIP**: each interval
  it opens a request (:meth:`NetScalerEmulator.connect`) that holds its connection for
  ``request_seconds`` (1 s: a long request, as a report download or a slow API call is); the
  probe is red while the VIP serves nobody, and for the interval in which a request in flight
  was cut (its member went OUT OF SERVICE or DOWN, or was unbound, before the request ended:
  a graceful drain whose delay outlasts the requests lets them finish; a drain delay of 0
  followed by the unbind does not). A request ends at its open time plus ``request_seconds``
  whatever the probe loop's pace: a cut after that is not counted. Other ports (a database,
  a metrics scrape) go to the serving VMs directly;
- otherwise (LEGACY, until the upgrade runbook moves traffic through the load balancer: then
  this path goes) its serving VMs are its ACTIVE VMs in service (``i2.in_service=true``);
- the probe is **green** when every source (each serving VM of the consuming application, or
  the external address) may reach at least one serving VM on the port, by the VSD's ACLs
  (:meth:`lifecycle.lab.nuage.VsdStore.reachable`); a consuming application with no serving
  VM has no source and cannot fail its probe;
- a stateful application is also **writable** when a serving VM has its volumes attached and
  its writers are not quiesced: by its writer hook (the twin keeps that state,
  :class:`lifecycle.lab.vmhooks.VmDirectory`) or, LEGACY until the runbook calls the hooks, by
  the metadata key ``i2.writes=frozen``. The write-freeze windows are measured apart from downtime.

Transitions are recorded with timestamps, so downtime windows per application are exact to the
interval. ``ProbeService`` serves ``/v1/status`` and ``/v1/downtime`` (the shape i2's probes
adapter reads, lifecycle/probes) on 127.0.0.1.

>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> site = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")  # the repository's
>>> [p.label for p in probes_from_site(site) if p.key == "billing/prd"]
['app:api-gateway -> billing/prd tcp/8080', 'app:orders -> billing/prd tcp/8080',
 'app:reporting -> billing/prd tcp/5432', 'macro:monitoring -> billing/prd tcp/9100']

Served over the running twin's VSD store and clouds::

    svc = ProbeService(probes_from_site(site), vsd.store, [old, new], tls=tls).start()
    svc.engine.use_lb({"billing/prd": (emu, "10.50.1.13", 8080, 8080)}, vms)   # once seeded
    svc.engine.downtime(since=t0)["billing/prd"]["downtime_ms"]      # 0
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from lifecycle.lab.base import EmulatorServer, Router
from lifecycle.model.schema import Site, parse_endpoint

EXTERNAL_CLIENT = "203.0.113.10"  # TEST-NET-3: outside every VSD subnet, as an Internet user is
REQUEST_SECONDS = 1.0  # a probe's request through a VIP: shorter than every drain delay of the example site


@dataclass(frozen=True)
class Probe:
    consumer: str  # "app:<name>", "external" or "macro:<name>"
    app: str
    env: str
    protocol: str
    port: int | None
    source_ip: str | None = None  # for external and macro consumers

    @property
    def key(self) -> str:
        return f"{self.app}/{self.env}"

    @property
    def label(self) -> str:
        return f"{self.consumer} -> {self.key} {self.protocol}/{self.port or '*'}"


def probes_from_site(site: Site) -> list[Probe]:
    """Every consumer of every application environment, with the first port it uses."""
    macros = {m.name: m.cidr for m in (site.nuage.network_macros if site.nuage else [])}
    apps = {a.name: a for a in site.applications}
    out: set[Probe] = set()

    def port(ports: list[int]) -> int | None:
        return ports[0] if ports else None

    common = site.nuage.acl.common if site.nuage else []
    for a in site.applications:
        for env in a.environments:
            for r in common:  # e.g. monitoring scraping every VM: every application has it
                skind, sref = parse_endpoint(r.src)
                if parse_endpoint(r.dst)[0] == "any" and skind == "macro" and sref in macros:
                    ip = str(next(iter(ipaddress.ip_network(macros[sref]).hosts())) + 9)
                    out.add(Probe(f"macro:{sref}", a.name, env, r.protocol, port(r.ports), ip))
            for t in a.talks_to:
                if env in apps[t.app].environments:
                    out.add(Probe(f"app:{a.name}", t.app, env, t.protocol, port(t.ports)))
            for x in a.exposed_to:
                kind, ref = parse_endpoint(x.src)
                if kind == "external":
                    out.add(Probe("external", a.name, env, x.protocol, port(x.ports), EXTERNAL_CLIENT))
                elif kind == "macro" and ref in macros:
                    ip = str(next(iter(ipaddress.ip_network(macros[ref]).hosts())) + 9)
                    out.add(Probe(f"macro:{ref}", a.name, env, x.protocol, port(x.ports), ip))
            for r in a.rules:
                skind, sref = parse_endpoint(r.src)
                dkind, dref = parse_endpoint(r.dst)
                target = dref.split("/")[0] if dkind == "subnet" else dref if dkind == "app" else None
                denv = dref.split("/")[1] if dkind == "subnet" else env
                if skind == "app" and target in apps and denv == env and env in apps[sref].environments:
                    out.add(Probe(f"app:{sref}", target, env, r.protocol, port(r.ports)))
    return sorted(out, key=lambda p: (p.app, p.env, p.consumer, p.port or 0))


@dataclass
class _State:
    ok: bool = True
    since: float = 0.0
    detail: str = ""
    windows: list[list[float | str | None]] = field(default_factory=list)  # [start, end|None, why]


class ProbeEngine:
    """Evaluates every probe each interval and records the transitions (thread-safe)."""

    def __init__(self, probes: list[Probe], store: Any, clouds: list[Any], site_vms: dict[str, set[str]],
                 volumes: dict[str, dict[str, int]], *, request_seconds: float = REQUEST_SECONDS):
        self.probes = probes
        self.store = store
        self.clouds = clouds
        self.site_vms = site_vms  # "app/env" -> VM names
        self.volumes = volumes  # "app/env" -> VM name -> how many volumes it must have attached
        self._lock = threading.Lock()
        self.state: dict[str, _State] = {}  # probe label -> state
        self.writes: dict[str, _State] = {}  # "app/env" -> write availability
        self.samples = 0
        self.started = time.time()
        # "app/env" -> (NetScaler emulator, VIP, vserver port, members' port): balanced ones
        self.lb: dict[str, tuple[Any, str, int, int]] = {}
        self.vms: Any = None  # lifecycle.lab.vmhooks.VmDirectory: writers quiesced by their hook
        self.request_seconds = request_seconds
        self.flights: dict[str, list[Any]] = {}  # probe label -> its requests in flight (Connections)
        self._by_ip: dict[str, Any] = {}  # address -> server, this tick

    def use_lb(self, lb: dict[str, tuple[Any, str, int, int]], vms: Any = None) -> None:
        """From now on these environments are served by the load balancer (see the module doc)."""
        self.lb = dict(lb)
        if vms is not None:
            self.vms = vms

    def _serving(self, servers: list[Any]) -> dict[str, list[Any]]:
        by_name: dict[str, list[Any]] = {}
        for s in servers:
            if s.status == "ACTIVE" and s.in_service:  # LEGACY: the i2.in_service metadata key
                by_name.setdefault(s.name, []).append(s)
        out = {key: [s for n in names for s in by_name.get(n, [])] for key, names in self.site_vms.items()}
        for key, (emu, vip, vport, _) in self.lb.items():
            ips = {b.ip for b in emu.ready(vip, vport)}
            out[key] = [s for s in servers if any(a[2] in ips for a in s.addresses)]
        return out

    def tick(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        servers = [s for c in self.clouds for s in c.servers()]
        serving = self._serving(servers)
        self._by_ip = {a[2]: s for s in servers for a in s.addresses}
        results: dict[str, tuple[bool, str]] = {}
        for p in self.probes:
            lb = self.lb.get(p.key)
            if lb is not None and p.port in (lb[2], lb[3]):
                results[p.label] = self._through_vip(p, lb, serving, now)
            else:
                results[p.label] = self._evaluate(p, serving)
        writable = {key: self._writable(key, serving.get(key, [])) for key in self.volumes}
        with self._lock:
            self.samples += 1
            for label, (ok, detail) in results.items():
                self._record(self.state, label, ok, detail, now)
            for key, (ok, detail) in writable.items():
                self._record(self.writes, key, ok, detail, now)

    @staticmethod
    def _record(table: dict[str, _State], key: str, ok: bool, detail: str, now: float) -> None:
        st = table.get(key)
        if st is None:
            table[key] = st = _State(ok=True, since=now)
        if ok != st.ok:
            if not ok:
                st.windows.append([now, None, detail])
            elif st.windows and st.windows[-1][1] is None:
                st.windows[-1][1] = now
            st.ok, st.since = ok, now
        st.detail = detail

    def _ips(self, vms: list[Any]) -> list[str]:
        return [a[2] for s in vms for a in s.addresses]

    def _evaluate(self, p: Probe, serving: dict[str, list[Any]]) -> tuple[bool, str]:
        dst = self._ips(serving.get(p.key, []))
        if not dst:
            return False, f"no serving VM of {p.key}"
        if p.source_ip:
            sources = [p.source_ip]
        else:
            sources = self._ips(serving.get(f"{p.consumer[4:]}/{p.env}", []))
            if not sources:
                return True, f"{p.consumer} has no serving VM to probe from"
        for src in sources:
            decisions = [self.store.reachable(src, d, p.port, p.protocol) for d in dst]
            if not any(d.allowed for d in decisions):
                return False, f"{src} -> {p.key}: {decisions[0].reason}"
        return True, f"{len(sources)} source(s) reach {len(dst)} serving address(es)"

    def _through_vip(self, p: Probe, lb: tuple[Any, str, int, int], serving: dict[str, list[Any]],
                     now: float) -> tuple[bool, str]:
        """A request through the VIP each interval; the ones in flight must end uncut."""
        emu, vip, vport, _ = lb
        cut, flying = [], []
        for conn in self.flights.get(p.label, []):
            ends = conn.opened_at + self.request_seconds  # the NetScaler's clock, not this loop's pace
            cut_at = emu.cut_at(conn)
            if cut_at is not None and cut_at < ends:
                cut.append(conn)
                emu.close(conn)
            elif cut_at is not None or now >= ends:
                emu.close(conn)
            else:
                flying.append(conn)
        self.flights[p.label] = flying
        if not serving.get(p.key):
            ok, detail = False, f"VIP {vip}:{vport} of {p.key} serves nobody (no member UP and enabled)"
        else:
            ok, detail = self._evaluate(p, serving)
            sourced = not detail.endswith("no serving VM to probe from")
            if ok and sourced:
                conn = emu.connect(vip, vport)
                if conn is None:
                    ok, detail = False, f"VIP {vip}:{vport} of {p.key} serves nobody"
                elif not self._answers(conn.backend.ip, conn.backend.port):
                    # the member is still UP (its monitor has not failed yet) but nothing answers
                    emu.close(conn)
                    ok, detail = False, (f"request through {vip}:{vport} failed on member "
                                         f"{conn.backend.ip}:{conn.backend.port}: no answer")
                else:
                    flying.append(conn)
        if cut and ok:
            ok, detail = False, (f"{len(cut)} request(s) through {vip}:{vport} cut in flight "
                                 f"(member {cut[0].backend.ip}:{cut[0].backend.port})")
        return ok, detail

    def _answers(self, ip: str, port: int) -> bool:
        vm = self._by_ip.get(ip)
        if vm is None or vm.status != "ACTIVE":
            return False
        return self.vms is None or self.vms.listens(vm.name, port)

    def _quiesced(self, s: Any) -> bool:
        # LEGACY: the i2.writes metadata key, until the runbook quiesces through the hooks
        return s.metadata.get("i2.writes") == "frozen" or (self.vms is not None and self.vms.frozen(s.id))

    def _writable(self, key: str, vms: list[Any]) -> tuple[bool, str]:
        need = self.volumes[key]
        for s in vms:
            if not self._quiesced(s) and len(s.volumes) >= need.get(s.name, 0):
                return True, f"{s.name} writes"
        return False, "writes frozen or volumes detached" if vms else "no serving VM"

    # -- reading ---------------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        with self._lock:
            out = []
            for p in self.probes:
                st = self.state.get(p.label, _State())
                out.append({"app": p.app, "env": p.env, "consumer": p.consumer, "protocol": p.protocol,
                            "port": p.port, "ok": st.ok, "since": st.since, "detail": st.detail})
            return out

    def downtime(self, since: float, until: float | None = None) -> dict[str, dict[str, Any]]:
        """Per application environment: downtime (any probe red) and write freeze in [since, until]."""
        until = time.time() if until is None else until
        with self._lock:
            per: dict[str, list[tuple[float, float, str]]] = {}
            for p in self.probes:
                st = self.state.get(p.label)
                for start, end, why in (st.windows if st else []):
                    per.setdefault(p.key, []).append(
                        (float(start), float(end or until), f"{p.consumer}: {why}"))
            frozen = {k: [(float(s), float(e or until), str(w)) for s, e, w in st.windows]
                      for k, st in self.writes.items()}
            samples = self.samples
        out: dict[str, dict[str, Any]] = {}
        for key in {p.key for p in self.probes} | set(frozen):
            windows = _clip(per.get(key, []), since, until)
            out[key] = {"downtime_ms": _union_ms(windows), "write_freeze_ms": _union_ms(
                _clip(frozen.get(key, []), since, until)), "samples": samples,
                "windows": [{"start": s, "end": e, "why": w} for s, e, w in windows]}
        return out


Window = tuple[float, float, str]


def _clip(windows: list[Window], since: float, until: float) -> list[Window]:
    return [(max(s, since), min(e, until), w) for s, e, w in windows if e > since and s < until]


def _union_ms(windows: list[Window]) -> int:
    total, end = 0.0, None
    for s, e, _ in sorted(windows):
        if end is None or s > end:
            total += e - s
            end = e
        elif e > end:
            total += e - end
            end = e
    return round(total * 1000)


class ProbeService:
    """The engine on a thread plus its HTTPS API (``/v1/status``, ``/v1/downtime``)."""

    def __init__(self, probes: list[Probe], store: Any, clouds: list[Any], *, tls: Any = None,
                 interval: float = 0.05, request_seconds: float = REQUEST_SECONDS):
        self.interval = interval
        self.engine = ProbeEngine(probes, store, clouds, {}, {}, request_seconds=request_seconds)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        router = Router()
        router.add("GET", r"/v1/status", lambda req: {"probes": self.engine.status()})
        router.add("GET", r"/v1/downtime", lambda req: {"apps": self.engine.downtime(
            float(req.arg("since") or self.engine.started),
            float(req.arg("until")) if req.arg("until") else None)})
        self.server = EmulatorServer("probes", router, tls=tls)

    def with_site(self, site: Site) -> ProbeService:
        """Which VMs serve each application environment, and the volumes each must have."""
        for a in site.applications:
            for env, spec in a.environments.items():
                self.engine.site_vms[f"{a.name}/{env}"] = {v.name for v in spec.vms}
                if a.stateful and spec.volumes:
                    self.engine.volumes[f"{a.name}/{env}"] = {v.name: len(v.volumes) for v in spec.vms}
        return self

    @property
    def url(self) -> str:
        return self.server.url

    def _run(self) -> None:
        while not self._stop.is_set():
            t0 = time.monotonic()
            with contextlib.suppress(Exception):  # a cloud mid-restart: the next tick tries again
                self.engine.tick()
            self._stop.wait(max(self.interval - (time.monotonic() - t0), 0.005))

    def start(self) -> ProbeService:
        self.server.start()
        self._thread = threading.Thread(target=self._run, name="probes", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.server.stop()
