"""The VSD reads the moves of a wave share (lifecycle/runbooks/upgrade/actions/base.py): one read
of a domain's VM interfaces for several subnets, and one read of the ACL entries for several
moves whose answer each move narrows to its own subnets. Against the VSD emulator with unmodified
vspk: what a move gets from the shared read is what VSD's own filter gives it alone."""

from __future__ import annotations

from vspk import v6 as vsdk

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.nuage import VsdEmulator
from lifecycle.nuage import Nuage
from lifecycle.nuage.vsd import entry_clauses, select_entries
from tests.lab.nuage.conftest import build_domain, session


def subnet_with_vm(user: vsdk.NUMe, zone: vsdk.NUZone, name: str, net: str, ip: str, n: int) -> vsdk.NUSubnet:
    sub = vsdk.NUSubnet(name=name, address=net, netmask="255.255.255.192")
    zone.create_child(sub)
    vport = vsdk.NUVPort(name=f"port-{ip}", type="VM", address_spoofing="INHERITED")
    sub.create_child(vport)
    user.create_child(vsdk.NUVM(name=f"vm-{ip}", uuid=f"00000000-0000-4000-8000-{n:012d}", interfaces=[
        {"MAC": f"fa:16:3e:00:00:{n:02x}", "VPortID": vport.id, "IPAddress": ip}]))
    return sub


def entry(tpl: vsdk.NUIngressACLTemplate, prio: int, **kw: object) -> None:
    tpl.create_child(vsdk.NUIngressACLEntryTemplate(
        action="FORWARD", ether_type="0x0800", protocol="6", source_port="*", destination_port="443",
        dscp="*", priority=prio, description=f"rule-{prio}", **kw))


def two_subnets(vsd: VsdEmulator, tls: TlsFiles, second: tuple[str, str, str]
                ) -> tuple[Nuage, vsdk.NUDomain, dict[str, vsdk.NUZone], vsdk.NUSubnet, vsdk.NUSubnet]:
    """A domain with zones app1 and app2, a subnet with a VM in each (app1-a; ``second`` is the
    name, network and VM address of app2's), and i2's adapter on the session."""
    s = session(vsd, tls.ca)
    _, _, dom = build_domain(s.user)
    zones = {z.name: z for z in dom.zones.get()}
    a = subnet_with_vm(s.user, zones["app1"], "app1-a", "10.0.1.0", "10.0.1.5", 1)
    b = subnet_with_vm(s.user, zones["app2"], *second, 2)
    return Nuage(s), dom, zones, a, b


def test_one_read_of_a_domains_interfaces_answers_each_subnet(vsd: VsdEmulator, tls: TlsFiles) -> None:
    adapter, dom, _, a, b = two_subnets(vsd, tls, ("app2-b", "10.0.2.64", "10.0.2.70"))
    got = adapter.vm_interfaces_on(dom, [("app1", "app1-a"), ("app2", "app2-b"), ("app2", "nope")])
    assert {k: [i.ip_address for i in v] for k, v in got.items()} == {
        ("app1", "app1-a"): ["10.0.1.5"], ("app2", "app2-b"): ["10.0.2.70"], ("app2", "nope"): []}
    # the same as each subnet's own interfaces
    assert [i.id for i in got[("app1", "app1-a")]] == [i.id for i in a.vm_interfaces.get()]
    assert [i.id for i in got[("app2", "app2-b")]] == [i.id for i in b.vm_interfaces.get()]


def test_a_moves_entries_from_a_shared_read_are_what_vsd_filters_for_it_alone(
        vsd: VsdEmulator, tls: TlsFiles) -> None:
    adapter, dom, zones, a1, a2 = two_subnets(vsd, tls, ("app2-a", "10.0.2.0", "10.0.2.5"))
    (tpl,) = dom.ingress_acl_templates.get()
    entry(tpl, 100, location_type="SUBNET", location_id=a1.id, network_type="SUBNET", network_id=a2.id)
    entry(tpl, 200, location_type="ZONE", location_id=zones["app1"].id, network_type="SUBNET",
          network_id=a1.id)
    entry(tpl, 300, location_type="SUBNET", location_id=a2.id, network_type="ANY")
    entry(tpl, 400, location_type="ANY", network_type="ANY", external_id="i2-mirror:x:app1-b")
    entry(tpl, 500, location_type="ANY", network_type="ANY")  # names neither
    moves = [{"app1-a": a1.id, "app1-b": None}, {"app2-a": a2.id, "app2-b": None}]
    shared = adapter.acl_entries(dom, [c for mv in moves for c in entry_clauses(mv)])
    for mv in moves:
        alone = tpl.ingress_acl_entry_templates.get(filter=" or ".join(entry_clauses(mv)))
        mine = select_entries(shared, mv)
        assert sorted(e.id for e in mine) == sorted(e.id for e in alone)
        assert mine == adapter.entries_for(dom, mv)  # named alike, whoever else asked
    assert sorted(e.priority for e in select_entries(shared, moves[0])) == [100, 200, 400]
    assert sorted(e.priority for e in select_entries(shared, moves[1])) == [100, 300]
    # the other side keeps its VSD id as its name
    (first,) = [e for e in select_entries(shared, moves[0]) if e.priority == 100]
    assert (first.location.name, first.network.name) == ("app1-a", a2.id)


def test_a_domain_read_of_subnets_by_name_says_each_ones_zone(vsd: VsdEmulator, tls: TlsFiles) -> None:
    """The upgrade's VSD subnet step reads the destination subnet by name in the domain (with
    the other moves of the wave) and refuses one found in another zone: the read must carry
    each subnet's zone, as the zone's own read of it does."""
    adapter, dom, zones, a, b = two_subnets(vsd, tls, ("app2-b", "10.0.2.64", "10.0.2.70"))
    got = adapter.subnets(dom, ["app1-a", "app2-b", "app9-b"])
    assert sorted(got) == ["app1-a", "app2-b"]  # an absent name is just absent
    assert got["app1-a"].parent_id == zones["app1"].id == adapter.subnet(zones["app1"], "app1-a").parent_id
    assert got["app2-b"].parent_id == zones["app2"].id != zones["app1"].id
    assert adapter.subnet(zones["app1"], "app2-b") is None  # the zone's own read does not see it
    assert (got["app1-a"].id, got["app2-b"].id) == (a.id, b.id)
