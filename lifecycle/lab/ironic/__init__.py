"""Real Ironic 39 (standalone), ironic-inspector 12.5 and sushy-tools 2.2 (Redfish BMCs) for the twin.

All run from their own virtualenv, ``.venv-ironic`` (scripts/lib/ironic-venv.sh), as separate
processes; i2 talks to them over HTTP with its unmodified clients, exactly as in production.
"""

from lifecycle.lab.ironic.agent import RamdiskAgent
from lifecycle.lab.ironic.blackhole import Blackhole
from lifecycle.lab.ironic.inspector_service import InspectorService
from lifecycle.lab.ironic.ironic_service import TWIN_DEVIATIONS, IronicService, RedfishTiming
from lifecycle.lab.ironic.process import ManagedProcess, ProcessError, free_port, http_ok, rss_bytes
from lifecycle.lab.ironic.redfish_power import RedfishPower
from lifecycle.lab.ironic.sushy_service import SushyService
from lifecycle.lab.ironic.venv import INSTALL_SCRIPT, ironic_venv, venv_ready

__all__ = [
    "INSTALL_SCRIPT",
    "TWIN_DEVIATIONS",
    "Blackhole",
    "InspectorService",
    "IronicService",
    "ManagedProcess",
    "ProcessError",
    "RamdiskAgent",
    "RedfishPower",
    "RedfishTiming",
    "SushyService",
    "free_port",
    "http_ok",
    "ironic_venv",
    "rss_bytes",
    "venv_ready",
]
