"""Bench: the immutable-cloud upgrade of N synthetic applications on the twin, latency none.

The synthetic site (``scripts/gen-site``: 150 applications in waves of 25 by default) has its
new cloud's racks already in service, so both clouds have their computes when the twin is up.
Then ``i2 upgrade apply`` runs in this process (the engine, the adapters and the SDKs; the
twin is another process), without the recommissioning of the old racks (that is the rack
runbook's work, measured by bench/rack.py). Reported:

- ``wall_s`` and ``wall_ms_per_app``: the whole campaign, and per application (environments
  move in parallel within a wave, waves one after the other, soak 0);
- ``tool_cpu_ms_per_app``: CPU time of this process (i2's engine, adapters, openstacksdk,
  vspk) per application: the tool's own overhead, the twin answering at once;
- ``twin_cpu_ms_per_app``: CPU time of the twin's process (its emulators) per application;
- ``api_calls_per_app``: requests the twin's emulators served during the run, per system
  (as the twin's control API counts them), per application.

Usage: ``.venv/bin/python bench/upgrade.py [--apps 150] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from lifecycle.engine import Engine, RunbookContext, Store  # noqa: E402
from lifecycle.runbooks import upgrade  # noqa: E402
from lifecycle.runbooks.common import Services  # noqa: E402


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


def cpu_of(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--apps", type=int, default=150)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="i2-bench-upgrade-"))
    labdir = tmp / "lab"
    site = make_site(tmp, args.apps)
    t0 = time.monotonic()
    res = i2("lab", "up", "--site", str(site), "--dir", str(labdir), "--latency", "none", "--timeout", "900")
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
        store = Store.open(f"sqlite:///{tmp / 'runs.db'}")
        run_id = store.create_run(plan)
        registry = upgrade.build(RunbookContext(run_id=run_id, kind=plan.kind, target=plan.target,
                                                params=plan.params, extra={"services": svc}))
        before = requests.get(f"{control}/requests", timeout=10).json()["requests"]
        twin0, cpu0, t1 = cpu_of(twin_pid), time.process_time(), time.monotonic()
        result = Engine(store, registry, limits=upgrade.LIMITS).execute(run_id)
        wall = time.monotonic() - t1
        tool_cpu, twin_cpu = time.process_time() - cpu0, cpu_of(twin_pid) - twin0
        after = requests.get(f"{control}/requests", timeout=10).json()["requests"]
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
    row = {"apps": n, "steps": len(plan.steps), "lab_up_s": round(up_s, 1), "wall_s": round(wall, 1),
           "wall_ms_per_app": round(wall * 1000 / n), "tool_cpu_ms_per_app": round(tool_cpu * 1000 / n),
           "twin_cpu_ms_per_app": round(twin_cpu * 1000 / n),
           "api_calls_per_app": round(sum(calls.values()) / n, 1),
           "api_calls_per_app_by_system": {k: round(v / n, 1) for k, v in sorted(calls.items())}}
    print(json.dumps(row, indent=2))
    if args.json:
        args.json.write_text(json.dumps(row, indent=2) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
