"""Hardware profile -> OneView server profile template (pure), and what differs from one.

>>> import copy
>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> site = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")  # the repository's
>>> profile = site.hardware_profiles["dl360g9-compute"]
>>> body = template_body(profile, name=template_name(profile), sht_uri="/rest/server-hardware-types/X",
...                      network_uris={"provisioning": "/rest/ethernet-networks/1",
...                                    "tenant-trunk": "/rest/network-sets/2"},
...                      baseline_uri="/rest/firmware-drivers/SPP_2022_09_0")
>>> body["name"], diff_template(body, body)
('i2-dl360g9-compute', [])
>>> current = copy.deepcopy(body)
>>> current["bios"]["overriddenSettings"][0]["value"] = "LowLatency"
>>> diff_template(current, body)
['bios.overriddenSettings.WorkloadProfile: LowLatency -> Virtualization-MaxPerformance']
"""

from __future__ import annotations

from typing import Any

from lifecycle.model.hardware import HardwareProfile

PREFIX = "i2-"


def template_name(profile: HardwareProfile) -> str:
    return f"{PREFIX}{profile.name}"


def template_body(profile: HardwareProfile, *, name: str, sht_uri: str, network_uris: dict[str, str],
                  baseline_uri: str | None) -> dict[str, Any]:
    """The server profile template i2 wants for ``profile``."""
    ports = {n.name: n.port_id for n in profile.nics}
    connections = []
    for c in profile.connections:
        if c.network not in network_uris:
            raise KeyError(f"hardware profile {profile.name}: OneView has no network {c.network!r}")
        connections.append({
            "id": c.id, "name": c.nic, "functionType": c.function_type, "portId": ports[c.nic],
            "networkUri": network_uris[c.network],
            "boot": {"priority": "Primary" if c.boot else "NotBootable"},
        })
    body: dict[str, Any] = {
        "name": name,
        "description": profile.description,
        "serverHardwareTypeUri": sht_uri,
        "bootMode": {"manageMode": True, "mode": profile.boot_mode, "pxeBootPolicy": "Auto"},
        "boot": {"manageBoot": True, "order": list(profile.boot_order)},
        "bios": {"manageBios": bool(profile.bios),
                 "overriddenSettings": [{"id": b.id, "value": b.value} for b in profile.bios]},
        "localStorage": {"controllers": [{
            "deviceSlot": "Embedded", "mode": "RAID", "initialize": True,
            "logicalDrives": [{"name": d.name, "raidLevel": d.raid_level, "bootable": d.bootable,
                               "numPhysicalDrives": d.num_physical_drives,
                               "driveTechnology": d.drive_technology} for d in profile.raid],
        }] if profile.raid else []},
        "connectionSettings": {"manageConnections": bool(connections), "connections": connections},
    }
    fw = profile.firmware
    if fw is not None and fw.manage:
        body["firmware"] = {"manageFirmware": True, "firmwareBaselineUri": baseline_uri,
                            "firmwareInstallType": fw.install_type, "forceInstallFirmware": False}
    else:
        body["firmware"] = {"manageFirmware": False}
    return body


def _settings(doc: dict[str, Any]) -> dict[str, str]:
    return {s.get("id"): s.get("value") for s in (doc.get("bios") or {}).get("overriddenSettings") or []}


def _drives(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    out = []
    for ctl in (doc.get("localStorage") or {}).get("controllers") or []:
        for d in ctl.get("logicalDrives") or []:
            out.append((d.get("name"), d.get("raidLevel"), bool(d.get("bootable")),
                        d.get("numPhysicalDrives"), d.get("driveTechnology")))
    return out


def _connections(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((c.get("id"), c.get("portId"), c.get("networkUri"), c.get("functionType"),
                   (c.get("boot") or {}).get("priority"))
                  for c in (doc.get("connectionSettings") or {}).get("connections") or [])


def diff_template(current: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """What differs in the fields i2 manages (empty: nothing to update)."""
    out = []
    if current.get("serverHardwareTypeUri") != desired.get("serverHardwareTypeUri"):
        out.append(f"serverHardwareTypeUri: {current.get('serverHardwareTypeUri')} -> "
                   f"{desired.get('serverHardwareTypeUri')}")
    if (current.get("description") or "") != (desired.get("description") or ""):
        out.append("description")
    cm, dm = current.get("bootMode") or {}, desired["bootMode"]
    if cm.get("mode") != dm["mode"] or bool(cm.get("manageMode")) != dm["manageMode"]:
        out.append(f"bootMode.mode: {cm.get('mode')} -> {dm['mode']}")
    if list((current.get("boot") or {}).get("order") or []) != desired["boot"]["order"]:
        out.append(f"boot.order: {(current.get('boot') or {}).get('order')} -> {desired['boot']['order']}")
    have, want = _settings(current), _settings(desired)
    for key in sorted(set(have) | set(want)):
        if have.get(key) != want.get(key):
            out.append(f"bios.overriddenSettings.{key}: {have.get(key)} -> {want.get(key)}")
    if bool((current.get("bios") or {}).get("manageBios")) != desired["bios"]["manageBios"]:
        out.append("bios.manageBios")
    if _drives(current) != _drives(desired):
        out.append(f"localStorage.logicalDrives: {_drives(current)} -> {_drives(desired)}")
    if _connections(current) != _connections(desired):
        out.append("connectionSettings.connections")
    cf, df = current.get("firmware") or {}, desired["firmware"]
    for key in ("manageFirmware", "firmwareBaselineUri", "firmwareInstallType"):
        if df.get(key) is not None and cf.get(key) != df.get(key):
            out.append(f"firmware.{key}: {cf.get(key)} -> {df.get(key)}")
    return out
