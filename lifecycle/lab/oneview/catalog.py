"""What the emulated appliance knows about ProLiant hardware: server hardware types (boot modes,
RAID, BIOS settings, adapters), model names, and the resource ``type`` of each API version.

The BIOS settings are the Gen9 RBSU attribute names the appliance uses as ids in a server
hardware type's ``biosSettings`` and in ``bios.overriddenSettings`` (e.g. ``IntelProcVtd``, not
``IntelVtd``). Values not verifiable against a live appliance (type suffixes per API version, part
numbers, ROM strings) are plausible, and only clients that should not depend on them see them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from lifecycle.lab.world import ServerSpec

_NS = uuid.UUID("0b6f3f0e-8d7c-4b43-9f0a-6c1a54f1c2d7")


def stable_id(kind: str, key: str) -> str:
    """Deterministic resource ids: the same world gives the same URIs on every start."""
    return str(uuid.uuid5(_NS, f"{kind}:{key}"))


# --- resource types by API version (floor lookup) --------------------------------------------
_TYPES: dict[str, dict[int, str]] = {
    "server-hardware": {0: "server-hardware-8", 1000: "server-hardware-9", 1200: "server-hardware-10",
                        1600: "server-hardware-11", 1800: "server-hardware-12"},
    "server-hardware-types": {0: "server-hardware-type-9", 1200: "server-hardware-type-10",
                              1600: "server-hardware-type-11", 1800: "server-hardware-type-12"},
    # Server profiles and templates: the same table as hpOneView 5.3.0's DEFAULT_VALUES.
    "server-profiles": {0: "ServerProfileV5", 300: "ServerProfileV6", 500: "ServerProfileV7",
                        600: "ServerProfileV8", 800: "ServerProfileV9", 1000: "ServerProfileV10",
                        1200: "ServerProfileV11", 1600: "ServerProfileV12"},
    "server-profile-templates": {0: "ServerProfileTemplateV1", 300: "ServerProfileTemplateV2",
                                 500: "ServerProfileTemplateV3", 600: "ServerProfileTemplateV4",
                                 800: "ServerProfileTemplateV5", 1000: "ServerProfileTemplateV6",
                                 1200: "ServerProfileTemplateV7", 1600: "ServerProfileTemplateV8"},
    "ethernet-networks": {0: "ethernet-networkV3", 300: "ethernet-networkV300", 600: "ethernet-networkV4"},
    "bulk-ethernet-networks": {0: "bulk-ethernet-network", 600: "bulk-ethernet-networkV1",
                               1200: "bulk-ethernet-networkV2"},
    "enclosure-groups": {0: "EnclosureGroupV7", 1200: "EnclosureGroupV8"},
    "firmware-drivers": {0: "firmware-baselines"},
    "tasks": {0: "TaskResourceV2"},
}
_LIST_TYPES: dict[str, str] = {
    "server-hardware": "server-hardware-list-{n}",
    "server-hardware-types": "server-hardware-type-list-{n}",
    "server-profiles": "ServerProfileListV{n}",
    "server-profile-templates": "ServerProfileTemplateListV{n}",
    "ethernet-networks": "NetworkCollectionV{n}",
    "enclosure-groups": "EnclosureGroupListV{n}",
    "firmware-drivers": "FirmwareDriverCollection",
    "tasks": "TaskResourceCollectionV2",
}


def resource_type(category: str, api: int) -> str:
    table = _TYPES[category]
    return table[max(v for v in table if v <= api)]


def list_type(category: str, api: int) -> str:
    digits = re.findall(r"\d+", resource_type(category, api))
    return _LIST_TYPES[category].format(n=digits[-1] if digits else "")


# --- firmware baselines (SPPs) -----------------------------------------------------------------
# SPP -> (Gen9 System ROM P89 component version, iLO 4 firmware) it carries.
_SPP_FIRMWARE = {"SPP 2022.09.0": ("2.80_10-16-2020", "2.78"), "SPP 2019.12.0": ("2.76_10-21-2019", "2.72"),
                 "SPP 2017.10.1": ("2.52_10-25-2017", "2.55")}
# ... and what the server reports once flashed with it (romVersion, mpFirmwareVersion).
_SPP_INSTALLED = {"SPP 2022.09.0": ("P89 v2.80 (10/16/2020)", "2.78 Apr 28 2021"),
                  "SPP 2019.12.0": ("P89 v2.76 (10/21/2019)", "2.72 Sep 04 2019"),
                  "SPP 2017.10.1": ("P89 v2.52 (10/25/2017)", "2.55 Aug 16 2017")}


def version_key(text: str) -> tuple[int, ...]:
    """``"P89 v2.40 (02/17/2017)"`` -> (2, 40): the first dotted number (ROM family first)."""
    m = re.search(r"(\d+(?:\.\d+)+)", text)
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()


def installed_by(baseline: str) -> tuple[str, str] | None:
    """(System ROM, iLO) strings a server reports after the baseline is installed, when known."""
    return _SPP_INSTALLED.get(baseline)


def baseline_components(name: str) -> list[dict[str, Any]]:
    """A firmware baseline's ``fwComponents`` (the ones a Gen9 DL server's inventory is compared with)."""
    if name not in _SPP_FIRMWARE:
        return []
    rom, ilo = _SPP_FIRMWARE[name]
    return [{"name": "Online ROM Flash Component for Linux - HPE ProLiant DL360/DL380 Gen9 (P89) Servers",
             "componentVersion": rom, "fileName": f"RPMS/x86_64/firmware-system-p89-{rom}.x86_64.rpm",
             "swKeyNameList": ["System ROM"]},
            {"name": "Online ROM Flash Component for Linux - HPE Integrated Lights-Out 4",
             "componentVersion": ilo, "fileName": f"RPMS/x86_64/firmware-ilo4-{ilo}.x86_64.rpm",
             "swKeyNameList": ["iLO"]}]


# --- BIOS (Gen9 RBSU) -------------------------------------------------------------------------
_ON_OFF = ("Enabled", "Disabled")
# id -> (display name, category, options, default)
BIOS_SETTINGS: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "WorkloadProfile": ("Workload Profile", "Power and Performance Options", (
        "GeneralPowerEfficientCompute", "GeneralPeakFrequencyCompute", "GeneralThroughputCompute",
        "Virtualization-PowerEfficient", "Virtualization-MaxPerformance", "LowLatency",
        "MissionCritical", "TransactionalApplicationProcessing", "HighPerformanceCompute",
        "DecisionSupport", "GraphicProcessing", "I/OThroughput", "Custom"), "GeneralPowerEfficientCompute"),
    "PowerProfile": ("HP Power Profile", "Power Management",
                     ("BalancedPowerPerf", "MinPower", "MaxPerf", "Custom"), "BalancedPowerPerf"),
    "PowerRegulator": ("HP Power Regulator", "Power Management",
                       ("DynamicPowerSavings", "StaticLowPower", "StaticHighPerf", "OsControl"),
                       "DynamicPowerSavings"),
    "ProcVirtualization": ("Virtualization Technology", "Processor Options", _ON_OFF, "Enabled"),
    "IntelProcVtd": ("Intel(R) VT-d", "Processor Options", _ON_OFF, "Enabled"),
    "Sriov": ("SR-IOV", "PCI Device Enable/Disable", _ON_OFF, "Enabled"),
    "ProcHyperthreading": ("Intel(R) Hyperthreading", "Processor Options", _ON_OFF, "Enabled"),
    "ProcTurbo": ("Intel(R) Turbo Boost Technology", "Processor Options", _ON_OFF, "Enabled"),
    "NumaGroupSizeOpt": ("NUMA Group Size Optimization", "Performance Options", ("Flat", "Clustered"),
                         "Clustered"),
    "MinProcIdlePower": ("Minimum Processor Idle Power Core C-State", "Power Management",
                         ("C6", "C3", "C1E", "NoCStates"), "C6"),
    "MinProcIdlePkgState": ("Minimum Processor Idle Power Package C-State", "Power Management",
                            ("C6Retention", "C6NonRetention", "NoState"), "C6Retention"),
    "EnergyPerfBias": ("Energy/Performance Bias", "Power Management",
                       ("MaxPerf", "BalancedPerf", "BalancedPower", "PowerSavingsMode"), "BalancedPerf"),
    "CollabPowerControl": ("Collaborative Power Control", "Power Management", _ON_OFF, "Enabled"),
    "ThermalConfig": ("Thermal Configuration", "Advanced Options",
                      ("OptimalCooling", "IncreasedCooling", "MaxCooling"), "OptimalCooling"),
    "FlexLom1Enable": ("FlexibleLOM 1", "PCI Device Enable/Disable", _ON_OFF, "Enabled"),
    "NetworkBootRetry": ("Network Boot Retry Support", "Network Options", _ON_OFF, "Enabled"),
    "AsrStatus": ("ASR Status", "Server Availability", _ON_OFF, "Enabled"),
    "PostF1Prompt": ("POST F1 Prompt", "Server Availability",
                     ("Delayed20Sec", "Delayed2Sec", "Disabled"), "Delayed20Sec"),
}

BOOT_MODES = ("UEFI", "UEFIOptimized", "BIOS")
BOOT_CAPABILITIES = ("CD", "USB", "HardDisk", "FibreChannelHba", "PXE")
PXE_BOOT_POLICIES = ("Auto", "IPv4", "IPv6", "IPv4ThenIPv6", "IPv6ThenIPv4")
RAID_LEVELS = ("RAID0", "RAID1", "RAID10", "RAID5", "RAID6", "RAID1ADM")
# Smart Array rules: fewest drives per level, and whether the count must be even / exact.
RAID_MIN_DRIVES = {"RAID0": 1, "RAID1": 2, "RAID10": 4, "RAID5": 3, "RAID6": 4, "RAID1ADM": 3}
RAID_EXACT_DRIVES = {"RAID1": 2, "RAID1ADM": 3}
CONTROLLER_MODES = ("RAID", "HBA")
DRIVE_TECHNOLOGIES = ("SasHdd", "SataHdd", "SasSsd", "SataSsd")  # Gen9 Smart Array: no NVMe
FIRMWARE_INSTALL_TYPES = ("FirmwareAndOSDrivers", "FirmwareOnly", "FirmwareOnlyOfflineMode")


@dataclass(frozen=True)
class ModelInfo:
    short: str  # "DL360 Gen9"
    full: str  # "ProLiant DL360 Gen9"
    form_factor: str
    part_number: str
    max_drives: int
    rom: str


_MODELS = {
    "DL360 Gen9": ModelInfo("DL360 Gen9", "ProLiant DL360 Gen9", "1U", "755258-B21", 10,
                            "P89 v2.80 (10/16/2020)"),
    "DL380 Gen9": ModelInfo("DL380 Gen9", "ProLiant DL380 Gen9", "2U", "719064-B21", 26,
                            "P89 v2.80 (10/16/2020)"),
}


def model_info(sht_name: str) -> ModelInfo:
    """``"DL360 Gen9 1"`` (a server hardware type name) -> what the hardware reports."""
    short = re.sub(r"\s+\d+$", "", sht_name.strip())
    return _MODELS.get(short) or ModelInfo(short, f"ProLiant {short}", "1U", "000000-B21", 8,
                                           "U00 v1.00 (01/01/2020)")


# cores per socket -> processor of the Gen9 builds the hardware profiles describe
_CPUS = {
    12: ("Intel(R) Xeon(R) CPU E5-2650 v4 @ 2.20GHz", 2200),
    14: ("Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", 2400),
    18: ("Intel(R) Xeon(R) CPU E5-2697 v4 @ 2.30GHz", 2300),
}


def processors(spec: ServerSpec) -> dict[str, Any]:
    """Two sockets with Hyper-Threading: ``spec.cpus`` logical CPUs are cpus/4 cores a socket."""
    cores = max(1, (spec.cpus or 48) // 4)
    name, mhz = _CPUS.get(cores, (f"Intel(R) Xeon(R) CPU E5-26xx v4 ({cores} cores)", 2200))
    return {"processorCount": 2, "processorCoreCount": cores, "processorType": name,
            "processorSpeedMhz": mhz}


# --- NIC port ids -----------------------------------------------------------------------------
_PORT_ID = re.compile(r"^(?P<loc>[A-Za-z][A-Za-z ]*?)\s*(?P<dev>\d+):(?P<port>\d+)(?:-(?P<fn>[a-d]))?$")
_ADAPTERS = {
    "FlexibleLOM": "HPE Ethernet 10/25Gb 2-port 640FLR-SFP28 Adapter",
    "PCIe": "HPE Ethernet 10/25Gb 2-port 640SFP28 Adapter",
    "Embedded": "HP Ethernet 1Gb 4-port 331i Adapter",
}


@dataclass(frozen=True)
class PortRef:
    location: str  # "FlexibleLOM"
    device: int  # 1
    port: int  # 1
    function: str | None = None  # "a" on FlexNIC-capable adapters

    @property
    def slot(self) -> str:
        return f"{self.location} {self.device}"


def parse_port_id(port_id: str) -> PortRef | None:
    """``"FlexibleLOM 1:1"`` -> location FlexibleLOM, device 1, port 1 (``-a`` function optional)."""
    m = _PORT_ID.match(port_id.strip())
    if not m:
        return None
    return PortRef(m["loc"], int(m["dev"]), int(m["port"]), m["fn"])


def adapter_name(location: str) -> str:
    return _ADAPTERS.get(location, f"HPE Ethernet 10/25Gb 2-port {location} Adapter")


def adapters_of(specs: list[ServerSpec]) -> dict[tuple[str, int], int]:
    """(location, device) -> number of ports, from the NICs the servers of one type carry."""
    slots: dict[tuple[str, int], int] = {}
    for spec in specs:
        for nic in spec.nics:
            ref = parse_port_id(nic.port_id)
            if ref:
                key = (ref.location, ref.device)
                slots[key] = max(slots.get(key, 2), ref.port)
    return slots


def sht_document(name: str, slots: dict[tuple[str, int], int]) -> dict[str, Any]:
    """The body of a server hardware type (without uri/type/eTag, which the store adds)."""
    info = model_info(name)
    return {
        "name": name,
        "description": None,
        "model": info.full,
        "family": "ProLiant DL",
        "formFactor": [info.form_factor],
        "bootModes": list(BOOT_MODES),
        "bootCapabilities": list(BOOT_CAPABILITIES),
        "pxeBootPolicies": list(PXE_BOOT_POLICIES),
        "capabilities": ["ManageBIOS", "ManageBootOrder", "ManageLocalStorage", "FirmwareUpdate",
                         "ManageBootMode", "ManageIloSettings"],
        "storageCapabilities": {
            "controllerModes": list(CONTROLLER_MODES),
            "raidLevels": list(RAID_LEVELS),
            "driveTechnologies": list(DRIVE_TECHNOLOGIES),
            "maximumDrives": info.max_drives,
            "nvmeBackplaneCapable": False,
        },
        "biosSettings": [
            {"id": sid, "name": label, "category": cat, "type": "Option",
             "options": [{"id": o, "name": o} for o in options], "defaultValue": default}
            for sid, (label, cat, options, default) in BIOS_SETTINGS.items()
        ],
        "adapters": [
            {"model": adapter_name(loc), "location": loc, "slot": dev, "deviceNumber": dev,
             "deviceType": "Ethernet", "capabilities": ["Ethernet"], "storageCapabilities": None,
             "ports": [{"number": p, "maxSpeedMbps": 25000, "type": "Ethernet",
                        "physicalFunctionCount": 1, "virtualPorts": []} for p in range(1, n + 1)]}
            for (loc, dev), n in sorted(slots.items())
        ],
    }
