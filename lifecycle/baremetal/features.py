"""Each Ironic call i2 makes and the Bare Metal API version that brought it (pure).

Versions from Ironic's own log of API changes (``ironic/api/controllers/v1/versions.py``, the
``# v1.N:`` comments, and ``webapi-version-history.rst``). A call the negotiated version lacks
is either done the way that release does it (see :data:`FALLBACKS`) or refused naming the
undercloud, its release, the feature and the version it needs:

>>> print(unsupported("uc-old", "newton", "1.22", "hardware_interfaces"))
uc-old runs newton (Ironic API 1.22): node hardware interfaces (boot_interface,
management_interface, ...) needs API 1.31; the release has no redfish hardware type either:
enroll these servers in a newer undercloud
>>> supports("1.58", "traits"), supports("1.22", "traits"), supports(None, "inventory")
(True, False, True)
"""

from __future__ import annotations

from dataclasses import dataclass

from lifecycle.baremetal.releases import newer


@dataclass(frozen=True)
class Feature:
    version: str
    what: str
    hint: str = ""


FEATURES: dict[str, Feature] = {
    "manage": Feature("1.4", "the manage provision verb (MANAGEABLE state)"),
    "node_by_name": Feature("1.5", "nodes addressed by name"),
    "inspect": Feature("1.6", "the inspect provision verb"),
    "fields": Feature("1.8", "listing a subset of node fields"),
    "enroll_state": Feature("1.11", "nodes created in the enroll state"),
    "pxe_enabled": Feature("1.19", "port pxe_enabled and local_link_connection"),
    "network_interface": Feature("1.20", "node network_interface"),
    "resource_class": Feature("1.21", "node resource_class"),
    "hardware_interfaces": Feature("1.31", "node hardware interfaces (boot_interface, "
                                   "management_interface, ...)",
                                   "the release has no redfish hardware type either: enroll these "
                                   "servers in a newer undercloud"),
    "traits": Feature("1.37", "node traits"),
    "automated_clean": Feature("1.47", "node automated_clean"),
    "owner": Feature("1.50", "node owner"),
    "inventory": Feature("1.81", "node inventory (GET /v1/nodes/{node}/inventory)",
                         "this release inspects through ironic-inspector: the undercloud's "
                         "Keystone catalog must list baremetal-introspection"),
    "agent_inspection": Feature("1.84", "in-band inspection by Ironic itself (agent inspect "
                                "interface, /v1/continue_inspection)",
                                "this release inspects through ironic-inspector: the undercloud's "
                                "Keystone catalog must list baremetal-introspection"),
}

# What i2 does instead where the release lacks a feature (the rest is refused).
FALLBACKS: dict[str, str] = {
    "automated_clean": "not set on the node: the undercloud's [conductor]automated_clean applies "
                       "(OSP 10 undercloud default: true, so provide cleans the node)",
    "fields": "nodes listed in full",
}


def supports(version: str | None, feature: str) -> bool:
    """Whether API ``version`` has ``feature`` (None: not negotiated, no limit known)."""
    return version is None or not newer(FEATURES[feature].version, version)


def unsupported(undercloud: str, release: str | None, version: str, feature: str, *,
                capped: bool = False) -> str:
    """The refusal for ``feature`` at ``version``: undercloud, release, feature, version needed.
    ``capped``: the endpoints file's ``api_version`` set that version."""
    f = FEATURES[feature]
    where = f"{undercloud} runs {release}" if release else f"{undercloud}'s Ironic"
    cap = ", the endpoints file's api_version cap" if capped else ""
    text = f"{where} (Ironic API {version}{cap}): {f.what} needs API {f.version}"
    return f"{text}; {f.hint}" if f.hint else text
