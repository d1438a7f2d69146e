"""The undercloud's hands on its real Ironic: what Nova's Ironic driver does for an overcloud.

A deploy sets ``instance_uuid`` (the undercloud Nova server) and ``instance_info`` and moves the
node to ``active``; a delete moves it back to ``available``. Redfish nodes deploy with the
``ramdisk`` deploy interface booting an ISO through the BMC's virtual media, which works with
sushy-tools' fake systems (wire-facts.md); fake-hardware nodes deploy with their fake interfaces.
The deploy interface switch is a documented twin deviation (docs/twin.md).

Example (needs the lab's Ironic)::

    nodes = IronicNodes(ironic_url, boot_iso="http://127.0.0.1:8080/overcloud.iso")
    nodes.deploy(node, server_id, "c02-s01")
    nodes.wait([node["uuid"]], "active")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

FIELDS = ["uuid", "name", "properties", "provision_state", "target_provision_state", "instance_uuid",
          "driver", "deploy_interface", "last_error", "instance_info", "resource_class"]
FAILED = ("deploy failed", "error", "clean failed")


class IronicNodes:
    def __init__(self, url: str, *, boot_iso: str = "", interval: float = 0.5) -> None:
        import openstack

        self.url = url
        self.boot_iso = boot_iso
        self.interval = interval
        self.conn = openstack.connect(auth_type="none", baremetal_endpoint_override=url,
                                      baremetal_api_version="1.115", load_yaml_config=False,
                                      load_envvars=False)
        self._lock = threading.Lock()  # one list call at a time from this undercloud

    @property
    def api(self) -> Any:
        return self.conn.baremetal

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            found = list(self.api.nodes(fields=FIELDS))
        return [{"uuid": n.id, "name": n.name, "properties": dict(n.properties or {}),
                 "provision_state": n.provision_state, "target_provision_state": n.target_provision_state,
                 "instance_uuid": n.instance_id, "driver": n.driver, "deploy_interface": n.deploy_interface,
                 "last_error": n.last_error, "instance_info": dict(n.instance_info or {})}
                for n in found]

    # -- deploy / undeploy ---------------------------------------------------------------------

    def deploy(self, node: dict[str, Any], server_id: str, hostname: str) -> None:
        info: dict[str, Any] = {"display_name": hostname}
        patch = [{"op": "add", "path": "/instance_uuid", "value": server_id}]
        if node.get("driver") == "redfish":
            info.update(boot_iso=self.boot_iso, ramdisk_image_download_source="http")
            if node.get("deploy_interface") != "ramdisk":
                patch.append({"op": "replace", "path": "/deploy_interface", "value": "ramdisk"})
        patch.append({"op": "add", "path": "/instance_info", "value": info})
        self.api.patch_node(node["uuid"], patch)
        self.api.set_node_provision_state(node["uuid"], "active")

    def undeploy(self, uuid: str) -> None:
        self.api.set_node_provision_state(uuid, "deleted")

    def wait(self, uuids: Iterable[str], target: str, *, timeout: float = 600.0,
             progress: Any = None) -> dict[str, str | None]:
        """Wait until each node is ``target`` (-> None) or failed (-> its error); a node still
        on its way at ``timeout`` is reported as failed. ``progress(uuid, error)`` on each end."""
        todo = set(uuids)
        out: dict[str, str | None] = {}
        deadline = time.monotonic() + timeout
        while todo:
            for n in self.list():
                uid = n["uuid"]
                if uid not in todo or n.get("target_provision_state"):
                    continue
                state = n.get("provision_state")
                if state == target:
                    out[uid] = None
                elif state in FAILED:
                    out[uid] = f"{state}: {n.get('last_error') or 'no error recorded'}"
                else:
                    continue
                todo.discard(uid)
                if progress is not None:
                    progress(uid, out[uid])
            if todo and time.monotonic() > deadline:
                for uid in todo:
                    out[uid] = f"still not {target} after {timeout:.0f} s"
                break
            if todo:
                time.sleep(self.interval)
        return out

    # -- enrolment (the lab seeds in-service clouds) ----------------------------------------------

    def create_fake(self, name: str, *, properties: dict[str, Any], resource_class: str) -> dict[str, Any]:
        """A new fake-hardware node named ``name``, as :meth:`list` shows it."""
        node = self.api.create_node(name=name, driver="fake-hardware", properties=properties,
                                    resource_class=resource_class, is_automated_clean_enabled=False)
        return {"uuid": node.id, "name": name, "provision_state": node.provision_state,
                "driver": "fake-hardware", "properties": properties, "instance_uuid": None}
