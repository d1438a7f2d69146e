"""Is a server's iLO the one its hardware profile needs? Read from OneView's server-hardware.

OneView reports the management processor as ``mpModel`` (``iLO4``, ``iLO5``...) and
``mpFirmwareVersion`` (``"2.55 Aug 16 2017"``). Against the profile's ``ilo`` minimum:

>>> from lifecycle.model.hardware import IloMinimum
>>> need = IloMinimum(model="iLO4", firmware="2.50")
>>> ilo_drift({"mpModel": "iLO4", "mpFirmwareVersion": "2.40 Dec 02 2015"}, need).split(":")[0]
'iLO iLO4 2.40 Dec 02 2015 older than the profile needs (iLO4 2.50)'
>>> ilo_drift({"mpModel": "iLO4", "mpFirmwareVersion": "2.78 Apr 28 2021"}, need)
''
>>> ilo_drift({"mpModel": "iLO5", "mpFirmwareVersion": "1.40 Jan 15 2019"}, need)
''
"""

from __future__ import annotations

import re
from typing import Any

from lifecycle.model.hardware import IloMinimum

_GENERATIONS = ("iLO4", "iLO5", "iLO6", "iLO7")

# What each older iLO's Redfish lacks that Ironic's redfish driver (through sushy) uses; from
# HPE's "Adapting from iLO 4" (iLO 4 is Redfish conformant from 2.30, Redfish 1.0) and Ironic's
# redfish management ("HPE Gen9 do not support getting or setting the boot mode").
_LACKS = {
    "iLO4": "its Redfish 1.0.0 (Oem.Hp) has no Boot.BootSourceOverrideMode (Ironic cannot set UEFI), "
            "boot targets only as BootSourceOverrideSupported, virtual media only under the manager "
            "without #VirtualMedia.InsertMedia (a PATCH naming Inserted is refused)",
}
_PRE_REDFISH = "no Redfish service before iLO 4 2.30 (HP RESTful API only)"


def _version(text: str) -> tuple[int, ...]:
    m = re.search(r"(\d+(?:\.\d+)+)", text or "")
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()


def ilo_drift(hardware: dict[str, Any], minimum: IloMinimum | None) -> str:
    """``""`` when the iLO meets ``minimum`` (or either is unknown); else one line naming the
    iLO model and firmware, the minimum, and what that iLO lacks."""
    if minimum is None:
        return ""
    model = str(hardware.get("mpModel") or "").replace(" ", "")
    firmware = str(hardware.get("mpFirmwareVersion") or "")
    if model not in _GENERATIONS or not _version(firmware):
        return ""  # OneView has not read the iLO: nothing to compare
    have = (_GENERATIONS.index(model), _version(firmware))
    want = (_GENERATIONS.index(minimum.model), _version(minimum.firmware))
    if have >= want:
        return ""
    lacks = _PRE_REDFISH if model == "iLO4" and have[1] < (2, 30) else _LACKS.get(model, "")
    return (f"iLO {model} {firmware} older than the profile needs ({minimum.model} {minimum.firmware})"
            + (f": {lacks}" if lacks else ""))
