"""Validate a rendered overcloud against the real TripleO Train tree with the real OpenStack code.

Executed as a script by the .venv-heat interpreter (scripts/lib/tht.sh); i2 never imports it (it
imports Heat, heatclient and tripleoclient, which live in .venv-heat alone). JSON request on
stdin, JSON ``{"findings": [...], "timings": {...}, "stats": {...}}`` on stdout. See
lifecycle/tripleo/validate.py for the request and for what each check means.

Checks here: ``process-templates`` (THT's tools/process-templates.py), ``registry`` (every
resource_registry target exists), ``services`` (every role's services are mapped),
``parameters`` (every operator parameter_defaults key is declared by a template the deploy
reaches), ``heat`` (Heat's parser and stack validation, in-process and offline) and
``instackenv`` (tripleoclient's ``overcloud node import --validate-only`` code).
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import yaml

HEAT_BUILTIN_PREFIXES = ("OS::Heat::", "OS::Neutron::", "OS::Nova::", "OS::Swift::", "OS::Keystone::",
                         "OS::Mistral::", "OS::Zaqar::", "OS::Glance::", "OS::Cinder::", "AWS::")
TEMPLATE_SUFFIXES = (".yaml", ".template")
KEEP_PROCESSED = 6
# Heat on a TripleO undercloud: nested stacks go deeper than Heat's default of 5.
HEAT_OPTIONS = {"max_nested_stack_depth": 7, "max_resources_per_stack": -1}
SERVICE_TYPES = ("network", "compute", "object-store", "orchestration", "identity", "volumev3",
                 "image", "baremetal", "workflow", "messaging", "placement", "key-manager")

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Findings:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, check: str, file: str, parameter: str, message: str) -> None:
        self.items.append({"check": check, "file": file, "parameter": parameter, "message": message})


def _load(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=_LOADER)


def _parse_template(path: Path) -> Any:
    """Heat's own YAML loader (libyaml alone refuses some THT templates Heat accepts)."""
    from heat.common import config as heat_config  # noqa: F401 - registers max_template_size
    from heat.common import template_format

    return template_format.parse(path.read_text())


def _parse_environment(path: Path) -> Any:
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
            data = _parse_environment(path) or {}
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
            tpl = _parse_template(path)
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


# --- (f) Heat -----------------------------------------------------------------------------------


def _quiet_heat() -> None:
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)


def heat_setup() -> Any:
    """Heat's config, a sqlite DB and the fake messaging transport, offline."""
    from heat.common import config as heat_config  # noqa: F401 - registers Heat's options
    from heat.common import messaging
    from oslo_config import cfg

    cfg.CONF([], project="heat", default_config_files=[])
    cfg.CONF.set_override("connection", "sqlite://", group="database")
    for name, value in HEAT_OPTIONS.items():
        cfg.CONF.set_override(name, value)
    messaging.setup("fake://")
    from heat.db import migration

    migration.db_sync()
    return cfg.CONF


def offline_context() -> Any:
    """A request context whose token carries a service catalog: Heat checks a resource type's
    service is in the catalog, nothing more, when it validates templates."""
    from heat.common import context

    url = "http://127.0.0.1:9"
    catalog = [{"type": t, "name": t, "id": t,
                "endpoints": [{"interface": i, "url": url, "region": "regionOne", "id": f"{t}-{i}"}
                              for i in ("public", "internal", "admin")]} for t in SERVICE_TYPES]
    domain = {"id": "default", "name": "Default"}
    token = {"token": {"methods": ["token"], "expires_at": "2099-01-01T00:00:00.000000Z",
                       "issued_at": "2020-01-01T00:00:00.000000Z",
                       "user": {"id": "i2", "name": "i2", "domain": domain},
                       "project": {"id": "i2", "name": "i2", "domain": domain},
                       "roles": [{"id": "admin", "name": "admin"}], "catalog": catalog}}
    return context.RequestContext(auth_token="offline", auth_token_info=token, auth_url=f"{url}/v3",
                                  project_id="i2", user_id="i2", is_admin=True)


def validate_files(files: list[tuple[Path, str]], cache_file: Path, findings: Findings) -> int:
    """Each template on its own: Heat's parser, sections and parameter schemata. Results are
    cached by content (the THT tree does not change between sites)."""
    from heat.common import template_format
    from heat.engine import template as templatem

    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    fresh = 0
    for path, label in files:
        try:
            text = path.read_text()
        except OSError as exc:
            findings.add("heat", label, "", f"cannot read: {exc.strerror}")
            continue
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest in cache:
            error = cache[digest]
        else:
            fresh += 1
            error = ""
            try:
                tpl = templatem.Template(template_format.parse(text))
                tpl.validate()
                tpl.param_schemata()
                tpl.parameters(None, {}).validate(validate_value=False)
            except Exception as exc:  # Heat raises many exception types for a bad template
                error = f"{type(exc).__name__}: {exc}"
            cache[digest] = error
        if error:
            m = re.search(r"Parameter '?([A-Za-z0-9_]+)'?", error) or re.search(r"section[^:]*: (\w+)", error)
            findings.add("heat", label, m.group(1) if m else "", f"Heat rejects the template: {error}")
    if fresh:
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache))
        tmp.replace(cache_file)
    return fresh


def validate_stack(tree: Path, env_paths: list[str], findings: Findings) -> dict[str, int]:
    """The whole deploy as `openstack orchestration template validate --show-nested` does it:
    heatclient gathers the files, Heat's engine merges the environments and validates the stack
    and every nested stack."""
    from heat.engine import service
    from heatclient.common import template_utils

    tfiles, template = template_utils.get_template_contents(template_file=str(tree / "overcloud.yaml"))
    efiles, env = template_utils.process_multiple_environments_and_files(env_paths=env_paths)
    files = {**tfiles, **efiles}
    engine = service.EngineService("localhost", "engine")
    try:
        result = engine.validate_template(offline_context(), template, params=env, files=files,
                                          show_nested=True, ignorable_errors=["99001"])
    except Exception as exc:  # the RPC layer wraps Heat's errors in ExpectedException
        inner = getattr(exc, "exc_info", None)
        real = inner[1] if inner else exc
        result = {"Error": f"{type(real).__name__}: {real}"}
    if isinstance(result, dict) and "Error" in result:
        error = str(result["Error"])
        m = re.search(r"(resources(?:\.|\[)[^:\s]+)", error)
        findings.add("heat", "overcloud.yaml (the whole stack)", m.group(1) if m else "",
                     f"Heat's stack validation fails: {error}")
        return {"files": len(files), "nested_stacks": 0}

    def count(nested: dict[str, Any]) -> int:
        return sum(1 + count(v.get("NestedParameters", {})) for v in nested.values())

    return {"files": len(files), "nested_stacks": count(result.get("NestedParameters", {}))}


# --- (g) instackenv -------------------------------------------------------------------------------


def check_instackenv(path: Path, label: str, findings: Findings) -> None:
    """What `openstack overcloud node import --validate-only FILE` runs."""
    from tripleo_common import exception as tc_exception
    from tripleoclient import exceptions as oc_exceptions
    from tripleoclient import utils as oooutils
    from tripleoclient.workflows import baremetal

    with open(path) as fh:
        try:
            nodes = oooutils.parse_env_file(fh)
        except (ValueError, oc_exceptions.InvalidConfiguration) as exc:
            findings.add("instackenv", label, "", f"cannot parse: {exc}")
            return
    names = [n.get("name", "") if isinstance(n, dict) else "" for n in nodes]
    try:
        baremetal.validate_nodes(None, nodes_json=nodes)
    except (tc_exception.InvalidNode, oc_exceptions.RegisterOrUpdateError) as exc:
        for line in str(exc).splitlines():
            m = re.match(r".*node #(\d+): (.*)", line)
            if m:
                i = int(m.group(1))
                who = f"nodes[{i}]" + (f" ({names[i]})" if i < len(names) and names[i] else "")
                findings.add("instackenv", label, who, m.group(2))
            elif line.strip():
                findings.add("instackenv", label, "", line.strip())


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
        _quiet_heat()
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
    _quiet_heat()
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
