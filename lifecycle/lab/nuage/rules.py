"""Which VSD rule applies to which kind: the store calls these hooks, kind by kind.

Every kind gets the generic behaviour (attributes and choices from vspk, required attributes,
unique names and externalIDs among siblings, audited fields); the kinds the upgrade depends on
add their rules from :mod:`network`, :mod:`vms` and :mod:`policy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.nuage import decisions, network, policy, vms
from lifecycle.lab.nuage.schema import Kind

if TYPE_CHECKING:
    from lifecycle.lab.nuage.store import VsdStore

# Attributes the VSD computes itself, per kind: ignored in request bodies.
_DERIVED: dict[str, tuple[str, ...]] = {
    "vport": vms.VPORT_DERIVED,
    "vm": vms.VM_DERIVED,
    "vminterface": vms.VMIF_DERIVED,
    "permission": policy.PERMISSION_DERIVED,
    "ingressaclentrytemplate": policy.ENTRY_DERIVED,
    "egressaclentrytemplate": policy.ENTRY_DERIVED,
    "domain": ("enterpriseID",),
    "enterprise": ("enterpriseType",),
}
_NETWORKS = ("subnet", "zone", "domain", "l2domain", "enterprise")


def derived(rest: str) -> tuple[str, ...]:
    return _DERIVED.get(rest, ())


def prepare(store: VsdStore, kind: Kind, doc: dict[str, Any], parent: dict[str, Any] | None,
            old: dict[str, Any] | None, body: dict[str, Any]) -> None:
    """Validate and complete ``doc`` before it is stored (``old`` is None on create)."""
    rest = kind.rest
    if rest == "enterprise":
        network.prepare_enterprise(store, doc)
    elif rest == "domain":
        network.prepare_domain(store, doc, parent, old)
    elif rest in ("subnet", "subnettemplate"):
        network.prepare_subnet(store, rest, doc, parent, old)
    elif rest == "vport":
        vms.prepare_vport(store, doc, parent)
    elif rest == "vm":
        vms.prepare_vm(store, doc, old, body)
    elif rest == "vminterface":
        vms.prepare_vminterface(store, doc, parent, old)
    elif rest in policy.ENTRY_KINDS:
        policy.prepare_entry(store, rest, doc, parent, old)
    elif rest == "enterprisenetwork":
        policy.prepare_macro(store, doc)
    elif rest == "permission":
        policy.prepare_permission(store, doc)
    elif rest == "user":
        policy.prepare_user(store, doc, old, body)


def created(store: VsdStore, kind: Kind, doc: dict[str, Any], body: dict[str, Any], user: str | None) -> None:
    """Side effects of a create: objects the VSD makes along with this one."""
    if kind.rest == "enterprise":
        network.created_enterprise(store, doc, user)
    elif kind.rest == "domain":
        network.created_domain(store, doc, user)
    elif kind.rest == "vm":
        vms.created_vm(store, doc, body, user)
    elif kind.rest == "vminterface":
        vms.created_vminterface(store, doc, user)


def updated(store: VsdStore, kind: Kind, doc: dict[str, Any]) -> None:
    """Copies the VSD keeps in step: a vport's name in its VM interface."""
    if kind.rest == "vport":
        for iface in vms.interfaces_on(store, doc["ID"]):
            iface["VPortName"] = doc.get("name")


def deleting(store: VsdStore, rest: str, doc: dict[str, Any]) -> None:
    """Refuse a delete the VSD refuses (raise a VsdError)."""
    if rest == "vport":
        vms.deleting_vport(store, doc)
    elif rest in _NETWORKS:
        vms.deleting_network(store, rest, doc)
    elif rest == "domaintemplate":
        network.deleting_template(store, doc)


def removed(store: VsdStore, rest: str, doc: dict[str, Any]) -> None:
    if rest == "vminterface":
        vms.removed_vminterface(store, doc)


def assigning(store: VsdStore, parent_rest: str, parent: dict[str, Any], rest: str, ids: list[str]) -> None:
    policy.assigning_policygroups(store, parent_rest, parent, rest, ids)


def links(store: VsdStore, rest: str, doc: dict[str, Any]) -> list[str]:
    """What else than its parent an object is listed under."""
    if rest == "vminterface":
        return [doc.get("VPortID")]
    if rest == "vm":
        return vms.vm_links(store, doc)
    if rest in ("domain", "zone", "subnet"):
        return [doc.get("templateID")]
    if rest == "group":
        return policy.group_links(store, doc)
    return []


def render(store: VsdStore, rest: str, doc: dict[str, Any]) -> None:
    """Fill what is computed when shown (a VM's interfaces)."""
    if rest == "vm":
        vms.render_vm(store, doc)
    elif rest == "vport":
        vms.render_vport(store, doc)
    elif rest == "user":
        doc["password"] = None  # the VSD never shows it
    elif rest in decisions.INTERFACE_KINDS:
        doc["policyDecisionID"] = decisions.decision_id(doc["ID"])
