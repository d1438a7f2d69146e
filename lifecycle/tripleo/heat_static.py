"""The Heat runner's static checks: THT's process-templates, then registry, services, parameters.

Runs in .venv-heat only, as part of :mod:`heat_runner` (imports Heat lazily, inside functions).
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

TEMPLATE_SUFFIXES = (".yaml", ".template")
KEEP_PROCESSED = 6


class Findings:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, check: str, file: str, parameter: str, message: str) -> None:
        self.items.append({"check": check, "file": file, "parameter": parameter, "message": message})


def parse_template(path: Path) -> Any:
    """Heat's own YAML loader (libyaml alone refuses some THT templates Heat accepts)."""
    from heat.common import config as heat_config  # noqa: F401 - registers max_template_size
    from heat.common import template_format

    return template_format.parse(path.read_text())


def parse_environment(path: Path) -> Any:
    from heat.common import environment_format

    return environment_format.parse(path.read_text())


# --- (a) process-templates --------------------------------------------------------------------


def process_templates(req: dict[str, Any], findings: Findings) -> Path | None:
    """THT's own renderer on a copy of the tree (its -o), cached per roles/network data."""
    tht = Path(req["tht"])
    roles, networks = Path(req["roles_data"]), Path(req["network_data"])
    key = hashlib.sha256(b"\0".join([tht.name.encode(), roles.read_bytes(), networks.read_bytes()]))
    cache = Path(req["processed_root"])
    target = cache / key.hexdigest()[:20]
    if (target / "overcloud.yaml").is_file():
        os.utime(target)
        return target
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tmp-", dir=cache))
    out = work / "tree"
    proc = subprocess.run(
        [sys.executable, str(tht / "tools" / "process-templates.py"), "-p", str(tht),
         "-r", str(roles.resolve()), "-n", str(networks.resolve()), "-o", str(out)],
        capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        text = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        last = text[-1] if text else f"exit {proc.returncode}"
        rendering = next((ln for ln in reversed(proc.stdout.splitlines())
                          if ln.startswith("Error rendering template")), None)
        file, parameter = _blame_inputs(last + " " + (rendering or ""), req)
        message = (rendering or last).replace(f"{out}/", "")
        findings.add("process-templates", file, parameter, f"tools/process-templates.py failed: {message}")
        return None
    with contextlib.suppress(OSError):  # a concurrent run made it first
        out.rename(target)
    shutil.rmtree(work, ignore_errors=True)
    olds = sorted((p for p in cache.iterdir() if p.is_dir() and not p.name.startswith("tmp-")),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in olds[KEEP_PROCESSED:]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def _blame_inputs(text: str, req: dict[str, Any]) -> tuple[str, str]:
    m = re.search(r"'([A-Za-z_]+)'", text)
    parameter = m.group(1) if m else ""
    net_words = ("network", "name_lower", "ip_subnet", "allocation_pools", "vlan")
    if any(w in text for w in net_words):
        return req["labels"]["network_data"], parameter
    return req["labels"]["roles_data"], parameter


# --- registry, reachability, parameters, services ---------------------------------------------


def _is_path(value: Any) -> bool:
    return isinstance(value, str) and "::" not in value


def merged_registry(tree: Path, envs: list[dict[str, Any]], findings: Findings
                    ) -> tuple[dict[str, str], list[tuple[dict[str, Any], dict[str, Any]]]]:
    """Resource registry after every environment, paths made absolute as heatclient does;
    check (c): every target file exists."""
    registry: dict[str, str] = {}
    parsed = []
    root = {"path": str(tree / "overcloud-resource-registry-puppet.yaml"),
            "label": "overcloud-resource-registry-puppet.yaml", "operator": False}
    for env in [root, *envs]:
        path = Path(env["path"])
        try:
            data = parse_environment(path) or {}
        except (OSError, ValueError, yaml.YAMLError) as exc:
            findings.add("heat", env["label"], "", f"cannot read environment: {exc}")
            continue
        if not isinstance(data, dict):
            findings.add("heat", env["label"], "", "an environment file must be a mapping")
            continue
        parsed.append((env, data))
        rr = data.get("resource_registry") or {}
        base = Path(rr.get("base_url", path.parent)) if isinstance(rr, dict) else path.parent
        for key, value in (rr.items() if isinstance(rr, dict) else []):
            if key in ("base_url", "resources", "hooks", "restricted_actions") or isinstance(value, dict):
                continue
            if _is_path(value):
                target = Path(value) if os.path.isabs(value) else (base / value)
                target = Path(os.path.normpath(target))
                if not target.is_file():
                    findings.add("registry", env["label"], key,
                                 f"resource_registry maps {key} to {value}, which is not a file of "
                                 f"the rendered tree")
                registry[key] = str(target)
            else:
                registry[key] = str(value)
    return registry, parsed


def resolve_type(rtype: str, base: Path, registry: dict[str, str]) -> Path | None:
    seen = 0
    while seen < 10:
        seen += 1
        if rtype.endswith(TEMPLATE_SUFFIXES) and "::" not in rtype:
            p = Path(rtype) if os.path.isabs(rtype) else base / rtype
            return Path(os.path.normpath(p))
        if rtype in registry:
            target = registry[rtype]
            if _is_path(target):
                return Path(target)
            rtype = target
            continue
        return None
    return None


def _resource_types(resource: Any) -> list[str]:
    if not isinstance(resource, dict):
        return []
    out = []
    rtype = resource.get("type")
    if isinstance(rtype, str):
        out.append(rtype)
    props = resource.get("properties") or {}
    if isinstance(props, dict):
        rdef = props.get("resource_def")
        if isinstance(rdef, dict) and isinstance(rdef.get("type"), str):
            out.append(rdef["type"])
        chain = props.get("resources")
        if rtype == "OS::Heat::ResourceChain" and isinstance(chain, list):
            out += [c for c in chain if isinstance(c, str)]
    return out


def reachable(tree: Path, registry: dict[str, str], roles: list[dict[str, Any]],
              extra: list[Path]) -> dict[Path, dict[str, Any]]:
    """Every template the deploy can instantiate: overcloud.yaml, what its resources' types
    resolve to through the registry, recursively, plus every role's services."""
    start = [tree / "overcloud.yaml", *extra]
    for role in roles:
        for svc in role.get("ServicesDefault") or []:
            p = resolve_type(svc, tree, registry)
            if p is not None:
                start.append(p)
    seen: dict[Path, dict[str, Any]] = {}
    todo = list(start)
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        try:
            tpl = parse_template(path)
        except (OSError, ValueError, yaml.YAMLError):
            tpl = None  # the heat check reports it
        seen[path] = tpl if isinstance(tpl, dict) else {}
        resources = seen[path].get("resources") or {}
        for res in (resources.values() if isinstance(resources, dict) else []):
            for rtype in _resource_types(res):
                p = resolve_type(rtype, path.parent, registry)
                if p is not None and p not in seen:
                    todo.append(p)
    return seen


def check_parameters(parsed: list[tuple[dict[str, Any], dict[str, Any]]],
                     templates: dict[Path, dict[str, Any]], findings: Findings) -> int:
    declared: set[str] = set()
    for tpl in templates.values():
        params = tpl.get("parameters") or {}
        if isinstance(params, dict):
            declared.update(params)
    for env, data in parsed:
        if not env.get("operator"):
            continue
        defaults = data.get("parameter_defaults") or {}
        for key in (defaults if isinstance(defaults, dict) else {}):
            if key in declared:
                continue
            close = difflib.get_close_matches(key, declared, n=1, cutoff=0.85)
            hint = f" (did you mean {close[0]}?)" if close else ""
            findings.add("parameters", env["label"], key,
                         f"parameter_defaults {key} is declared by no template the deploy uses: "
                         f"Heat would drop it silently{hint}")
    return len(declared)


def check_services(roles: list[dict[str, Any]], registry: dict[str, str], label: str,
                   findings: Findings) -> None:
    for role in roles:
        for svc in role.get("ServicesDefault") or []:
            if svc not in registry:
                findings.add("services", label, f"{role.get('name')}: {svc}",
                             f"role {role.get('name')} runs {svc}, which no resource_registry maps "
                             "(to a template or OS::Heat::None)")

