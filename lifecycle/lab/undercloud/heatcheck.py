"""The twin undercloud's plan check: THT's process-templates and Heat's validation on the uploaded
files, in the .venv-heat interpreter (lifecycle/lab/undercloud/heat_plan.py), and what the
undercloud prints when they refuse a deploy.

>>> print("\\n".join(refusal({"errors": [{"file": "nic-configs/compute.yaml",
...                                        "message": "The template version is invalid"}]})))
ERROR: nic-configs/compute.yaml: The template version is invalid
ERROR: Heat Stack validation failed: the deployment was not started
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from lifecycle.lab.undercloud.tht import heat_python, missing, plans_cache, tht_tree

SCRIPT = Path(__file__).with_name("heat_plan.py")
TIMEOUT = 600.0  # a first render of the plan and Heat's whole-stack validation take minutes on 2 cores


def check_plan(req: dict[str, Any]) -> dict[str, Any]:
    """``{"errors": [...], "processed": <rendered tree>}`` for a request of DeployFiles.request()."""
    lacking = missing()
    if lacking:
        return {"errors": [{"file": "", "message": f"cannot process templates: {lacking}"}]}
    req = {**req, "tht": str(tht_tree()), "cache": str(plans_cache())}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    try:
        proc = subprocess.run([str(heat_python()), str(SCRIPT)], input=json.dumps(req), text=True,
                              capture_output=True, env=env, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return {"errors": [{"file": "", "message": f"Heat did not answer within {TIMEOUT:.0f} s"}]}
    try:
        return json.loads(proc.stdout)
    except ValueError:
        said = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
        return {"errors": [{"file": "", "message": f"plan processing failed (exit {proc.returncode}): "
                                                   + " / ".join(said)}]}


def refusal(result: dict[str, Any]) -> list[str]:
    """tripleoclient's lines for a plan Heat refuses; none when it accepts the plan."""
    errors = result.get("errors") or []
    if not errors:
        return []
    lines = [f"ERROR: {e['file']}: {e['message']}" if e.get("file") else f"ERROR: {e['message']}"
             for e in errors]
    return [*lines, "ERROR: Heat Stack validation failed: the deployment was not started"]
