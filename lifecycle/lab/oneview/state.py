"""The appliance's in-memory resources: one record per resource, all guarded by one lock."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from lifecycle.lab.oneview.catalog import resource_type
from lifecycle.lab.oneview.tasks import new_etag, now_iso
from lifecycle.lab.world import ServerSpec

# Fields a client may send back (hpOneView's update PUTs what it read) but never sets.
READ_ONLY = ("uri", "eTag", "created", "modified", "category", "type", "status", "state", "inProgress",
             "taskUri", "templateCompliance", "scopesUri", "refreshState", "associatedServer")


@dataclass
class Record:
    """A stored resource document (templates, profiles, networks, baselines, types)."""

    doc: dict[str, Any]
    category: str
    created: str = field(default_factory=now_iso)
    modified: str = field(default_factory=now_iso)
    etag: str = field(default_factory=new_etag)
    task_uri: str | None = None  # a task still working on it: further changes are refused

    @property
    def uri(self) -> str:
        return str(self.doc["uri"])

    @property
    def name(self) -> str:
        return str(self.doc.get("name") or "")

    def touch(self) -> None:
        self.modified = now_iso()
        self.etag = new_etag()

    def render(self, api: int) -> dict[str, Any]:
        out = copy.deepcopy(self.doc)
        out.update({"type": resource_type(self.category, api), "category": self.category,
                    "eTag": self.etag, "created": self.created, "modified": self.modified})
        return out


@dataclass
class Hardware:
    """One racked server as the appliance manages it."""

    spec: ServerSpec
    id: str  # the SMBIOS UUID, upper-case as the appliance shows it
    sht_uri: str
    power: str  # last known "On" / "Off"
    power_pending: str | None = None  # "PoweringOn" / "PoweringOff" / "Resetting" while a task runs
    # The OS ignores the power button (a hung or busy host): a MomentaryPress "Off" is delivered and
    # its task completes, but the server stays on; only PressAndHold forces it off.
    ignores_button: bool = False
    state: str = "NoProfileApplied"
    profile_uri: str | None = None
    uid: str = "Off"  # the UID light
    refresh: str = "NotRefreshing"  # "Refreshing" while a refreshState task runs
    rom: str = ""  # System ROM, when not the model's current one (a server below the baseline)
    mp_model: str = "iLO4"  # a Gen9's management processor
    mp_firmware: str = "2.78 Apr 28 2021"  # iLO 4
    power_cap: int | None = None  # environmentalConfiguration's calibratedMaxPower, once set
    created: str = field(default_factory=now_iso)
    modified: str = field(default_factory=now_iso)
    etag: str = field(default_factory=new_etag)

    @property
    def uri(self) -> str:
        return f"/rest/server-hardware/{self.id}"

    def touch(self) -> None:
        self.modified = now_iso()
        self.etag = new_etag()
