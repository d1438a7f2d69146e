"""Compare what in-band inspection found with the hardware profile and the cabling plan (pure).

A server whose inventory or LLDP neighbours differ is quarantined by the rack runbook before it
is provided; each finding names the server, what was expected and what was seen.

>>> ports = [PortSpec("nic1", "94:40:c9:03:03:01", True, "c02-leaf1", "Ethernet3")]
>>> inventory = {"interfaces": [{"name": "eno1", "mac_address": "94:40:C9:03:03:01"}]}
>>> lldp = {"parsed_lldp": {"eno1": {"switch_system_name": "c02-leaf1.ie1.example.net",
...                                  "switch_port_id": "Ethernet4"}}}
>>> cabling_findings("c02-s03", ports, inventory, lldp)
['c02-s03 nic1 (94:40:c9:03:03:01): LLDP sees c02-leaf1 Ethernet4, the cabling plan says c02-leaf1 Ethernet3']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lifecycle.baremetal.spec import PortSpec
from lifecycle.model.hardware import HardwareProfile

GiB = 1024**3


def _close(found: float, expected: float, rel: float = 0.02, absolute: float = 1.0) -> bool:
    return abs(found - expected) <= max(absolute, rel * expected)


def _short(name: str | None) -> str:
    """LLDP system names may be FQDNs; the site uses host names."""
    return (name or "").split(".", 1)[0]


def hardware_findings(server: str, profile: HardwareProfile, inventory: dict[str, Any]) -> list[str]:
    """CPU count and architecture, memory, and the logical disks against ``profile.inventory``."""
    want = profile.inventory
    out: list[str] = []
    cpu = inventory.get("cpu") or {}
    if cpu.get("count") != want.cpus:
        out.append(f"{server}: {cpu.get('count')} CPUs found, profile {profile.name} says {want.cpus}")
    if cpu.get("architecture") and cpu.get("architecture") != want.cpu_arch:
        out.append(f"{server}: CPU architecture {cpu.get('architecture')}, profile says {want.cpu_arch}")
    mem = (inventory.get("memory") or {}).get("physical_mb")
    if mem is None or not _close(mem, want.memory_mb, rel=0.01):
        out.append(f"{server}: {mem} MB memory found, profile {profile.name} says {want.memory_mb} MB")
    expected = sorted((d.size_gb, d.rotational) for d in want.disks for _ in range(d.count))
    found = sorted((round(d.get("size", 0) / GiB), bool(d.get("rotational")))
                   for d in inventory.get("disks") or [])
    if len(found) != len(expected) or not all(
            _close(f[0], e[0]) and f[1] == e[1] for f, e in zip(found, expected, strict=False)):
        def fmt(disks: Iterable[tuple[int, bool]]) -> str:
            return ", ".join(f"{g} GiB {'HDD' if r else 'SSD'}" for g, r in disks) or "none"
        out.append(f"{server}: disks found [{fmt(found)}], profile {profile.name} says [{fmt(expected)}]")
    return out


def cabling_findings(server: str, ports: list[PortSpec], inventory: dict[str, Any],
                     plugin_data: dict[str, Any]) -> list[str]:
    """Each NIC's MAC must be seen, and its LLDP neighbour must be the planned switch port."""
    by_mac = {str(i.get("mac_address", "")).lower(): i for i in inventory.get("interfaces") or []}
    lldp = plugin_data.get("parsed_lldp") or {}
    out: list[str] = []
    for port in ports:
        iface = by_mac.get(port.mac)
        if iface is None:
            out.append(f"{server} {port.nic} ({port.mac}): no interface with this MAC was inspected")
            continue
        if port.switch is None:
            continue
        seen = lldp.get(iface.get("name")) or {}
        sw, sp = _short(seen.get("switch_system_name")), seen.get("switch_port_id")
        if not sw and not sp:
            out.append(f"{server} {port.nic} ({port.mac}): no LLDP neighbour seen, "
                       f"the cabling plan says {port.switch} {port.switch_port}")
        elif (sw, sp) != (port.switch, port.switch_port):
            out.append(f"{server} {port.nic} ({port.mac}): LLDP sees {sw} {sp}, "
                       f"the cabling plan says {port.switch} {port.switch_port}")
    return out


def inventory_findings(server: str, profile: HardwareProfile, ports: list[PortSpec],
                       inventory: dict[str, Any], plugin_data: dict[str, Any]) -> list[str]:
    return [*hardware_findings(server, profile, inventory),
            *cabling_findings(server, ports, inventory, plugin_data)]
