"""Rules of the VSD's network objects: enterprises, domain templates, domains, zones, subnets.

- An enterprise (a Neutron net-partition) comes with its default groups.
- A domain is instantiated from a domain template of its enterprise (``templateID``): the
  template's zone templates become zones, their subnet templates subnets, its policy group
  templates policy groups, and its ingress/egress ACL templates are copied with their entries
  (defaults, priorities, and references to template
  zones/subnets pointed at the new zones/subnets).
- A subnet's ``address``/``netmask`` must be a network (no host bits), its gateway a host of it
  (the first host when not given), and no two subnets of one domain may overlap.

>>> network_of({"address": "10.1.0.0", "netmask": "255.255.255.0"})
IPv4Network('10.1.0.0/24')
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from lifecycle.lab.nuage import errors
from lifecycle.lab.nuage.schema import AUDITED, Kind

if TYPE_CHECKING:
    from lifecycle.lab.nuage.store import VsdStore

DEFAULT_GROUPS = (("Administrators", "ORGADMIN"), ("Everybody", "USER"),
                  ("Network Designers", "ORGNETWORKDESIGNER"))
# Attributes a copy from a template does not take over (the VSD sets them on the instance).
_NOT_COPIED = (*AUDITED, "externalID", "templateID", "associatedLiveEntityID", "associatedLiveTemplateID")


def network_of(doc: dict[str, Any], prefix: str = "") -> ipaddress.IPv4Network | None:
    """The IPv4 network of a subnet/subnet template/zone/macro document, None when it has none."""
    address, netmask = doc.get(prefix + "address"), doc.get(prefix + "netmask")
    if not address or not netmask:
        return None
    try:
        return ipaddress.IPv4Network(f"{address}/{netmask}", strict=True)
    except ValueError:
        return None


def check_network(doc: dict[str, Any], *, required: bool, gateway: bool) -> ipaddress.IPv4Network | None:
    address, netmask = doc.get("address"), doc.get("netmask")
    if not address and not netmask and not required:
        return None
    if not address:
        raise errors.invalid("address", "address: This value is mandatory.")
    if not netmask:
        raise errors.invalid("netmask", "netmask: This value is mandatory.")
    try:
        net = ipaddress.IPv4Network(f"{address}/{netmask}", strict=False)
    except ValueError:
        raise errors.invalid("address", f"Invalid IP address {address} / netmask {netmask}.") from None
    if str(net.network_address) != address:
        raise errors.invalid("address", f"Invalid network address {address}/{netmask}: the address has "
                                        f"host bits set (network is {net}).")
    if gateway and net.prefixlen < 31:
        gw = doc.get("gateway")
        if not gw:
            doc["gateway"] = str(net.network_address + 1)
        else:
            try:
                ip = ipaddress.IPv4Address(gw)
            except ValueError:
                raise errors.invalid("gateway", f"Invalid gateway IP address {gw}.") from None
            if ip not in net or ip in (net.network_address, net.broadcast_address):
                raise errors.invalid("gateway", f"Gateway {gw} is not a host address of {net}.")
    return net


def prepare_enterprise(store: VsdStore, doc: dict[str, Any]) -> None:
    doc["enterpriseType"] = doc.get("enterpriseType") or "NORMAL"


def created_enterprise(store: VsdStore, doc: dict[str, Any], user: str | None) -> None:
    for name, role in DEFAULT_GROUPS:
        store.create("group", {"name": name, "role": role, "private": False,
                               "description": f"{name} of {doc['name']}"}, doc["ID"], user)


def prepare_domain(store: VsdStore, doc: dict[str, Any], parent: dict[str, Any] | None,
                   old: dict[str, Any] | None) -> None:
    if old is not None:
        doc["templateID"] = old["templateID"]  # a domain's template is fixed at instantiation
        return
    tpl = store.docs.get(doc["templateID"] or "")
    if tpl is None or store.kinds[tpl["ID"]] != "domaintemplate":
        raise errors.invalid("templateID", f"Domain template {doc['templateID']} not found.")
    if parent is not None and tpl["parentID"] != parent["ID"]:
        raise errors.invalid("templateID", f"Domain template {tpl['name']} belongs to another enterprise.")
    doc["enterpriseID"] = parent["ID"] if parent else None
    for key in ("DPI", "encryption", "multicast"):  # inherited from the template unless given
        if doc.get(key) in (None, "INHERITED") and tpl.get(key) is not None:
            doc[key] = tpl[key]


def copy_attrs(store: VsdStore, kind: Kind, src: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {k: v for k, v in src.items() if k in kind.attrs and k not in _NOT_COPIED and v is not None}
    body.update(extra)
    return body


def created_domain(store: VsdStore, doc: dict[str, Any], user: str | None) -> None:
    """Instantiate the template: zones (and their subnets), then the ACL templates and entries."""
    tpl_id = doc["templateID"]
    mapping = {tpl_id: doc["ID"]}
    schema = store.schema
    for zt_id in list(store.children.get(tpl_id, ())):
        if store.kinds[zt_id] != "zonetemplate":
            continue
        zt = store.docs[zt_id]
        zone = store.create("zone", copy_attrs(store, schema.kind("zone"), zt, templateID=zt_id),
                            doc["ID"], user)
        mapping[zt_id] = zone["ID"]
        for st_id in [c for c in store.children.get(zt_id, ()) if store.kinds[c] == "subnettemplate"]:
            st = store.docs[st_id]
            sub = store.create("subnet", copy_attrs(store, schema.kind("subnet"), st, templateID=st_id),
                               zone["ID"], user)
            mapping[st_id] = sub["ID"]
    for pgt_id in [c for c in store.children.get(tpl_id, ()) if store.kinds[c] == "policygrouptemplate"]:
        pg = store.create("policygroup", copy_attrs(store, schema.kind("policygroup"), store.docs[pgt_id]),
                          doc["ID"], user)
        mapping[pgt_id] = pg["ID"]
    for acl_rest in ("ingressacltemplate", "egressacltemplate"):
        entry_rest = acl_rest.replace("acltemplate", "aclentrytemplate")
        for acl_id in [c for c in store.children.get(tpl_id, ()) if store.kinds[c] == acl_rest]:
            acl = store.create(acl_rest, copy_attrs(store, schema.kind(acl_rest), store.docs[acl_id]),
                               doc["ID"], user)
            for e_id in [c for c in store.children.get(acl_id, ()) if store.kinds[c] == entry_rest]:
                src = store.docs[e_id]
                body = copy_attrs(store, schema.kind(entry_rest), src)
                for ref in ("locationID", "networkID"):
                    if body.get(ref) in mapping:
                        body[ref] = mapping[body[ref]]
                store.create(entry_rest, body, acl["ID"], user)


def deleting_template(store: VsdStore, doc: dict[str, Any]) -> None:
    """A domain template with domains instantiated from it cannot be deleted (their templateID)."""
    for d in store.by_kind.get("domain", {}).values():
        if d.get("templateID") == doc["ID"]:
            raise errors.conflict(errors.NOT_ALLOWED, f"Domain template {doc['name']} is in use by domain "
                                                      f"{d['name']}.")


def prepare_subnet(store: VsdStore, rest: str, doc: dict[str, Any], parent: dict[str, Any] | None,
                   old: dict[str, Any] | None) -> None:
    """Address checks and, inside one domain (or domain template), no overlapping subnets."""
    if old is not None and rest == "subnet":
        doc["templateID"] = old.get("templateID")
    ipv4 = doc.get("IPType") in (None, "IPV4", "DUALSTACK")
    net = check_network(doc, required=ipv4, gateway=True)
    if net is None or parent is None:
        return
    top = "domain" if rest == "subnet" else "domaintemplate"
    domain = store.up(doc, top)
    if domain is None:
        return
    for oid in store.descendants(domain["ID"]):
        if store.kinds[oid] != rest or oid == doc["ID"]:
            continue
        other = store.docs[oid]
        other_net = network_of(other)
        if other_net is not None and net.overlaps(other_net):
            raise errors.conflict(errors.OVERLAP, f"Network {net} overlaps with existing network {other_net} "
                                                  f"of {rest} {other['name']} in {top} {domain['name']}.",
                                  "address")
