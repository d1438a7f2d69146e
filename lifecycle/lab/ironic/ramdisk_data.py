"""What the twin's ironic-python-agent reports: a server's inventory, built from the world.

Two wire formats, as the two inspection paths receive them:

- :func:`inventory` -- Ironic's own agent inspection (``/v1/continue_inspection``), as the
  IPA ISO the twin's current-release underclouds boot sends it.
- :func:`inspector_payload` -- IPA's *inspector* collectors (``default``, ``extra-hardware``),
  POSTed to ironic-inspector's ``/v1/continue`` by the ramdisk a Train undercloud PXE-boots:
  the same inventory (per-NIC raw LLDP TLVs for ``lldp_basic``/``local_link_connection``), the
  PXE NIC as ``boot_interface`` in pxelinux's BOOTIF form, ``root_disk``, the eDeploy list
  ``data`` for ``extra_hardware``, ``configuration`` and ``error`` (null: nothing failed).

Each NIC's LLDP is from the switch port it is *actually* cabled to, so a miswire shows.
"""

from __future__ import annotations

import copy
import zlib
from typing import Any

from lifecycle.lab.world import ServerSpec, World

GiB = 1024**3
# The provisioning network's inspection DHCP range of a TripleO undercloud (192.168.24.100-120).
INSPECTION_POOL = ("192.168.24.", 100, 21)

# LLDP TLV types and subtypes (IEEE 802.1AB) that Ironic's parse-lldp hook reads.
TLV_CHASSIS_ID, TLV_PORT_ID, TLV_PORT_DESC, TLV_SYS_NAME = 1, 2, 4, 5
CHASSIS_MAC, PORT_IFNAME = 4, 5


def lldp_tlvs(switch: str, system_mac: str, port: str, description: str) -> list[list[Any]]:
    """The TLVs an Arista port sends, as IPA reports them: ``[[type, hex value], ...]``."""
    mac = bytes(int(x, 16) for x in system_mac.split(":"))
    return [
        [TLV_CHASSIS_ID, (bytes([CHASSIS_MAC]) + mac).hex()],
        [TLV_PORT_ID, (bytes([PORT_IFNAME]) + port.encode()).hex()],
        [TLV_PORT_DESC, description.encode().hex()],
        [TLV_SYS_NAME, switch.encode().hex()],
    ]


def inventory(world: World, spec: ServerSpec) -> dict[str, Any]:
    """What IPA would POST for ``spec``: ``{"inventory": ..., "lldp_raw": ...}`` (plugin data)."""
    peers: dict[str, tuple[str, str]] = {}
    for link in world.links:
        for (dev, port), (peer, peer_port) in (link.ends(), link.ends()[::-1]):
            if dev == spec.name:
                peers[port] = (peer, peer_port)
    ifaces, lldp_raw = [], {}
    for i, nic in enumerate(spec.nics):
        name = f"eno{i + 1}"
        iface: dict[str, Any] = {
            "name": name, "mac_address": nic.mac.lower(), "ipv4_address": None, "ipv6_address": None,
            "has_carrier": True, "speed_mbps": 25000, "vendor": "0x14e4", "product": "0x16d7",
            "pxe_enabled": i == 0, "driver": "bnxt_en", "biosdevname": nic.port_id,
        }
        if nic.name in peers:
            sw, port = peers[nic.name]
            try:
                mac = world.switch(sw).system_mac
            except StopIteration:
                mac = "00:00:00:00:00:00"
            tlvs = lldp_tlvs(sw, mac, port, f"{spec.name}:{nic.name}")
            iface["lldp"] = tlvs
            lldp_raw[name] = tlvs
        ifaces.append(iface)
    disks = [{"name": f"/dev/sd{chr(97 + i)}", "model": "LOGICAL VOLUME", "vendor": "HP",
              "size": gb * GiB, "rotational": False, "serial": f"{spec.serial}-LD{i}",
              "wwn": f"0x600508b1001c{i:04x}{zlib.crc32(spec.serial.encode()) & 0xffff:04x}",
              "hctl": f"0:1:0:{i}", "by_path": f"/dev/disk/by-path/pci-0000:03:00.0-scsi-0:1:0:{i}"}
             for i, gb in enumerate(spec.disks_gb)]
    inv = {
        "interfaces": ifaces,
        "cpu": {"model_name": "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", "frequency": "2400.000",
                "count": spec.cpus, "architecture": "x86_64", "socket_count": 2,
                "flags": ["fpu", "vmx", "ssse3", "sse4_1", "sse4_2", "aes", "avx", "avx2", "pdpe1gb"]},
        "memory": {"total": spec.memory_mb * 1024 * 1024 * 97 // 100, "physical_mb": spec.memory_mb},
        "disks": disks,
        "bmc_address": spec.ilo,
        "bmc_v6address": "::/0",
        "system_vendor": {"product_name": f"ProLiant {spec.model.rsplit(' ', 1)[0]}",
                          "serial_number": spec.serial, "manufacturer": "HPE"},
        "boot": {"current_boot_mode": "uefi", "pxe_interface": spec.nics[0].mac.lower()},
        "hostname": "localhost.localdomain",
    }
    return {"inventory": inv, "lldp_raw": lldp_raw,
            "root_disk": disks[0] if disks else None, "boot_interface": spec.nics[0].mac.lower()}



def edeploy_data(spec: ServerSpec, inv: dict[str, Any]) -> list[list[str]]:
    """The ``extra-hardware`` collector's list of ``[category, item, key, value]`` strings."""
    data = [["system", "product", "name", inv["system_vendor"]["product_name"]],
            ["system", "product", "vendor", "HPE"], ["system", "product", "serial", spec.serial],
            ["cpu", "physical", "number", "2"], ["cpu", "logical", "number", str(spec.cpus)],
            ["cpu", "physical_0", "product", inv["cpu"]["model_name"]],
            ["memory", "total", "size", str(spec.memory_mb * 1024 * 1024)]]
    for disk in inv["disks"]:
        name = disk["name"].rsplit("/", 1)[-1]
        data += [["disk", name, "size", str(disk["size"] // 10**9)], ["disk", name, "vendor", "HP"],
                 ["disk", name, "model", disk["model"]]]
    for iface in inv["interfaces"]:
        data += [["network", iface["name"], "serial", iface["mac_address"]],
                 ["network", iface["name"], "link", "yes"],
                 ["network", iface["name"], "speed", "25Gbit/s"]]
    return data


def inspector_payload(world: World, spec: ServerSpec) -> dict[str, Any]:
    """What IPA's inspector collectors POST for ``spec`` after a PXE boot (``/v1/continue``)."""
    base = inventory(world, spec)
    inv = copy.deepcopy(base["inventory"])
    pxe_mac = spec.nics[0].mac.lower()
    bootif = "01-" + pxe_mac.replace(":", "-")
    prefix, first, size = INSPECTION_POOL
    index = next((i for i, s in enumerate(world.servers) if s.name == spec.name), 0)
    for iface in inv["interfaces"]:
        # Only the PXE NIC gets a lease: the others are on networks with no DHCP for the ramdisk.
        iface["ipv4_address"] = f"{prefix}{first + index % size}" if iface["mac_address"] == pxe_mac else None
    inv["boot"] = {"current_boot_mode": "uefi", "pxe_interface": bootif}
    return {
        "inventory": inv,
        "root_disk": base["root_disk"],
        "boot_interface": bootif,
        "data": edeploy_data(spec, inv),
        "configuration": {"collectors": ["default", "extra-hardware"],
                          "managers": [{"name": "generic_hardware_manager", "version": "1.1"}]},
        "error": None,
    }
