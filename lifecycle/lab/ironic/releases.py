"""The Ironic (and ironic-inspector) releases a twin undercloud can play: the lab's own table.

Sources (read from the upstream trees, not from i2's product table, which the twin must not
import): the Bare Metal API range of each release is the ``api`` of the release's last entry in
``ironic/common/release_mappings.py`` and the release names in
``doc/source/contributor/webapi-version-history.rst`` of ironic 13.0.7 (Train): 1.22 Newton
(6.1/6.2), 1.31 Ocata (7.0), 1.34 Pike (9.0/9.1), 1.38 Queens (10.1), 1.46 Rocky (11.1),
1.56 Stein (12.1), 1.58 Train (12.2/13.0). Every release's minimum is 1.1. ironic-inspector's
API maximum for Train (9.2.x) is 1.15 (``CURRENT_API_VERSION`` in ``ironic_inspector/main.py``
of 9.2.4; minimum 1.0). Identity v3 minors are the ones lifecycle.lab.openstack.releases uses
for the clouds (lab code, so shared).

``current`` plays whatever the backend Ironic advertises (no cap, no inspector, agent
inspection as the real Ironic 39 does it).

>>> ironic_release("train").api_max, ironic_release("newton").api_max
((1, 58), (1, 22))
>>> ironic_release("current", backend_max=(1, 115)).api_max
(1, 115)
>>> ironic_release("train").inspect_to_backend("inspector")
'agent'
"""

from __future__ import annotations

from dataclasses import dataclass, field

Version = tuple[int, int]


@dataclass(frozen=True)
class IronicRelease:
    name: str
    api_max: Version
    identity: str  # Keystone v3 minor of that release's undercloud
    api_min: Version = (1, 1)
    inspector_max: Version | None = None  # None: no ironic-inspector in front of this undercloud
    inspector_min: Version = (1, 0)
    # inspect_interface values the release's undercloud enables (None: whatever the backend has);
    # ``inspect_backend`` maps a value the backend Ironic 39 no longer has onto the one it stands for.
    inspect_interfaces: tuple[str, ...] | None = None
    inspect_backend: dict[str, str] = field(default_factory=dict)

    @property
    def current(self) -> bool:
        return self.name == "current"

    def inspect_to_backend(self, value: str) -> str:
        return self.inspect_backend.get(value, value)

    def inspect_from_backend(self) -> dict[str, str]:
        return {v: k for k, v in self.inspect_backend.items()}


# TripleO Train enables inspector,no-inspect (IronicEnabledInspectInterfaces); Ironic 39 has no
# "inspector" interface: its in-band "agent" inspection is what replaced it, so the backend
# keeps "agent" where Train shows "inspector".
_TRAIN_INSPECT = ("inspector", "no-inspect")

RELEASES: dict[str, IronicRelease] = {
    "newton": IronicRelease("newton", (1, 22), "3.7"),
    "ocata": IronicRelease("ocata", (1, 31), "3.8"),
    "pike": IronicRelease("pike", (1, 34), "3.8"),
    "queens": IronicRelease("queens", (1, 38), "3.10"),
    "rocky": IronicRelease("rocky", (1, 46), "3.10"),
    "stein": IronicRelease("stein", (1, 56), "3.12"),
    "train": IronicRelease("train", (1, 58), "3.13", inspector_max=(1, 15),
                           inspect_interfaces=_TRAIN_INSPECT,
                           inspect_backend={"inspector": "agent"}),
}


def ironic_release(name: str, *, backend_max: Version = (1, 1)) -> IronicRelease:
    """The release ``name`` plays; ``current`` takes the backend's own maximum."""
    if name == "current":
        return IronicRelease("current", backend_max, "3.14")
    try:
        return RELEASES[name]
    except KeyError:
        raise ValueError(f"no Ironic release {name!r} in the twin's table "
                         f"(known: {', '.join([*RELEASES, 'current'])})") from None


def fmt(v: Version) -> str:
    return f"{v[0]}.{v[1]}"


def parse(text: str) -> Version | None:
    """``"1.58"`` -> (1, 58); anything else -> None."""
    major, dot, minor = text.strip().partition(".")
    if not dot or not major.isdigit() or not minor.isdigit():
        return None
    return int(major), int(minor)
