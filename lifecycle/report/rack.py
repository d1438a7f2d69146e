"""The rack run's report: one row per switch, server and overcloud of the run, with its state,
what its done steps prove, and what failed and why.

>>> from types import SimpleNamespace as Step
>>> class Store:
...     def get_steps(self, run_id):
...         return [Step(seq=1, target="server:c02-s01", key="c02-s01/check", status="done",
...                      outputs={"cpus": 64, "memory_mb": 524288, "lldp": {"nic1": "c02-leaf1:Ethernet1"}},
...                      last_error=None),
...                 Step(seq=2, target="server:c02-s01", key="c02-s01/tag", status="failed", outputs=None,
...                      last_error="c02-s01: capability node:computenuage-0 already belongs to c02-s02")]
>>> report(Store(), "run-1")
[{'device': 'c02-s01', 'kind': 'server', 'state': 'tag failed',
  'evidence': '64 CPUs, 524288 MB, LLDP nic1=c02-leaf1:Ethernet1',
  'error': 'c02-s01: capability node:computenuage-0 already belongs to c02-s02'}]
"""

from __future__ import annotations

from typing import Any

# the state a device is in once the step of that name is done
DONE = {"provide": "available", "verify": "verified", "deploy": "deployed"}
ORDER = {"switch": 0, "server": 1, "overcloud": 2}


def evidence(stage: str, out: dict[str, Any], before: str) -> str:
    """What a done step proves, added to (or replacing) the device's evidence so far.

    >>> evidence("tag", {"node": "computenuage-2"}, "64 CPUs")
    '64 CPUs; node:computenuage-2'
    >>> evidence("render", {"target": {"before": {"ComputeNuage": 0}, "counts": {"ComputeNuage": 8}}}, "")
    'ComputeNuage 0 -> 8'
    """
    def more(text: str) -> str:
        return "; ".join(x for x in (before, text) if x)

    if stage == "check":
        lldp = ", ".join(f"{k}={v}" for k, v in (out.get("lldp") or {}).items())
        return f"{out.get('cpus')} CPUs, {out.get('memory_mb')} MB, LLDP {lldp}"
    if stage == "tag":
        return more(f"node:{out.get('node')}")
    if stage == "verify":
        checks = out.get("checks") or []
        return f"{sum(1 for c in checks if c.get('ok'))}/{len(checks)} checks ok"
    if stage == "render":
        t = out.get("target") or {}
        counts = t.get("counts", {})
        changed = [f"{r} {n} -> {counts[r]}" for r, n in t.get("before", {}).items() if counts.get(r) != n]
        return ", ".join(changed) or "counts unchanged"
    if stage == "deploy":
        return more(f"deployed in {out['seconds']} s" if out.get("ran") else "already deployed")
    if stage == "hypervisor":
        where = f"{out.get('role')} {out.get('index')}, proof: {out.get('proof')}"
        return more(f"{out.get('hostname')} ({where})")
    return before


def report(store: Any, run_id: str) -> list[dict[str, Any]]:
    """One row per switch, server and overcloud of the run: state, evidence, what failed and why."""
    rows: dict[str, dict[str, Any]] = {}
    stopped: dict[str, bool] = {}
    for st in sorted(store.get_steps(run_id), key=lambda st: st.seq):
        kind, _, name = st.target.partition(":")
        if kind not in ORDER:
            continue
        row = rows.setdefault(st.target, {"device": name, "kind": kind, "state": "pending",
                                          "evidence": "", "error": ""})
        stage = st.key.rsplit("/", 1)[-1]
        status = str(st.status)
        if "/late/" in st.key and status == "skipped":
            continue  # a rack's late scale-out that had nothing to wait for: not the cloud's state
        if status == "done":
            out = st.outputs or {}
            row["state"] = ("hypervisor" if out.get("proof") == "nova" else "deployed") \
                if stage == "hypervisor" else DONE.get(stage, f"{stage} done")
            row["evidence"] = evidence(stage, out, row["evidence"])
        elif status in ("failed", "quarantined", "skipped") and not stopped.get(st.target):
            stopped[st.target] = True  # the first step that did not end done says where it stopped
            row["state"] = f"{stage} {status}"
            row["error"] = st.last_error or ""
        elif status in ("running", "pending") and not stopped.get(st.target):
            stopped[st.target] = True
            row["state"] = f"{stage} {status}"
    return sorted(rows.values(), key=lambda r: (ORDER[r["kind"]], r["device"]))
