"""Validate a rendered overcloud against the real Train templates with the real OpenStack code.

Checks (each finding names the file and the parameter):

``process-templates``  THT's tools/process-templates.py renders a copy of the 11.6.0 tree with the
                       rendered roles_data.yaml and network_data.yaml.
``parameters``         every parameter_defaults key i2's files set is declared by a template the
                       deploy reaches (Heat silently drops the others, tripleoclient says nothing).
``registry``           every resource_registry target file exists.
``services``           every service of every role is mapped (to a template or OS::Heat::None).
``placement``          counts, HostnameMap, <Role>IPs, ports and scheduler hints agree with each
                       other (and with the Ironic nodes' node:<role>-N tags when given); the
                       members are the first <Role>Count indices not in <Role>RemovalPolicies.
``heat``               Heat's own parser on every template the deploy uses, then Heat's stack
                       validation of the whole deploy with every nested stack (offline).
``instackenv``         tripleoclient's ``overcloud node import --validate-only`` code.
``secrets``            secret parameters only in secrets.yaml, and that file 0600.

The ``process-templates``, ``parameters``, ``registry``, ``services``, ``heat`` and ``instackenv``
checks run in .venv-heat (lifecycle/tripleo/heat_runner.py, JSON in and out); the others here.

Example (needs the THT tree and .venv-heat of ``scripts/lib/tht.sh``)::

    report = validate_rendered(Path("out"))
    [f.message for f in report.errors]          # []

A finding names the file and the parameter:

>>> print(Finding("placement", "node-info.yaml", "ComputeCount", "role Compute has no node count"))
node-info.yaml: ComputeCount: role Compute has no node count
"""

from __future__ import annotations

import ipaddress
import json
import os
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lifecycle.model.endpoints import Endpoints, SecretStore
from lifecycle.model.schema import Site
from lifecycle.redact import Redactor
from lifecycle.tripleo.paths import (
    REPO_ROOT,
    heat_venv,
    missing_message,
    tht_ready,
    tht_tree,
    venv_ready,
    work_cache,
)
from lifecycle.tripleo.render import (
    SECRET_PARAMETERS,
    SECRETS_FILE,
    Rendered,
    RenderError,
    group_members,
    hostname,
    load_manifest,
    render_overcloud,
)

RUNNER = Path(__file__).with_name("heat_runner.py")
RUNNER_TIMEOUT = 600.0


@dataclass(frozen=True)
class Finding:
    check: str
    file: str
    parameter: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}: {self.parameter}" if self.parameter else self.file
        return f"{where}: {self.message}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "findings": [asdict(f) for f in self.findings],
                "timings": {k: round(v, 3) for k, v in self.timings.items()}, "stats": self.stats}


class ValidationUnavailable(Exception):
    """The THT tree or .venv-heat is missing, or the runner itself broke (not a finding)."""


def _load(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return None


def _defaults(out: Path, name: str) -> dict[str, Any]:
    data = _load(out / name)
    pd = data.get("parameter_defaults") if isinstance(data, dict) else None
    return pd if isinstance(pd, dict) else {}


# --- placement (e) --------------------------------------------------------------------------


def _role_nets(role: Mapping[str, Any]) -> list[str]:
    nets = role.get("networks") or []
    return list(nets)


def _removed(policies: Any) -> list[int]:
    """The indices ``<Role>RemovalPolicies`` lists (``[{resource_list: ['6', '7']}]``)."""
    out = []
    for p in policies if isinstance(policies, list) else []:
        for item in (p.get("resource_list") or []) if isinstance(p, dict) else []:
            if str(item).isdigit():
                out.append(int(item))
    return out


def check_placement(out: Path, manifest: Mapping[str, Any],
                    ironic_nodes: Mapping[str, Mapping[int, str]] | None = None) -> list[Finding]:
    """Counts, HostnameMap, <Role>IPs, port registry and scheduler hints agree (and with Ironic)."""
    found: list[Finding] = []

    def add(file: str, parameter: str, message: str) -> None:
        found.append(Finding("placement", file, parameter, message))

    roles = _load(out / "roles_data.yaml") or []
    networks = {n["name"]: n for n in (_load(out / "network_data.yaml") or [])
                if isinstance(n, dict) and "name" in n}
    info = _defaults(out, "node-info.yaml")
    hints = _defaults(out, "scheduler-hints.yaml")
    ipdata = _load(out / "ips-from-pool.yaml") or {}
    ips = ipdata.get("parameter_defaults") or {} if isinstance(ipdata, dict) else {}
    registry = ipdata.get("resource_registry") or {} if isinstance(ipdata, dict) else {}
    hostmap = hints.get("HostnameMap") or {}
    stack = manifest.get("stack", "overcloud")
    owners: dict[tuple[str, str], str] = {}
    for key, value in ips.items():
        if key.endswith("VirtualFixedIPs") and isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict) and entry.get("ip_address"):
                    owners.setdefault(("*", str(entry["ip_address"])), key)
    for role in roles:
        if not isinstance(role, dict) or "name" not in role:
            continue
        name = role["name"]
        count = info.get(f"{name}Count")
        if not isinstance(count, int) or count < 0:
            add("node-info.yaml", f"{name}Count", f"role {name} has no node count (got {count!r})")
            continue
        fmt = info.get(f"{name}HostnameFormat") or role.get("HostnameFormatDefault") or \
            f"%stackname%-{name.lower()}-%index%"
        want_hint = {"capabilities:node": f"{name.lower()}-%index%"}
        if hints.get(f"{name}SchedulerHints") != want_hint:
            add("scheduler-hints.yaml", f"{name}SchedulerHints",
                f"must be {want_hint} so node N of {name} lands on the Ironic node tagged "
                f"node:{name.lower()}-N (got {hints.get(f'{name}SchedulerHints')!r})")
        tagged = (ironic_nodes or {}).get(name)
        members = group_members(count, _removed(info.get(f"{name}RemovalPolicies")))
        for i in members:
            host = hostname(fmt, stack, i)
            if host not in hostmap:
                add("scheduler-hints.yaml", f"HostnameMap[{host}]",
                    f"{name} node {i} ({host}) has no entry: {name}Count is {count} but the map "
                    f"names fewer {name} nodes")
            if tagged is not None:
                node = tagged.get(i)
                if node is None:
                    add("scheduler-hints.yaml", f"{name}SchedulerHints",
                        f"no Ironic node is tagged node:{name.lower()}-{i}, so {name} node {i} "
                        f"({host}) cannot be scheduled ({name}Count is {count})")
                elif host in hostmap and hostmap[host] != node:
                    add("scheduler-hints.yaml", f"HostnameMap[{host}]",
                        f"names {hostmap[host]} but the Ironic node tagged "
                        f"node:{name.lower()}-{i} is {node}")
        role_ips = ips.get(f"{name}IPs")
        for net_name in _role_nets(role):
            net = networks.get(net_name)
            if net is None:
                continue
            lower = net.get("name_lower") or net_name.lower()
            port_key = f"OS::TripleO::{name}::Ports::{net_name}Port"
            target = str(registry.get(port_key, ""))
            if not target.endswith(f"/{lower}_from_pool.yaml"):
                add("ips-from-pool.yaml", port_key,
                    f"must map to network/ports/{lower}_from_pool.yaml or {name}IPs is ignored "
                    f"(got {target or 'nothing'})")
            listed = role_ips.get(lower) if isinstance(role_ips, dict) else None
            need = members[-1] + 1 if members else 0  # <Role>IPs is indexed by member index
            if not isinstance(listed, list) or len(listed) < need:
                have = len(listed) if isinstance(listed, list) else 0
                add("ips-from-pool.yaml", f"{name}IPs.{lower}",
                    f"has {have} address(es) for {count} {name} node(s)"
                    + (f" up to index {need - 1}" if need != count else ""))
                continue
            found.extend(_check_addresses(name, lower, listed, net, owners))
    return found


def _check_addresses(role: str, lower: str, listed: list[Any], net: Mapping[str, Any],
                     owners: dict[tuple[str, str], str]) -> list[Finding]:
    out: list[Finding] = []
    try:
        cidr = ipaddress.ip_network(str(net.get("ip_subnet")))
    except ValueError:
        return out
    pools = []
    for p in net.get("allocation_pools") or []:
        try:
            pools.append((ipaddress.ip_address(p["start"]), ipaddress.ip_address(p["end"])))
        except (KeyError, TypeError, ValueError):
            continue
    gateway = net.get("gateway_ip")
    for i, raw in enumerate(listed):
        param = f"{role}IPs.{lower}[{i}]"
        try:
            ip = ipaddress.ip_address(str(raw))
        except ValueError:
            out.append(Finding("placement", "ips-from-pool.yaml", param, f"{raw!r} is not an address"))
            continue
        if ip not in cidr:
            out.append(Finding("placement", "ips-from-pool.yaml", param, f"{ip} is outside {cidr}"))
        elif pools and not any(a <= ip <= b for a, b in pools):
            out.append(Finding("placement", "ips-from-pool.yaml", param,
                               f"{ip} is outside the allocation pools of {net.get('name')}"))
        if gateway and str(ip) == str(gateway):
            out.append(Finding("placement", "ips-from-pool.yaml", param, f"{ip} is the gateway"))
        key = ("*", str(ip))
        if key in owners:
            out.append(Finding("placement", "ips-from-pool.yaml", param,
                               f"{ip} is also {owners[key]}"))
        else:
            owners[key] = param
    return out


# --- secrets, Nuage -------------------------------------------------------------------------


def check_secrets(out: Path, manifest: Mapping[str, Any]) -> list[Finding]:
    found = []
    for name in manifest.get("operator_files", []):
        if name == SECRETS_FILE:
            continue
        for key in _defaults(out, name):
            if key in SECRET_PARAMETERS:
                found.append(Finding("secrets", name, key,
                                     f"{key} is a secret: it belongs in {SECRETS_FILE} (0600) only"))
    path = out / SECRETS_FILE
    if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
        found.append(Finding("secrets", SECRETS_FILE, "",
                             f"mode {oct(stat.S_IMODE(path.stat().st_mode))}: must be readable by "
                             "its owner only (0600)"))
    nuage = _defaults(out, "nuage.yaml") if "nuage.yaml" in manifest.get("operator_files", []) else None
    if nuage is not None and not nuage.get("NeutronNuageCMSId"):
        found.append(Finding("nuage", "nuage.yaml", "NeutronNuageCMSId",
                             "not set: pass --cms-id with the id VSD gave this cloud's CMS "
                             "(the Nuage plugin refuses to start without it)", "warning"))
    return found


# --- runner -----------------------------------------------------------------------------------


def run_heat_checks(out: Path, manifest: Mapping[str, Any], *, instackenv: Path | None = None,
                    tht: Path | None = None, venv: Path | None = None,
                    errors_before: bool = False) -> dict[str, Any]:
    tree = Path(tht) if tht else tht_tree()
    python = (Path(venv) if venv else heat_venv()) / "bin" / "python"
    if not tht_ready(tree) or not python.exists() or not venv_ready(Path(venv) if venv else None):
        raise ValidationUnavailable(missing_message())
    with tempfile.TemporaryDirectory(prefix="i2-tht-") as work:
        req = {
            "tht": str(tree), "processed_root": str(work_cache() / "processed"),
            "heat_cache": str(work_cache() / "heat-validated.json"),
            "roles_data": str(out / manifest["roles_data"]),
            "network_data": str(out / manifest["network_data"]),
            "files_dir": str(out), "work": work, "templates_prefix": manifest["templates"],
            "remote_dir": manifest["remote_dir"], "environments": manifest["environments"],
            "hot_templates": manifest.get("hot_templates", []),
            "instackenv": str(instackenv) if instackenv else None,
            "errors_before": errors_before,
            "labels": {"roles_data": manifest["roles_data"], "network_data": manifest["network_data"],
                       "instackenv": instackenv.name if instackenv else ""},
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        try:
            proc = subprocess.run([str(python), str(RUNNER)], input=json.dumps(req), text=True,
                                  capture_output=True, timeout=RUNNER_TIMEOUT, env=env,
                                  cwd=str(REPO_ROOT), check=False)
        except subprocess.TimeoutExpired:
            raise ValidationUnavailable(f"the Heat runner took more than {RUNNER_TIMEOUT:.0f} s") from None
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise ValidationUnavailable(f"the Heat runner failed (exit {proc.returncode}): {tail}")
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise ValidationUnavailable(f"the Heat runner printed no JSON: {proc.stdout[-300:]}") from None


def validate_rendered(out_dir: str | Path, *, ironic_nodes: Mapping[str, Mapping[int, str]] | None = None,
                      instackenv: Path | None = None, tht: Path | None = None, venv: Path | None = None,
                      secrets: Iterable[str] = ()) -> Report:
    """Every check on the files ``render_overcloud`` wrote into ``out_dir`` (and an instackenv)."""
    out = Path(out_dir)
    manifest = load_manifest(out)
    report = Report()
    t0 = time.monotonic()
    report.findings += check_placement(out, manifest, ironic_nodes)
    report.findings += check_secrets(out, manifest)
    report.timings["placement_secrets"] = time.monotonic() - t0
    t0 = time.monotonic()
    result = run_heat_checks(out, manifest, instackenv=instackenv, tht=tht, venv=venv,
                             errors_before=any(f.severity == "error" for f in report.findings))
    report.timings["runner"] = time.monotonic() - t0
    report.timings.update({f"runner.{k}": v for k, v in result.get("timings", {}).items()})
    report.stats.update(result.get("stats", {}))
    report.findings += [Finding(**f) for f in result.get("findings", [])]
    redactor = Redactor(secrets)
    report.findings = [Finding(f.check, f.file, f.parameter, redactor.redact(f.message), f.severity)
                       for f in report.findings]
    return report


def validate_overcloud(site: Site, cloud_name: str, endpoints: Endpoints, out_dir: str | Path, *,
                       nodes: Mapping[str, Sequence[tuple[str, int]]] | None = None,
                       ironic_nodes: Mapping[str, Mapping[int, str]] | None = None,
                       cms_id: str | None = None, instackenv: Path | None = None,
                       tht: Path | None = None, venv: Path | None = None,
                       **render_options: Any) -> tuple[Rendered, Report]:
    """Render ``cloud_name`` into ``out_dir`` and validate it (and ``instackenv``, if given: the
    CLI passes the cloud's nodes as the baremetal adapter exports them)."""
    store = SecretStore(endpoints)
    rendered = render_overcloud(site, cloud_name, endpoints, out_dir, nodes=nodes, cms_id=cms_id,
                                tht=tht, secrets=store, **render_options)
    t0 = time.monotonic()
    report = validate_rendered(out_dir, ironic_nodes=ironic_nodes, instackenv=instackenv,
                               tht=tht, venv=venv, secrets=store.seen)
    report.timings["total"] = time.monotonic() - t0
    return rendered, report


__all__ = ["Finding", "RenderError", "Report", "ValidationUnavailable", "check_placement",
           "validate_overcloud", "validate_rendered"]
