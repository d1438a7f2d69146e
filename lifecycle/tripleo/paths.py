"""Where the real TripleO templates and the Heat virtualenv live (made by scripts/lib/tht.sh)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = Path(__file__).resolve().with_name("templates")  # package data: installed too
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "lib" / "tht.sh"
THT_VERSION = "11.6.0"
# Where the templates are on an undercloud (the openstack-tripleo-heat-templates package).
UNDERCLOUD_THT = "/usr/share/openstack-tripleo-heat-templates"


def tht_cache() -> Path:
    """``$I2_THT_CACHE`` if set, else ``.cache/tht`` at the repository root."""
    return Path(os.environ.get("I2_THT_CACHE") or REPO_ROOT / ".cache" / "tht")


def work_cache() -> Path:
    """Processed trees and Heat's per-template results (``$I2_THT_WORK``, else the THT cache)."""
    return Path(os.environ.get("I2_THT_WORK") or tht_cache())


def tht_tree() -> Path:
    """The unpacked tripleo-heat-templates 11.6.0 sdist (Train)."""
    return tht_cache() / f"tripleo-heat-templates-{THT_VERSION}"


def heat_venv() -> Path:
    """``$I2_HEAT_VENV`` if set, else ``.venv-heat`` at the repository root."""
    return Path(os.environ.get("I2_HEAT_VENV") or REPO_ROOT / ".venv-heat")


def tht_ready(tree: Path | None = None) -> bool:
    return ((tree or tht_tree()) / "overcloud.j2.yaml").is_file()


def venv_ready(venv: Path | None = None) -> bool:
    """True when the venv has Heat and tripleoclient installed by scripts/lib/tht.sh."""
    return ((venv or heat_venv()) / ".i2-heat-installed").is_file()


def missing_message() -> str:
    """What to run when the tree or the venv is missing."""
    return (f"the TripleO Train templates or the Heat venv are missing ({tht_tree()}, {heat_venv()}): "
            f"run bash {INSTALL_SCRIPT.relative_to(REPO_ROOT)}")
