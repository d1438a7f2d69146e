"""Checks the appliance makes on a server profile (template) before accepting it: each managed
section against the server hardware type's capabilities, and every referenced resource exists.

A failure is a synchronous 400 with a OneView error body, as the appliance answers the POST/PUT
itself; only conditions that depend on the server (power, assignment) surface later, in the task.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from lifecycle.lab.oneview.catalog import (
    FIRMWARE_INSTALL_TYPES,
    RAID_EXACT_DRIVES,
    RAID_MIN_DRIVES,
    parse_port_id,
)
from lifecycle.lab.oneview.errors import bad_request

BOOT_PRIORITIES = ("Primary", "Secondary", "NotBootable", "IscsiPrimary", "IscsiSecondary",
                   "LoadBalanced")


def _section(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request("INVALID_REQUEST", f"The {key} section must be an object.")
    return value


def _list(section: dict[str, Any], key: str, where: str) -> list[Any]:
    value = section.get(key) or []
    if not isinstance(value, list):
        raise bad_request("INVALID_REQUEST", f"{where}.{key} must be a list.")
    return value


def validate_boot(body: dict[str, Any], sht: dict[str, Any]) -> None:
    boot_mode = _section(body, "bootMode")
    if boot_mode.get("manageMode"):
        mode = boot_mode.get("mode")
        if mode not in sht["bootModes"]:
            raise bad_request("INVALID_BOOT_MODE", f"The boot mode {mode!r} is not supported by the "
                              f"server hardware type {sht['name']}.",
                              f"Supported boot modes: {', '.join(sht['bootModes'])}.")
        policy = boot_mode.get("pxeBootPolicy")
        if policy is not None and policy not in sht["pxeBootPolicies"]:
            raise bad_request("INVALID_PXE_BOOT_POLICY", f"The PXE boot policy {policy!r} is not valid.")
    boot = _section(body, "boot")
    if boot.get("manageBoot"):
        order = _list(boot, "order", "boot")
        bad = [d for d in order if d not in sht["bootCapabilities"]]
        if bad or len(set(order)) != len(order):
            raise bad_request("INVALID_BOOT_ORDER", "The boot order is not valid for the server "
                              f"hardware type {sht['name']}.",
                              f"Order {order}; devices must be distinct and among "
                              f"{', '.join(sht['bootCapabilities'])}.")


def validate_bios(body: dict[str, Any], sht: dict[str, Any]) -> None:
    bios = _section(body, "bios")
    if not bios.get("manageBios"):
        return
    known = {s["id"]: s for s in sht["biosSettings"]}
    seen: set[str] = set()
    for item in _list(bios, "overriddenSettings", "bios"):
        sid = item.get("id") if isinstance(item, dict) else None
        if sid not in known or sid in seen:
            raise bad_request("INVALID_BIOS_SETTING", f"The BIOS setting {sid!r} is not valid for the "
                              f"server hardware type {sht['name']}.",
                              "Each overridden setting must be one of the type's biosSettings ids, "
                              "once.")
        seen.add(sid)
        options = [o["id"] for o in known[sid]["options"]]
        if str(item.get("value")) not in options:
            raise bad_request("INVALID_BIOS_SETTING_VALUE",
                              f"The value {item.get('value')!r} is not valid for the BIOS setting {sid}.",
                              f"Valid values: {', '.join(options)}.")


def validate_firmware(body: dict[str, Any], baselines: Collection[str]) -> None:
    fw = _section(body, "firmware")
    if not fw.get("manageFirmware"):
        return
    uri = fw.get("firmwareBaselineUri")
    if uri not in baselines:
        raise bad_request("FIRMWARE_BASELINE_NOT_FOUND",
                          f"The firmware baseline {uri!r} could not be found.", source=uri)
    install = fw.get("firmwareInstallType")
    if install is not None and install not in FIRMWARE_INSTALL_TYPES:
        raise bad_request("INVALID_FIRMWARE_INSTALL_TYPE", f"The firmware install type {install!r} is "
                          f"not valid.", f"Valid types: {', '.join(FIRMWARE_INSTALL_TYPES)}.")


def validate_storage(body: dict[str, Any], sht: dict[str, Any]) -> None:
    caps = sht["storageCapabilities"]
    storage = _section(body, "localStorage")
    for ctrl in _list(storage, "controllers", "localStorage"):
        slot = ctrl.get("deviceSlot")
        if slot != "Embedded":
            raise bad_request("INVALID_CONTROLLER_SLOT", f"There is no storage controller at device "
                              f"slot {slot!r} in the server hardware type {sht['name']}.",
                              "The only controller is the embedded Smart Array (deviceSlot Embedded).")
        mode = ctrl.get("mode", "RAID")
        drives = _list(ctrl, "logicalDrives", "localStorage.controllers")
        if mode not in caps["controllerModes"] or (mode == "HBA" and drives):
            raise bad_request("INVALID_CONTROLLER_MODE", f"The controller mode {mode!r} is not valid "
                              "here.", f"Modes: {', '.join(caps['controllerModes'])}; logical drives "
                              "need RAID mode.")
        total, names, bootable = 0, set(), 0
        for ld in drives:
            name, level = ld.get("name"), ld.get("raidLevel")
            if not name or name in names:
                raise bad_request("INVALID_LOGICAL_DRIVE_NAME",
                                  f"Logical drive names must be present and unique ({name!r}).")
            names.add(name)
            if level not in caps["raidLevels"]:
                raise bad_request("INVALID_RAID_LEVEL", f"The RAID level {level!r} of logical drive "
                                  f"{name} is not supported by the server hardware type {sht['name']}.",
                                  f"Supported RAID levels: {', '.join(caps['raidLevels'])}.")
            count = ld.get("numPhysicalDrives")
            if not isinstance(count, int) or count < RAID_MIN_DRIVES[level] or (
                    level in RAID_EXACT_DRIVES and count != RAID_EXACT_DRIVES[level]) or (
                    level == "RAID10" and count % 2):
                raise bad_request("INVALID_NUMBER_OF_DRIVES", f"{count!r} physical drives cannot make "
                                  f"a {level} logical drive ({name}).")
            tech = ld.get("driveTechnology")
            if tech is not None and tech not in caps["driveTechnologies"]:
                raise bad_request("INVALID_DRIVE_TECHNOLOGY", f"The drive technology {tech!r} is not "
                                  f"supported by the server hardware type {sht['name']}.",
                                  f"Supported: {', '.join(caps['driveTechnologies'])}.")
            total += count
            bootable += bool(ld.get("bootable"))
        if total > caps["maximumDrives"]:
            raise bad_request("TOO_MANY_DRIVES", f"The logical drives need {total} physical drives; the "
                              f"server hardware type {sht['name']} holds {caps['maximumDrives']}.")
        if bootable > 1:
            raise bad_request("MULTIPLE_BOOTABLE_LOGICAL_DRIVES", "Only one logical drive can be bootable.")


def sht_ports(sht: dict[str, Any]) -> set[tuple[str, int, int]]:
    return {(a["location"], a["deviceNumber"], p["number"]) for a in sht["adapters"] for p in a["ports"]}


def validate_connections(body: dict[str, Any], sht: dict[str, Any], networks: Collection[str]) -> None:
    settings = _section(body, "connectionSettings")
    if not settings.get("manageConnections"):
        return
    ports = sht_ports(sht)
    ids: set[Any] = set()
    used: set[str] = set()
    for conn in _list(settings, "connections", "connectionSettings"):
        cid = conn.get("id")
        if not isinstance(cid, int) or cid in ids:
            raise bad_request("INVALID_CONNECTION_ID", f"Connection ids must be unique integers ({cid!r}).")
        ids.add(cid)
        ftype = conn.get("functionType", "Ethernet")
        if ftype not in ("Ethernet", "FibreChannel", "iSCSI"):
            raise bad_request("INVALID_FUNCTION_TYPE",
                              f"Connection {cid}: function type {ftype!r} is not valid.")
        net = conn.get("networkUri")
        if net not in networks:
            raise bad_request("NETWORK_NOT_FOUND", f"Connection {cid}: the network {net!r} could not be "
                              "found.", source=net)
        port_id = conn.get("portId") or "Auto"
        if port_id not in ("Auto", "None"):
            ref = parse_port_id(port_id)
            if ref is None or (ref.location, ref.device, ref.port) not in ports:
                raise bad_request("INVALID_PORT_ID", f"Connection {cid}: the port {port_id!r} does not exist "
                                  f"on the server hardware type {sht['name']}.",
                                  "Ports: " + ", ".join(f"{loc} {d}:{p}" for loc, d, p in sorted(ports)))
            if port_id in used:
                raise bad_request("PORT_ALREADY_USED", f"Connection {cid}: port {port_id} is used by "
                                  "another connection.")
            used.add(port_id)
        priority = (conn.get("boot") or {}).get("priority", "NotBootable")
        if priority not in BOOT_PRIORITIES:
            raise bad_request("INVALID_BOOT_PRIORITY", f"Connection {cid}: boot priority {priority!r} is "
                              "not valid.")


def validate_sections(body: dict[str, Any], sht: dict[str, Any], *, networks: Collection[str],
                      baselines: Collection[str]) -> None:
    validate_boot(body, sht)
    validate_bios(body, sht)
    validate_firmware(body, baselines)
    validate_storage(body, sht)
    validate_connections(body, sht, networks)
