"""Each Ironic call i2 makes and the API version it needs (pure), checked against Ironic's own log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lifecycle.baremetal import Api, BaremetalError
from lifecycle.baremetal.features import FALLBACKS, FEATURES, supports, unsupported
from lifecycle.baremetal.releases import parse
from tests.unavailable import unavailable

ROOT = Path(__file__).resolve().parents[2]
# The words of the `# v1.N:` line in ironic/api/controllers/v1/versions.py for each feature.
IRONIC_SAYS = {
    "manage": "MANAGEABLE state", "node_by_name": "logical node names", "inspect": "INSPECT* states",
    "fields": "subset of resource fields", "enroll_state": "ENROLL state",
    "pxe_enabled": "port.pxe_enabled", "network_interface": "node.network_interface",
    "resource_class": "node.resource_class", "hardware_interfaces": "dynamic interfaces fields",
    "traits": "node traits", "automated_clean": "automated_clean", "owner": "Add owner to the node",
    "inventory": "node inventory", "agent_inspection": "continue inspection",
}


def versions_py() -> str:
    found = sorted(ROOT.glob(".venv-ironic/lib/python3*/site-packages/ironic/api/controllers/v1/versions.py"))
    if not found:
        unavailable("no .venv-ironic (scripts/lib/ironic-venv.sh installs it)")
    return found[0].read_text()


def test_every_feature_is_the_version_ironic_logged_it_at():
    log = dict(re.findall(r"^# v(1\.\d+): (.*)$", versions_py(), re.M))
    assert set(IRONIC_SAYS) == set(FEATURES)
    wrong = {f: (FEATURES[f].version, log.get(FEATURES[f].version)) for f, words in IRONIC_SAYS.items()
             if words not in log.get(FEATURES[f].version, "")}
    assert wrong == {}


def test_supports():
    assert supports("1.58", "traits") and not supports("1.22", "traits")
    assert supports("1.22", "node_by_name") and supports("1.22", "resource_class")
    assert not supports("1.58", "inventory") and supports(None, "inventory")
    assert all(parse(f.version) for f in FEATURES.values()) and set(FALLBACKS) <= set(FEATURES)


def api(version: str, release: str | None, inspector: str | None = None) -> Api:
    return Api("uc-old", release, None, "1.1", version, None, version, "keystone", inspector)


def test_a_refusal_names_undercloud_release_feature_and_version():
    with pytest.raises(BaremetalError) as exc:
        api("1.22", "newton").require("hardware_interfaces", "c01-s01")
    assert exc.value.node == "c01-s01" and not exc.value.transient
    assert exc.value.message.startswith("uc-old runs newton (Ironic API 1.22): node hardware interfaces")
    assert "needs API 1.31" in exc.value.message
    assert unsupported("uc", None, "1.46", "automated_clean") == \
        "uc's Ironic (Ironic API 1.46): node automated_clean needs API 1.47"


def test_inspection_path():
    assert api("1.58", "train", "https://uc:13050").inspection == "inspector"
    assert api("1.115", "current").inspection == "agent"
    assert api("1.58", "train").inspection == "none"  # no inspector in the catalog, no agent inspection
    assert api("1.58", "train", "https://uc:13050").as_dict()["inspection"] == "inspector"
