"""Unmodified vspk against the emulator: the objects the immutable-cloud upgrade uses, and the
status codes and error bodies bambou sees."""

from __future__ import annotations

import pytest
from bambou.exceptions import BambouHTTPError
from vspk import v6 as vsdk

from lifecycle.lab.nuage import VsdEmulator
from tests.lab.nuage.conftest import build_domain


def vsd_error(exc: pytest.ExceptionInfo[BambouHTTPError]) -> tuple[int, dict]:
    resp = exc.value.connection.response
    return resp.status_code, resp.data


def test_enterprise_audited_fields_and_fetch(me: vsdk.NUMe) -> None:
    ent = vsdk.NUEnterprise(name="ie1", description="net-partition ie1", external_id="np-1@cms-x")
    me.create_child(ent)
    assert ent.id and ent.parent_id is None and ent.owner == me.id and ent.last_updated_by == me.id
    assert isinstance(ent.creation_date, int) and ent.creation_date == ent.last_updated_date
    again = vsdk.NUEnterprise(id=ent.id)
    again.fetch()
    assert (again.name, again.external_id, again.entity_scope) == ("ie1", "np-1@cms-x", "ENTERPRISE")
    assert [g.name for g in ent.groups.get()] == ["Administrators", "Everybody", "Network Designers"]


def test_domain_from_template_gets_its_zones_and_acl_defaults(me: vsdk.NUMe) -> None:
    ent, tpl, dom = build_domain(me, zones=("app1", "app2"))
    assert dom.template_id == tpl.id and dom.parent_id == ent.id and dom.enterprise_id == ent.id
    zones = {z.name: z for z in dom.zones.get()}
    templates = {t.id: t.name for t in tpl.zone_templates.get()}
    assert sorted(zones) == ["app1", "app2"]
    assert {templates[z.template_id] for z in zones.values()} == {"app1", "app2"}
    assert zones["app1"].description == "zone of app1"
    ingress = dom.ingress_acl_templates.get()
    egress = dom.egress_acl_templates.get()
    assert [(a.name, a.default_allow_ip, a.default_allow_non_ip, a.active) for a in ingress] == \
        [("in", False, False, True)]
    assert [(a.name, a.default_allow_ip) for a in egress] == [("out", False)]
    assert [d.id for d in tpl.domains.get()] == [dom.id]


def test_template_acl_entries_follow_the_instantiated_zones(me: vsdk.NUMe) -> None:
    ent = vsdk.NUEnterprise(name="ie1")
    me.create_child(ent)
    tpl = vsdk.NUDomainTemplate(name="l3")
    ent.create_child(tpl)
    zt = vsdk.NUZoneTemplate(name="web")
    tpl.create_child(zt)
    acl = vsdk.NUIngressACLTemplate(name="in", active=True, default_allow_ip=False)
    tpl.create_child(acl)
    acl.create_child(vsdk.NUIngressACLEntryTemplate(
        action="FORWARD", location_type="ZONE", location_id=zt.id, network_type="ANY", ether_type="0x0800",
        dscp="*", protocol="6", source_port="*", destination_port="443", stateful=True, priority=10))
    dom = vsdk.NUDomain(name="d1")
    ent.instantiate_child(dom, tpl)
    zone = dom.zones.get_first()
    policy = dom.ingress_acl_templates.get_first()  # fetchers hold their parent weakly: keep it
    entries = policy.ingress_acl_entry_templates.get()
    assert [(e.location_type, e.location_id, e.destination_port, e.priority) for e in entries] == \
        [("ZONE", zone.id, "443", 10)]


def test_domain_needs_a_template_of_its_enterprise(me: vsdk.NUMe) -> None:
    _, tpl_a, _ = build_domain(me, enterprise="a")
    b = vsdk.NUEnterprise(name="b")
    me.create_child(b)
    with pytest.raises(BambouHTTPError) as exc:
        b.instantiate_child(vsdk.NUDomain(name="x"), tpl_a)
    status, body = vsd_error(exc)
    assert status == 409 and body["errors"][0]["property"] == "templateID"
    with pytest.raises(BambouHTTPError) as exc:
        b.create_child(vsdk.NUDomain(name="no-template"))
    assert vsd_error(exc)[1]["errors"][0]["property"] == "templateID"


def test_subnets_and_no_overlap_inside_a_domain(me: vsdk.NUMe) -> None:
    ent, tpl, dom = build_domain(me)
    app1, app2 = sorted(dom.zones.get(), key=lambda z: z.name)
    a = vsdk.NUSubnet(name="app1-a", address="10.10.1.0", netmask="255.255.255.0")
    app1.create_child(a)
    assert a.gateway == "10.10.1.1" and a.ip_type == "IPV4" and a.parent_id == app1.id
    b = vsdk.NUSubnet(name="app1-b", address="10.20.1.0", netmask="255.255.255.0", gateway="10.20.1.254")
    app1.create_child(b)  # A and B in the same zone: what the upgrade does
    with pytest.raises(BambouHTTPError) as exc:
        app2.create_child(vsdk.NUSubnet(name="clash", address="10.10.0.0", netmask="255.255.0.0"))
    status, body = vsd_error(exc)
    assert status == 409 and "overlaps with existing network 10.10.1.0/24" in \
        body["errors"][0]["descriptions"][0]["description"]
    # Another domain may reuse the range.
    other = vsdk.NUDomain(name="staging")
    ent.instantiate_child(other, tpl)
    other_zone = other.zones.get_first()
    other_zone.create_child(vsdk.NUSubnet(name="same", address="10.10.1.0", netmask="255.255.255.0"))
    assert sorted(s.name for s in dom.subnets.get()) == ["app1-a", "app1-b"]
    # Moving a subnet onto another's range is refused too.
    b.address = "10.10.1.128"
    b.netmask = "255.255.255.128"
    b.gateway = "10.10.1.129"
    with pytest.raises(BambouHTTPError) as exc:
        b.save()
    assert vsd_error(exc)[0] == 409


@pytest.mark.parametrize("attrs,prop", [
    ({"address": "10.0.0.1", "netmask": "255.255.255.0"}, "address"),  # host bits
    ({"address": "10.0.0.0", "netmask": "255.255.255.0", "gateway": "10.0.1.1"}, "gateway"),
    ({"address": "10.0.0.0", "netmask": "255.255.255.0", "gateway": "10.0.0.255"}, "gateway"),
    ({"netmask": "255.255.255.0"}, "address"),
])
def test_subnet_address_checks(me: vsdk.NUMe, attrs: dict, prop: str) -> None:
    _, _, dom = build_domain(me)
    zone = dom.zones.get_first()
    with pytest.raises(BambouHTTPError) as exc:
        zone.create_child(vsdk.NUSubnet(name="bad", **attrs))
    status, body = vsd_error(exc)
    assert status == 409 and body["errors"][0]["property"] == prop


def test_noop_save_is_2039_and_a_real_change_is_204(me: vsdk.NUMe) -> None:
    ent = vsdk.NUEnterprise(name="ie1")
    me.create_child(ent)
    with pytest.raises(BambouHTTPError) as exc:
        ent.save()
    status, body = vsd_error(exc)
    assert status == 409 and body["internalErrorCode"] == 2039
    assert body["description"] == "There are no attribute changes to modify the entity."
    before = ent.last_updated_date
    ent.description = "now described"
    _, conn = ent.save()
    assert conn.response.status_code == 204
    ent.fetch()
    assert ent.description == "now described" and ent.last_updated_date > before


def test_duplicates_are_2510(me: vsdk.NUMe) -> None:
    ent, _, dom = build_domain(me, zones=("app1",))
    for parent, obj in ((me, vsdk.NUEnterprise(name="ie1")),
                        (dom, vsdk.NUZone(name="app1")),
                        (ent, vsdk.NUGroup(name="Everybody"))):
        with pytest.raises(BambouHTTPError) as exc:
            parent.create_child(obj)
        status, body = vsd_error(exc)
        assert status == 409 and body["internalErrorCode"] == 2510, body
    # Same name under another parent is fine.
    other = vsdk.NUEnterprise(name="ie2")
    me.create_child(other)
    other.create_child(vsdk.NUGroup(name="app1"))


def test_required_attributes_and_choices_from_vspk_metadata(me: vsdk.NUMe) -> None:
    with pytest.raises(BambouHTTPError) as exc:
        me.create_child(vsdk.NUEnterprise(description="no name"))
    status, body = vsd_error(exc)
    assert status == 409 and body["errors"][0]["property"] == "name"
    _, _, dom = build_domain(me)
    acl = dom.ingress_acl_templates.get_first()
    with pytest.raises(BambouHTTPError) as exc:
        acl.create_child(vsdk.NUIngressACLEntryTemplate(action="ALLOW", location_type="ANY",
                                                        ether_type="0x0800", dscp="*"))
    status, body = vsd_error(exc)
    assert status == 409 and body["errors"][0]["property"] == "action"
    assert "DROP, FORWARD, TRANSPARENT" in body["errors"][0]["descriptions"][0]["description"]


def test_delete_and_404s(vsd: VsdEmulator, me: vsdk.NUMe) -> None:
    ent, _, dom = build_domain(me)
    zone = dom.zones.get_first()
    zone.create_child(vsdk.NUSubnet(name="s", address="10.1.0.0", netmask="255.255.0.0"))
    dom.delete()  # bambou sends responseChoice=1: the domain goes with its zones and subnets
    assert ent.domains.get() == [] and vsd.store.find("subnet") == []
    with pytest.raises(BambouHTTPError) as exc:
        vsdk.NUDomain(id=dom.id).fetch()
    assert vsd_error(exc)[0] == 404
    with pytest.raises(BambouHTTPError) as exc:
        vsdk.NUSubnet(id=ent.id).fetch()  # an enterprise's ID is not a subnet
    assert vsd_error(exc)[0] == 404
    gone = vsdk.NUZone(id=zone.id)
    with pytest.raises(BambouHTTPError) as exc:
        gone.subnets.get()
    assert vsd_error(exc)[0] == 404


def test_network_macros_and_groups(me: vsdk.NUMe) -> None:
    ent = vsdk.NUEnterprise(name="ie1")
    me.create_child(ent)
    ext = vsdk.NUEnterpriseNetwork(name="corp", address="192.168.0.0", netmask="255.255.0.0")
    ent.create_child(ext)
    with pytest.raises(BambouHTTPError) as exc:
        ent.create_child(vsdk.NUEnterpriseNetwork(name="bad", address="192.168.1.1", netmask="255.255.0.0"))
    assert vsd_error(exc)[1]["internalErrorCode"] == 2526  # host bits set
    with pytest.raises(BambouHTTPError) as exc:
        ent.create_child(vsdk.NUEnterpriseNetwork(name="corp", address="172.16.0.0", netmask="255.240.0.0"))
    assert vsd_error(exc)[1]["internalErrorCode"] == 2504
    group = vsdk.NUNetworkMacroGroup(name="partners")
    ent.create_child(group)
    group.assign([ext], vsdk.NUEnterpriseNetwork)
    assert [m.name for m in group.enterprise_networks.get()] == ["corp"]
    assert [g.name for g in ext.network_macro_groups.get()] == ["partners"]


def test_acl_entries_ingress_and_egress(me: vsdk.NUMe) -> None:
    ent, _, dom = build_domain(me)
    app1 = dom.zones.get_first(filter="name == 'app1'")
    sub = vsdk.NUSubnet(name="a", address="10.1.1.0", netmask="255.255.255.0")
    app1.create_child(sub)
    macro = vsdk.NUEnterpriseNetwork(name="lb", address="203.0.113.0", netmask="255.255.255.0")
    ent.create_child(macro)
    ingress = dom.ingress_acl_templates.get_first()
    egress = dom.egress_acl_templates.get_first()
    e1 = vsdk.NUIngressACLEntryTemplate(action="FORWARD", location_type="SUBNET", location_id=sub.id,
                                        network_type="ENTERPRISE_NETWORK", network_id=macro.id, protocol="6",
                                        source_port="*", destination_port="8000-8080", ether_type="0x0800",
                                        dscp="*", stateful=True)
    ingress.create_child(e1)
    assert e1.priority == 1 and e1.acl_template_name == "in" and e1.domain_name == "prod"
    e2 = vsdk.NUEgressACLEntryTemplate(action="DROP", location_type="ZONE", location_id=app1.id,
                                       network_type="ANY", protocol="ANY", ether_type="0x0800", dscp="*",
                                       priority=500)
    egress.create_child(e2)
    with pytest.raises(BambouHTTPError) as exc:  # one priority per policy
        egress.create_child(vsdk.NUEgressACLEntryTemplate(action="FORWARD", location_type="ANY",
                                                          ether_type="0x0800", dscp="*", priority=500))
    assert vsd_error(exc)[1]["internalErrorCode"] == 2591
    _, _, other_dom = build_domain(me, enterprise="other")
    with pytest.raises(BambouHTTPError) as exc:  # a zone of another domain cannot be named
        egress.create_child(vsdk.NUEgressACLEntryTemplate(
            action="FORWARD", location_type="ZONE", location_id=other_dom.zones.get_first().id,
            ether_type="0x0800", dscp="*"))
    assert vsd_error(exc)[1]["errors"][0]["property"] == "locationID"
    assert [e.id for e in dom.ingress_acl_entry_templates.get()] == [e1.id]
    e1.destination_port = "443"
    e1.save()
    assert ingress.ingress_acl_entry_templates.get_first().destination_port == "443"


def test_cms_registration(me: vsdk.NUMe) -> None:
    cms = vsdk.NUCloudMgmtSystem(name="ie1-new neutron")
    me.create_child(cms)
    again = vsdk.NUCloudMgmtSystem(id=cms.id)
    again.fetch()
    assert again.name == "ie1-new neutron"
    assert [c.id for c in me.cloud_mgmt_systems.get()] == [cms.id]


def test_vport_and_vm_with_interface(vsd: VsdEmulator, me: vsdk.NUMe) -> None:
    ent, _, dom = build_domain(me)
    zone = dom.zones.get_first()
    sub = vsdk.NUSubnet(name="a", address="10.1.1.0", netmask="255.255.255.0")
    zone.create_child(sub)
    vport = vsdk.NUVPort(name="port-1", type="VM", address_spoofing="INHERITED", external_id="port-1@cms-1")
    sub.create_child(vport)
    assert (vport.domain_id, vport.zone_id) == (dom.id, zone.id)
    vm = vsdk.NUVM(name="vm-fa163e000001", uuid="11111111-2222-3333-4444-555555555555",
                   external_id="11111111-2222-3333-4444-555555555555@cms-1",
                   interfaces=[{"MAC": "fa:16:3e:00:00:01", "VPortID": vport.id, "IPAddress": "10.1.1.10",
                                "externalID": "port-1@cms-1"}])
    me.create_child(vm)
    (iface,) = vm.interfaces
    where = ("IPAddress", "VPortID", "attachedNetworkID", "zoneID", "domainID")
    assert tuple(iface[k] for k in where) == ("10.1.1.10", vport.id, sub.id, zone.id, dom.id)
    assert iface["netmask"] == "255.255.255.0" and iface["gateway"] == "10.1.1.1"
    assert vm.enterprise_id == ent.id and vm.subnet_ids == [sub.id] and vm.status == "RUNNING"
    for parent in (sub, zone, dom, ent, vport):
        assert [v.uuid for v in parent.vms.get()] == [vm.uuid], parent
    assert [i.mac for i in dom.vm_interfaces.get()] == ["fa:16:3e:00:00:01"]
    # A second VM on the same vport, the same IP, or the same UUID is refused.
    for interfaces, code in (([{"MAC": "fa:16:3e:00:00:02", "VPortID": vport.id}], 7010),):
        with pytest.raises(BambouHTTPError) as exc:
            me.create_child(vsdk.NUVM(name="vm2", uuid="u-2", interfaces=interfaces))
        assert vsd_error(exc)[1]["internalErrorCode"] == code
    p2 = vsdk.NUVPort(name="port-2", type="VM", address_spoofing="INHERITED")
    sub.create_child(p2)
    with pytest.raises(BambouHTTPError) as exc:
        me.create_child(vsdk.NUVM(name="vm2", uuid="u-2", interfaces=[
            {"MAC": "fa:16:3e:00:00:02", "VPortID": p2.id, "IPAddress": "10.1.1.10"}]))
    assert vsd_error(exc)[1]["internalErrorCode"] == 2704
    with pytest.raises(BambouHTTPError) as exc:
        me.create_child(vsdk.NUVM(name="dup", uuid=vm.uuid, interfaces=[]))
    assert vsd_error(exc)[1]["internalErrorCode"] == 2748
    # Without an address the VSD hands out the first free one.
    vm2 = vsdk.NUVM(name="vm2", uuid="u-2", interfaces=[{"MAC": "fa:16:3e:00:00:02", "VPortID": p2.id}])
    me.create_child(vm2)
    assert vm2.interfaces[0]["IPAddress"] == "10.1.1.2"
    # Nothing in use can be deleted.
    for obj, code in ((vport, 7010), (sub, 2506), (dom, 2506)):
        with pytest.raises(BambouHTTPError) as exc:
            obj.delete()
        assert vsd_error(exc)[1]["internalErrorCode"] == code
    vm.delete()
    vport.delete()
    assert [v.name for v in sub.vports.get()] == ["port-2"]
    assert vsd.store.find("vminterface", MAC="fa:16:3e:00:00:01") == []


def test_external_id_endswith_finds_one_clouds_objects(me: vsdk.NUMe) -> None:
    _, _, dom = build_domain(me)
    sub = vsdk.NUSubnet(name="a", address="10.1.1.0", netmask="255.255.255.0")
    dom.zones.get_first().create_child(sub)
    for cms, n in (("old-cms", 3), ("new-cms", 2)):
        for i in range(n):
            sub.create_child(vsdk.NUVPort(name=f"{cms}-{i}", type="VM", address_spoofing="INHERITED",
                                          external_id=f"port-{cms}-{i}@{cms}"))
    sub.create_child(vsdk.NUVPort(name="manual", type="VM", address_spoofing="INHERITED"))
    new = dom.vports.get(filter="externalID ENDSWITH '@new-cms'")
    assert sorted(v.name for v in new) == ["new-cms-0", "new-cms-1"]
    assert dom.vports.get_count(filter="externalID ENDSWITH '@old-cms'") == 3
    assert dom.vports.get_count() == 6


def test_any_vspk_class_can_be_created_where_it_has_a_fetcher(me: vsdk.NUMe) -> None:
    """Kinds with no rule of their own still get the generic model (attributes from vspk)."""
    ent = vsdk.NUEnterprise(name="ie1")
    me.create_child(ent)
    svc = vsdk.NUL4Service(name="https", protocol="6", ports="443")
    ent.create_child(svc)
    meta = vsdk.NUMetadata(name="owner", blob="team-a")
    ent.create_child(meta)
    got = vsdk.NUL4Service(id=svc.id)
    got.fetch()
    assert (got.ports, got.parent_type) == ("443", "enterprise")
    assert [m.blob for m in ent.metadatas.get()] == ["team-a"]
    got.ports = "8443"
    got.save()
    svc.fetch()
    assert svc.ports == "8443"
    svc.delete()
    assert ent.l4_services.get() == []


def test_in_use_templates_and_enterprises_are_kept(me: vsdk.NUMe) -> None:
    ent, tpl, dom = build_domain(me)
    with pytest.raises(BambouHTTPError) as exc:
        tpl.delete()
    assert vsd_error(exc)[0] == 409
    sub = vsdk.NUSubnet(name="a", address="10.1.1.0", netmask="255.255.255.0")
    dom.zones.get_first().create_child(sub)
    vport = vsdk.NUVPort(name="p", type="VM", address_spoofing="INHERITED")
    sub.create_child(vport)
    vm = vsdk.NUVM(name="v", uuid="u-1", interfaces=[{"MAC": "fa:16:3e:00:00:01", "VPortID": vport.id}])
    me.create_child(vm)
    with pytest.raises(BambouHTTPError) as exc:
        ent.delete()
    assert vsd_error(exc)[1]["internalErrorCode"] == 2506
    vm.delete()
    ent.delete()  # then everything goes, templates included
    assert me.enterprises.get() == []
