"""The Heat runner's Heat checks: Heat's parser and stack validation, offline, and tripleoclient's
``overcloud node import --validate-only``.

Runs in .venv-heat only, as part of :mod:`heat_runner` (imports Heat lazily, inside functions).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lifecycle.tripleo.heat_static import Findings

# Heat on a TripleO undercloud: nested stacks go deeper than Heat's default of 5.
HEAT_OPTIONS = {"max_nested_stack_depth": 7, "max_resources_per_stack": -1}
SERVICE_TYPES = ("network", "compute", "object-store", "orchestration", "identity", "volumev3",
                 "image", "baremetal", "workflow", "messaging", "placement", "key-manager")


# --- (f) Heat -----------------------------------------------------------------------------------


def quiet_heat() -> None:
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

