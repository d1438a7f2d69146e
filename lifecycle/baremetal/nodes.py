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

import threading
from types import SimpleNamespace
from typing import Any

from lifecycle.baremetal.client import Api, ironic_endpoint, open_ironic
from lifecycle.baremetal.enroll import NodeWriting
from lifecycle.baremetal.errors import BaremetalError, sdk_error
from lifecycle.baremetal.gate import gate
from lifecycle.baremetal.introspection import Inspector
from lifecycle.baremetal.watch import NodeWatcher, Snapshot, WaitCancelled, WaitFailed, WaitTimeout
from lifecycle.model.endpoints import Endpoints

STABLE = ("enroll", "manageable", "available", "active", "inspect failed", "clean failed",
          "deploy failed", "error")


class Baremetal(NodeWriting):
    """One undercloud's Ironic, as i2 drives it. ``api``: what was negotiated with it (None: a
    bare connection, used as it is, inspection by Ironic's agent)."""

    def __init__(self, conn: Any, *, api: Api | None = None, interval: float = 0.5,
                 requests_at_once: int | None = None):
        self.conn = conn
        self.info = api
        if requests_at_once:
            gate(conn, requests_at_once)
        self.watcher = NodeWatcher(conn, interval=interval)
        self.inspector = Inspector(conn, interval=interval) if api and api.inspection == "inspector" \
            else None
        # name -> the node's state as this process last saw it settle (enrolled, or a wait that
        # ended): the next transition of that node starts from it instead of GETting it again.
        # Used once; a resumed run in another process has none and reads Ironic.
        self._settled: dict[str, SimpleNamespace] = {}
        self._settled_lock = threading.Lock()

    @classmethod
    def connect(cls, endpoints: Endpoints, undercloud: str, **kwargs: Any) -> Baremetal:
        """That undercloud's Ironic, gated to its endpoint's ``requests_at_once``."""
        kwargs.setdefault("requests_at_once", ironic_endpoint(endpoints, undercloud).requests_at_once)
        conn, api = open_ironic(endpoints, undercloud)
        return cls(conn, api=api, **kwargs)

    @property
    def api(self) -> Any:
        return self.conn.baremetal

    @property
    def inspection(self) -> str:
        """``inspector``, ``agent`` or ``none`` (docs/runbooks/rack.md)."""
        return self.info.inspection if self.info else "agent"

    def supports(self, feature: str) -> bool:
        return self.info is None or self.info.supports(feature)

    def need(self, feature: str, subject: str) -> None:
        """Refuse (permanently) what this undercloud's release lacks, naming both."""
        if self.info is not None:
            self.info.require(feature, subject)

    # -- reading -----------------------------------------------------------------------------

    def node(self, name: str) -> Any | None:
        """The node by name or UUID (Ironic resolves both on ``GET /v1/nodes/{ident}``).

        Not ``find_node``: on a miss it lists every node in detail to search by name, which made
        enrolling N new nodes cost O(N^2) in Ironic."""
        from openstack import exceptions as osx

        self.need("node_by_name", name)
        try:
            return self.api.get_node(name)
        except osx.NotFoundException:
            return None
        except Exception as exc:
            raise sdk_error(name, exc) from exc

    def remember(self, name: str, uuid: str, state: str | None) -> None:
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
        """(inventory, plugin_data) stored by the last inspection; ({}, {}) if none. Through
        ironic-inspector's processed data where the undercloud inspects with it (same shape)."""
        from openstack import exceptions as osx

        if self.inspector is not None:
            node = self.require(name)
            try:
                return self.inspector.data(node.id)
            except Exception as exc:
                raise sdk_error(name, exc) from exc
        self.need("agent_inspection" if self.inspection == "none" else "inventory", name)
        try:
            data = self.api.get_node_inventory(name)
        except osx.NotFoundException:
            return {}, {}
        except Exception as exc:
            raise sdk_error(name, exc) from exc
        return dict(data.get("inventory") or {}), dict(data.get("plugin_data") or {})

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
                raise sdk_error(name, exc) from exc

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
            self.remember(name, node.id, snap.get("provision_state"))
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
        self.need("manage", name)
        node = self._current(name)
        if node.provision_state in ("manageable", "available", "active"):
            return {"uuid": node.id, "provision_state": node.provision_state}
        return self.transition(name, "manage", target="manageable", node=node, **kw)

    def inspect(self, name: str, **kw: Any) -> Snapshot:
        """manageable -> inspecting -> manageable, the ramdisk posting its inventory (to Ironic,
        or to ironic-inspector where the undercloud has it: :meth:`introspect`)."""
        if self.inspector is not None:
            return self.introspect(name, **kw)
        self.need("agent_inspection" if self.inspection == "none" else "inspect", name)
        node = self.require(name)
        if node.provision_state == "inspect failed" and not node.target_provision_state:
            # A failed inspection is retried from manageable.
            self.transition(name, "manage", target="manageable", node=node, **kw)
            node = None
        return self.transition(name, "inspect", target="manageable", node=node, **kw)

    def introspect(self, name: str, *, timeout: float = 1800.0,
                   cancelled: threading.Event | None = None) -> Snapshot:
        """ironic-inspector's introspection of a ``manageable`` node, as TripleO Train starts
        it; the node stays ``manageable``. One already running (a resumed run) is waited for,
        a finished one started again (fresh data)."""
        assert self.inspector is not None
        node = self.require(name)
        if node.provision_state != "manageable" or node.target_provision_state:
            raise BaremetalError(name, f"introspection needs a manageable node, Ironic says "
                                       f"{node.provision_state}")
        try:
            status = self.inspector.status(node.id)
            if status is None or status["finished"]:
                self.inspector.start(node.id)
        except Exception as exc:
            raise sdk_error(name, exc) from exc
        try:
            snap = self.inspector.wait(node.id, timeout=timeout, cancelled=cancelled)
        except WaitFailed as exc:
            raise BaremetalError(name, str(exc)) from None
        except WaitTimeout as exc:
            raise BaremetalError(name, f"introspection: {exc}", transient=True) from None
        except WaitCancelled:
            raise BaremetalError(name, "introspection: cancelled", transient=True) from None
        return {"uuid": node.id, "provision_state": "manageable", "introspection": snap.get("state")}

    def provide(self, name: str, **kw: Any) -> Snapshot:
        self.need("manage", name)  # provide came with manage (API 1.4)
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
            raise sdk_error(name, exc) from exc
        with self._settled_lock:
            self._settled.pop(name, None)
        return True
