"""Interface and VLAN names as EOS spells them: abbreviations, ranges, ordering, default ports.

EOS accepts ``et1``, ``Eth 1`` or ``ethernet1`` and always prints ``Ethernet1``; ranges such as
``Ethernet1-4`` or ``Et55/1,56/1`` enter several interfaces at once.

>>> canonical_interface("po1000"), canonical_interface("Vl4094")
('Port-Channel1000', 'Vlan4094')
>>> expand_interfaces("Et55/1,56/1")
['Ethernet55/1', 'Ethernet56/1']
>>> sorted(vlan_set("1-3,10")), vlan_text({1, 2, 3, 10})
([1, 2, 3, 10], '1-3,10')
"""

from __future__ import annotations

import re
from functools import cache

from lifecycle.model.catalog import SWITCH_MODELS

# Printed order of interface types in the running-config (Port-Channels come first on EOS).
INTERFACE_TYPES = ("Port-Channel", "Ethernet", "Loopback", "Management", "Tunnel", "Vlan", "Vxlan")
_TYPE_ALIASES = {
    "et": "Ethernet",
    "po": "Port-Channel",
    "lo": "Loopback",
    "ma": "Management",
    "vl": "Vlan",
    "vx": "Vxlan",
    "tu": "Tunnel",
}
_NAME_RX = re.compile(r"^([A-Za-z-]+)\s*(\d+(?:/\d+)*)$")
_VIRTUAL_PORTS = frozenset([f"Ethernet{i}" for i in range(1, 9)] + ["Management1"])


class BadName(ValueError):
    """Not an interface name EOS would accept."""


def interface_type(word: str) -> str | None:
    """The interface type an abbreviation names (``et``, ``Eth``, ``port-ch``), else None."""
    low = word.lower()
    if low[:2] in _TYPE_ALIASES and _TYPE_ALIASES[low[:2]].lower().startswith(low):
        return _TYPE_ALIASES[low[:2]]
    if low in _TYPE_ALIASES:
        return _TYPE_ALIASES[low]
    return None


def canonical_interface(text: str) -> str:
    """``et49/1`` -> ``Ethernet49/1``; raises :class:`BadName` for anything else."""
    m = _NAME_RX.match(text.strip())
    if not m or not (kind := interface_type(m.group(1))):
        raise BadName(text)
    return f"{kind}{m.group(2)}"


def expand_interfaces(text: str) -> list[str]:
    """A name, or a range/list of names (``Ethernet1-4``, ``Et1,Et3-5``, ``Ethernet55/1,56/1``)."""
    names: list[str] = []
    kind: str | None = None
    for part in text.replace(" ", "").split(","):
        m = re.match(r"^([A-Za-z-]*)(\d+(?:/\d+)*)(?:-(\d+))?$", part)
        if not m:
            raise BadName(text)
        if m.group(1):
            kind = interface_type(m.group(1))
        if not kind:
            raise BadName(text)
        head, _, last = m.group(2).rpartition("/")
        first = int(last)
        end = int(m.group(3)) if m.group(3) else first
        if end < first:
            raise BadName(text)
        prefix = f"{head}/" if head else ""
        names += [f"{kind}{prefix}{n}" for n in range(first, end + 1)]
    return names


def sort_key(name: str) -> tuple[int, tuple[int, ...], str]:
    """Order interfaces as EOS prints them: by type, then numerically (Ethernet2 < Ethernet10)."""
    m = _NAME_RX.match(name)
    if not m:
        return (len(INTERFACE_TYPES), (), name)
    kind = m.group(1)
    rank = INTERFACE_TYPES.index(kind) if kind in INTERFACE_TYPES else len(INTERFACE_TYPES)
    return (rank, tuple(int(x) for x in m.group(2).split("/")), name)


def short_name(name: str) -> str:
    """``Ethernet49/1`` -> ``Et49/1`` as the text tables print it."""
    for kind, short in (
        ("Port-Channel", "Po"),
        ("Ethernet", "Et"),
        ("Loopback", "Lo"),
        ("Management", "Ma"),
        ("Vlan", "Vl"),
        ("Vxlan", "Vx"),
    ):
        if name.startswith(kind):
            return short + name[len(kind) :]
    return name


@cache
def model_ports(model: str) -> frozenset[str]:
    """Every port name of a model (breakout lanes included); vEOS/CVX get Ethernet1-8."""
    return SWITCH_MODELS.get(model, _VIRTUAL_PORTS)


@cache
def default_interfaces(model: str) -> tuple[str, ...]:
    """The physical interfaces a fresh switch lists: QSFP ports as lane /1, modular ports whole."""
    ports = model_ports(model)
    shown = []
    for name in ports:
        parent, _, lane = name.rpartition("/")
        if not name.startswith("Ethernet") or not parent:
            shown.append(name)
        elif parent in ports:
            continue  # Ethernet3/1/2: a breakout lane of the whole port Ethernet3/1
        elif f"{name}/1" in ports or lane == "1":
            shown.append(name)  # a modular port, or lane 1 of a QSFP in 100G mode (Ethernet49/1)
    return tuple(sorted(shown, key=sort_key))


def vlan_set(text: str) -> set[int]:
    """``1-3,10`` -> {1, 2, 3, 10}; ``all`` is 1-4094, ``none`` is empty."""
    text = text.strip().lower()
    if text == "all":
        return set(range(1, 4095))
    if text == "none":
        return set()
    out: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise ValueError(f"bad VLAN list {text!r}")
        first, last = int(lo), int(hi or lo)
        if not 1 <= first <= last <= 4094:
            raise ValueError(f"bad VLAN list {text!r}")
        out.update(range(first, last + 1))
    return out


def vlan_text(vlans: set[int]) -> str:
    """The compact form EOS prints: ``1-3,10``."""
    if not vlans:
        return "none"
    if vlans == set(range(1, 4095)):
        return "1-4094"
    runs: list[str] = []
    ordered = sorted(vlans)
    start = prev = ordered[0]
    for v in [*ordered[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ",".join(runs)
