"""The policy decision of a resolved interface (``/vminterfaces/{id}/policydecisions``): what the
VSD has pushed to the VRS for that vport, computed from the domain's policy when asked.

``ingressACLs`` and ``egressACLs`` are the ACL entries of the domain's active, non-draft policies
whose location can be this interface (ANY, its zone, subnet or policy groups, a macro holding its
address, the ENDPOINT_* types), in evaluation order (the order :mod:`reach` uses), each as the
entry template's document with ``ACLTemplateID``; ``ingressAdvFwd`` the forwarding entries chosen
the same way; ``qos`` the QoS that applies to the vport (its own, else its subnet's, zone's or
domain's, as the VSD inherits it) and ``egressQos`` the egress QoS policy of the nearest of those
that names one; ``fipACLs`` is empty (the twin has no floating IPs); ``stats`` null. An interface
whose vport is in no domain has empty lists. The decision's ID is derived from the interface's,
so it is the same on every read and is the interface's ``policyDecisionID``.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import TYPE_CHECKING, Any

from lifecycle.lab.nuage.reach import Endpoint, Index

if TYPE_CHECKING:
    from lifecycle.lab.nuage.store import VsdStore

INTERFACE_KINDS = ("vminterface", "hostinterface", "containerinterface", "bridgeinterface")
_NS = uuid.UUID("1b7f0d4e-5c7a-4d35-9a57-0c9d3b2f6e10")
_RANK = {"TOP": 0, "TOP_FIREWALL": 0, "BOTTOM_FIREWALL": 2, "BOTTOM": 2}


def decision_id(interface_id: str) -> str:
    return str(uuid.uuid5(_NS, interface_id))


def interface_of(store: VsdStore, did: str) -> str | None:
    """The interface whose decision has ID ``did`` (lock held)."""
    for rest in INTERFACE_KINDS:
        for iid in store.by_kind.get(rest, {}):
            if decision_id(iid) == did:
                return iid
    return None


def _endpoint(store: VsdStore, iface: dict[str, Any], vport: dict[str, Any]) -> Endpoint:
    ip = iface.get("IPAddress")
    try:
        addr = int(ipaddress.IPv4Address(ip)) if ip else 0
    except ValueError:
        addr = 0
    pgs = frozenset(e for e in store.edges.get(vport["ID"], ()) if store.kinds.get(e) == "policygroup")
    return Endpoint(ip or "", addr, vport.get("domainID"), vport.get("zoneID"), vport.get("parentID"),
                    vport["ID"], iface["ID"], iface.get("parentID"), pgs)


def _could_be(ix: Index, side: tuple[str, str | None], ep: Endpoint) -> bool:
    typ = side[0]
    if typ in ("ANY", "ENDPOINT_DOMAIN", "ENDPOINT_ZONE", "ENDPOINT_SUBNET"):
        return True
    if typ in ("ENTERPRISE_NETWORK", "NETWORK_MACRO_GROUP") and not ep.ip:
        return False
    return ix.matches(side, ep, ep)


def _entries(store: VsdStore, ix: Index, ep: Endpoint, direction: str) -> list[dict[str, Any]]:
    out = []
    for pol in ix.policies.get((ep.domain or "", direction), ()):
        for e in pol.entries:
            if _could_be(ix, e.loc, ep):
                doc = store.render(store.docs[e.summary["ID"]])
                doc["ACLTemplateID"] = pol.id
                out.append(doc)
    return out


def _adv_fwd(store: VsdStore, ix: Index, ep: Endpoint) -> list[dict[str, Any]]:
    tpls = [t for t in store.by_kind.get("ingressadvfwdtemplate", {}).values()
            if t.get("parentID") == ep.domain and t.get("active") is not False
            and t.get("policyState") != "DRAFT"]
    tpls.sort(key=lambda t: (_RANK.get(t.get("priorityType") or "NONE", 1), t.get("priority") or 0))
    out = []
    for t in tpls:
        entries = [store.docs[c] for c in store.children.get(t["ID"], ())
                   if store.kinds[c] == "ingressadvfwdentrytemplate"]
        entries.sort(key=lambda e: e.get("priority") or 0)
        out += [store.render(e) for e in entries
                if _could_be(ix, (e.get("locationType") or "ANY", e.get("locationID")), ep)]
    return out


def _chain(store: VsdStore, vport: dict[str, Any]) -> list[dict[str, Any]]:
    """The vport, then what it inherits from: its subnet (or L2 domain), zone and domain."""
    out, cur = [vport], store.parent(vport)
    while cur is not None and store.kinds[cur["ID"]] in ("subnet", "l2domain", "zone", "domain"):
        out.append(cur)
        cur = store.parent(cur)
    return out


def policy_decision(store: VsdStore, iid: str) -> dict[str, Any]:
    """The decision document of interface ``iid`` (lock held)."""
    from lifecycle.lab.nuage.store import now_ms

    iface = store.docs[iid]
    doc = store.schema.kind("policydecision").blank()
    doc.update({"ID": decision_id(iid), "parentID": iid, "parentType": store.kinds[iid],
                "creationDate": iface.get("creationDate"), "lastUpdatedDate": now_ms(),
                "owner": iface.get("owner"), "lastUpdatedBy": iface.get("lastUpdatedBy"),
                "entityScope": "ENTERPRISE", "ingressACLs": [], "egressACLs": [], "ingressAdvFwd": [],
                "fipACLs": [], "qos": None, "egressQos": None, "stats": None})
    vport = store.docs.get(iface.get("VPortID") or "")
    if vport is None or not vport.get("domainID"):
        return doc
    ix = store.reach_index()
    ep = _endpoint(store, iface, vport)
    doc["ingressACLs"] = _entries(store, ix, ep, "ingress")
    doc["egressACLs"] = _entries(store, ix, ep, "egress")
    doc["ingressAdvFwd"] = _adv_fwd(store, ix, ep)
    for level in _chain(store, vport):
        qos = [store.docs[c] for c in store.children.get(level["ID"], ()) if store.kinds[c] == "qos"]
        if qos and doc["qos"] is None:
            doc["qos"] = store.render(qos[0])
        egress = store.docs.get(level.get("egressQoSPolicyID") or "")
        if egress is not None and doc["egressQos"] is None:
            doc["egressQos"] = store.render(egress)
    return doc
