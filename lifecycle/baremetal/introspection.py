"""In-band inspection through ironic-inspector, as a Train undercloud does it.

TripleO Train's ``openstack overcloud node introspect`` (its Mistral workflow) calls inspector's
API directly for each ``manageable`` node (``POST /v1/introspection/<uuid>``); inspector boots
the node's ramdisk over PXE through Ironic, processes what the ramdisk posts, patches the node
and powers it off; the node stays ``manageable`` throughout. i2 does the same through
openstacksdk's ``baremetal_introspection`` proxy, waits for every node it started with one list
call per interval (``GET /v1/introspection``, paged), and reads the processed data
(``GET /v1/introspection/<uuid>/data``, as ``openstack baremetal introspection data save``).

Inspector's processed data carries the ramdisk's inventory and, per interface, what its
``lldp_basic`` hook parsed (``all_interfaces[name]['lldp_processed']``); :func:`from_inspector`
gives it the shape Ironic's own inspection stores (``inventory`` and ``plugin_data`` with
``parsed_lldp``), which :func:`~lifecycle.baremetal.inspection.inventory_findings` reads:

>>> data = {"inventory": {"interfaces": [{"name": "eno1", "mac_address": "94:40:c9:03:03:01"}]},
...         "all_interfaces": {"eno1": {"ip": "192.0.2.10", "mac": "94:40:c9:03:03:01", "pxe": True,
...             "lldp_processed": {"switch_system_name": "c02-leaf1", "switch_port_id": "Ethernet3"}}},
...         "macs": ["94:40:c9:03:03:01"]}
>>> inventory, plugin_data = from_inspector(data)
>>> inventory["interfaces"][0]["name"], plugin_data["parsed_lldp"]
('eno1', {'eno1': {'switch_system_name': 'c02-leaf1', 'switch_port_id': 'Ethernet3'}})
"""

from __future__ import annotations

import threading
from typing import Any

from lifecycle.baremetal.watch import NodeWatcher, Snapshot

PAGE = 1000  # inspector's default api_max_limit: the SDK pages on with a marker past it


def from_inspector(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Inspector's processed data -> ``(inventory, plugin_data)`` as Ironic's agent inspection
    stores them: the inventory apart, the rest as plugin data, LLDP under ``parsed_lldp``."""
    inventory = dict(data.get("inventory") or {})
    plugin = {k: v for k, v in data.items() if k != "inventory"}
    plugin["parsed_lldp"] = {name: dict(iface["lldp_processed"])
                             for name, iface in (data.get("all_interfaces") or {}).items()
                             if isinstance(iface, dict) and iface.get("lldp_processed")}
    return inventory, plugin


class IntrospectionWatcher(NodeWatcher):
    """The shared poller over inspector's introspection records (one list per interval)."""

    missing = "ironic-inspector has no introspection record for the node"

    def list_nodes(self) -> dict[str, Snapshot]:
        self.calls += 1
        return {i.id: {"uuid": i.id, "state": i.state, "finished": bool(i.is_finished), "error": i.error}
                for i in self.conn.baremetal_introspection.introspections(limit=PAGE)}


class Inspector:
    """One undercloud's ironic-inspector, reached through its Keystone catalog."""

    def __init__(self, conn: Any, *, interval: float = 0.5):
        self.conn = conn
        self.watcher = IntrospectionWatcher(conn, interval=interval)

    @property
    def api(self) -> Any:
        return self.conn.baremetal_introspection

    def status(self, uuid: str) -> Snapshot | None:
        """The node's last introspection (None: never introspected)."""
        from openstack import exceptions as osx

        try:
            i = self.api.get_introspection(uuid)
        except osx.NotFoundException:
            return None
        return {"uuid": i.id, "state": i.state, "finished": bool(i.is_finished), "error": i.error}

    def start(self, uuid: str) -> None:
        """``POST /v1/introspection/<uuid>``: inspector manages the boot (PXE) and power."""
        self.api.start_introspection(uuid)

    def wait(self, uuid: str, *, timeout: float, cancelled: threading.Event | None) -> Snapshot:
        """Until the introspection finished; WaitFailed naming inspector's error."""

        def failed(s: Snapshot) -> str | None:
            return f"introspection failed: {s['error']}" if s.get("finished") and s.get("error") else None

        return self.watcher.wait(uuid, lambda s: bool(s.get("finished")) and not s.get("error"),
                                 failed=failed, timeout=timeout, cancelled=cancelled)

    def data(self, uuid: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(inventory, plugin_data) of the last successful introspection; ({}, {}) if none."""
        from openstack import exceptions as osx

        try:
            data = self.api.get_introspection_data(uuid)
        except osx.NotFoundException:
            return {}, {}
        return from_inspector(dict(data))
