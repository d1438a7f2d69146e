"""Validate a rendered overcloud against the real TripleO Train tree with the real OpenStack code.

Executed as a script by the .venv-heat interpreter (scripts/lib/tht.sh); i2 never imports it (it
imports Heat, heatclient and tripleoclient, which live in .venv-heat alone). JSON request on
stdin, JSON ``{"findings": [...], "timings": {...}, "stats": {...}}`` on stdout. See
lifecycle/tripleo/validate.py for the request and for what each check means.

Checks here: ``process-templates`` (THT's tools/process-templates.py), ``registry`` (every
resource_registry target exists), ``services`` (every role's services are mapped),
``parameters`` (every operator parameter_defaults key is declared by a template the deploy
reaches), ``heat`` (Heat's parser and stack validation, in-process and offline) and
``instackenv`` (tripleoclient's ``overcloud node import --validate-only`` code): the first four
in :mod:`heat_static`, the others in :mod:`heat_offline`. Run as a script, this directory is on
``sys.path`` (and the ``lifecycle`` package is not): the two come in by their bare names.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

if __package__:  # imported as lifecycle.tripleo.heat_runner (tests, tools)
    from lifecycle.tripleo.heat_offline import (
        check_instackenv,
        heat_setup,
        quiet_heat,
        validate_files,
        validate_stack,
    )
    from lifecycle.tripleo.heat_static import (
        Findings,
        check_parameters,
        check_services,
        merged_registry,
        process_templates,
        reachable,
    )
else:  # run by .venv-heat as a script
    from heat_offline import check_instackenv, heat_setup, quiet_heat, validate_files, validate_stack
    from heat_static import (
        Findings,
        check_parameters,
        check_services,
        merged_registry,
        process_templates,
        reachable,
    )

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=_LOADER)


# --- main -----------------------------------------------------------------------------------------


def localise(req: dict[str, Any], tree: Path) -> tuple[Path, list[dict[str, Any]], list[dict[str, Any]]]:
    """Copy the rendered files into a work dir with the undercloud's paths replaced by local ones
    (THT's -> the processed tree, the remote dir -> the work dir); the environments in deploy
    order, as local paths."""
    src, work = Path(req["files_dir"]), Path(req["work"])
    prefixes = {req["templates_prefix"].rstrip("/"): str(tree), req["remote_dir"].rstrip("/"): str(work)}
    for path in src.rglob("*.yaml"):
        text = path.read_text()
        for prefix, local in prefixes.items():
            text = text.replace(prefix + "/", local + "/")
        dest = work / path.relative_to(src)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)
    envs = []
    for env in req["environments"]:
        if "tht" in env:
            envs.append({"path": str(tree / env["tht"]), "label": env["tht"], "operator": False})
        elif "file" in env:
            envs.append({"path": str(work / env["file"]), "label": env["file"], "operator": True})
        else:
            path = env["path"]
            for prefix, local in prefixes.items():
                if path.startswith(prefix + "/"):
                    path = local + path[len(prefix):]
            envs.append({"path": path, "label": env["path"], "operator": True})
    hot = [{"path": str(work / t), "label": t} for t in req["hot_templates"]]
    return work, envs, hot


def run(req: dict[str, Any]) -> dict[str, Any]:
    findings = Findings()
    timings: dict[str, float] = {}
    stats: dict[str, int] = {}
    t0 = time.monotonic()
    if req.get("instackenv"):
        quiet_heat()
        check_instackenv(Path(req["instackenv"]), req["labels"]["instackenv"], findings)
        timings["instackenv"] = time.monotonic() - t0
    t0 = time.monotonic()
    tree = process_templates(req, findings)
    timings["process_templates"] = time.monotonic() - t0
    if tree is None:
        return {"findings": findings.items, "timings": timings, "stats": stats}
    t0 = time.monotonic()
    work, envs, hot = localise(req, tree)
    roles = _load(Path(req["roles_data"])) or []
    registry, parsed = merged_registry(tree, envs, findings)
    check_services(roles, registry, req["labels"]["roles_data"], findings)
    templates = reachable(tree, registry, roles, [Path(t["path"]) for t in hot])
    stats["templates"] = len(templates)
    stats["declared_parameters"] = check_parameters(parsed, templates, findings)
    timings["static_checks"] = time.monotonic() - t0
    t0 = time.monotonic()
    quiet_heat()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        heat_setup()
        labels = {Path(t["path"]): t["label"] for t in hot}
        files = [(p, labels.get(p) or _rel(p, tree)) for p in sorted(templates)]
        stats["validated_fresh"] = validate_files(files, Path(req["heat_cache"]), findings)
        timings["heat_templates"] = time.monotonic() - t0
        t0 = time.monotonic()
        # Heat's stack validation (the slowest check, ~40 % of the time) runs on a tree the
        # other checks passed: on one with errors it fails on them again, or on what follows.
        if not findings.items and not req.get("errors_before"):
            # Every role at count 1: each role's templates are validated once, count 0 or 900.
            counts = work / "i2-validation-counts.yaml"
            counts.write_text(yaml.safe_dump({"parameter_defaults": {
                f"{r['name']}Count": 1 for r in roles if isinstance(r, dict) and "name" in r}}))
            root = tree / "overcloud-resource-registry-puppet.yaml"
            env_paths = [str(root)] + [e["path"] for e in envs] + [str(counts)]
            stats.update(validate_stack(tree, env_paths, findings))
        timings["heat_stack"] = time.monotonic() - t0
    # The processed tree (a cache entry): the environments tripleoclient renders from *.j2.yaml.
    return {"findings": findings.items, "timings": timings, "stats": stats, "processed": str(tree)}


def _rel(path: Path, tree: Path) -> str:
    try:
        return str(path.relative_to(tree))
    except ValueError:
        return str(path)


def main() -> int:
    req = json.load(sys.stdin)
    out = run(req)
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
