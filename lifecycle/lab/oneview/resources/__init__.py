"""The appliance's REST resources, one module each; ``register_all`` adds their routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifecycle.lab.base import Router
from lifecycle.lab.oneview.resources import appliance, hardware, profiles, templates

if TYPE_CHECKING:
    from lifecycle.lab.oneview.emulator import OneViewEmulator


def register_all(router: Router, emu: OneViewEmulator) -> None:
    for module in (appliance, hardware, templates, profiles):
        module.register(router, emu)
