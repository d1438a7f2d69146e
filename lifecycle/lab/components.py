"""How the lab daemon starts each component of the twin, in order.

Each starter takes the :class:`~lifecycle.lab.daemon.Lab`, starts its component(s), registers
them with ``lab.add(Component, stop)``, adds its part of the endpoints file and, where racking
changes what it shows, a rack hook.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from lifecycle.lab.config import Component

if TYPE_CHECKING:
    from lifecycle.lab.daemon import Lab


def start_oneview(lab: Lab) -> None:
    from lifecycle.lab.oneview import OneViewEmulator

    emu = OneViewEmulator(lab.world.servers, tls=lab.tls, latency=lab.latency, faults=lab.faults,
                          username="administrator", password=lab.secrets["oneview"],
                          power=lab.power).start()
    lab.add(Component("oneview", "emulator", emu.url, int(emu.address.rsplit(":", 1)[1]), os.getpid(),
                      f"{emu.url}/rest/version"), emu.stop)
    lab.rack_hooks.append(lambda rack: emu.rack([rack]))
    lab.endpoints["oneview"] = {
        "url": emu.url, "api_version": 1800, "username": "administrator",
        "password": {"secret": "oneview"}, "ca_file": str(lab.tls.ca),
    }


def start_bmcs(lab: Lab) -> None:
    """Real sushy-tools plays every racked server's iLO; its power is what OneView shows."""
    from lifecycle.lab.ironic import RedfishPower, SushyService

    sushy = SushyService(lab.dir / "sushy", lab.world.servers, tls=lab.tls, username="admin",
                         password=lab.secrets["bmc"], dead=lab.faults.targets("bmc", "dead"))
    sushy.start()
    lab.power = RedfishPower(sushy)
    comp = Component("bmc", "process", sushy.url, sushy.port, sushy.pid or 0,
                     f"tcp://127.0.0.1:{sushy.port}")
    lab.add(comp, sushy.stop)

    def rack(_: str) -> None:
        if sushy.sync():  # restarted with the new systems: a new PID to supervise
            comp.pid = sushy.pid or 0
            lab.save(ready=True)
        _bmc_endpoints(lab, sushy)
        lab.write_endpoints()

    lab.rack_hooks.insert(0, rack)  # BMCs first: OneView reads power from them
    _bmc_endpoints(lab, sushy)


def _bmc_endpoints(lab: Lab, sushy: object) -> None:
    devices = {}
    for spec in lab.world.servers:
        info = sushy.driver_info(spec)  # type: ignore[attr-defined]
        devices[spec.name] = {"address": info["redfish_address"],
                              "system_id": info["redfish_system_id"]}
    lab.endpoints["bmc"] = {"username": "admin", "password": {"secret": "bmc"},
                            "ca_file": str(lab.tls.ca), "devices": devices}


def start_ironic(lab: Lab) -> None:
    """One real Ironic per undercloud named in the site (each cloud's OSP Director)."""
    from lifecycle.lab.ironic import IronicService

    for name in sorted({c.undercloud for c in lab.site.clouds}):
        ironic = IronicService(lab.dir / "ironic" / name).start()
        lab.add(Component(f"ironic-{name}", "process", ironic.url,
                          int(ironic.url.rsplit(":", 1)[1]), ironic.pid or 0, f"{ironic.url}/v1"),
                ironic.stop)
        lab.endpoints.setdefault("ironic", {})[name] = {"url": ironic.url, "api_version": "1.115",
                                                        "auth": "none"}


STARTERS: list[Callable[[Lab], None]] = [start_bmcs, start_ironic, start_oneview]
