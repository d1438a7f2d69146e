"""Rules of security policy objects: ACL templates and entries, network macros, policy groups,
permissions and users.

ACL entries (semantics from the VSD API specification's attribute descriptions):

- ingress entries (traffic leaving VMs into the network): ``location`` is the source endpoint,
  ``network`` the destination;
- egress entries (traffic from the network to VMs): ``location`` is the destination, ``network``
  the source.

An entry's ``locationID``/``networkID`` must name an object of its type in the same domain (or,
for a template-level entry, in the same domain template): ZONE, SUBNET, POLICYGROUP; a network
macro (ENTERPRISE_NETWORK) or macro group (NETWORK_MACRO_GROUP) of the domain's enterprise or of
the CSP. ``protocol`` is ``ANY`` or an IP protocol number, ports ``*``, ``N`` or ``N-M`` (TCP/UDP
only), ``etherType`` ``*`` or hex, ``DSCP`` ``*`` or 0..63. Entry priorities are unique within a
template (409 2591); a missing one is the next free after the highest.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import TYPE_CHECKING, Any

from lifecycle.lab.nuage import errors
from lifecycle.lab.nuage.network import check_network

if TYPE_CHECKING:
    from lifecycle.lab.nuage.store import VsdStore

ENTRY_KINDS = ("ingressaclentrytemplate", "egressaclentrytemplate")
ENTRY_DERIVED = ("ACLTemplateName", "domainName", "enterpriseName")
PERMISSION_DERIVED = ("permittedEntityName", "permittedEntityType", "permittedEntityDescription",
                      "associatedGroupID", "associatedGroupName", "associatedGroupDescription")

# Endpoint types that name an object, and the kinds (instance, template) that object may be.
REFERENCES = {
    "ZONE": ("zone", "zonetemplate"),
    "SUBNET": ("subnet", "subnettemplate"),
    "POLICYGROUP": ("policygroup", "policygrouptemplate"),
    "PGEXPRESSION": ("pgexpression", "pgexpressiontemplate"),
    "ENTERPRISE_NETWORK": ("enterprisenetwork", "enterprisenetwork"),
    "NETWORK_MACRO_GROUP": ("networkmacrogroup", "networkmacrogroup"),
}
_PORTS = re.compile(r"^(\*|\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*)$")
_TEMPLATE_TOPS = ("domaintemplate", "l2domaintemplate")


def _top(store: VsdStore, acl: dict[str, Any]) -> dict[str, Any] | None:
    """The domain, L2 domain or template an ACL template belongs to."""
    return store.parent(acl)


def _check_ref(store: VsdStore, entry: dict[str, Any], top: dict[str, Any] | None, side: str) -> None:
    typ, ref = entry.get(f"{side}Type"), entry.get(f"{side}ID")
    kinds = REFERENCES.get(typ or "")
    if kinds is None:
        return
    if not ref:
        raise errors.invalid(f"{side}ID", f"{side}ID: This value is mandatory when {side}Type is {typ}.")
    is_template = top is not None and store.kinds[top["ID"]] in _TEMPLATE_TOPS
    want = kinds[1] if is_template else kinds[0]
    if store.kinds.get(ref) != want:
        raise errors.invalid(f"{side}ID", f"{side}ID {ref} is not a {want}.")
    if typ in ("ENTERPRISE_NETWORK", "NETWORK_MACRO_GROUP"):
        owner = store.docs[ref].get("parentID")
        ent = top.get("parentID") if top else None
        if owner not in (None, ent):
            raise errors.invalid(f"{side}ID", f"Network macro {ref} belongs to another enterprise.")
    elif top is not None and top["ID"] not in store.ancestors(ref):
        where = f"{store.kinds[top['ID']]} {top.get('name')}"
        raise errors.invalid(f"{side}ID", f"{want} {ref} is not in {where}.")


def prepare_entry(store: VsdStore, rest: str, doc: dict[str, Any], parent: dict[str, Any] | None,
                  old: dict[str, Any] | None) -> None:
    top = _top(store, parent) if parent else None
    _check_ref(store, doc, top, "location")
    _check_ref(store, doc, top, "network")
    proto = doc.get("protocol")
    if proto is not None and proto != "ANY" and not (proto.isdigit() and 0 <= int(proto) <= 255):
        raise errors.invalid("protocol", f"Invalid protocol {proto}: ANY or an IP protocol number.")
    for port in ("sourcePort", "destinationPort"):
        value = doc.get(port)
        if value is not None and not _PORTS.match(value):
            raise errors.invalid(port, f"Invalid {port} {value}: * , a port or a port range.")
    ether = doc.get("etherType")
    if ether not in (None, "*") and not re.match(r"^0x[0-9A-Fa-f]{1,4}$", ether):
        raise errors.invalid("etherType", f"Invalid etherType {ether}: * or a hexadecimal value (0x0800).")
    dscp = doc.get("DSCP")
    if dscp not in (None, "*") and not (dscp.isdigit() and int(dscp) <= 63):
        raise errors.invalid("DSCP", f"Invalid DSCP {dscp}: * or 0..63.")
    siblings = [store.docs[c] for c in store.children.get(doc["parentID"] or "", ())
                if store.kinds[c] == rest and c != doc["ID"]]
    if doc.get("priority") is None:
        doc["priority"] = max((s.get("priority") or 0 for s in siblings), default=0) + 1
    elif any(s.get("priority") == doc["priority"] for s in siblings):
        raise errors.conflict(errors.ACL_PRIORITY, f"Another entry of this policy has priority "
                                                   f"{doc['priority']}.", "priority")
    if parent is not None:
        doc["ACLTemplateName"] = parent.get("name")
        doc["domainName"] = top.get("name") if top else None
        ent = store.docs.get(top.get("parentID") or "") if top else None
        doc["enterpriseName"] = ent.get("name") if ent else None


def prepare_macro(store: VsdStore, doc: dict[str, Any]) -> None:
    if doc.get("IPType") == "IPV6":
        try:
            ipaddress.IPv6Network(doc.get("IPv6Address") or "", strict=True)
        except ValueError:
            raise errors.invalid("IPv6Address", f"Invalid IPv6 network {doc.get('IPv6Address')}.") from None
        return
    try:
        check_network(doc, required=True, gateway=False)
    except errors.VsdError as exc:
        if "host bits" in exc.description:
            raise errors.conflict(errors.MACRO_HOST_BITS, exc.description, "address") from None
        raise


def prepare_permission(store: VsdStore, doc: dict[str, Any]) -> None:
    target = store.docs.get(doc.get("permittedEntityID") or "")
    kind = store.kinds.get(doc.get("permittedEntityID") or "")
    if target is None or kind not in ("group", "user", "enterprise"):
        raise errors.invalid("permittedEntityID", f"Group or user {doc.get('permittedEntityID')} not found.")
    for c in store.children.get(doc["parentID"] or "", ()):
        other = store.docs[c]
        if c != doc["ID"] and store.kinds[c] == "permission" and \
                other.get("permittedEntityID") == doc["permittedEntityID"]:
            raise errors.conflict(errors.DUPLICATE, f"A permission for {target.get('name')} already exists "
                                                    "on this entity.", "permittedEntityID")
    doc["permittedEntityName"] = target.get("name") or target.get("userName")
    doc["permittedEntityType"] = kind
    doc["permittedEntityDescription"] = target.get("description")
    if kind == "group":
        doc.update({"associatedGroupID": target["ID"], "associatedGroupName": target.get("name"),
                    "associatedGroupDescription": target.get("description")})


def group_links(store: VsdStore, doc: dict[str, Any]) -> list[str]:
    """A group is listed under what its permissions are on (``/zones/{id}/groups``)."""
    return [p["parentID"] for p in store.by_kind.get("permission", {}).values()
            if p.get("permittedEntityID") == doc["ID"]]


def prepare_user(store: VsdStore, doc: dict[str, Any], old: dict[str, Any] | None,
                 body: dict[str, Any]) -> None:
    """The password is kept aside (never shown); the document holds a digest so a change is a change.
    A null password in a PUT (vspk sends back what it read, and the VSD shows none) keeps it."""
    given = body.get("password")
    if given:
        store.secrets[doc["ID"]] = given
        doc["password"] = hashlib.sha256(given.encode()).hexdigest()
    else:
        doc["password"] = old.get("password") if old else None


def password_matches(stored: str, given: str) -> bool:
    """Users may be created with a clear password or its SHA-1 hex (bambou's Sha1.encrypt)."""
    return given == stored or hashlib.sha1(given.encode()).hexdigest() == stored


def assigning_policygroups(store: VsdStore, parent_rest: str, parent: dict[str, Any], rest: str,
                           ids: list[str]) -> None:
    """A vport and the policy groups it is in must share a domain (409 7309)."""
    pairs = {("vport", "policygroup"), ("policygroup", "vport")}
    if (parent_rest, rest) not in pairs:
        return
    for other in ids:
        vport, pg = (parent, store.docs[other]) if parent_rest == "vport" else (store.docs[other], parent)
        if vport.get("domainID") != pg.get("parentID"):
            raise errors.conflict(errors.PG_DOMAIN_CONFLICT, f"VPort {vport.get('name')} and policy group "
                                                             f"{pg.get('name')} are in different domains.")
