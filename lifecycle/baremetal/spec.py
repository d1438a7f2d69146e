"""What a server's Ironic node must look like, derived from the site model (pure).

Example (``site`` is a loaded site model)::

    spec = node_spec(site, site.servers[0], redfish_address="https://10.1.3.11",
                     redfish_system_id="/redfish/v1/Systems/1", bmc_username="i2",
                     bmc_password=password, bmc_ca_file=None, macs={"nic1": "94:40:c9:03:01:01"})
    spec.public()["driver_info"]["redfish_system_id"]      # '/redfish/v1/Systems/1'

Capabilities travel as Ironic's ``k:v`` text; TripleO schedules a role's nodes by ``node``:

>>> caps = parse_capabilities("boot_mode:uefi, profile:compute")
>>> caps
{'boot_mode': 'uefi', 'profile': 'compute'}
>>> capabilities_text({**caps, "node": f"{role_capability('ComputeNuage')}-0"})
'boot_mode:uefi,profile:compute,node:computenuage-0'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lifecycle.model.hardware import HardwareProfile
from lifecycle.model.schema import Server, Site


@dataclass
class PortSpec:
    nic: str
    mac: str  # lower-case, as Ironic stores it
    pxe: bool
    switch: str | None = None  # where the cabling plan says this NIC is plugged
    switch_port: str | None = None


@dataclass
class NodeSpec:
    """Everything i2 sets on a node. ``driver_info`` holds the BMC password: never log it."""

    name: str
    driver: str
    driver_info: dict[str, Any]
    interfaces: dict[str, str]
    properties: dict[str, Any]
    resource_class: str
    ports: list[PortSpec]
    capabilities: dict[str, str] = field(default_factory=dict)
    root_device: dict[str, Any] = field(default_factory=dict)
    automated_clean: bool | None = None

    def public(self) -> dict[str, Any]:
        """The spec without secrets, for plans and run records."""
        info = {k: v for k, v in self.driver_info.items() if "password" not in k}
        return {"name": self.name, "driver": self.driver, "driver_info": info,
                "interfaces": self.interfaces, "resource_class": self.resource_class,
                "ports": [p.__dict__ for p in self.ports], "capabilities": self.capabilities,
                "root_device": self.root_device}


def capabilities_text(caps: dict[str, str]) -> str:
    """Ironic stores capabilities as ``k1:v1,k2:v2``."""
    return ",".join(f"{k}:{v}" for k, v in caps.items())


def parse_capabilities(text: str | dict[str, Any] | None) -> dict[str, str]:
    if not text:
        return {}
    if isinstance(text, dict):
        return {str(k): str(v) for k, v in text.items()}
    out: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition(":")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def root_device_hint(profile: HardwareProfile) -> dict[str, Any]:
    rd = profile.ironic.root_device
    hint: dict[str, Any] = {}
    if rd.size_gb is not None:
        hint["size"] = rd.size_gb
    if rd.rotational is not None:
        hint["rotational"] = rd.rotational
    if rd.model is not None:
        hint["model"] = rd.model
    return hint


def expected_cabling(site: Site, server: Server) -> dict[str, tuple[str, str] | None]:
    """NIC name -> (switch, port) per the cabling plan (None: not cabled)."""
    out: dict[str, tuple[str, str] | None] = {}
    for nic in server.nics:
        peer = site.peer_of(f"{server.name}:{nic.name}")
        out[nic.name] = tuple(peer.split(":", 1)) if peer else None  # type: ignore[assignment]
    return out


def role_capability(role: str) -> str:
    """TripleO's ``<Role>SchedulerHints`` match ``capabilities:node`` = ``<role lower>-<index>``."""
    return role.lower()


def node_spec(site: Site, server: Server, *, redfish_address: str, redfish_system_id: str,
              bmc_username: str, bmc_password: str, bmc_ca_file: str | None,
              macs: dict[str, str], deploy_iso: str | None = None,
              automated_clean: bool | None = None) -> NodeSpec:
    """The node for ``server``: redfish driver on its iLO, ports from the MACs OneView reported
    (``macs``: NIC name -> MAC), properties and capabilities from its hardware profile."""
    profile = site.hardware_profiles[server.hardware_profile]
    driver_info: dict[str, Any] = {
        "redfish_address": redfish_address,
        "redfish_system_id": redfish_system_id,
        "redfish_username": bmc_username,
        "redfish_password": bmc_password,
    }
    if bmc_ca_file:
        driver_info["redfish_verify_ca"] = bmc_ca_file
    if deploy_iso:
        driver_info["deploy_iso"] = deploy_iso
    pxe = {n.name for n in profile.nics if n.pxe}
    cabling = expected_cabling(site, server)
    ports = []
    for nic in server.nics:
        where = cabling.get(nic.name)
        ports.append(PortSpec(nic.name, macs.get(nic.name, nic.mac).lower(), nic.name in pxe,
                              where[0] if where else None, where[1] if where else None))
    caps = {"boot_mode": profile.ironic.boot_mode, "profile": profile.ironic.profile,
            **profile.ironic.capabilities}
    return NodeSpec(
        name=server.name, driver="redfish", driver_info=driver_info,
        # inspect_interface is the undercloud's inspection path, set by the adapter
        # (Baremetal.interfaces): agent where Ironic inspects, the default where inspector does
        interfaces={"boot_interface": "redfish-virtual-media", "management_interface": "redfish",
                    "power_interface": "redfish"},
        properties={"cpu_arch": profile.inventory.cpu_arch},
        resource_class=profile.ironic.resource_class, ports=ports, capabilities=caps,
        root_device=root_device_hint(profile), automated_clean=automated_clean,
    )
