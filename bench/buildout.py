"""Bench: a build-out is bounded by its slowest rack, not by the number of racks.

For each rack count N (default 1, 4, 16) the bench writes a site of N identical compute racks
(``bench/sites.py``: copies of ``examples/ie2-buildout``'s rack c01, the same servers per rack in
every case, the example's spines and cloud), brings up the greenfield twin of it with the
``realistic`` latency profile (``i2 lab up --greenfield --latency realistic``: every switch in
ZTP, OneView's tasks in seconds, Nova boots in seconds), and times ``i2 buildout apply`` with
``--parallel-racks`` max(N, 4) in a subprocess, as an operator runs it. Reported per N:

- ``wall_s``: the apply, process start to exit; ``run_s``: the run's start to finish in the store;
- ``vs_1``: wall time against the one-rack case of the same bench run (targets: 4 racks <= 1.3,
  16 racks <= 2.0);
- per phase (spines, undercloud gate, leaves' ZTP and verification, OneView templates and
  profiles, Ironic enroll to provide, the first deploy, the proof of each server, the NRFU),
  from the run store's step start and finish times: ``span`` (first start to last finish),
  ``busy`` (step seconds summed), ``max`` (the longest step) and ``queued`` (seconds steps waited,
  ready but not started: a concurrency limit holding them back);
- the critical path: from the last step back through whichever of its prerequisites finished
  last, so the slowest chain (and the step kinds on it) is visible;
- the CPU seconds of the apply's process and of the twin's daemon, and the load average (the
  machine is shared: a twin short of CPU slows every rack alike).

Usage: ``flock /tmp/i2-heavy.lock .venv/bin/python bench/buildout.py [--racks 1,4,16]
[--servers-per-rack 2] [--latency realistic] [--json FILE] [--keep]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sites import make_site  # noqa: E402

DC = "ie2-dc1"
# (phase, predicate on step key and action), first match wins; the order is the build-out's
PHASES: list[tuple[str, Any]] = [
    ("spines", lambda k, a: k.startswith(("spines/", "ie2-spine"))),
    ("undercloud gate", lambda k, a: k.startswith("undercloud/")),
    ("VSD bootstrap", lambda k, a: k.startswith("vsd/")),
    ("leaves ZTP+verify", lambda k, a: "/ztp" in k or "-leaf" in k),
    ("OneView", lambda k, a: k.startswith("template/") or k.endswith(("/profile", "/identify"))),
    ("Ironic", lambda k, a: k.rsplit("/", 1)[-1] in ("enroll", "manage", "inspect", "check", "tag",
                                                     "provide")),
    ("late scale-out", lambda k, a: "/late/" in k),
    ("first deploy", lambda k, a: k.startswith("overcloud/")),
    ("prove deployed", lambda k, a: k.endswith("/deployed")),
    ("NRFU", lambda k, a: k == "nrfu"),
]


def phase_of(key: str, action: str) -> str:
    return next((name for name, match in PHASES if match(key, action)), "other")


def i2(*args: str, env: dict[str, str] | None = None,
       timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lifecycle.cli.main", *args], cwd=ROOT, text=True,
                          capture_output=True, env=env or dict(os.environ), timeout=timeout)


def cpu_tree(pid: int) -> dict[str, float]:
    """CPU seconds of a process and all its descendants (the twin's Ironic, inspector,
    sushy-tools, ztpserver), by process name; the daemon's include the switches' bootstraps
    (children it reaped)."""
    tick, procs = os.sysconf("SC_CLK_TCK"), {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            head, tail = (d / "stat").read_text().rsplit(")", 1)
            argv = (d / "cmdline").read_bytes().decode(errors="replace").split("\0")
            # the program, not the interpreter running it (sushy-emulator, ztps, ironic-inspector)
            comm = next((a for a in argv if a and not a.startswith("-")
                         and not Path(a).name.startswith("python")), "")
        except OSError:
            continue
        stat = tail.split()
        # utime + stime + the children it reaped (the daemon's: the switches' bootstraps)
        procs[int(d.name)] = (int(stat[1]), sum(int(x) for x in stat[11:15]) / tick, comm or head)
    mine, changed = {pid}, True
    while changed:
        more = {p for p, (ppid, _, _) in procs.items() if ppid in mine} - mine
        mine |= more
        changed = bool(more)
    out: dict[str, float] = defaultdict(float)
    for p in mine & procs.keys():
        name = Path((procs[p][2].split() or ["?"])[0]).name.rstrip(":") if p != pid else "twin daemon"
        out[name] += procs[p][1]
    return out


def ts(value: str | None) -> float | None:
    return datetime.fromisoformat(value).timestamp() if value else None


def load_run(db: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The build-out run and its steps, as the store has them."""
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        run = dict(con.execute("select * from runs where kind='buildout' "
                               "order by created_at desc").fetchone())
        steps = [dict(r) for r in con.execute("select key, action, system, batch, deps, after, status, "
                                              "attempts, started_at, finished_at from steps where run_id=? "
                                              "order by seq", (run["id"],))]
    finally:
        con.close()
    for s in steps:
        s["deps"], s["after"] = json.loads(s["deps"] or "[]"), json.loads(s["after"] or "[]")
        s["start"], s["end"] = ts(s["started_at"]), ts(s["finished_at"])
    return run, steps


def phases(steps: list[dict[str, Any]], t0: float) -> dict[str, dict[str, float]]:
    """Per phase: span from the run's start, busy and longest step, and queueing (ready to start)."""
    by = {s["key"]: s for s in steps}
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"steps": 0, "first_start": 1e18, "last_end": 0.0,
                                                            "busy": 0.0, "max": 0.0, "queued": 0.0})
    for s in steps:
        if s["start"] is None or s["end"] is None:
            continue
        p = out[phase_of(s["key"], s["action"])]
        dur = s["end"] - s["start"]
        ready = max([by[d]["end"] or t0 for d in s["deps"] + s["after"] if d in by] or [t0])
        p["steps"] += 1
        p["first_start"], p["last_end"] = min(p["first_start"], s["start"]), max(p["last_end"], s["end"])
        p["busy"] += dur
        p["max"] = max(p["max"], dur)
        p["queued"] += max(0.0, s["start"] - ready)
    order = [name for name, _ in PHASES] + ["other"]
    return {name: {"steps": int(p["steps"]), "start": round(p["first_start"] - t0, 1),
                   "end": round(p["last_end"] - t0, 1), "span": round(p["last_end"] - p["first_start"], 1),
                   "busy": round(p["busy"], 1), "max": round(p["max"], 1), "queued": round(p["queued"], 1)}
            for name in order if (p := out.get(name)) and p["steps"]}


def critical_path(steps: list[dict[str, Any]], t0: float) -> list[dict[str, Any]]:
    """From the step that finished last back through the prerequisite that finished last."""
    by = {s["key"]: s for s in steps if s["end"] is not None}
    if not by:
        return []
    cur = max(by.values(), key=lambda s: s["end"])
    path = []
    while cur is not None:
        prev = max((by[d] for d in cur["deps"] + cur["after"] if d in by), key=lambda s: s["end"],
                   default=None)
        ready = prev["end"] if prev else t0
        path.append({"step": cur["key"], "phase": phase_of(cur["key"], cur["action"]),
                     "waited": round(cur["start"] - ready, 1), "took": round(cur["end"] - cur["start"], 1),
                     "ends": round(cur["end"] - t0, 1)})
        cur = prev
    return path[::-1]


def measure(n: int, servers: int, latency: str, tmp: Path, timeout: float) -> dict[str, Any]:
    """One case: its site, its twin, its apply; the twin is taken down whatever happens."""
    work = tmp / f"racks-{n}"
    site = make_site(work / "site", n, servers)
    labdir = work / "lab"
    t0 = time.monotonic()
    up = i2("lab", "up", "--site", str(site), "--dir", str(labdir), "--greenfield", "--latency", latency,
            "--timeout", "900")
    if up.returncode:
        i2("lab", "down", "--dir", str(labdir))
        raise RuntimeError(f"lab up failed: {(up.stdout + up.stderr)[-2000:]}")
    lab_up_s = time.monotonic() - t0
    parallel = max(n, 4)
    env = {k: v for k, v in os.environ.items() if not k.startswith("I2_")}
    env.update(I2_SITE=str(site), I2_ENDPOINTS=str(labdir / "endpoints.yaml"),
               I2_DB=f"sqlite:///{labdir / 'runs.db'}", I2_EVENTS_DIR=str(labdir / "events"), COLUMNS="200")
    try:
        twin_pid = int(json.loads((labdir / "state.json").read_text())["daemon_pid"])
        twin0, load0 = cpu_tree(twin_pid), os.getloadavg()[0]
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t1 = time.monotonic()
        try:
            res = i2("-o", "json", "buildout", "apply", DC, "--yes", "--parallel-racks", str(parallel),
                     env=env, timeout=timeout)
        except subprocess.TimeoutExpired:  # the store still says how far it got
            res = subprocess.CompletedProcess([], 124, "", f"apply still running after {timeout:.0f} s")
        wall = time.monotonic() - t1
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        twin1, load1 = cpu_tree(twin_pid), os.getloadavg()[0]
        twin_by = {k: round(v - twin0.get(k, 0.0), 1) for k, v in twin1.items()
                   if v - twin0.get(k, 0.0) >= 0.5}
        twin_cpu = sum(twin_by.values())
    finally:
        i2("lab", "down", "--dir", str(labdir))
    run, steps = load_run(labdir / "runs.db")
    start = ts(run["started_at"]) or min(s["start"] for s in steps if s["start"])
    row: dict[str, Any] = {
        "racks": n, "servers_per_rack": servers, "servers": n * servers, "latency": latency,
        "parallel_racks": parallel, "steps": len(steps), "status": run["status"],
        "lab_up_s": round(lab_up_s, 1), "wall_s": round(wall, 1),
        "run_s": round((ts(run["finished_at"]) or start) - start, 1),
        "apply_cpu_s": round(kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime, 1),
        "twin_cpu_s": round(twin_cpu, 1), "twin_cpu_by_process": twin_by,
        "load_avg": [round(load0, 1), round(load1, 1)],
        "retried_steps": sum(1 for s in steps if (s["attempts"] or 0) > 1),
        "phases": phases(steps, start), "critical_path": critical_path(steps, start)}
    if res.returncode or run["status"] != "succeeded":
        row["error"] = (run.get("error") or res.stderr[-1500:] or res.stdout[-1500:]).strip()
        row["failed_steps"] = [s["key"] for s in steps if s["status"] == "failed"][:20]
    return row


def show(rows: list[dict[str, Any]]) -> None:
    one = next((r for r in rows if r["racks"] == 1 and "wall_s" in r and "error" not in r), None)
    print(f"\n{'racks':>5} {'servers':>7} {'wall s':>8} {'vs 1 rack':>9} {'apply CPU s':>11} "
          f"{'twin CPU s':>10} {'target':>6}")
    for r in rows:
        if "wall_s" not in r:
            print(f"{r['racks']:>5} failed: {r.get('error', '')[:200]}")
            continue
        ratio = r["wall_s"] / one["wall_s"] if one else float("nan")
        r["vs_1"] = round(ratio, 2)
        target = {4: 1.3, 16: 2.0}.get(r["racks"])
        print(f"{r['racks']:>5} {r['servers']:>7} {r['wall_s']:>8.1f} {ratio:>9.2f} "
              f"{r['apply_cpu_s']:>11.1f} {r['twin_cpu_s']:>10.1f} "
              f"{('<= ' + str(target)) if target else '':>6}"
              + ("  (run " + r["status"] + ")" if "error" in r else ""))
    for r in rows:
        if "phases" not in r:
            continue
        print(f"\n{r['racks']} rack(s), {r['servers_per_rack']} servers per rack: "
              "phases (s from the run's start)")
        print(f"  {'phase':20} {'steps':>5} {'start':>7} {'end':>7} {'span':>7} {'busy':>8} {'max':>6} "
              f"{'queued':>7}")
        for name, p in r["phases"].items():
            print(f"  {name:20} {p['steps']:>5} {p['start']:>7} {p['end']:>7} {p['span']:>7} {p['busy']:>8} "
                  f"{p['max']:>6} {p['queued']:>7}")
        chain = (f"{c['step']} ({c['took']}s" + (f", waited {c['waited']}s" if c["waited"] >= 1 else "") + ")"
                 for c in r["critical_path"])
        print("  critical path: " + " -> ".join(chain))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--racks", default="1,4,16", help="rack counts, comma-separated (1 first: the baseline)")
    ap.add_argument("--servers-per-rack", type=int, default=2)
    ap.add_argument("--latency", choices=("none", "realistic"), default="realistic")
    ap.add_argument("--timeout", type=float, default=1500, help="seconds one apply may take")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the sites and lab dirs (runs.db) under /tmp")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="i2-bench-buildout-"))
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; latency {args.latency}; "
          f"{args.servers_per_rack} servers per rack in every case; work dir {tmp}", flush=True)
    rows: list[dict[str, Any]] = []
    for n in (int(x) for x in args.racks.split(",")):
        try:
            rows.append(measure(n, args.servers_per_rack, args.latency, tmp, args.timeout))
        except Exception as exc:  # a case that cannot finish is a result too
            rows.append({"racks": n, "servers_per_rack": args.servers_per_rack,
                         "error": f"{type(exc).__name__}: {exc}"[:2000]})
        brief = {k: v for k, v in rows[-1].items() if k not in ("phases", "critical_path")}
        print(json.dumps(brief), flush=True)
    show(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
