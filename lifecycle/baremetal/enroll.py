"""Writing nodes: enroll (node, interfaces, ports) and tag (capabilities, root device, resource
class), as this undercloud's release takes them. A mixin of :class:`~lifecycle.baremetal.nodes.Baremetal`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lifecycle.baremetal.errors import BaremetalError, sdk_error
from lifecycle.baremetal.spec import NodeSpec, capabilities_text, parse_capabilities

if TYPE_CHECKING:
    from lifecycle.baremetal.nodes import Baremetal


class NodeWriting:
    """Enroll and tag; every method first looks at what Ironic already has."""

    # -- enroll ------------------------------------------------------------------------------

    def enroll(self: Baremetal, spec: NodeSpec) -> dict[str, Any]:
        """Create the node (or bring its BMC settings and interfaces in line) and its ports.

        Returns ``{"uuid", "created", "updated": [fields], "ports_created": [macs]}``.
        """
        node = self.node(spec.name)
        created, updated = False, []
        interfaces = self.interfaces(spec)
        try:
            if node is None:
                attrs: dict[str, Any] = {
                    "name": spec.name, "driver": spec.driver, "driver_info": spec.driver_info,
                    "resource_class": spec.resource_class, "properties": dict(spec.properties),
                    **interfaces,
                }
                if self.cleaning(spec) is not None:
                    attrs["is_automated_clean_enabled"] = spec.automated_clean
                node = self.api.create_node(**attrs)
                created = True
                self.remember(spec.name, node.id, node.provision_state)
            else:
                updated = self.reconcile(node, spec, interfaces)
        except BaremetalError:
            raise
        except Exception as exc:
            raise sdk_error(spec.name, exc) from exc
        ports = self.ensure_ports(node.id, spec, fresh=created)
        skipped = [] if spec.automated_clean is None or self.supports("automated_clean") \
            else ["automated_clean"]
        return {"uuid": node.id, "created": created, "updated": updated, "ports_created": ports,
                "skipped": skipped}

    def interfaces(self: Baremetal, spec: NodeSpec) -> dict[str, str]:
        """The node's hardware interfaces as this undercloud takes them: ``inspect_interface``
        is ``agent`` where Ironic inspects itself, and left to the undercloud's default where
        ironic-inspector does (TripleO Train configures ``inspector``)."""
        self.need("resource_class", spec.name)
        out = dict(spec.interfaces)
        if self.info is not None and self.inspection == "agent":
            out["inspect_interface"] = "agent"
        if out:
            self.need("hardware_interfaces", spec.name)
        return out

    def cleaning(self: Baremetal, spec: NodeSpec) -> bool | None:
        """``automated_clean`` to set, None to leave (unset, or a release before API 1.47: the
        undercloud's [conductor]automated_clean applies, features.FALLBACKS)."""
        return spec.automated_clean if self.supports("automated_clean") else None

    def reconcile(self: Baremetal, node: Any, spec: NodeSpec, interfaces: dict[str, str]) -> list[str]:
        patch: list[dict[str, Any]] = []
        if node.driver != spec.driver:
            patch.append({"op": "replace", "path": "/driver", "value": spec.driver})
        info = dict(node.driver_info or {})
        for key, value in spec.driver_info.items():
            # Ironic masks stored passwords as "******": only set one that is absent.
            if "password" in key:
                if key not in info:
                    patch.append({"op": "add", "path": f"/driver_info/{key}", "value": value})
            elif info.get(key) != value:
                patch.append({"op": "add", "path": f"/driver_info/{key}", "value": value})
        for key, value in interfaces.items():
            if getattr(node, key, None) != value:
                patch.append({"op": "replace", "path": f"/{key}", "value": value})
        if node.resource_class != spec.resource_class:
            patch.append({"op": "replace", "path": "/resource_class", "value": spec.resource_class})
        if self.cleaning(spec) is not None and node.is_automated_clean_enabled != spec.automated_clean:
            patch.append({"op": "replace", "path": "/automated_clean", "value": spec.automated_clean})
        if patch:
            self.api.patch_node(node, patch)
        return [p["path"].split("/")[-1] if "password" in p["path"] else p["path"].lstrip("/")
                for p in patch]

    def ensure_ports(self: Baremetal, uuid: str, spec: NodeSpec, *, fresh: bool = False) -> list[str]:
        """One port per NIC MAC; a MAC already on another node is a permanent error.
        ``fresh``: the node was just created, so it has no ports to list."""
        from openstack import exceptions as osx

        self.need("pxe_enabled", spec.name)
        have = {} if fresh else {p.address.lower(): p for p in self.ports(uuid)}
        created = []
        for port in spec.ports:
            if port.mac in have:
                existing = have[port.mac]
                if bool(existing.is_pxe_enabled) != port.pxe:
                    self.api.patch_port(existing, [{"op": "replace", "path": "/pxe_enabled",
                                                    "value": port.pxe}])
                continue
            try:
                self.api.create_port(node_uuid=uuid, address=port.mac, is_pxe_enabled=port.pxe,
                                     extra={"nic": port.nic})
            except osx.ConflictException as exc:
                owner = next(iter(self.api.ports(address=port.mac, details=True)), None)
                where = f" (it belongs to node {owner.node_id})" if owner is not None else ""
                raise BaremetalError(spec.name, f"{port.nic} MAC {port.mac} is already enrolled{where}"
                                     ) from exc
            except Exception as exc:
                raise sdk_error(spec.name, exc) from exc
            created.append(port.mac)
        return created

    # -- tagging -----------------------------------------------------------------------------

    def capabilities(self: Baremetal, name: str) -> dict[str, str]:
        node = self.require(name)
        return parse_capabilities((node.properties or {}).get("capabilities"))

    def used_indices(self: Baremetal, prefix: str) -> dict[int, str]:
        """``node:<prefix>-N`` capabilities already taken in this Ironic: index -> node name."""
        pat = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
        used: dict[int, str] = {}
        for node in self.api.nodes(fields=["uuid", "name", "properties"]):
            caps = parse_capabilities((node.properties or {}).get("capabilities"))
            m = pat.match(caps.get("node", ""))
            if m:
                used[int(m.group(1))] = node.name or node.id
        return used

    def tag(self: Baremetal, spec: NodeSpec, *, node_index: str | None = None) -> list[str]:
        """Merge the profile's capabilities (and ``node:<role>-N``), root-device hint and
        resource class into the node; returns what changed (empty when already tagged)."""
        node = self.require(spec.name)
        props = dict(node.properties or {})
        caps = parse_capabilities(props.get("capabilities"))
        want = dict(caps)
        want.update(spec.capabilities)
        if node_index:
            want["node"] = node_index
        changes: list[str] = []
        patch: list[dict[str, Any]] = []
        self.need("resource_class", spec.name)
        if want != caps:
            changes += [f"capabilities.{k}={v}" for k, v in want.items() if caps.get(k) != v]
            patch.append({"op": "add", "path": "/properties/capabilities",
                          "value": capabilities_text(want)})
        if spec.root_device and props.get("root_device") != spec.root_device:
            changes.append(f"root_device={spec.root_device}")
            patch.append({"op": "add", "path": "/properties/root_device", "value": spec.root_device})
        for key, value in spec.properties.items():
            if props.get(key) != value:
                changes.append(f"{key}={value}")
                patch.append({"op": "add", "path": f"/properties/{key}", "value": value})
        if node.resource_class != spec.resource_class:
            changes.append(f"resource_class={spec.resource_class}")
            patch.append({"op": "replace", "path": "/resource_class", "value": spec.resource_class})
        if patch:
            try:
                self.api.patch_node(node, patch)
            except Exception as exc:
                raise sdk_error(spec.name, exc) from exc
        return changes
