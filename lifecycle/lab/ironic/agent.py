"""The twin's ironic-python-agent: when a server boots the IPA ISO, report its inventory.

Production: Ironic (``inspect_interface=agent``) inserts the IPA ISO through the iLO's virtual
media and powers the server on; IPA boots, collects the inventory (CPUs, memory, disks, NICs
and the LLDP frames each NIC receives from its switch port) and POSTs it to Ironic's
``/v1/continue_inspection``; Ironic's inspection hooks process it.

Twin: sushy-tools (the BMCs) notifies every change of a system to :attr:`notification_url`.
When a system is powered on, booting from its CD with an ISO this agent serves inserted
(``ipa-<undercloud>.iso``, one per undercloud: the callback URL a real ISO has baked in), the
agent POSTs that server's inventory, built from the world (the server's spec and the switch
port each NIC is *actually* cabled to, so a miswire shows), in IPA's format. Everything after
that is Ironic's own: lookup by MAC, hooks, stored inventory, power off.

Example (listens on a loopback port)::

    agent = RamdiskAgent(world, {"uc-new": "http://127.0.0.1:6385"}).start()
    agent.iso_url("uc-new")      # 'http://127.0.0.1:41234/ipa/ipa-uc-new.iso'

A system boots an undercloud's IPA when it is on, booting from CD, with that ISO inserted
(sushy-tools' ``boot_image``: {device: [url, write_protected, inserted]}):

>>> system = {"power_state": "On", "boot_device": "Cd",
...           "boot_image": {"Cd": ["http://127.0.0.1:41234/ipa/ipa-uc-new.iso", True, True]}}
>>> RamdiskAgent.booted_iso(system), RamdiskAgent.booted_iso({**system, "boot_device": "Hdd"})
('uc-new', None)
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lifecycle.lab.base import EmulatorServer, Request, Response, Router
from lifecycle.lab.base.latency import LatencyProfile
from lifecycle.lab.world import ServerSpec, World

log = logging.getLogger(__name__)

GiB = 1024**3
ISO_RE = re.compile(r"ipa-(?P<uc>[A-Za-z0-9._-]+)\.iso$")
# A placeholder ISO: sushy-tools downloads it on insert; nothing boots it.
ISO_BYTES = b"CD001 i2 twin ironic-python-agent placeholder\n".ljust(2048, b"\0")

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


class RamdiskAgent:
    """Serves the IPA ISOs and receives sushy-tools' notifications; posts inventories."""

    def __init__(self, world: World, ironic_urls: dict[str, str], *,
                 latency: LatencyProfile | None = None, host: str = "127.0.0.1",
                 workers: int = 4, lookup_timeout: float = 120.0):
        self.world = world
        self.ironic_urls = dict(ironic_urls)
        self.latency = latency or LatencyProfile("none")
        self.lookup_timeout = lookup_timeout
        router = Router()
        router.add("GET", r"/ipa/(?P<iso>[^/]+)", self._iso)
        router.add("PUT", r"/notify", self._notify)
        router.add("POST", r"/notify", self._notify)
        self.server = EmulatorServer("ipa", router, host=host)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="twin-ipa")
        self._lock = threading.Lock()
        self._booted: set[str] = set()  # systems running the ramdisk since their last power-on
        self.posted: dict[str, int] = {}  # system uuid -> inspections reported (for tests/status)
        self.errors: list[str] = []

    # -- addresses -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def notification_url(self) -> str:
        return f"{self.url}/notify"

    def iso_url(self, undercloud: str) -> str:
        return f"{self.url}/ipa/ipa-{undercloud}.iso"

    def start(self) -> RamdiskAgent:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- HTTP ------------------------------------------------------------------------------

    def _iso(self, req: Request) -> Response:
        if not ISO_RE.match(req.params["iso"]):
            return Response(404, b"no such image\n", {"Content-Type": "text/plain"})
        return Response(200, ISO_BYTES, {"Content-Type": "application/octet-stream"})

    def _notify(self, req: Request) -> Response:
        system = req.json() or {}
        try:
            self.observe(system)
        except Exception as exc:  # never fail the BMC's request because of the agent
            log.exception("ipa agent: notification for %s", system.get("name"))
            self.errors.append(str(exc))
        return Response(204)

    # -- the ramdisk -----------------------------------------------------------------------

    @staticmethod
    def booted_iso(system: dict[str, Any]) -> str | None:
        """The undercloud whose IPA ISO this system boots now, if it boots one."""
        if system.get("power_state") != "On" or system.get("pending_power"):
            return None
        if str(system.get("boot_device", "")).lower() not in ("cd", "cdrom"):
            return None
        for device, media in (system.get("boot_image") or {}).items():
            if "cd" not in device.lower() or not media:
                continue
            path, inserted = media[0], media[2] if len(media) > 2 else True
            m = ISO_RE.search(str(path or ""))
            if inserted and m:
                return m.group("uc")
        return None

    def observe(self, system: dict[str, Any]) -> None:
        uuid = str(system.get("uuid", ""))
        uc = self.booted_iso(system)
        with self._lock:
            if system.get("power_state") == "Off" and not system.get("pending_power"):
                self._booted.discard(uuid)  # powered off: the next boot is a new one
            if uc is None or uuid in self._booted:
                return
            self._booted.add(uuid)
        spec = next((s for s in self.world.servers if s.uuid == uuid), None)
        if spec is None or uc not in self.ironic_urls:
            log.warning("ipa agent: %s boots IPA for %s, which the twin does not know", uuid, uc)
            return
        self._pool.submit(self._report, spec, uc)

    def _report(self, spec: ServerSpec, undercloud: str) -> None:
        # IPA boots, collects for a while, then calls back; Ironic may still be finishing the
        # inspection start (INSPECTING -> INSPECTWAIT), so lookups are retried as IPA does.
        time.sleep(max(self.latency.task_duration("ipa_boot"), 1.0))
        body = json.dumps(inventory(self.world, spec)).encode()
        url = f"{self.ironic_urls[undercloud]}/v1/continue_inspection"
        deadline = time.monotonic() + self.lookup_timeout
        while True:
            req = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=30):
                    pass
                with self._lock:
                    self.posted[spec.uuid] = self.posted.get(spec.uuid, 0) + 1
                return
            except urllib.error.HTTPError as exc:
                status = exc.code
                detail = exc.read()[:300].decode(errors="replace")
            except OSError as exc:
                status, detail = 0, str(exc)
            if time.monotonic() > deadline or status in (400, 403):
                msg = f"continue_inspection for {spec.name} -> {status} {detail}"
                log.error("ipa agent: %s", msg)
                self.errors.append(msg)
                return
            time.sleep(2)
