"""The appliance's REST resources, one module each; ``register_all`` adds their routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifecycle.lab.base import Router
from lifecycle.lab.oneview.resources import (
    appliance,
    hardware,
    networks,
    profiles,
    server_parts,
    settings,
    templates,
)

if TYPE_CHECKING:
    from lifecycle.lab.oneview.emulator import OneViewEmulator


def register_all(router: Router, emu: OneViewEmulator) -> None:
    # settings first: its ``{collection}/schema`` routes must win over ``{collection}/{id}``.
    for module in (settings, appliance, hardware, server_parts, networks, templates, profiles):
        module.register(router, emu)
