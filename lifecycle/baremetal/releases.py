"""Which Bare Metal API versions each OpenStack release's Ironic serves: i2's own table (pure).

An undercloud's release (the endpoints file's ``release``) bounds what i2 asks its Ironic for.
Where the numbers come from (Ironic's own history, not guessed):

- kilo … xena: ``doc/source/contributor/webapi-version-history.rst`` of the ironic 39.0.0 sdist
  on PyPI (each version is tagged with the cycle and Ironic release that introduced it); train's
  1.58 is also ``MINOR_MAX_VERSION`` in ironic 13.0.7's ``ironic/api/controllers/v1/versions.py``
  and ``RELEASE_MAPPING['train']`` of that release; newton's 1.22 is "1.22 (Newton, 6.1.0)", and
  ocata's first version 1.23 is "(Ocata, 7.0.0)".
- yoga … 2026.2: ``ironic/common/release_mappings.py`` of ironic 39.0 (``RELEASE_MAPPING['yoga']
  = RELEASE_MAPPING['20.1']`` … and that entry's ``'api'``).

Every release's minimum is 1.1 (1.0 is Juno's, unsupported since Kilo).

>>> release("train").api_max, release("newton").api_max
('1.58', '1.22')
>>> release("2023.2").name, release("current").name
('bobcat', '2026.2')
>>> release_for("1.87").name
'bobcat'
>>> newer("1.100", "1.99"), fmt(parse("1.58"))
(True, '1.58')
"""

from __future__ import annotations

from dataclasses import dataclass

Version = tuple[int, int]


def parse(text: str) -> Version:
    """``"1.58"`` -> ``(1, 58)``; ValueError otherwise."""
    major, sep, minor = str(text).strip().partition(".")
    if not sep or not major.isdigit() or not minor.isdigit():
        raise ValueError(f"not an API version (MAJOR.MINOR): {text!r}")
    return int(major), int(minor)


def fmt(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def newer(a: str, b: str) -> bool:
    """``a`` is a later API version than ``b`` (numerically: 1.100 > 1.99)."""
    return parse(a) > parse(b)


@dataclass(frozen=True)
class Release:
    name: str
    ironic: str  # the Ironic release series of that OpenStack release (for messages)
    api_max: str
    api_min: str = "1.1"
    aliases: tuple[str, ...] = ()


# Oldest first: the release after another starts where it ends.
RELEASES: tuple[Release, ...] = (
    Release("kilo", "2015.1", "1.6"),
    Release("liberty", "4.2", "1.14"),
    Release("mitaka", "5.1", "1.16"),
    Release("newton", "6.2", "1.22"),
    Release("ocata", "7.0", "1.31"),
    Release("pike", "9.1", "1.34"),
    Release("queens", "10.1", "1.38"),
    Release("rocky", "11.1", "1.46"),
    Release("stein", "12.1", "1.56"),
    Release("train", "13.0", "1.58"),
    Release("ussuri", "15.0", "1.65"),
    Release("victoria", "16.0", "1.68"),
    Release("wallaby", "17.0", "1.72"),
    Release("xena", "18.2", "1.78"),
    Release("yoga", "20.1", "1.78"),
    Release("zed", "21.1", "1.80"),
    Release("antelope", "21.4", "1.82", aliases=("2023.1",)),
    Release("bobcat", "23.0", "1.87", aliases=("2023.2",)),
    Release("caracal", "24.1", "1.90", aliases=("2024.1",)),
    Release("dalmatian", "26.1", "1.93", aliases=("2024.2",)),
    Release("epoxy", "29.0", "1.96", aliases=("2025.1",)),
    Release("flamingo", "32.0", "1.101", aliases=("2025.2",)),
    Release("gazpacho", "35.0", "1.111", aliases=("2026.1",)),
    # "current": the newest release in this table (the Ironic the twin runs when an undercloud
    # plays a current release).
    Release("2026.2", "39.0", "1.115", aliases=("current",)),
)

_BY_NAME = {n: r for r in RELEASES for n in (r.name, *r.aliases)}
NAMES: tuple[str, ...] = tuple(_BY_NAME)


def release(name: str) -> Release:
    """The release called ``name`` (or an alias: ``2023.2``, ``current``); KeyError naming the
    known ones otherwise."""
    try:
        return _BY_NAME[name.strip().lower()]
    except KeyError:
        raise KeyError(f"unknown OpenStack release {name!r} (i2 knows: {', '.join(NAMES)}; "
                       "lifecycle/baremetal/releases.py)") from None


def previous(rel: Release) -> Release | None:
    i = RELEASES.index(rel)
    return RELEASES[i - 1] if i else None


def release_for(api_max: str) -> Release | None:
    """The first release whose Ironic serves up to ``api_max`` (None: newer than the table)."""
    for rel in RELEASES:
        if not newer(api_max, rel.api_max):
            return rel
    return None


def serves(rel: Release, server_max: str) -> bool:
    """Whether an Ironic offering ``server_max`` is one of that release's: above the previous
    release's maximum, at most its own (an Ironic never serves more than its release had)."""
    before = previous(rel)
    return not newer(server_max, rel.api_max) and (before is None or newer(server_max, before.api_max)
                                                  or before.api_max == rel.api_max)
