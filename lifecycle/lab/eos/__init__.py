"""Arista EOS emulator of the twin: switches and CVX speaking eAPI, derived from configs and cables.

See :mod:`lifecycle.lab.eos.switch` (one device), :mod:`lifecycle.lab.eos.fabric` (the cabled set
whose configs every ``show`` is derived from) and :mod:`lifecycle.lab.eos.server` (the eAPI wire).
"""

from lifecycle.lab.eos.config import CliError
from lifecycle.lab.eos.cvx import CVX
from lifecycle.lab.eos.fabric import Fabric
from lifecycle.lab.eos.switch import Switch

__all__ = ["CVX", "CliError", "Fabric", "Switch"]
