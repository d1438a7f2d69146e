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

Train underclouds inspect through ironic-inspector instead: it sets the boot device to PXE
and reboots the server; the undercloud's dnsmasq would PXE-boot the inspection ramdisk, whose
collectors POST to inspector's ``/v1/continue``. Twin: a system powered on booting from PXE
(sushy-tools' ``Pxe``) whose undercloud (:attr:`RamdiskAgent.undercloud_of`) has an inspector
(:attr:`RamdiskAgent.inspector_urls`) gets its inventory POSTed there in the inspector
collectors' format (:mod:`lifecycle.lab.ironic.ramdisk_data`). With the noop PXE filter a
server PXE-booting outside an introspection is answered by inspector with a lookup error, as
a real ramdisk would be; the agent counts those in :attr:`RamdiskAgent.rejected`.

Example (listens on a loopback port)::

    agent = RamdiskAgent(world, {"uc-new": "http://127.0.0.1:6385"}).start()
    agent.iso_url("uc-new")      # 'http://127.0.0.1:41234/ipa/ipa-uc-new.iso'

A system boots an undercloud's IPA when it is on, booting from CD, with that ISO inserted
(sushy-tools' ``boot_image``: {device: [url, write_protected, inserted]}):

>>> system = {"power_state": "On", "boot_device": "Cd",
...           "boot_image": {"Cd": ["http://127.0.0.1:41234/ipa/ipa-uc-new.iso", True, True]}}
>>> RamdiskAgent.booted_iso(system), RamdiskAgent.booted_iso({**system, "boot_device": "Hdd"})
('uc-new', None)
>>> RamdiskAgent.booted_pxe({**system, "boot_device": "Pxe"}), RamdiskAgent.booted_pxe(system)
(True, False)
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lifecycle.lab.base import EmulatorServer, Request, Response, Router
from lifecycle.lab.base.latency import LatencyProfile
from lifecycle.lab.ironic.ramdisk_data import inspector_payload, inventory
from lifecycle.lab.world import ServerSpec, World
from lifecycle.model.schema import Site

__all__ = ["RamdiskAgent", "inventory", "undercloud_lookup"]

log = logging.getLogger(__name__)

ISO_RE = re.compile(r"ipa-(?P<uc>[A-Za-z0-9._-]+)\.iso$")
# A placeholder ISO: sushy-tools downloads it on insert; nothing boots it.
ISO_BYTES = b"CD001 i2 twin ironic-python-agent placeholder\n".ljust(2048, b"\0")

class RamdiskAgent:
    """Serves the IPA ISOs and receives sushy-tools' notifications; posts inventories."""

    def __init__(self, world: World, ironic_urls: dict[str, str], *,
                 inspector_urls: dict[str, str] | None = None,
                 undercloud_of: Callable[[str], str | None] | None = None,
                 latency: LatencyProfile | None = None, host: str = "127.0.0.1",
                 workers: int = 64, lookup_timeout: float = 120.0):
        self.world = world
        self.ironic_urls = dict(ironic_urls)
        # undercloud -> its backend ironic-inspector URL (Train underclouds only)
        self.inspector_urls: dict[str, str] = dict(inspector_urls or {})
        # server name -> the undercloud whose provisioning network it PXE-boots from
        self.undercloud_of: Callable[[str], str | None] = undercloud_of or (lambda _name: None)
        self.latency = latency or LatencyProfile("none")
        self.lookup_timeout = lookup_timeout
        router = Router()
        router.add("GET", r"/ipa/(?P<iso>[^/]+)", self._iso)
        router.add("PUT", r"/notify", self._notify)
        router.add("POST", r"/notify", self._notify)
        self.server = EmulatorServer("ipa", router, host=host)
        # One ramdisk per booted server, as each server runs its own: a pool of 4 would queue a
        # DC's ramdisks behind each other in the twin only. The threads mostly sleep.
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="twin-ipa")
        self._lock = threading.Lock()
        self._booted: set[str] = set()  # systems running the ramdisk since their last power-on
        self.posted: dict[str, int] = {}  # system uuid -> inspections reported (for tests/status)
        self.rejected: list[str] = []  # PXE boots inspector did not expect (lookup error)
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

    @staticmethod
    def booted_pxe(system: dict[str, Any]) -> bool:
        """True when this system is on and boots from the network (what inspector asks for)."""
        return (system.get("power_state") == "On" and not system.get("pending_power")
                and str(system.get("boot_device", "")).lower() == "pxe")

    def observe(self, system: dict[str, Any]) -> None:
        uuid = str(system.get("uuid", ""))
        uc = self.booted_iso(system)
        pxe = uc is None and self.booted_pxe(system)
        with self._lock:
            if system.get("power_state") == "Off" and not system.get("pending_power"):
                self._booted.discard(uuid)  # powered off: the next boot is a new one
            if (uc is None and not pxe) or uuid in self._booted:
                return
            self._booted.add(uuid)
        spec = next((s for s in self.world.servers if s.uuid == uuid), None)
        if pxe:
            if spec is None or not self.inspector_urls:
                return  # no inspection ramdisk on any network: it boots nothing we play
            # The undercloud of the server's site cloud first; then any other inspector (a
            # recommissioned server is introspected by the undercloud that took it over; the
            # others answer "look up error", as with a noop PXE filter).
            first = self.undercloud_of(spec.name)
            urls = [f"{u}/v1/continue" for uc, u in sorted(self.inspector_urls.items(),
                                                           key=lambda kv: kv[0] != first)]
            body = json.dumps(inspector_payload(self.world, spec)).encode()
            self._pool.submit(self._report_any, spec, urls, body)
            return
        if spec is None or uc not in self.ironic_urls:
            log.warning("ipa agent: %s boots IPA for %s, which the twin does not know", uuid, uc)
            return
        body = json.dumps(inventory(self.world, spec)).encode()
        self._pool.submit(self._report, spec, f"{self.ironic_urls[uc]}/v1/continue_inspection", body)

    def _report_any(self, spec: ServerSpec, urls: list[str], body: bytes) -> None:
        for url in urls:
            if self._report(spec, url, body):
                return

    def _report(self, spec: ServerSpec, url: str, body: bytes) -> bool:
        """POST until accepted (True); False when refused for good."""
        # IPA boots, collects for a while, then calls back; Ironic may still be finishing the
        # inspection start (INSPECTING -> INSPECTWAIT), so lookups are retried as IPA does.
        time.sleep(max(self.latency.task_duration("ipa_boot"), 1.0))
        deadline = time.monotonic() + self.lookup_timeout
        while True:
            req = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=30):
                    pass
                with self._lock:
                    self.posted[spec.uuid] = self.posted.get(spec.uuid, 0) + 1
                return True
            except urllib.error.HTTPError as exc:
                status = exc.code
                detail = exc.read()[:300].decode(errors="replace")
            except OSError as exc:
                status, detail = 0, str(exc)
            if url.endswith("/v1/continue") and status in (400, 404) and "look up" in detail.lower():
                # inspector has no introspection running for it (noop PXE filter): not a fault
                with self._lock:
                    self.rejected.append(f"{spec.name}: {detail}")
                return False
            if time.monotonic() > deadline or status in (400, 403):
                msg = f"{url.rsplit('/', 1)[-1]} for {spec.name} -> {status} {detail}"
                log.error("ipa agent: %s", msg)
                self.errors.append(msg)
                return False
            time.sleep(2)


def undercloud_lookup(site: Site) -> Callable[[str], str | None]:
    """``server name -> undercloud`` from the site: the server's cloud's undercloud.

    For :attr:`RamdiskAgent.undercloud_of`: a server PXE-boots from the provisioning network of
    the undercloud that manages its cloud.
    """
    clouds = {c.name: c.undercloud for c in site.clouds}
    by_server = {s.name: clouds.get(s.cloud) for s in site.servers}
    return by_server.get
