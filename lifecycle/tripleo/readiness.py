"""Is an undercloud ready to deploy a first overcloud? What a build-out asks before it enrolls
anything: i2 does not install underclouds, it refuses to go on without one and says what is
missing.

Read over the undercloud's SSH (its host key verified by :meth:`Undercloud.connect`):

- ``/etc/rhosp-release``: the OSP release the director was installed from, which must be the
  site cloud's (``Red Hat OpenStack Platform release 16.2.4 (Train)``);
- the THT package's tree at ``/usr/share/openstack-tripleo-heat-templates`` (the deploy's
  ``--templates``);
- ``openstack stack list`` with ``~/stackrc``: the undercloud's own services answer, and whether
  the cloud's stack exists yet (reported, not a failure: a resumed build-out finds it).

The undercloud's Ironic (and, for Train, ironic-inspector) is the baremetal adapter's to check.

>>> release_of("Red Hat OpenStack Platform release 16.2.4 (Train)")
'train'
>>> release_of("Red Hat OpenStack Platform release 10.0.36 (Newton)")
'newton'
>>> release_of("CentOS Stream release 9") is None
True
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from lifecycle.tripleo.paths import UNDERCLOUD_THT
from lifecycle.tripleo.undercloud import Undercloud, UndercloudError

RELEASE_FILE = "/etc/rhosp-release"
_RELEASE = re.compile(r"release\s+([\d.]+)\s+\((\w+)\)", re.I)


@dataclass(frozen=True)
class Check:
    check: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def release_of(text: str) -> str | None:
    """The release name (lower case) in an ``/etc/rhosp-release`` line, or None."""
    m = _RELEASE.search(text)
    return m.group(2).lower() if m else None


def undercloud_checks(uc: Undercloud, *, release: str, stack: str) -> list[Check]:
    """The undercloud's release, THT tree and services, and whether ``stack`` exists yet.
    Raises :class:`UndercloudError` only when a command cannot be run at all."""
    out: list[Check] = []
    rc, text = uc.output(["cat", RELEASE_FILE], timeout=30)
    found = release_of(text) if rc == 0 else None
    if rc != 0:
        out.append(Check("release", False, f"no {RELEASE_FILE}: not an OSP director undercloud, or not "
                                           "installed yet"))
    elif found != release:
        out.append(Check("release", False, f"{RELEASE_FILE} says {text.strip()!r} ({found or 'unknown'}), "
                                           f"the site's cloud is {release}"))
    else:
        out.append(Check("release", True, text.strip()))
    rc, _ = uc.output(["test", "-d", UNDERCLOUD_THT], timeout=30)
    out.append(Check("tht", rc == 0, UNDERCLOUD_THT if rc == 0 else
                     f"{UNDERCLOUD_THT} is missing (install openstack-tripleo-heat-templates)"))
    rc, text = uc.output(["openstack", "stack", "list", "-f", "json"], timeout=120)
    if rc != 0:
        last = text.strip().splitlines()[-1:] or ["no output"]
        out.append(Check("services", False, f"openstack stack list failed ({rc}): {last[0]}"))
        return out
    try:
        stacks = {str(s.get("Stack Name")): str(s.get("Stack Status")) for s in json.loads(text or "[]")}
    except (ValueError, AttributeError):
        out.append(Check("services", False, f"openstack stack list answered no JSON: {text[:120]!r}"))
        return out
    out.append(Check("services", True, "Heat answers"))
    state = stacks.get(stack)
    out.append(Check("stack", True, f"{stack}: {state}" if state else f"{stack}: not deployed yet"))
    return out


def check_undercloud(uc: Undercloud, *, release: str, stack: str) -> list[Check]:
    """:func:`undercloud_checks`, a command that cannot run becoming a failed check."""
    try:
        return undercloud_checks(uc, release=release, stack=stack)
    except UndercloudError as exc:
        return [Check("ssh", False, exc.message)]
