"""Rules of vports, VMs and VM interfaces, as the Nuage Neutron plugin drives them.

When a cloud boots a VM on a VSD-managed subnet the plugin creates a vport in the subnet
(``POST /subnets/{id}/vports``, ``type: VM``, ``externalID <port>@<cms>``) and then the VM
(``POST /vms`` with ``UUID``, ``name`` and ``interfaces: [{MAC, VPortID, IPAddress,
externalID}]``). The VSD turns each interface into a VM interface under the VM and fills in
where it sits (domain, zone, subnet, netmask, gateway); an interface naming only
``attachedNetworkID`` gets a vport created for it. An interface without ``IPAddress`` gets the
subnet's first free host address.

Refusals: a second VM interface on one vport (409 7010), an address in use (409 2704) or outside
the subnet, a full subnet (409 2702), a VM UUID already known (409 2748), deleting a vport that
a VM uses (409 7010) or a subnet/zone/domain with VMs on it (409 2506).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from lifecycle.lab.nuage import errors
from lifecycle.lab.nuage.network import network_of

if TYPE_CHECKING:
    from lifecycle.lab.nuage.store import VsdStore

VPORT_DERIVED = ("domainID", "domainName", "zoneID", "hasAttachedInterfaces", "autoCreated")
VM_DERIVED = ("interfaces", "enterpriseID", "enterpriseName", "domainIDs", "zoneIDs", "subnetIDs",
              "l2DomainIDs", "status")
VMIF_DERIVED = ("VMUUID", "VPortName", "domainID", "domainName", "zoneID", "zoneName", "attachedNetworkType",
                "netmask", "gateway", "networkName")


def interfaces_on(store: VsdStore, vport_id: str) -> list[dict[str, Any]]:
    return [d for d in store.by_kind.get("vminterface", {}).values() if d.get("VPortID") == vport_id]


def prepare_vport(store: VsdStore, doc: dict[str, Any], parent: dict[str, Any] | None) -> None:
    if parent is None:
        return
    if store.kinds[parent["ID"]] == "subnet":
        zone = store.parent(parent)
        domain = store.parent(zone) if zone else None
        doc["zoneID"] = zone["ID"] if zone else None
    else:  # an L2 domain is its own domain
        domain = parent
        doc["zoneID"] = None
    doc["domainID"] = domain["ID"] if domain else None
    doc["domainName"] = domain.get("name") if domain else None


def deleting_vport(store: VsdStore, doc: dict[str, Any]) -> None:
    if interfaces_on(store, doc["ID"]):
        raise errors.conflict(errors.VM_ON_VPORT, f"VPort {doc['name']} cannot be deleted: a VM interface "
                                                  "is attached to it. Delete the VM first.")


def deleting_network(store: VsdStore, rest: str, doc: dict[str, Any]) -> None:
    """A subnet, zone, domain or L2 domain with VMs on its vports cannot be deleted."""
    vports = {d for d in store.descendants(doc["ID"]) if store.kinds[d] == "vport"}
    if any(i.get("VPortID") in vports for i in store.by_kind.get("vminterface", {}).values()):
        raise errors.conflict(errors.VMS_ATTACHED, f"The {rest} {doc.get('name')} has VMs attached to it. "
                                                   "Delete the VMs first.")


def prepare_vm(store: VsdStore, doc: dict[str, Any], old: dict[str, Any] | None,
               body: dict[str, Any]) -> None:
    doc["interfaces"] = None  # rendered from the VM's interfaces
    if old is not None:
        return
    for other in store.by_kind.get("vm", {}).values():
        if other.get("UUID") == doc["UUID"]:
            raise errors.conflict(errors.VM_UUID_IN_USE, f"A VM with UUID {doc['UUID']} already exists.",
                                  "UUID")
    ifaces = body.get("interfaces") or []
    if not isinstance(ifaces, list) or not all(isinstance(i, dict) for i in ifaces):
        raise errors.invalid("interfaces", "interfaces must be a list of VM interfaces.")
    claimed: set[str] = set()
    for i in ifaces:  # refuse the whole VM before creating any of it
        subnet, vport = _locate(store, i)
        if vport is not None:
            if vport["ID"] in claimed:
                raise errors.conflict(errors.VM_ON_VPORT, f"Two interfaces on vport {vport['name']}.")
            claimed.add(vport["ID"])
        if i.get("IPAddress"):
            _check_ip(store, subnet, i["IPAddress"], None)


def created_vm(store: VsdStore, doc: dict[str, Any], body: dict[str, Any], user: str | None) -> None:
    for iface in body.get("interfaces") or []:
        store.create("vminterface", iface, doc["ID"], user)


def _locate(store: VsdStore, iface: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(subnet or L2 domain, vport or None) of an interface, from ``VPortID`` or ``attachedNetworkID``."""
    if not iface.get("MAC"):
        raise errors.invalid("MAC", "MAC: This value is mandatory.")
    vport_id = iface.get("VPortID")
    if vport_id:
        vport = store.docs.get(vport_id)
        if vport is None or store.kinds[vport_id] != "vport":
            raise errors.invalid("VPortID", f"VPort {vport_id} not found.")
        others = [d for d in interfaces_on(store, vport_id) if d.get("ID") != iface.get("ID")]
        if others:
            raise errors.conflict(errors.VM_ON_VPORT, f"VPort {vport['name']} already has a VM interface.")
        return store.docs[vport["parentID"]], vport
    net_id = iface.get("attachedNetworkID")
    if not net_id or store.kinds.get(net_id) not in ("subnet", "l2domain"):
        raise errors.invalid("VPortID", "A VM interface needs a VPortID or the attachedNetworkID of a "
                                        "subnet.")
    return store.docs[net_id], None


def _check_ip(store: VsdStore, subnet: dict[str, Any], ip: str, self_id: str | None) -> None:
    net = network_of(subnet)
    try:
        addr = ipaddress.IPv4Address(ip)
    except ValueError:
        raise errors.invalid("IPAddress", f"Invalid IP address {ip}.") from None
    if net is not None and (addr not in net or addr in (net.network_address, net.broadcast_address)
                            or ip == subnet.get("gateway")):
        raise errors.invalid("IPAddress", f"IP address {ip} is not a free host address of {net}.")
    for other in _interfaces_in(store, subnet["ID"]):
        if other.get("IPAddress") == ip and other["ID"] != self_id:
            raise errors.conflict(errors.IP_IN_USE, f"IP address {ip} is already in use in subnet "
                                                    f"{subnet['name']}.", "IPAddress")


def _interfaces_in(store: VsdStore, subnet_id: str) -> list[dict[str, Any]]:
    return [d for d in store.by_kind.get("vminterface", {}).values()
            if d.get("attachedNetworkID") == subnet_id]


def _allocate(store: VsdStore, subnet: dict[str, Any]) -> str | None:
    net = network_of(subnet)
    if net is None:
        return None
    used = {d.get("IPAddress") for d in _interfaces_in(store, subnet["ID"])} | {subnet.get("gateway")}
    for host in net.hosts():
        if str(host) not in used:
            return str(host)
    raise errors.conflict(errors.SUBNET_FULL, f"No free IP address left in subnet {subnet['name']} ({net}).")


def prepare_vminterface(store: VsdStore, doc: dict[str, Any], parent: dict[str, Any] | None,
                        old: dict[str, Any] | None) -> None:
    subnet, vport = _locate(store, doc)
    if old is not None and old.get("VPortID") and doc.get("VPortID") != old["VPortID"]:
        raise errors.invalid("VPortID", "A VM interface cannot move to another vport.")
    if doc.get("IPAddress"):
        if old is None or doc["IPAddress"] != old.get("IPAddress"):
            _check_ip(store, subnet, doc["IPAddress"], doc["ID"])
    else:
        doc["IPAddress"] = _allocate(store, subnet)
    zone = store.parent(subnet) if store.kinds[subnet["ID"]] == "subnet" else None
    domain = store.parent(zone) if zone else subnet
    doc.update({
        "VMUUID": parent.get("UUID") if parent else None, "attachedNetworkID": subnet["ID"],
        "attachedNetworkType": "SUBNET" if zone else "L2DOMAIN", "networkName": subnet.get("name"),
        "netmask": subnet.get("netmask"), "gateway": subnet.get("gateway"),
        "zoneID": zone["ID"] if zone else None, "zoneName": zone.get("name") if zone else None,
        "domainID": domain["ID"], "domainName": domain.get("name"),
        "VPortName": vport.get("name") if vport else None,
    })


def created_vminterface(store: VsdStore, doc: dict[str, Any], user: str | None) -> None:
    if doc.get("VPortID"):
        return
    name = (doc.get("externalID") or doc["MAC"]).split("@")[0]
    vport = store.create("vport", {"name": name, "type": "VM", "addressSpoofing": "INHERITED",
                                   "externalID": doc.get("externalID")}, doc["attachedNetworkID"], user)
    store.docs[vport["ID"]]["autoCreated"] = True
    doc["VPortID"], doc["VPortName"] = vport["ID"], vport["name"]


def removed_vminterface(store: VsdStore, doc: dict[str, Any]) -> None:
    vport = store.docs.get(doc.get("VPortID") or "")
    if vport is not None and vport.get("autoCreated") and not interfaces_on(store, vport["ID"]):
        store._remove(vport["ID"])


def render_vm(store: VsdStore, doc: dict[str, Any]) -> None:
    ifaces = [store.render(store.docs[c]) for c in store.children.get(doc["ID"], ())
              if store.kinds[c] == "vminterface"]
    doc["interfaces"] = ifaces
    domains = list(dict.fromkeys(i["domainID"] for i in ifaces if i.get("domainID")))
    doc["domainIDs"] = [d for d in domains if store.kinds.get(d) == "domain"]
    doc["l2DomainIDs"] = [d for d in domains if store.kinds.get(d) == "l2domain"]
    doc["zoneIDs"] = list(dict.fromkeys(i["zoneID"] for i in ifaces if i.get("zoneID")))
    doc["subnetIDs"] = list(dict.fromkeys(i["attachedNetworkID"] for i in ifaces
                                          if i.get("attachedNetworkType") == "SUBNET"))
    ent = store.docs.get(store.docs[domains[0]].get("parentID") or "") if domains else None
    doc["enterpriseID"] = ent["ID"] if ent else None
    doc["enterpriseName"] = ent.get("name") if ent else None
    doc["status"] = doc.get("status") or "RUNNING"


def render_vport(store: VsdStore, doc: dict[str, Any]) -> None:
    doc["hasAttachedInterfaces"] = bool(interfaces_on(store, doc["ID"]))


def vm_links(store: VsdStore, doc: dict[str, Any]) -> list[str]:
    return [store.docs[c].get("VPortID") for c in store.children.get(doc["ID"], ())
            if store.kinds[c] == "vminterface"]
