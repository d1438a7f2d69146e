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
  'volumes': {}, 'error': 'refused: ...', 'both_served_s': None, 'lb': None}]

Behind a load balancer, ``lb`` is the load balancer's account of the move (the unbind step's
``evidence``, or the evidence step's ``lb``) and ``both_served_s`` the window in which both sides
served; :func:`lb_cell` puts it in one line:

>>> lb_cell({"state": "UP", "both_served": {"seconds": 12.5}, "up_after_s": 4.0,
...          "sides": {"b": [{"ip": "10.20.3.70", "svrstate": "UP", "state": "ENABLED"}]},
...          "transitions": [{"ip": "10.20.3.5", "side": "a", "from": "UP", "to": "GOING OUT OF SERVICE"},
...                          {"ip": "10.20.3.5", "side": "a", "from": "OUT OF SERVICE", "to": None}]})
'vserver UP; b: 1/1 UP (after 4.0 s); both served 12.5 s; 2 transitions; unbound: a 1'
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
                                        "write_freeze_ms": None, "volumes": {}, "error": "",
                                        "both_served_s": None, "lb": None})
            if run_id not in row.setdefault("_runs", []):  # a later run starts this row afresh
                row["_runs"].append(run_id)
                row.update(state="pending", error="")  # lb: see _lb_row
            stage = st.key[len(key) + 1:]
            out = st.outputs or {}
            if str(st.status) == "done" and key not in stopped:
                row["state"] = FINAL.get(stage, f"{stage} done")
                if stage == "evidence":
                    row["downtime_ms"] = out.get("downtime_ms")
                    row["write_freeze_ms"] = out.get("write_freeze_ms")
                    _lb_row(row, out.get("lb"))
                if stage.split("/")[-1] in ("unbind-a", "unbind-b"):
                    _lb_row(row, out.get("evidence") or None)
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
        window = (row["lb"] or {}).get("both_served") or {}
        row["both_served_s"] = window.get("seconds")
        row.pop("_runs", None)
        out.append(row)
    return sorted(out, key=lambda r: r["app"])


END_STATE = ("at", "state", "sides", "monitor_bound")


def _lb_row(row: dict[str, Any], lb: dict[str, Any] | None) -> None:
    """Fold one step's account of the load balancer into the row. The account of a move made in
    that run (its transitions) replaces what was there, whichever run made it; a later run that
    found the move done (``observed``), or an evidence step that read the load balancer itself,
    only updates the state at the end."""
    if not lb:
        return
    if (lb.get("transitions") and not lb.get("observed")) or not row["lb"]:
        row["lb"] = dict(lb)
    else:
        row["lb"] = {**row["lb"], **{k: lb[k] for k in END_STATE if k in lb}}


def lb_cell(lb: dict[str, Any] | None) -> str:
    """One line for a table: the vserver's state, who serves at the end, the destination's time
    to UP, the both-served window, how many monitor transitions and the members unbound."""
    if not lb:
        return "-"
    if "sides" not in lb:
        return str(lb.get("note", "-"))
    parts = [f"vserver {lb.get('state', '?')}"]
    for side, members in sorted(lb["sides"].items()):
        up = sum(1 for x in members if x.get("svrstate") == "UP" and x.get("state") == "ENABLED")
        after = f" (after {lb['up_after_s']} s)" if lb.get("up_after_s") is not None and up else ""
        parts.append(f"{side}: {up}/{len(members)} UP{after}")
    window = lb.get("both_served") or {}
    if window.get("seconds") is not None:
        parts.append(f"both served {window['seconds']} s")
    trans = lb.get("transitions") or []
    gone: dict[str, int] = {}
    for t in trans:
        if t.get("to") is None:
            gone[str(t.get("side"))] = gone.get(str(t.get("side")), 0) + 1
    if trans:
        parts.append(f"{len(trans)} transition{'' if len(trans) == 1 else 's'}")
    if gone:
        parts.append("unbound: " + ", ".join(f"{s} {n}" for s, n in sorted(gone.items())))
    return "; ".join(parts)
