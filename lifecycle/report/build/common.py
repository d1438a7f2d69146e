"""What every runbook's report shares: who ran what and when, the quarantines, the checks the
steps' outputs hold, and how to go on. Read from the run store only.

>>> from types import SimpleNamespace as Step
>>> steps = [Step(seq=1, key="a/check", target="server:a", status="failed", last_error="a: no LLDP"),
...          Step(seq=2, key="a/tag", target="server:a", status="quarantined", last_error=None),
...          Step(seq=3, key="b/check", target="server:b", status="done", last_error=None)]
>>> quarantines(steps)
[Quarantine(target='server:a', reason='check failed: a: no LLDP')]
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lifecycle.report.document import Check, Next, Quarantine, RunInfo

# What ended a target badly, as the engine records it (lifecycle.engine.models.StepStatus): a step
# ``failed``, and the rest of its target ``quarantined`` with it. A ``skipped`` step was not run
# because a hard dependency, another target's step, did not end done: its target is not at fault
# and waits (the run is partial, a resume runs it), so it is shown where it stopped, not quarantined.
ENDED_BADLY = ("failed", "quarantined")


def stage(step: Any) -> str:
    """The last part of a step's key: ``c02-s01/check`` -> ``check``."""
    return str(step.key).rsplit("/", 1)[-1]


def ordered(steps: list[Any]) -> list[Any]:
    return sorted(steps, key=lambda s: s.seq)


def who(run: Any) -> tuple[str, str]:
    """(user, host) of the run: ``created_by`` (``user@host``, revision 0003), else the host of
    its last owner (``host:pid``) and no user (runs created before i2 recorded it)."""
    created = getattr(run, "created_by", None) or ""
    if "@" in created:
        user, _, host = created.rpartition("@")
        return user, host
    owner = getattr(run, "owner", None) or ""
    return "", owner.rpartition(":")[0] if ":" in owner else owner


def run_info(run: Any, site_name: str = "") -> RunInfo:
    user, host = who(run)
    params = run.params or {}
    return RunInfo(id=run.id, kind=run.kind, target=run.target, status=str(run.status),
                   site=site_name or str(params.get("site_dir") or ""), site_digest=run.site_digest or "",
                   endpoints=str(params.get("endpoints_file") or ""), started_at=run.started_at,
                   finished_at=run.finished_at, user=user, host=host, error=run.error)


def quarantined(steps: list[Any]) -> set[str]:
    """The targets the run quarantined: one of their steps ended failed or quarantined."""
    return {st.target for st in steps if str(st.status) in ENDED_BADLY}


def quarantines(steps: list[Any]) -> list[Quarantine]:
    """One per quarantined target, in the order of their steps: its first failed step says why,
    else its first quarantined one (whose error names the failure). Skipped steps are none."""
    out: dict[str, Quarantine] = {}
    failed: set[str] = set()
    for st in ordered(steps):
        status = str(st.status)
        if status not in ENDED_BADLY or st.target in failed:
            continue
        reason = f"{stage(st)} {status}" + (f": {st.last_error}" if st.last_error else "")
        if status == "failed":
            failed.add(st.target)
            out[st.target] = Quarantine(target=st.target, reason=reason)
        else:
            out.setdefault(st.target, Quarantine(target=st.target, reason=reason))
    return list(out.values())


def checks(steps: list[Any]) -> list[Check]:
    """The evidence the done steps' outputs hold: their ``checks`` lists (leaf and spine
    verification, undercloud readiness), ANTA results (``results``), hardware inspection facts."""
    out: list[Check] = []
    for st in ordered(steps):
        o = st.outputs or {}
        if str(st.status) != "done":
            continue
        target = st.target.partition(":")[2] or st.target
        for c in o.get("checks") or []:
            if isinstance(c, dict) and "ok" in c:
                out.append(Check(name=str(c.get("check", "")), target=target,
                                 result="pass" if c["ok"] else "fail", detail=str(c.get("detail", ""))))
        for r in o.get("results") or []:
            if isinstance(r, dict) and "test" in r:
                res = str(r.get("result", "")).lower()
                verdict = "pass" if res == "success" else "skip" if res == "skipped" else "fail"
                out.append(Check(name=f"anta {r['test']}", target=str(r.get("device", target)),
                                 result=verdict, detail="; ".join(r.get("messages") or [])))
        if stage(st) == "check" and "lldp" in o:
            lldp = ", ".join(f"{k}={v}" for k, v in sorted((o.get("lldp") or {}).items()))
            out.append(Check(name="inspected", target=target, result="info",
                             detail=f"{o.get('cpus')} CPUs, {o.get('memory_mb')} MB, "
                                    f"{o.get('disks')} disk(s), LLDP {lldp}"))
    return out


def next_steps(run: Any, rollback: str = "") -> Next:
    """The commands that go on from here: resume an unfinished run, or the runbook's way back."""
    status = str(run.status)
    notes = []
    resume = ""
    if status in ("failed", "partial", "interrupted", "running", "pending"):
        resume = f"i2 runs resume {run.id}"
        notes.append("resuming re-observes steps in flight, retries failed ones and keeps done ones")
    if status == "succeeded":
        notes.append("nothing to resume: every step ended done")
    if status == "aborted":
        notes.append("the run was aborted: start a new run to go on")
    return Next(resume=resume, rollback=rollback, notes=notes)


def ts(epoch: float | None) -> datetime | None:
    """An epoch (what steps' outputs record as ``at``) as an aware UTC datetime."""
    return None if epoch is None else datetime.fromtimestamp(float(epoch), UTC)
