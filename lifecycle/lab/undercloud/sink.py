"""Where the twin's underclouds register the hypervisors they deploy.

On a real overcloud, config-download starts nova-compute on each compute node, which registers
itself as a hypervisor with the cloud's Nova; ``openstack overcloud node delete`` runs the
scale-down tasks that delete the compute service. The twin's undercloud reports both to a sink
with this interface; the OpenStack cloud emulators (lifecycle/lab/openstack) provide one, and
until they are wired, :class:`RecordingSink` keeps each cloud's hypervisors in a JSON file.

>>> import tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> sink = RecordingSink(Path(tmp.name) / "hypervisors.json")
>>> sink.add("ie1-new", "c02-s01.ie1.example.net", "6f1c", 56, 393216)
>>> RecordingSink(sink.path).hypervisors("ie1-new")  # persisted: a restarted lab reads it back
{'c02-s01.ie1.example.net': {'memory_mb': 393216, 'node_uuid': '6f1c', 'vcpus': 56}}
>>> tmp.cleanup()
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Protocol


class HypervisorSink(Protocol):
    def add(self, cloud: str, hostname: str, node_uuid: str, vcpus: int, memory_mb: int) -> None:
        """nova-compute on ``hostname`` (Ironic node ``node_uuid``) registered with ``cloud``.
        Called again for a hypervisor already there (each deploy restarts nova-compute)."""

    def remove(self, cloud: str, hostname: str) -> None:
        """The compute service of ``hostname`` was deleted from ``cloud``."""


class RecordingSink:
    """Records hypervisors per cloud, persisted to ``path`` (read by tests and ``i2 lab``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, dict[str, Any]]] = {}
        if self.path.exists():
            self._data = json.loads(self.path.read_text())

    def add(self, cloud: str, hostname: str, node_uuid: str, vcpus: int, memory_mb: int) -> None:
        with self._lock:
            self._data.setdefault(cloud, {})[hostname] = {"node_uuid": node_uuid, "vcpus": vcpus,
                                                          "memory_mb": memory_mb}
            self._save()

    def remove(self, cloud: str, hostname: str) -> None:
        with self._lock:
            self._data.get(cloud, {}).pop(hostname, None)
            self._save()

    def hypervisors(self, cloud: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._data.get(cloud, {}))

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._data, indent=1, sort_keys=True))
        tmp.replace(self.path)
