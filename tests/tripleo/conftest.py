"""One rendered and validated ie1-new per session; the real THT tree and .venv-heat are required
(skipped on a developer machine without them, a failure under CI)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from lifecycle.model import load_site
from lifecycle.model.endpoints import load_endpoints
from lifecycle.tripleo.paths import INSTALL_SCRIPT, REPO_ROOT, tht_ready, venv_ready
from tests.unavailable import unavailable

SITE = REPO_ROOT / "examples" / "ie1"
CLOUD = "ie1-new"
BAD = REPO_ROOT / "tests" / "data" / "tripleo-bad"
VSD_PASSWORD = "vsd-Pa55-never-printed"
PURE_TOKEN = "pure-T0ken-never-printed"
PLUGIN_PASSWORD = "plugin-Pa55-never-printed"  # the cloud's own Nuage plugin user (vsd.plugins)
METADATA_SECRET = "metadata-s3cret-never-printed"
ENDPOINTS = """\
secrets_file: secrets.yaml
vsd:
  url: "https://vsd.ie1.example.net:8443"
  username: csproot
  password: {secret: vsd}
  plugins:
    ie1-new: {username: ie1-new-neutron, password: {secret: vsd-plugin-ie1-new},
              metadata_secret: {secret: nuage-metadata-ie1-new}}
pure: {url: "https://pure-ie1.example.net", api_token: {secret: pure}}
"""


def require_tht() -> None:
    if tht_ready() and venv_ready():
        return
    msg = f"no THT 11.6.0 tree or .venv-heat: run bash {INSTALL_SCRIPT.relative_to(REPO_ROOT)}"
    unavailable(msg)


@pytest.fixture(scope="session")
def site():
    return load_site(SITE)


@pytest.fixture(scope="session")
def endpoints_file(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("endpoints")
    (d / "endpoints.yaml").write_text(ENDPOINTS)
    (d / "secrets.yaml").write_text(yaml.safe_dump({"vsd": VSD_PASSWORD, "pure": PURE_TOKEN,
                                                    "vsd-plugin-ie1-new": PLUGIN_PASSWORD,
                                                    "nuage-metadata-ie1-new": METADATA_SECRET}))
    return d / "endpoints.yaml"


@pytest.fixture(scope="session")
def endpoints(endpoints_file):
    return load_endpoints(endpoints_file)


@pytest.fixture(scope="session")
def good(tmp_path_factory, site, endpoints):
    """ie1-new rendered (with a CMS id) and validated once; its instackenv beside it."""
    require_tht()
    from lifecycle.tripleo.validate import validate_overcloud

    d = tmp_path_factory.mktemp("ie1-new")
    out = d / "rendered"
    instackenv = d / "instackenv.json"
    write_instackenv(site, endpoints, instackenv)
    rendered, report = validate_overcloud(site, CLOUD, endpoints, out, instackenv=instackenv,
                                          cms_id="9f1c2d3e-0000-4000-8000-00000000ie1n")
    return rendered, report, instackenv


def write_instackenv(site, endpoints, path: Path) -> None:
    """The cloud's nodes as the baremetal adapter exports them (placeholder BMC passwords)."""
    from lifecycle.baremetal import instackenv, node_spec
    from lifecycle.baremetal.export import dump_instackenv
    from lifecycle.tripleo.render import default_nodes

    members = default_nodes(site, site.cloud(CLOUD))
    indices = {n: f"{role.lower()}-{i}" for role, m in members.items() for n, i in m}
    specs = [node_spec(site, s, redfish_address=f"https://{s.ilo}", redfish_system_id="/redfish/v1/Systems/1",
                       bmc_username="i2", bmc_password="<secret>", bmc_ca_file=None, macs={})
             for s in sorted((s for s in site.servers if s.cloud == CLOUD), key=lambda s: s.name)]
    path.write_text(dump_instackenv(instackenv(specs, node_indices=indices, include_secrets=False)))


def fixtures() -> list[str]:
    return sorted(p.name for p in BAD.iterdir() if (p / "fixture.yaml").is_file())


def load_fixture(name: str) -> dict[str, Any]:
    return yaml.safe_load((BAD / name / "fixture.yaml").read_text())


def copy_rendered(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, copy_function=shutil.copy2)
    return dest


def apply_edits(root: Path, edits: list[dict[str, Any]]) -> None:
    """A fixture's edits: ``replace: [old, new]`` on the text, or a ``path`` into the YAML/JSON
    document to ``value`` (set), ``delete`` or ``append`` to."""
    for edit in edits:
        path = root / edit["file"]
        if "replace" in edit:
            old, new = edit["replace"]
            text = path.read_text()
            assert old in text, f"{edit['file']}: {old!r} not found"
            path.write_text(text.replace(old, new, 1))
            continue
        doc = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
        *parents, last = edit["path"]
        node = doc
        for key in parents:
            node = node[key]
        if edit.get("delete"):
            del node[last]
        elif "append" in edit:
            node[last].append(edit["append"])
        else:
            node[last] = edit["value"]
        mode = path.stat().st_mode
        path.write_text(json.dumps(doc, indent=2) if path.suffix == ".json"
                        else yaml.safe_dump(doc, sort_keys=False))
        path.chmod(mode)
