"""How the lab daemon starts each component of the twin, in order.

Each starter takes the :class:`~lifecycle.lab.daemon.Lab`, starts its component(s), registers
them with ``lab.add(Component, stop)`` and adds its part of the endpoints file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lifecycle.lab.daemon import Lab

STARTERS: list[Callable[[Lab], None]] = []
