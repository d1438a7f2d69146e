"""Files TripleO reads: ``instackenv.json`` (node import) and ``baremetal_deployment.yaml``.

>>> from lifecycle.baremetal.spec import PortSpec
>>> spec = NodeSpec("c02-s01", "redfish", {"redfish_address": "https://10.1.3.11",
...                 "redfish_system_id": "/redfish/v1/Systems/1", "redfish_username": "i2",
...                 "redfish_password": "pw"}, {}, {"cpu_arch": "x86_64"}, "baremetal",
...                 [PortSpec("nic1", "94:40:c9:03:01:01", pxe=True)])
>>> node = instackenv([spec], node_indices={"c02-s01": "computenuage-0"}, include_secrets=False)["nodes"][0]
>>> node["pm_type"], node["pm_password"], node["capabilities"], node["ports"]
('redfish', '<secret>', 'node:computenuage-0',
 [{'address': '94:40:c9:03:01:01', 'physical_network': 'ctlplane'}])
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from lifecycle.baremetal.spec import NodeSpec, capabilities_text


def instackenv(specs: list[NodeSpec], *, node_indices: dict[str, str] | None = None,
               include_secrets: bool = True) -> dict[str, Any]:
    """The ``openstack overcloud node import`` document. Without ``include_secrets`` the BMC
    password is a placeholder (for review); the real file is written 0600."""
    nodes = []
    for spec in specs:
        info = spec.driver_info
        caps = dict(spec.capabilities)
        if node_indices and spec.name in node_indices:
            caps["node"] = node_indices[spec.name]
        node: dict[str, Any] = {
            "name": spec.name,
            "pm_type": spec.driver,
            "pm_addr": info["redfish_address"],
            "pm_system_id": info["redfish_system_id"],
            "pm_user": info["redfish_username"],
            "pm_password": info["redfish_password"] if include_secrets else "<secret>",
            "ports": [{"address": p.mac, "physical_network": "ctlplane"} for p in spec.ports if p.pxe]
            or [{"address": spec.ports[0].mac, "physical_network": "ctlplane"}],
            "capabilities": capabilities_text(caps),
            "resource_class": spec.resource_class,
            "arch": spec.properties.get("cpu_arch", "x86_64"),
        }
        if spec.root_device:
            node["root_device"] = spec.root_device
        nodes.append(node)
    return {"nodes": nodes}


def baremetal_deployment(roles: dict[str, list[tuple[str, str]]],
                         hostname_formats: dict[str, str]) -> list[dict[str, Any]]:
    """``roles``: role -> [(node name, hostname)] in index order."""
    out = []
    for role, members in roles.items():
        entry: dict[str, Any] = {"name": role, "count": len(members)}
        if role in hostname_formats:
            entry["hostname_format"] = hostname_formats[role]
        entry["instances"] = [{"hostname": host, "name": node} for node, host in members]
        out.append(entry)
    return out


def write_private(path: Path, text: str) -> None:
    """Write a file that may hold secrets, readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def dump_instackenv(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def dump_deployment(doc: list[dict[str, Any]]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)
