"""The twin undercloud's plan processing, run by the .venv-heat interpreter as a script (it needs
Heat and heatclient, which live there alone; nothing imports it).

What a Train undercloud does with ``openstack overcloud deploy``'s files before Heat starts:

1. THT's ``tools/process-templates.py`` renders the ``*.j2.yaml`` of the tree for the roles and
   networks files (tripleo-common does it on plan upload); a plan rendered before for the same
   files is reused.
2. heatclient gathers the templates and environments the way tripleoclient makes it gather a
   plan's: every path is the undercloud's, fetched through an object-request function (here from
   the rendered tree and the undercloud's filesystem instead of Swift).
3. Heat validates the operator's own templates (NIC configs), then the whole stack with every
   nested stack, as its engine does before an update.

JSON request on stdin (see lifecycle/lab/undercloud/heatcheck.py), JSON on stdout:
``{"errors": [{"file": ..., "message": ...}], "processed": <rendered tree or null>}``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

# Heat on a TripleO undercloud: THT nests deeper than Heat's default of 5 stacks.
UNDERCLOUD_HEAT_CONF = {"max_nested_stack_depth": 7, "max_resources_per_stack": -1}
# What the undercloud's Keystone catalog lists (Heat checks a resource's service is there).
CATALOG = ("identity", "orchestration", "compute", "network", "image", "volumev3", "object-store",
           "baremetal", "placement", "workflow", "messaging", "key-manager")
KEEP_PLANS = 6


def render_plan(req: dict[str, Any]) -> tuple[Path | None, str]:
    """THT's process-templates on the tree (output beside it); (rendered tree, its error)."""
    roles, networks = Path(req["roles_data"]), Path(req["network_data"])
    digest = hashlib.sha256(Path(req["tht"]).name.encode() + b"\0" + roles.read_bytes()
                            + b"\0" + networks.read_bytes()).hexdigest()[:16]
    cache = Path(req["cache"])
    plan = cache / digest
    if (plan / "overcloud.yaml").is_file():
        os.utime(plan)
        return plan, ""
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".rendering-", dir=cache))
    try:
        proc = subprocess.run([sys.executable, str(Path(req["tht"]) / "tools" / "process-templates.py"),
                               "-p", req["tht"], "-r", str(roles), "-n", str(networks),
                               "-o", str(scratch / "plan")], capture_output=True, text=True, check=False)
        if proc.returncode:
            said = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
            error = next((ln for ln in said if ln.startswith("Error rendering")), said[-1] if said else "")
            return None, error.replace(str(scratch / "plan") + "/", "") or f"exit {proc.returncode}"
        with contextlib.suppress(OSError):  # another deploy rendered the same plan meanwhile
            (scratch / "plan").rename(plan)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    old = sorted((p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")),
                 key=lambda p: p.stat().st_mtime)
    for stale in old[:-KEEP_PLANS]:
        shutil.rmtree(stale, ignore_errors=True)
    return plan, ""


class Plan:
    """The undercloud's paths, read from the rendered tree or the undercloud's filesystem."""

    def __init__(self, templates: str, rendered: Path, root: Path) -> None:
        self.templates = templates.rstrip("/") + "/"
        self.rendered = rendered
        self.root = root

    def local(self, url_or_path: str) -> Path:
        path = url_or_path.removeprefix("file://")
        if path.startswith(self.templates):
            return self.rendered / path[len(self.templates):]
        return self.root / os.path.normpath(path).lstrip("/")

    def request(self, method: str, url: str) -> bytes:
        """heatclient's object_request: what tripleoclient gives it for a plan's objects."""
        try:
            return self.local(url).read_bytes()
        except OSError as exc:
            raise OSError(f"Could not fetch contents for {url}: {exc.strerror}") from None


def start_heat() -> None:
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    from heat.common import config, messaging  # noqa: F401 - config registers Heat's options
    from heat.db import migration
    from oslo_config import cfg

    cfg.CONF([], project="heat", default_config_files=[])
    cfg.CONF.set_override("connection", "sqlite://", group="database")
    for key, value in UNDERCLOUD_HEAT_CONF.items():
        cfg.CONF.set_override(key, value)
    messaging.setup("fake://")
    migration.db_sync()


def admin_context() -> Any:
    """The undercloud admin's request context, its token carrying the catalog."""
    from heat.common import context

    endpoint = "http://192.168.24.2:13000"  # never called: Heat only looks the services up
    entries = [{"id": kind, "type": kind, "name": kind,
                "endpoints": [{"id": f"{kind}-{face}", "interface": face, "region": "regionOne",
                               "url": endpoint} for face in ("public", "internal", "admin")]}
               for kind in CATALOG]
    admin = {"id": "admin", "name": "admin", "domain": {"id": "default", "name": "Default"}}
    token = {"token": {"methods": ["password"], "user": admin, "roles": [{"id": "admin", "name": "admin"}],
                       "project": {**admin, "name": "admin"}, "catalog": entries,
                       "issued_at": "2020-01-01T00:00:00.000000Z",
                       "expires_at": "2999-01-01T00:00:00.000000Z"}}
    return context.RequestContext(auth_token="undercloud", auth_token_info=token, auth_url=f"{endpoint}/v3",
                                  user_id="admin", project_id="admin", is_admin=True)


def template_error(text: str) -> str:
    """Heat's verdict on one template (``openstack orchestration template validate``)."""
    from heat.common import template_format
    from heat.engine import template

    try:
        tmpl = template.Template(template_format.parse(text))
        tmpl.validate()
        tmpl.parameters(None, {}).validate(validate_value=False)
    except Exception as exc:  # Heat's errors have no common base
        return str(exc)
    return ""


def stack_error(plan: Plan, environments: list[str]) -> tuple[str, str]:
    """(file, error) of gathering and validating the whole stack; ("", "") when Heat accepts it."""
    from heat.engine import service
    from heatclient.common import template_utils

    env: dict[str, Any] = {}
    files: dict[str, str] = {}
    for path in [plan.templates + "overcloud-resource-registry-puppet.yaml", *environments]:
        try:
            got, data = template_utils.process_multiple_environments_and_files(
                env_paths=[f"file://{path}"], env_path_is_object=lambda _: True,
                object_request=plan.request)
        except Exception as exc:
            return path, str(exc)
        files.update(got)
        template_utils.deep_update(env, data)
    top = f"file://{plan.templates}overcloud.yaml"
    try:
        got, tmpl = template_utils.get_template_contents(template_object=top, object_request=plan.request)
    except Exception as exc:
        return top[len("file://"):], str(exc)
    files.update(got)
    engine = service.EngineService("undercloud", "engine")
    try:
        result = engine.validate_template(admin_context(), tmpl, params=env, files=files,
                                          show_nested=True, ignorable_errors=["99001"])
    except Exception as exc:  # the RPC layer wraps the engine's error
        info = getattr(exc, "exc_info", None)
        result = {"Error": str(info[1] if info else exc)}
    if isinstance(result, dict) and result.get("Error"):
        return "", f"Failed to validate: {result['Error']}"
    return "", ""


def run(req: dict[str, Any]) -> dict[str, Any]:
    rendered, error = render_plan(req)
    if rendered is None:
        return {"errors": [{"file": req["roles_label"], "message": error}], "processed": None}
    plan = Plan(req["templates"], rendered, Path(req["root"]))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        start_heat()
        errors = []
        for path in req["hot_templates"]:
            problem = template_error(plan.local(path).read_text())
            if problem:
                errors.append({"file": os.path.relpath(path, req["own_dir"]), "message": problem})
        if not errors:
            where, problem = stack_error(plan, req["environments"])
            if problem:
                errors.append({"file": where, "message": problem})
    return {"errors": errors, "processed": str(rendered)}


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
