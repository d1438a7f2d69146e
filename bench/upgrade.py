"""Bench: the immutable-cloud upgrade of N synthetic applications on the twin (latency none, or
``--latency realistic`` to compare the plan's ETA with the measured wall time).

The synthetic site (``scripts/gen-site``: 150 applications in waves of 25 by default, every
environment behind the NetScaler) has its new cloud's racks already in service, so both clouds
have their computes when the twin is up.
Then ``i2 upgrade apply`` runs in this process (the engine, the adapters and the SDKs; the
twin is another process), without the recommissioning of the old racks (that is the rack
runbook's work, measured by bench/rack.py). Reported:

- ``wall_s`` and ``wall_ms_per_app``: the whole campaign, and per application (environments
  move in parallel within a wave, waves one after the other, soak 0);
- ``tool_cpu_ms_per_app``: CPU time of this process (i2's engine, adapters, openstacksdk,
  vspk) per application: the tool's own overhead, the twin answering at once;
- ``twin_cpu_ms_per_app``: CPU time of the twin's process (its emulators) per application;
- ``api_calls_per_app``: requests the twin's emulators served during the run, per system
  (as the twin's control API counts them: ``netscaler`` is NITRO), per application. VSD's
  include the calls the clouds' Nuage plugin makes to it (a boot's vport, a network's subnet);
- ``i2_calls_per_app``: the requests i2 itself sent, per system, per application (counted in
  this process at the HTTP adapter, where every client i2 uses sends: openstacksdk, vspk,
  NITRO, the probes);
- ``plugin_vsd_calls_per_app``: of VSD's, those i2 did not send: the twin's Nuage plugin
  emulation calls VSD on i2's behalf when i2 creates a network, subnet or port (VSD served
  minus i2's VSD requests; not i2's choice, counted apart);
- ``i2_calls_per_step``: i2's requests per application by the step (action) whose attempt sent
  them, and by system within it (``other``: threads that are no step's, e.g. the NITRO poller);
- ``i2_top_endpoints``: i2's most frequent requests per application, by system, method and
  path with ids replaced by ``{id}`` (and in the ``--json`` file, per step:
  ``i2_calls_per_step_endpoint``, and the calls of one step of each kind, the unit of
  ``lifecycle/runbooks/upgrade/eta.py``'s table: ``i2_calls_per_one_step``);
- ``eta_s``: what the plan's ETA model says the run takes (without the readiness report, which
  the bench does not run), next to ``wall_s``.

Usage: ``.venv/bin/python bench/upgrade.py [--apps 150] [--latency none|realistic] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import requests.adapters  # noqa: E402

from lifecycle.engine import Engine, RunbookContext, Store  # noqa: E402
from lifecycle.runbooks import upgrade  # noqa: E402
from lifecycle.runbooks.common import Services  # noqa: E402
from lifecycle.runbooks.upgrade.eta import run_seconds  # noqa: E402


def i2(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", *args], cwd=ROOT, text=True,
                          capture_output=True, env={**os.environ, **env})


def make_site(tmp: Path, apps: int) -> Path:
    site = tmp / "site"
    res = subprocess.run([str(ROOT / "scripts/gen-site"), str(site), "--racks", "4",
                          "--servers-per-rack", "12", "--apps", str(apps)], capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(res.stdout + res.stderr)
    for rack in (site / "racks").glob("*.yaml"):  # the new cloud's racks serve it already
        rack.write_text(rack.read_text().replace("state: planned", "state: in-service"))
    up = site / "upgrade.yaml"
    up.write_text(up.read_text().replace("soak_seconds: 2", "soak_seconds: 0"))
    return site


# (port, method, path, sending thread's name) -> requests
SENT: Counter[tuple[int | None, str, str, str]] = Counter()
_ID = re.compile(r"^([0-9a-f]{8}-[0-9a-f-]{27}|[0-9a-f]{32}|\d+)$", re.I)


def count_sent() -> None:
    """Count every request this process sends, by port, method, path and sending thread (the
    engine runs each step attempt in a thread named after the step): a measurement, not a
    change, the request goes on unchanged."""
    send = requests.adapters.HTTPAdapter.send

    def counted(self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kw: object):
        url = urlsplit(request.url or "")
        SENT[(url.port, request.method or "", url.path, threading.current_thread().name)] += 1
        return send(self, request, **kw)

    requests.adapters.HTTPAdapter.send = counted  # type: ignore[method-assign]


def system_of(port: int | None, path: str, components: dict[int, str]) -> str:
    """A request's system: the twin's component on that port, else the OpenStack service its
    path names (each cloud serves Keystone, Nova, Neutron, Cinder and Glance on ports of its own)."""
    name = components.get(port or 0, "")
    if name.startswith("netscaler"):
        return "netscaler"
    if name in ("vsd", "probes", "control"):
        return name
    if name.startswith("cloud-"):
        return "keystone"
    for prefix, system in (("/v2.1", "nova"), ("/v2.0", "neutron"), ("/v2/", "glance"), ("/v3/", "cinder")):
        if path.startswith(prefix):
            return system
    return "discovery"  # version documents


def endpoint_of(method: str, path: str) -> str:
    """``GET /nuage/api/v6/domains/{id}/subnets``: ids (and NITRO's and Keystone's names of
    objects) replaced, so requests group by kind."""
    parts = ["{id}" if _ID.match(p) else p for p in path.split("/")]
    named = 5 if path.startswith("/nitro/v1/config/") else 3 if path.startswith("/v3/projects/") else 0
    if named and len(parts) > named:
        parts = [*parts[:named], "{name}"]
    return f"{method} " + "/".join(parts)


def step_of(thread: str, run_id: str, actions: dict[str, str]) -> str:
    """The action of the step whose attempt runs in ``thread`` (``i2-<run>-<step key>``), else
    ``other``."""
    key = thread.removeprefix(f"i2-{run_id}-")
    return actions.get(key, "other").removeprefix("upgrade.") if key != thread else "other"


def breakdown(n: int, run_id: str, actions: dict[str, str], components: dict[int, str]
              ) -> tuple[dict[str, dict[str, float]], dict[str, float], dict[str, dict[str, float]]]:
    """i2's requests per application: by step and system, the most frequent endpoints, and
    by step and endpoint."""
    steps: dict[str, Counter[str]] = {}
    ends: Counter[str] = Counter()
    detail: dict[str, Counter[str]] = {}
    for (port, method, path, thread), k in SENT.items():
        system, step = system_of(port, path, components), step_of(thread, run_id, actions)
        steps.setdefault(step, Counter())[system] += k
        ends[f"{system} {endpoint_of(method, path)}"] += k
        detail.setdefault(step, Counter())[f"{system} {endpoint_of(method, path)}"] += k
    per_step = {step: {"total": round(sum(c.values()) / n, 1),
                       **{s: round(v / n, 1) for s, v in sorted(c.items())}}
                for step, c in sorted(steps.items(), key=lambda kv: -sum(kv[1].values()))}
    top = {e: round(k / n, 2) for e, k in ends.most_common(25)}
    by_step = {step: {e: round(k / n, 2) for e, k in c.most_common()}
               for step, c in sorted(detail.items(), key=lambda kv: -sum(kv[1].values()))}
    return per_step, top, by_step


def cpu_of(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--apps", type=int, default=150)
    ap.add_argument("--latency", choices=("none", "realistic"), default="none")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="i2-bench-upgrade-"))
    labdir = tmp / "lab"
    site = make_site(tmp, args.apps)
    t0 = time.monotonic()
    res = i2("lab", "up", "--site", str(site), "--dir", str(labdir), "--latency", args.latency,
             "--timeout", "900")
    if res.returncode:
        raise SystemExit(res.stdout + res.stderr)
    up_s = time.monotonic() - t0
    try:
        state = json.loads((labdir / "state.json").read_text())
        control = next(c["url"] for c in state["components"] if c["name"] == "control")
        twin_pid = int(state["daemon_pid"])
        svc = upgrade.services(Services(site_dir=site, endpoints_file=labdir / "endpoints.yaml"))
        plan = upgrade.build_plan(svc, recommission=False)
        moves = {s.params["app"] for s in plan.steps if s.params.get("app")}
        components = {int(c["port"]): c["name"] for c in state["components"] if c.get("port")}
        eta = run_seconds(plan, svc.site, lambda sys: upgrade.LIMITS.get(sys, upgrade.LIMITS.get(
            sys.split(":", 1)[0], 4)))
        store = Store.open(f"sqlite:///{tmp / 'runs.db'}")
        run_id = store.create_run(plan)
        registry = upgrade.build(RunbookContext(run_id=run_id, kind=plan.kind, target=plan.target,
                                                params=plan.params, extra={"services": svc}))
        before = requests.get(f"{control}/requests", timeout=10).json()["requests"]
        count_sent()
        twin0, cpu0, t1 = cpu_of(twin_pid), time.process_time(), time.monotonic()
        result = Engine(store, registry, limits=upgrade.LIMITS).execute(run_id)
        wall = time.monotonic() - t1
        tool_cpu, twin_cpu = time.process_time() - cpu0, cpu_of(twin_pid) - twin0
        sent: Counter[str] = Counter()
        for (port, _, path, _), k in SENT.items():
            sent[system_of(port, path, components)] += k
        after = requests.get(f"{control}/requests", timeout=10).json()["requests"]
        devices = {e.lb.device for a in svc.site.applications for e in a.environments.values() if e.lb}
        for dev in devices:
            svc.lb(dev).close()  # log out while the twin is still there
    finally:
        i2("lab", "down", "--dir", str(labdir))
    if str(result.status) != "succeeded":
        raise SystemExit(f"upgrade run {result.status}: see {tmp / 'runs.db'}")
    n = len(moves)
    calls: dict[str, float] = {}
    for name, count in after.items():
        delta = count - before.get(name, 0)
        if delta:
            system = name.split("-")[-1] if name.startswith(("syn", "ie1")) else name
            calls[system] = calls.get(system, 0) + delta
    row = {"apps": n, "latency": args.latency, "steps": len(plan.steps), "lab_up_s": round(up_s, 1),
           "wall_s": round(wall, 1), "eta_s": round(eta, 1), "eta_vs_wall": round(eta / wall, 2),
           "wall_ms_per_app": round(wall * 1000 / n), "tool_cpu_ms_per_app": round(tool_cpu * 1000 / n),
           "twin_cpu_ms_per_app": round(twin_cpu * 1000 / n),
           "api_calls_per_app": round(sum(calls.values()) / n, 1),
           "api_calls_per_app_by_system": {k: round(v / n, 1) for k, v in sorted(calls.items())},
           "i2_calls_per_app": round(sum(sent.values()) / n, 1),
           "i2_calls_per_app_by_system": {k: round(v / n, 1) for k, v in sorted(sent.items())},
           "plugin_vsd_calls_per_app": round(max(0, calls.get("vsd", 0) - sent.get("vsd", 0)) / n, 1)}
    row["i2_calls_per_step"], row["i2_top_endpoints"], by_step = breakdown(
        n, run_id, {s.key: s.action for s in plan.steps}, components)
    # per step of each kind (the unit of eta.py's CALLS table): per application x apps / steps
    kinds = Counter(s.action.removeprefix("upgrade.") for s in plan.steps)
    one = {step: {k: round(v * n / kinds[step], 2) for k, v in by_sys.items()}
           for step, by_sys in row["i2_calls_per_step"].items() if kinds.get(step)}
    print(json.dumps(row, indent=2))
    if args.json:  # the file has each step's endpoints too, and the calls of one step of a kind
        args.json.write_text(json.dumps({**row, "i2_calls_per_step_endpoint": by_step,
                                         "i2_calls_per_one_step": one}, indent=2) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
