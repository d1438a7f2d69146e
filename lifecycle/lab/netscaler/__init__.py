"""The twin's NetScaler ADC: a NITRO v1 REST emulator with health monitors and real load balancing."""

from lifecycle.lab.netscaler.emulator import NetScalerEmulator
from lifecycle.lab.netscaler.monitor import Probe, refuse_all
from lifecycle.lab.netscaler.runtime import Backend, Connection

__all__ = ["Backend", "Connection", "NetScalerEmulator", "Probe", "refuse_all"]
