"""What the twin undercloud has of TripleO: the templates package, the Heat interpreter that
validates plans, role definitions and Ironic's capabilities strings.

The tree is the one ``scripts/lib/tht.sh`` unpacks (``$I2_THT_CACHE``, else ``.cache/tht``) and
the interpreter its ``.venv-heat`` (``$I2_HEAT_VENV``): the same environment variables, so i2's
own checks and the twin's undercloud always read the one 11.6.0 tree.

Ironic keeps a node's capabilities as one ``key:value,key:value`` string; Nova's scheduler and
TripleO's profile matching split it the same way:

>>> parse_capabilities("node:computenuage-0,profile:compute,boot_mode:uefi")
{'node': 'computenuage-0', 'profile': 'compute', 'boot_mode': 'uefi'}
>>> parse_capabilities({"profile": "compute"}), parse_capabilities(None), parse_capabilities("junk")
({'profile': 'compute'}, {}, {})
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

# Where the openstack-tripleo-heat-templates package puts the templates on an undercloud.
UNDERCLOUD_THT = "/usr/share/openstack-tripleo-heat-templates"
THT_RELEASE = "tripleo-heat-templates-11.6.0"  # Train, as scripts/lib/tht.sh pins it
_CHECKOUT = Path(__file__).resolve().parents[3]


def tht_cache() -> Path:
    return Path(os.environ.get("I2_THT_CACHE") or _CHECKOUT / ".cache" / "tht")


def tht_tree() -> Path:
    """The unpacked templates the undercloud's ``UNDERCLOUD_THT`` stands for."""
    return tht_cache() / THT_RELEASE


def plans_cache() -> Path:
    """Where rendered plans are kept between deploys (a writable place, like the tree's)."""
    return Path(os.environ.get("I2_THT_WORK") or tht_cache()) / "twin-plans"


def heat_python() -> Path:
    return Path(os.environ.get("I2_HEAT_VENV") or _CHECKOUT / ".venv-heat") / "bin" / "python"


def missing() -> str | None:
    """What is missing for the undercloud to process plans, or None."""
    if not (tht_tree() / "overcloud.j2.yaml").is_file():
        return f"{tht_tree()} is missing (run bash scripts/lib/tht.sh)"
    if not heat_python().is_file():
        return f"{heat_python()} is missing (run bash scripts/lib/tht.sh)"
    return None


def parse_capabilities(value: str | dict[str, Any] | None) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    pairs = (item.split(":", 1) for item in (value or "").split(",") if ":" in item)
    return {k.strip(): v.strip() for k, v in pairs if k.strip()}


def role_definition(tree: Path, name: str) -> dict[str, Any]:
    """The role as ``openstack overcloud roles generate`` starts it: THT's ``roles/<name>.yaml``;
    a custom role (``ComputeNuage``) is an operator's copy of the THT role its name starts with,
    renamed, so it has that role's services and THT's default hostname format for its name."""
    roles = tree / "roles"
    own = roles / f"{name}.yaml"
    if own.is_file():
        return _first(own)
    bases = sorted((p.stem for p in roles.glob("*.yaml") if name.startswith(p.stem)), key=len)
    if not bases:
        raise FileNotFoundError(f"no role in {roles} that {name} could be copied from")
    role = _first(roles / f"{bases[-1]}.yaml")
    role.pop("HostnameFormatDefault", None)  # overcloud.j2.yaml's default: %stackname%-<name>-%index%
    return {**role, "name": name}


def _first(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    return dict(data[0]) if isinstance(data, list) and data and isinstance(data[0], dict) else {}
