"""The bare-metal facade: enroll, manage, inspect, tag and provide nodes in one Ironic.

Every method is idempotent and safe to call again after a crash at any point: it first looks
at what Ironic already has. Transitions are submitted and then waited for through the shared
:class:`~lifecycle.baremetal.watch.NodeWatcher` (one list call per interval for all nodes).

Example (needs a reachable Ironic)::

    bm = Baremetal.connect(endpoints, "uc-new")
    node = bm.enroll(spec)
    bm.manage(spec.name); bm.inspect(spec.name)
    inventory, plugin_data = bm.inventory(spec.name)
    bm.tag(spec, node_index="computenuage-0"); bm.provide(spec.name)
"""

from __future__ import annotations

import re
import threading
from types import SimpleNamespace
from typing import Any

from requests.adapters import HTTPAdapter

from lifecycle.baremetal.client import BaremetalError, connect, ironic_endpoint
from lifecycle.baremetal.spec import NodeSpec, capabilities_text, parse_capabilities
from lifecycle.baremetal.watch import NodeWatcher, Snapshot, WaitCancelled, WaitFailed, WaitTimeout
from lifecycle.model.endpoints import Endpoints

STABLE = ("enroll", "manageable", "available", "active", "inspect failed", "clean failed",
          "deploy failed", "error")


def _sdk_error(name: str, exc: Exception) -> BaremetalError:
    """openstacksdk exceptions -> BaremetalError; 5xx, 503 (conductor busy) and connection errors
    are transient, 4xx are not."""
    from openstack import exceptions as osx

    status = getattr(exc, "status_code", None)
    if isinstance(exc, osx.ConflictException) and "locked" in str(exc).lower():
        return BaremetalError(name, f"node is locked by the conductor: {exc}", transient=True)
    if isinstance(exc, osx.HttpException) and status is not None and status < 500:
        return BaremetalError(name, str(exc), transient=False)
    return BaremetalError(name, str(exc), transient=True)


class _GatedAdapter(HTTPAdapter):
    """At most N requests in flight to one Ironic, however many steps wait on it."""

    def __init__(self, gate: threading.Semaphore):
        super().__init__()
        self._gate = gate

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        with self._gate:
            return super().send(request, **kwargs)


def _gate(conn: Any, n: int) -> None:
    """Bound the requests in flight to one Ironic (its endpoint's ``requests_at_once``). A
    single-process Ironic on sqlite (the twin's: 2) spends concurrent requests in contention,
    not throughput (76 CPU-s instead of 41 for the same 100 nodes at 32 requests at once); a
    production undercloud's httpd-hosted API takes more (default 8, docs/endpoints.md). Steps
    keep waiting in parallel; their requests queue."""
    gate = threading.Semaphore(n)
    session = conn.session.session
    for prefix in ("http://", "https://"):
        session.mount(prefix, _GatedAdapter(gate))


class Baremetal:
    """One undercloud's Ironic, as i2 drives it."""

    def __init__(self, conn: Any, *, interval: float = 0.5, requests_at_once: int | None = None):
        self.conn = conn
        if requests_at_once:
            _gate(conn, requests_at_once)
        self.watcher = NodeWatcher(conn, interval=interval)
        # name -> the node's state as this process last saw it settle (enrolled, or a wait that
        # ended): the next transition of that node starts from it instead of GETting it again.
        # Used once; a resumed run in another process has none and reads Ironic.
        self._settled: dict[str, SimpleNamespace] = {}
        self._settled_lock = threading.Lock()

    @classmethod
    def connect(cls, endpoints: Endpoints, undercloud: str, **kwargs: Any) -> Baremetal:
        """That undercloud's Ironic, gated to its endpoint's ``requests_at_once``."""
        kwargs.setdefault("requests_at_once", ironic_endpoint(endpoints, undercloud).requests_at_once)
        return cls(connect(endpoints, undercloud), **kwargs)

    @property
    def api(self) -> Any:
        return self.conn.baremetal

    # -- reading -----------------------------------------------------------------------------

    def node(self, name: str) -> Any | None:
        """The node by name or UUID (Ironic resolves both on ``GET /v1/nodes/{ident}``).

        Not ``find_node``: on a miss it lists every node in detail to search by name, which made
        enrolling N new nodes cost O(N^2) in Ironic."""
        from openstack import exceptions as osx

        try:
            return self.api.get_node(name)
        except osx.NotFoundException:
            return None
        except Exception as exc:
            raise _sdk_error(name, exc) from exc

    def _remember(self, name: str, uuid: str, state: str | None) -> None:
        with self._settled_lock:
            self._settled[name] = SimpleNamespace(id=uuid, provision_state=state,
                                                  target_provision_state=None)

    def _current(self, name: str) -> Any:
        with self._settled_lock:
            seen = self._settled.pop(name, None)
        return seen if seen is not None else self.require(name)

    def require(self, name: str) -> Any:
        node = self.node(name)
        if node is None:
            raise BaremetalError(name, "not enrolled in Ironic")
        return node

    def ports(self, uuid: str) -> list[Any]:
        return list(self.api.ports(node_uuid=uuid, details=True))

    def inventory(self, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(inventory, plugin_data) stored by the last inspection; ({}, {}) if none."""
        from openstack import exceptions as osx

        try:
            data = self.api.get_node_inventory(name)
        except osx.NotFoundException:
            return {}, {}
        except Exception as exc:
            raise _sdk_error(name, exc) from exc
        return dict(data.get("inventory") or {}), dict(data.get("plugin_data") or {})

    # -- enroll ------------------------------------------------------------------------------

    def enroll(self, spec: NodeSpec) -> dict[str, Any]:
        """Create the node (or bring its BMC settings and interfaces in line) and its ports.

        Returns ``{"uuid", "created", "updated": [fields], "ports_created": [macs]}``.
        """
        node = self.node(spec.name)
        created, updated = False, []
        try:
            if node is None:
                attrs: dict[str, Any] = {
                    "name": spec.name, "driver": spec.driver, "driver_info": spec.driver_info,
                    "resource_class": spec.resource_class, "properties": dict(spec.properties),
                    **spec.interfaces,
                }
                if spec.automated_clean is not None:
                    attrs["is_automated_clean_enabled"] = spec.automated_clean
                node = self.api.create_node(**attrs)
                created = True
                self._remember(spec.name, node.id, node.provision_state)
            else:
                updated = self._reconcile(node, spec)
        except BaremetalError:
            raise
        except Exception as exc:
            raise _sdk_error(spec.name, exc) from exc
        ports = self.ensure_ports(node.id, spec, fresh=created)
        return {"uuid": node.id, "created": created, "updated": updated, "ports_created": ports}

    def _reconcile(self, node: Any, spec: NodeSpec) -> list[str]:
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
        for key, value in spec.interfaces.items():
            if getattr(node, key, None) != value:
                patch.append({"op": "replace", "path": f"/{key}", "value": value})
        if node.resource_class != spec.resource_class:
            patch.append({"op": "replace", "path": "/resource_class", "value": spec.resource_class})
        if spec.automated_clean is not None and node.is_automated_clean_enabled != spec.automated_clean:
            patch.append({"op": "replace", "path": "/automated_clean", "value": spec.automated_clean})
        if patch:
            self.api.patch_node(node, patch)
        return [p["path"].split("/")[-1] if "password" in p["path"] else p["path"].lstrip("/")
                for p in patch]

    def ensure_ports(self, uuid: str, spec: NodeSpec, *, fresh: bool = False) -> list[str]:
        """One port per NIC MAC; a MAC already on another node is a permanent error.
        ``fresh``: the node was just created, so it has no ports to list."""
        from openstack import exceptions as osx

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
                raise _sdk_error(spec.name, exc) from exc
            created.append(port.mac)
        return created

    # -- transitions -------------------------------------------------------------------------

    def transition(self, name: str, action: str, *, target: str, timeout: float = 900.0,
                   cancelled: threading.Event | None = None, node: Any = None) -> Snapshot:
        """Submit ``action`` (manage, inspect, provide, ...) and wait for ``target``.
        ``node``: the node as just read (saves a GET)."""
        node = node if node is not None else self.require(name)
        # inspect starts and ends in manageable: only other transitions can be already done
        if action != "inspect" and node.provision_state == target and not node.target_provision_state:
            return {"uuid": node.id, "provision_state": target}
        start = node.provision_state  # before submitting: the SDK refreshes ``node`` in place
        if not node.target_provision_state:  # else already on its way (a resumed run): wait
            try:
                self._provision(node.id, action)
            except Exception as exc:
                raise _sdk_error(name, exc) from exc

        def failed(n: Snapshot) -> str | None:
            state = n.get("provision_state")
            if n.get("target_provision_state"):
                return None
            if state in ("inspect failed", "clean failed", "deploy failed", "error"):
                return f"{action} failed ({state}): {n.get('last_error') or 'no error recorded'}"
            if state != target and state == start and n.get("last_error"):
                return f"{action} failed (still {state}): {n['last_error']}"
            return None

        try:
            snap = self.watcher.wait(node.id, lambda n: n.get("provision_state") == target
                                     and not n.get("target_provision_state"),
                                     failed=failed, timeout=timeout, cancelled=cancelled)
            self._remember(name, node.id, snap.get("provision_state"))
            return snap
        except WaitFailed as exc:
            raise BaremetalError(name, str(exc)) from None
        except WaitTimeout as exc:
            raise BaremetalError(name, f"{action}: {exc}", transient=True) from None
        except WaitCancelled:
            raise BaremetalError(name, f"{action}: cancelled", transient=True) from None

    def _provision(self, uuid: str, action: str) -> None:
        """``PUT /v1/nodes/{uuid}/states/provision``. The SDK's set_node_provision_state GETs
        the node again afterwards; the watcher follows it anyway, so that GET is saved."""
        from openstack import exceptions as osx

        resp = self.api.put(f"/nodes/{uuid}/states/provision", json={"target": action}, raise_exc=False)
        osx.raise_from_response(resp)

    def manage(self, name: str, **kw: Any) -> Snapshot:
        """enroll -> manageable (Ironic verifies the BMC credentials and power state)."""
        node = self._current(name)
        if node.provision_state in ("manageable", "available", "active"):
            return {"uuid": node.id, "provision_state": node.provision_state}
        return self.transition(name, "manage", target="manageable", node=node, **kw)

    def inspect(self, name: str, **kw: Any) -> Snapshot:
        """manageable -> inspecting -> manageable, the ramdisk posting its inventory."""
        node = self.require(name)
        if node.provision_state == "inspect failed" and not node.target_provision_state:
            # A failed inspection is retried from manageable.
            self.transition(name, "manage", target="manageable", node=node, **kw)
            node = None
        return self.transition(name, "inspect", target="manageable", node=node, **kw)

    def provide(self, name: str, **kw: Any) -> Snapshot:
        node = self._current(name)
        if node.provision_state in ("available", "active"):
            return {"uuid": node.id, "provision_state": node.provision_state}
        return self.transition(name, "provide", target="available", node=node, **kw)

    def undeploy(self, name: str, **kw: Any) -> Snapshot:
        """active -> (cleaning) -> available: the instance is torn down."""
        node = self._current(name)
        if node.provision_state in ("available", "manageable", "enroll") and not node.target_provision_state:
            return {"uuid": node.id, "provision_state": node.provision_state}
        return self.transition(name, "deleted", target="available", node=node, **kw)

    def delete(self, name: str) -> bool:
        """Remove the node from this Ironic (another undercloud takes it over); False if absent."""
        node = self.node(name)
        if node is None:
            return False
        try:
            self.api.delete_node(node.id)
        except Exception as exc:
            raise _sdk_error(name, exc) from exc
        with self._settled_lock:
            self._settled.pop(name, None)
        return True

    # -- tagging -----------------------------------------------------------------------------

    def capabilities(self, name: str) -> dict[str, str]:
        node = self.require(name)
        return parse_capabilities((node.properties or {}).get("capabilities"))

    def used_indices(self, prefix: str) -> dict[int, str]:
        """``node:<prefix>-N`` capabilities already taken in this Ironic: index -> node name."""
        pat = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
        used: dict[int, str] = {}
        for node in self.api.nodes(fields=["uuid", "name", "properties"]):
            caps = parse_capabilities((node.properties or {}).get("capabilities"))
            m = pat.match(caps.get("node", ""))
            if m:
                used[int(m.group(1))] = node.name or node.id
        return used

    def tag(self, spec: NodeSpec, *, node_index: str | None = None) -> list[str]:
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
                raise _sdk_error(spec.name, exc) from exc
        return changes
