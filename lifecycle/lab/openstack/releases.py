"""What differs between the OpenStack releases the twin plays: API version ranges.

Checked against the projects' sources: Nova Newton's max microversion is 2.38 and Train's 2.79
(nova/api/openstack/api_version_request.py); Cinder Newton's is 3.15 and Train's 3.59
(cinder/api/openstack/api_version_request.py); Keystone Newton serves identity v3.7, Train v3.13.
Glance's newest v2 minor is 2.4 in Newton (13.0) and 2.9 in Train (19.0).

>>> release("train").nova_max, release("newton").cinder_max
((2, 79), (3, 15))
"""

from __future__ import annotations

from dataclasses import dataclass

Version = tuple[int, int]


@dataclass(frozen=True)
class ReleaseFacts:
    name: str
    nova_max: Version
    cinder_max: Version
    keystone: str  # identity v3 minor, as the version document shows it
    glance_max: Version
    nova_min: Version = (2, 1)
    cinder_min: Version = (3, 0)

    def glance_versions(self) -> list[Version]:
        return [(2, m) for m in range(self.glance_max[1], -1, -1)]


RELEASES = {
    "newton": ReleaseFacts("newton", nova_max=(2, 38), cinder_max=(3, 15), keystone="3.7", glance_max=(2, 4)),
    "ocata": ReleaseFacts("ocata", nova_max=(2, 42), cinder_max=(3, 27), keystone="3.8", glance_max=(2, 5)),
    "pike": ReleaseFacts("pike", nova_max=(2, 53), cinder_max=(3, 40), keystone="3.8", glance_max=(2, 6)),
    "queens": ReleaseFacts(
        "queens", nova_max=(2, 60), cinder_max=(3, 50), keystone="3.10", glance_max=(2, 6)
    ),
    "rocky": ReleaseFacts("rocky", nova_max=(2, 65), cinder_max=(3, 55), keystone="3.10", glance_max=(2, 7)),
    "stein": ReleaseFacts("stein", nova_max=(2, 72), cinder_max=(3, 59), keystone="3.12", glance_max=(2, 9)),
    "train": ReleaseFacts("train", nova_max=(2, 79), cinder_max=(3, 59), keystone="3.13", glance_max=(2, 9)),
    "wallaby": ReleaseFacts(
        "wallaby", nova_max=(2, 88), cinder_max=(3, 64), keystone="3.14", glance_max=(2, 12)
    ),
}


def release(name: str) -> ReleaseFacts:
    try:
        return RELEASES[name]
    except KeyError:
        raise ValueError(f"unknown OpenStack release {name!r} (known: {', '.join(RELEASES)})") from None


def fmt(v: Version) -> str:
    return f"{v[0]}.{v[1]}"
