"""A processed-data document as ironic-inspector stores it for one node (``GET
/v1/introspection/<uuid>/data``), written from inspector's source, not invented:

- ``inventory``: the ramdisk's inventory as IPA's inspector collector posts it to ``/v1/continue``
  (cpu, memory, disks, interfaces with raw ``lldp`` TLVs as ``[type, hex]``, bmc_address, boot);
- ``ipmi_address``/``ipmi_v6address``, ``all_interfaces``/``interfaces``/``macs``:
  ``ValidateInterfacesHook.before_processing`` (plugins/standard.py): name -> ip, mac, client_id, pxe;
- ``root_disk`` (``RootDiskSelectionHook``), ``local_gb``, ``cpus``, ``cpu_arch``, ``memory_mb``
  (``SchedulerHook``);
- ``all_interfaces[name]['lldp_processed']``: ``LLDPBasicProcessingHook.before_update``
  (plugins/lldp_basic.py), keys from ``common/lldp_parsers.py`` (``switch_system_name``,
  ``switch_port_id``, ``switch_chassis_id``, ``switch_port_description``, ...);
- ``extra``: ``ExtraHardwareHook`` (the eDeploy list converted; ``data`` deleted);
- ``error``: None (``RamdiskErrorHook``); ``logs`` is never stored (``_STORAGE_EXCLUDED_KEYS``).

The server is c02-s01 of examples/ie1 (dl360g9-compute), cabled nic1 -> c02-leaf1 Ethernet1,
nic2 -> c02-leaf2 Ethernet1 (ports named by LLDP TLV 2, system names by TLV 5, FQDN).
"""

from __future__ import annotations

GiB = 1024**3


def _tlv_text(kind: int, text: str, subtype: int | None = None) -> list[object]:
    raw = (bytes([subtype]) if subtype is not None else b"") + text.encode()
    return [kind, raw.hex()]


def lldp(switch: str, port: str) -> list[list[object]]:
    # chassis id (subtype 4: MAC), port id (subtype 5: interface name), system name
    return [[1, "04001c73000101"], _tlv_text(2, port, 5), _tlv_text(5, switch)]


PROCESSED = {
    "inventory": {
        "interfaces": [
            {"name": "eno1", "mac_address": "94:40:c9:03:01:01", "ipv4_address": "192.0.2.21",
             "ipv6_address": None, "has_carrier": True, "vendor": "0x14e4", "product": "0x1657",
             "client_id": None, "biosdevname": None, "speed_mbps": 1000,
             "lldp": lldp("c02-leaf1.ie1.example.net", "Ethernet1")},
            {"name": "eno2", "mac_address": "94:40:c9:03:01:02", "ipv4_address": None,
             "ipv6_address": None, "has_carrier": True, "vendor": "0x14e4", "product": "0x1657",
             "client_id": None, "biosdevname": None, "speed_mbps": 1000,
             "lldp": lldp("c02-leaf2.ie1.example.net", "Ethernet1")},
        ],
        "cpu": {"model_name": "Intel(R) Xeon(R) CPU E5-2690 v4 @ 2.60GHz", "frequency": "2600",
                "count": 56, "architecture": "x86_64", "flags": ["vmx", "pdpe1gb"]},
        "memory": {"total": 412316860416, "physical_mb": 393216},
        "disks": [{"name": "/dev/sda", "model": "LOGICAL VOLUME", "size": 447 * GiB,
                   "rotational": False, "wwn": None, "serial": "PDNLH0BRH9V1UQ", "vendor": "HP",
                   "hctl": "0:1:0:0", "by_path": "/dev/disk/by-path/pci-0000:03:00.0-scsi-0:1:0:0"}],
        "bmc_address": "10.1.3.11", "bmc_v6address": "::/0",
        "system_vendor": {"product_name": "ProLiant DL360 Gen9 (780021-S01)",
                          "serial_number": "CZJ7000001", "manufacturer": "HP"},
        "boot": {"current_boot_mode": "uefi", "pxe_interface": "94:40:c9:03:01:01"},
        "hostname": "localhost.localdomain",
    },
    "root_disk": {"name": "/dev/sda", "model": "LOGICAL VOLUME", "size": 447 * GiB,
                  "rotational": False, "wwn": None, "serial": "PDNLH0BRH9V1UQ", "vendor": "HP",
                  "hctl": "0:1:0:0", "by_path": "/dev/disk/by-path/pci-0000:03:00.0-scsi-0:1:0:0"},
    "boot_interface": "01-94-40-c9-03-01-01",
    "ipmi_address": "10.1.3.11", "ipmi_v6address": None,
    "all_interfaces": {
        "eno1": {"ip": "192.0.2.21", "mac": "94:40:c9:03:01:01", "client_id": None, "pxe": True,
                 "lldp_processed": {"switch_chassis_id": "00:1c:73:00:01:01",
                                    "switch_port_id": "Ethernet1",
                                    "switch_system_name": "c02-leaf1.ie1.example.net"}},
        "eno2": {"ip": None, "mac": "94:40:c9:03:01:02", "client_id": None, "pxe": False,
                 "lldp_processed": {"switch_chassis_id": "00:1c:73:00:01:01",
                                    "switch_port_id": "Ethernet1",
                                    "switch_system_name": "c02-leaf2.ie1.example.net"}},
    },
    "interfaces": {"eno1": {"ip": "192.0.2.21", "mac": "94:40:c9:03:01:01", "client_id": None,
                            "pxe": True}},
    "macs": ["94:40:c9:03:01:01"],
    "local_gb": 446, "cpus": 56, "cpu_arch": "x86_64", "memory_mb": 393216,
    "extra": {"system": {"product": {"vendor": "HP"}}},
    "error": None,
}
