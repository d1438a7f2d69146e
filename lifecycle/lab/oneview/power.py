"""Where a server's power state lives.

OneView does not own power: it asks the iLO. The emulator likewise asks a :class:`PowerProvider`.
The default keeps power in memory; the lab can pass a provider backed by the server's Redfish BMC
(sushy-tools), so that a power change made through OneView is seen by Ironic and the reverse:

    class RedfishPower:
        def get(self, spec):            # GET /redfish/v1/Systems/<spec.uuid> -> PowerState
            ...
        def set(self, spec, state):     # POST .../Actions/ComputerSystem.Reset
            ...                         #   {"ResetType": "On" | "ForceOff" | ...}

``get`` is called when one server is read (GET ``/rest/server-hardware/{id}``) and before a profile
is applied; collections use the last known state, as the appliance's cached view does (call
:meth:`OneViewEmulator.power_changed` from a notification hook to refresh it). ``set`` runs on the
task's thread, never under the emulator's lock, so a slow BMC only slows that task.
"""

from __future__ import annotations

import threading
from typing import Literal, Protocol

from lifecycle.lab.world import ServerSpec

PowerState = Literal["On", "Off"]


class PowerProvider(Protocol):
    def get(self, spec: ServerSpec) -> PowerState: ...

    def set(self, spec: ServerSpec, state: PowerState) -> None: ...


class InMemoryPower:
    """Power kept in memory; every server starts ``initial`` (a racked server is usually on)."""

    def __init__(self, initial: PowerState = "On", overrides: dict[str, PowerState] | None = None):
        self._initial = initial
        self._state: dict[str, PowerState] = dict(overrides or {})
        self._lock = threading.Lock()

    def get(self, spec: ServerSpec) -> PowerState:
        with self._lock:
            return self._state.get(spec.name, self._initial)

    def set(self, spec: ServerSpec, state: PowerState) -> None:
        with self._lock:
            self._state[spec.name] = state
