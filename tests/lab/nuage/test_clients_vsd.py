"""What vspk users ask the VSD that i2 itself never asks: the policy decisions of a resolved VM
interface, the push channel bambou's push center long-polls, and objects' event logs; all with
unmodified vspk/bambou against the emulator."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from vspk import v6 as vsdk

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.nuage import VsdEmulator
from tests.lab.nuage.conftest import build_domain, session


def _vm_in(dom: vsdk.NUDomain, zone_name: str, cidr: str, ip: str) -> vsdk.NUVMInterface:
    zone = next(z for z in dom.zones.get() if z.name == zone_name)
    net, _ = cidr.split("/")
    sub = vsdk.NUSubnet(name=f"{zone_name}-a", address=net, netmask="255.255.255.0")
    zone.create_child(sub)
    vport = vsdk.NUVPort(name=f"port-{ip}", type="VM", address_spoofing="INHERITED")
    sub.create_child(vport)
    vm = vsdk.NUVM(name=f"vm-{ip}", uuid=f"00000000-0000-4000-8000-{int(ip.split('.')[-1]):012d}",
                   interfaces=[{"MAC": f"fa:16:3e:00:00:{int(ip.split('.')[-1]):02x}", "VPortID": vport.id,
                                "IPAddress": ip}])
    dom.parent_object.parent_object.create_child(vm)  # the user (NUMe) creates VMs at the root
    (iface,) = vm.vm_interfaces.get()
    return iface


def test_policy_decisions_of_a_vm_interface(me: vsdk.NUMe) -> None:
    _, _, dom = build_domain(me)
    web = _vm_in(dom, "app1", "10.0.1.0/24", "10.0.1.5")
    db = _vm_in(dom, "app2", "10.0.2.0/24", "10.0.2.7")
    zones = {z.name: z for z in dom.zones.get()}
    ingress = dom.ingress_acl_templates.get()[0]
    egress = dom.egress_acl_templates.get()[0]
    from_web = vsdk.NUIngressACLEntryTemplate(
        action="FORWARD", priority=100, location_type="ZONE", location_id=zones["app1"].id,
        network_type="ZONE", network_id=zones["app2"].id, protocol="6", ether_type="0x0800",
        dscp="*", source_port="*", destination_port="5432", stateful=True)
    ingress.create_child(from_web)
    from_db = vsdk.NUIngressACLEntryTemplate(
        action="DROP", priority=200, location_type="ZONE", location_id=zones["app2"].id,
        network_type="ANY", protocol="ANY", ether_type="0x0800", dscp="*")
    ingress.create_child(from_db)
    to_db = vsdk.NUEgressACLEntryTemplate(
        action="FORWARD", priority=100, location_type="ZONE", location_id=zones["app2"].id,
        network_type="ZONE", network_id=zones["app1"].id, protocol="6", ether_type="0x0800",
        dscp="*", source_port="*", destination_port="5432", stateful=True)
    egress.create_child(to_db)
    everyone = vsdk.NUEgressACLEntryTemplate(
        action="FORWARD", priority=300, location_type="ANY", network_type="ANY", protocol="1",
        ether_type="0x0800", dscp="*")
    egress.create_child(everyone)
    zones["app2"].create_child(vsdk.NUQOS(name="db-qos", rate_limiting_active=True, peak="100", burst="50"))

    (web_pd,) = web.policy_decisions.get()
    assert [a["ID"] for a in web_pd.ingress_acls] == [from_web.id]  # not app2's entry
    assert [a["ID"] for a in web_pd.egress_acls] == [everyone.id]
    assert web_pd.ingress_acls[0]["destinationPort"] == "5432" and web_pd.qos is None
    (db_pd,) = db.policy_decisions.get()
    assert [a["ID"] for a in db_pd.ingress_acls] == [from_db.id]
    assert [a["ID"] for a in db_pd.egress_acls] == [to_db.id, everyone.id]  # in evaluation order
    assert db_pd.egress_acls[0]["ACLTemplateID"] == egress.id
    assert db_pd.qos["name"] == "db-qos"  # inherited from its zone
    # the decision has a stable ID, which the interface names and which can be fetched
    db.fetch()
    assert db.policy_decision_id == db_pd.id == db.policy_decisions.get()[0].id
    again = vsdk.NUPolicyDecision(id=db_pd.id)
    again.fetch()
    assert [a["ID"] for a in again.egress_acls] == [to_db.id, everyone.id]
    # a policy change shows at the next read
    to_db.delete()
    assert [a["ID"] for a in db.policy_decisions.get()[0].egress_acls] == [everyone.id]


def _wait(pc: Any, pred: Callable[[list[dict[str, Any]]], bool], seen: list[dict[str, Any]]) -> None:
    end = time.monotonic() + 10  # a bound, not a timing assertion
    while not pred(seen):
        assert time.monotonic() < end, f"no such push among {[(e['type'], e['entityType']) for e in seen]}"
        seen.extend(pc.get_last_events())
        time.sleep(0.05)


def test_push_center_receives_creates_updates_and_deletes(
        vsd_factory: Callable[..., VsdEmulator], tls: TlsFiles) -> None:
    vsd = vsd_factory(push_timeout=0.5)
    s = session(vsd, tls.ca)
    pc = s.push_center
    pc.start()
    try:
        seen: list[dict[str, Any]] = []
        _wait(pc, lambda _: pc.nb_push_received >= 0 and vsd.store.journal.channels != {}, seen)
        ent = vsdk.NUEnterprise(name="ops-team")
        s.user.create_child(ent)
        ent.description = "owned by ops"
        ent.save()
        ent.delete()

        def has(kind: str, typ: str) -> Callable[[list[dict[str, Any]]], bool]:
            return lambda evs: any(e["type"] == kind and e["entityType"] == typ
                                   and e["entities"][0]["ID"] == ent.id for e in evs)

        _wait(pc, has("DELETE", "enterprise"), seen)
        mine = [e for e in seen if e["entities"][0].get("ID") == ent.id]
        assert [e["type"] for e in mine] == ["CREATE", "UPDATE", "DELETE"]
        assert mine[1]["entities"][0]["description"] == "owned by ops"
        assert mine[0]["enterpriseName"] == "ops-team" and mine[0]["updateMechanism"] == "DEFAULT"
        # the groups the VSD made with the enterprise were pushed too, and deleted with it
        assert {e["type"] for e in seen if e["entityType"] == "group"} == {"CREATE", "DELETE"}
    finally:
        pc.stop()


def test_event_logs_of_an_object(me: vsdk.NUMe) -> None:
    ent, _, dom = build_domain(me)
    dom.description = "production"
    dom.save()
    logs = dom.event_logs.get()
    assert [(e.type, e.entity_type, e.entity_id) for e in logs] == [
        ("CREATE", "domain", dom.id), ("UPDATE", "domain", dom.id)]
    assert logs[1].diff["description"] == {"oldValue": None, "newValue": "production"}
    assert logs[0].entity_parent_id == ent.id and logs[0].user == me.id
    assert [e.type for e in ent.event_logs.get()] == ["CREATE"]
