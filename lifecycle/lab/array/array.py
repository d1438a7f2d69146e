"""An in-memory Pure FlashArray as the clouds' Cinder Pure backends use it.

Volumes live on the array by name; Cinder's Pure driver names the volumes it creates
``volume-<cinder-uuid>-cinder``, renames an array volume to that name when it manages it and
appends ``-unmanaged`` when it unmanages it (cinder/volume/drivers/pure.py). Nothing is ever
copied: a volume keeps its ``serial`` (Purity's 24-hex serial) through every rename, so a test or
report can prove an import was not a copy.

The twin's one addition to Purity is ``owner``: which cloud's Cinder currently manages a volume.
The real driver only knows its own cloud's Cinder database, so a second cloud could "steal" a
volume that another cloud manages; the twin refuses that (see :meth:`PureArray.claim`), which is
the invariant the upgrade runbook must keep and the twin checks.

>>> array = PureArray("pure-ie1")
>>> v = array.create("legacy-db", 10)
>>> array.claim("legacy-db", "volume-3f2a-cinder", owner="ie1-new", cinder_id="3f2a").serial == v.serial
True
>>> array.release("volume-3f2a-cinder", "volume-3f2a-cinder-unmanaged").owner is None
True
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field


class ArrayError(Exception):
    """A refused array operation; ``kind`` is not_found | exists | connected | owned."""

    def __init__(self, kind: str, text: str):
        super().__init__(text)
        self.kind = kind
        self.text = text


@dataclass
class ArrayVolume:
    name: str
    size_gb: int
    serial: str = field(default_factory=lambda: secrets.token_hex(12).upper())
    created: float = field(default_factory=time.time)
    owner: str | None = None  # the cloud whose Cinder manages it
    cinder_id: str | None = None  # that Cinder's volume id
    hosts: set[str] = field(default_factory=set)  # hosts it is connected to (attached)
    renames: list[str] = field(default_factory=list)  # every name it had, oldest first


@dataclass(frozen=True)
class VolumeView:
    """A consistent copy of one array volume, for tests and reports."""

    name: str
    size_gb: int
    serial: str
    owner: str | None
    cinder_id: str | None
    hosts: tuple[str, ...]
    renames: tuple[str, ...]


class PureArray:
    """The shared array; every method is atomic under one lock (clouds call it from threads)."""

    def __init__(self, name: str = "pure"):
        self.name = name
        self._lock = threading.RLock()
        self._volumes: dict[str, ArrayVolume] = {}

    # --- what Purity does -------------------------------------------------------------------
    def create(
        self, name: str, size_gb: int, *, owner: str | None = None, cinder_id: str | None = None
    ) -> ArrayVolume:
        with self._lock:
            if name in self._volumes:
                raise ArrayError("exists", f"Volume {name} already exists.")
            vol = ArrayVolume(name, int(size_gb), owner=owner, cinder_id=cinder_id)
            self._volumes[name] = vol
            return vol

    def get(self, name: str) -> ArrayVolume | None:
        with self._lock:
            return self._volumes.get(name)

    def destroy(self, name: str) -> None:
        with self._lock:
            vol = self._volumes.get(name)
            if vol is None:
                raise ArrayError("not_found", f"Volume {name} does not exist.")
            if vol.hosts:
                raise ArrayError("connected", f"Volume {name} cannot be deleted due to existing connections.")
            del self._volumes[name]

    def rename(self, old: str, new: str) -> ArrayVolume:
        with self._lock:
            vol = self._volumes.get(old)
            if vol is None:
                raise ArrayError("not_found", f"Volume {old} does not exist.")
            if new in self._volumes:
                raise ArrayError("exists", f"Volume {new} already exists.")
            del self._volumes[old]
            vol.renames.append(old)
            vol.name = new
            self._volumes[new] = vol
            return vol

    def connect(self, name: str, host: str) -> None:
        with self._lock:
            self._need(name).hosts.add(host)

    def disconnect(self, name: str, host: str) -> None:
        with self._lock:
            self._need(name).hosts.discard(host)

    # --- what the Cinder drivers of the clouds do, atomically ----------------------------------
    def claim(self, name: str, new_name: str, *, owner: str, cinder_id: str) -> ArrayVolume:
        """Adopt ``name`` for ``owner`` under ``new_name`` (Cinder manage_existing), or refuse:
        not_found, connected (attached to a host), owned (another cloud manages it)."""
        with self._lock:
            vol = self._need(name)
            if vol.hosts:
                raise ArrayError(
                    "connected", f"Volume {name} is connected to hosts {', '.join(sorted(vol.hosts))}."
                )
            if vol.owner is not None and vol.owner != owner:
                raise ArrayError("owned", f"Volume {name} is managed by {vol.owner}.")
            self.rename(name, new_name)
            vol.owner, vol.cinder_id = owner, cinder_id
            return vol

    def release(self, name: str, new_name: str) -> ArrayVolume:
        """Unmanage: rename, and no cloud owns it any more."""
        with self._lock:
            vol = self.rename(name, new_name)
            vol.owner = vol.cinder_id = None
            return vol

    # --- views ------------------------------------------------------------------------------------
    def snapshot(self) -> list[VolumeView]:
        """Every volume as it is now, sorted by name."""
        with self._lock:
            return [
                VolumeView(
                    v.name,
                    v.size_gb,
                    v.serial,
                    v.owner,
                    v.cinder_id,
                    tuple(sorted(v.hosts)),
                    tuple(v.renames),
                )
                for v in sorted(self._volumes.values(), key=lambda v: v.name)
            ]

    def view(self, name: str) -> VolumeView | None:
        with self._lock:
            vol = self._volumes.get(name)
            return None if vol is None else next(v for v in self.snapshot() if v.name == name)

    def find_serial(self, serial: str) -> VolumeView | None:
        """The volume with that serial, whatever it is called now."""
        return next((v for v in self.snapshot() if v.serial == serial), None)

    def _need(self, name: str) -> ArrayVolume:
        vol = self._volumes.get(name)
        if vol is None:
            raise ArrayError("not_found", f"Volume {name} does not exist.")
        return vol
