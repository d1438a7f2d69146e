"""The upgrade's report: one row per application environment across the campaign's runs.

>>> from types import SimpleNamespace as Step
>>> class Store:
...     def get_steps(self, run_id):
...         return [Step(seq=1, target="app:billing", key="billing/prd/boot", params={"app": "billing",
...                      "env": "prd"}, status="done", outputs={}, last_error=None),
...                 Step(seq=2, target="app:billing", key="billing/prd/retire", params={"app": "billing",
...                      "env": "prd"}, status="failed", outputs=None, last_error="refused: ...")]
>>> report(Store(), ["run-1"])
[{'app': 'billing/prd', 'state': 'retire failed', 'downtime_ms': None, 'write_freeze_ms': None,
  'volumes': {}, 'error': 'refused: ...'}]
"""

from __future__ import annotations

from typing import Any

# the last step of a move and of a rollback (step keys are what the store keeps)
FINAL = {"evidence": "moved", "rollback/delete-vsd-b": "rolled back"}


def report(store: Any, run_ids: list[str]) -> list[dict[str, Any]]:
    """One row per application environment across runs (oldest first, later runs win): where
    it stands, its downtime and write freeze as the probes measured them, volumes imported."""
    rows: dict[str, dict[str, Any]] = {}
    for run_id in run_ids:
        stopped: set[str] = set()
        for st in sorted(store.get_steps(run_id), key=lambda s: s.seq):
            if not st.target.startswith("app:"):
                continue
            app, env = st.params.get("app"), st.params.get("env")
            key = f"{app}/{env}"
            row = rows.setdefault(key, {"app": key, "state": "pending", "downtime_ms": None,
                                        "write_freeze_ms": None, "volumes": {}, "error": ""})
            if run_id not in row.setdefault("_runs", []):  # a later run starts this row afresh
                row["_runs"].append(run_id)
                row.update(state="pending", error="")
            stage = st.key[len(key) + 1:]
            out = st.outputs or {}
            if str(st.status) == "done" and key not in stopped:
                row["state"] = FINAL.get(stage, f"{stage} done")
                if stage == "evidence":
                    row["downtime_ms"] = out.get("downtime_ms")
                    row["write_freeze_ms"] = out.get("write_freeze_ms")
                if stage.endswith("/manage"):
                    row["volumes"][stage.split("/")[-2]] = {"from": out.get("old_id"),
                                                            "to": out.get("new_id")}
            elif str(st.status) in ("failed", "quarantined", "skipped", "running", "pending") \
                    and key not in stopped:
                stopped.add(key)
                row["state"] = f"{stage} {st.status}"
                row["error"] = st.last_error or ""
    out = []
    for row in rows.values():
        row.pop("_runs", None)
        out.append(row)
    return sorted(out, key=lambda r: r["app"])
