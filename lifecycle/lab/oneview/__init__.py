"""HPE OneView emulator of the twin: the appliance's REST API (HTTPS, sessions, X-API-Version,
paged and filtered collections, asynchronous tasks) over an in-memory estate of rack servers, so
that unmodified hpOneView drives it. See :class:`OneViewEmulator` and docs/twin.md.
"""

from lifecycle.lab.oneview.emulator import OneViewEmulator
from lifecycle.lab.oneview.power import InMemoryPower, PowerProvider

__all__ = ["InMemoryPower", "OneViewEmulator", "PowerProvider"]
