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


STARTERS: list[Callable[[Lab], None]] = [start_oneview]
