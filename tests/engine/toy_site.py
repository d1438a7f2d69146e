"""A toy runbook planned from a site, for resuming after the site changed (issue 12, hazard 5):
one step per server of a rack, whose params carry what the site says of that server, then a
rack-wide report. Its ``replan`` is what ``i2 runs resume --replan`` calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lifecycle.engine import Plan, StepSpec
from lifecycle.runbooks.common import Services
from tests.engine.toy import build

RUNBOOK = "tests.engine.toy_site:build"
__all__ = ["RUNBOOK", "build", "replan", "site_plan"]


def site_plan(svc: Services, effects: str, rack: str = "c02", sleep: float = 0.0) -> Plan:
    servers = svc.site.servers_in(rack)
    p = {"sleep": [sleep, sleep]}
    steps = [StepSpec(key=f"{s.name}/setup", target=f"server:{s.name}", action="toy.step",
                      params={**p, "profile": s.hardware_profile, "role": s.role}) for s in servers]
    steps.append(StepSpec(key="report", target=f"rack:{rack}", action="toy.step", params=p,
                          after=[s.key for s in steps]))
    return Plan(kind="toy", target=f"rack:{rack}", site_digest=svc.site.digest, runbook=RUNBOOK,
                params={"site_dir": str(Path(svc.site_dir).resolve()), "effects": effects, "rack": rack,
                        "sleep": sleep},
                steps=steps)


def replan(svc: Services, run_params: Mapping[str, Any], old_steps: Sequence[Any]) -> Plan:
    return site_plan(svc, str(run_params["effects"]), str(run_params["rack"]), float(run_params["sleep"]))
