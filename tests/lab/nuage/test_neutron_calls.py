"""The REST calls the Nuage Neutron plugin makes (nuage-openstack-neutron's RESTProxyServer and
vsdclient), as plain HTTPS: Basic auth with the API key, ``X-NUAGE-FilterType: predicate``,
``?responseChoice=1``, partial PUT bodies, a JSON body on every request."""

from __future__ import annotations

from typing import Any

import pytest
from vspk import v6 as vsdk

from tests.lab.nuage.conftest import Raw, build_domain


def predicate(expr: str) -> dict[str, str]:
    return {"X-NUAGE-FilterType": "predicate", "X-Nuage-Filter": expr}


@pytest.fixture
def managed(me: vsdk.NUMe) -> dict[str, Any]:
    """What an operator prepared in the VSD: the net-partition's domain, a zone, subnet A."""
    ent, _, dom = build_domain(me, enterprise="ie1")
    zone = dom.zones.get_first(filter="name == 'app1'")
    sub = vsdk.NUSubnet(name="app1-a", address="10.1.1.0", netmask="255.255.255.0", gateway="10.1.1.1")
    zone.create_child(sub)
    return {"enterprise": ent.id, "domain": dom.id, "zone": zone.id, "subnet": sub.id}


def test_vsd_managed_subnet_checks(raw: Raw, managed: dict[str, Any]) -> None:
    resp = raw.call("GET", f"/l2domains/{managed['subnet']}")  # the plugin tries an L2 domain first
    assert resp.status_code == 404
    assert resp.json()["errors"][0]["descriptions"][0]["description"]
    (sub,) = raw.ok("GET", f"/subnets/{managed['subnet']}")
    assert (sub["address"], sub["netmask"], sub["gateway"]) == ("10.1.1.0", "255.255.255.0", "10.1.1.1")
    assert (sub["l2EncapType"], sub["resourceType"], sub["parentType"]) == ("VXLAN", "STANDARD", "zone")
    (zone,) = raw.ok("GET", f"/zones/{sub['parentID']}")
    (domain,) = raw.ok("GET", f"/domains/{zone['parentID']}")
    assert domain["parentID"] == managed["enterprise"] and domain["parentType"] == "enterprise"
    found = raw.ok("GET", f"/enterprises/{managed['enterprise']}/domains",
                   headers=predicate(f"name IS '{domain['name']}'"))
    assert [d["ID"] for d in found] == [managed["domain"]]


def test_cms_registration_and_lookup(raw: Raw) -> None:
    (cms,) = raw.ok("POST", "/cms", {"name": "ie1-new"})
    assert raw.ok("GET", f"/cms/{cms['ID']}")[0]["name"] == "ie1-new"
    assert raw.call("GET", "/cms/no-such-id").status_code == 404


def test_project_group_attached_to_the_zone(raw: Raw, managed: dict[str, Any]) -> None:
    ent, zone = managed["enterprise"], managed["zone"]
    tenant = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    none = raw.call("GET", f"/enterprises/{ent}/groups", headers=predicate(f"name IS '{tenant}'"))
    assert none.status_code == 200 and none.content == b""
    (user,) = raw.ok("POST", f"/enterprises/{ent}/users", {
        "firstName": "os_user", "lastName": "os_user", "userName": tenant,
        "email": "osuser@nuage-openstack.com",
        "password": "c0ffee", "managementMode": "CMS", "externalID": f"{tenant}@openstack"})
    assert user["password"] is None
    (group,) = raw.ok("POST", f"/enterprises/{ent}/groups", {"name": tenant, "managementMode": "CMS",
                                                             "externalID": f"{tenant}@openstack"})
    raw.ok("PUT", f"/groups/{group['ID']}/users", [user["ID"]])
    members = raw.ok("GET", f"/groups/{group['ID']}/users", headers=predicate(f"userName IS '{tenant}'"))
    assert [u["ID"] for u in members] == [user["ID"]]
    perm = {"permittedEntityID": group["ID"], "permittedAction": "USE", "externalID": f"{tenant}@cms-1"}
    (p,) = raw.ok("POST", f"/zones/{zone}/permissions", perm)
    assert (p["permittedEntityName"], p["permittedEntityType"]) == (tenant, "group")
    again = raw.call("POST", f"/zones/{zone}/permissions", perm)  # the plugin ignores this 409
    assert again.status_code == 409
    assert [g["ID"] for g in raw.ok("GET", f"/zones/{zone}/groups")] == [group["ID"]]
    everybody = raw.ok("GET", f"/enterprises/{ent}/groups", headers=predicate("name IS 'Everybody'"))
    assert len(everybody) == 1


def test_vport_and_vm_as_the_plugin_boots_a_server(raw: Raw, managed: dict[str, Any]) -> None:
    sub, dom = managed["subnet"], managed["domain"]
    port_id, vm_uuid = "3d1f0a6e-8c1b-4d2a-9e3f-5b6c7d8e9f00", "7a8b9c0d-1e2f-4a5b-8c6d-7e8f9a0b1c2d"
    cms = "cms-1"
    (vport,) = raw.ok("POST", f"/subnets/{sub}/vports?responseChoice=1", {
        "VLANID": None, "type": "VM", "name": port_id, "externalID": f"{port_id}@{cms}",
        "addressSpoofing": "DISABLED"})
    assert vport["domainID"] == dom and vport["zoneID"] == managed["zone"]
    (vm,) = raw.ok("POST", "/vms", {
        "name": "vm-fa163e0a0b0c", "UUID": vm_uuid, "externalID": f"{vm_uuid}@{cms}",
        "interfaces": [{"MAC": "fa:16:3e:0a:0b:0c", "externalID": f"{port_id}@{cms}", "VPortID": vport["ID"],
                        "IPAddress": "10.1.1.20"}]},
        headers={"X-Nuage-ProxyUser": "tenant@ie1"})
    (iface,) = vm["interfaces"]
    assert (iface["MAC"], iface["IPAddress"]) == ("fa:16:3e:0a:0b:0c", "10.1.1.20")
    assert iface["VPortID"] == vport["ID"]
    assert [v["ID"] for v in raw.ok("GET", "/vms", headers=predicate(f"UUID IS '{vm_uuid}'"))] == [vm["ID"]]
    assert [v["UUID"] for v in raw.ok("GET", f"/subnets/{sub}/vms")] == [vm_uuid]
    assert [i["ID"] for i in raw.ok("GET", f"/vports/{vport['ID']}/vminterfaces")] == [iface["ID"]]
    mine = raw.ok("GET", f"/domains/{dom}/vports", headers=predicate(f"externalID ENDSWITH '@{cms}'"))
    assert [v["ID"] for v in mine] == [vport["ID"]]
    # Partial PUT (only the attribute that changes), then the same again: 2039, which the plugin ignores.
    change = {"addressSpoofing": "ENABLED"}
    assert raw.call("PUT", f"/vports/{vport['ID']}?responseChoice=1", change).status_code == 204
    same = raw.call("PUT", f"/vports/{vport['ID']}?responseChoice=1", {"addressSpoofing": "ENABLED"})
    assert same.status_code == 409 and str(same.json()["internalErrorCode"]) == "2039"
    assert raw.ok("GET", f"/vports/{vport['ID']}")[0]["name"] == port_id  # untouched by the partial PUT
    assert raw.call("DELETE", f"/vms/{vm['ID']}?responseChoice=1").status_code == 204
    assert raw.call("DELETE", f"/vports/{vport['ID']}?responseChoice=1").status_code == 204
    assert raw.call("GET", f"/subnets/{sub}/vports").content == b""


def test_vm_interface_on_attached_network_gets_a_vport(raw: Raw, managed: dict[str, Any]) -> None:
    (vm,) = raw.ok("POST", "/vms", {"name": "vm-x", "UUID": "u-x", "interfaces": [
        {"MAC": "fa:16:3e:00:00:aa", "attachedNetworkID": managed["subnet"]}]})
    (iface,) = vm["interfaces"]
    (vport,) = raw.ok("GET", f"/vports/{iface['VPortID']}")
    assert vport["autoCreated"] is True and vport["parentID"] == managed["subnet"]
    assert iface["IPAddress"] == "10.1.1.2"
    raw.ok("DELETE", f"/vms/{vm['ID']}?responseChoice=1")
    assert raw.call("GET", f"/vports/{vport['ID']}").status_code == 404  # went with its interface


def test_policy_groups_and_vports(raw: Raw, me: vsdk.NUMe, managed: dict[str, Any]) -> None:
    dom = managed["domain"]
    (vport,) = raw.ok("POST", f"/subnets/{managed['subnet']}/vports", {"name": "p", "type": "VM",
                                                                      "addressSpoofing": "INHERITED"})
    (pg,) = raw.ok("POST", f"/domains/{dom}/policygroups", {"name": "sg-web", "type": "SOFTWARE",
                                                            "externalID": "sg-1@cms-1"})
    raw.ok("PUT", f"/vports/{vport['ID']}/policygroups", [pg["ID"]])
    assert [v["ID"] for v in raw.ok("GET", f"/policygroups/{pg['ID']}/vports")] == [vport["ID"]]
    _, _, other = build_domain(me, enterprise="other")
    (foreign,) = raw.ok("POST", f"/domains/{other.id}/policygroups", {"name": "x", "type": "SOFTWARE"})
    resp = raw.call("PUT", f"/vports/{vport['ID']}/policygroups", [pg["ID"], foreign["ID"]])
    assert resp.status_code == 409 and resp.json()["internalErrorCode"] == 7309
    raw.ok("PUT", f"/vports/{vport['ID']}/policygroups", [])
    assert raw.call("GET", f"/policygroups/{pg['ID']}/vports").content == b""


def test_delete_confirmation_levels_and_unknown_ids(raw: Raw, managed: dict[str, Any]) -> None:
    zone = managed["zone"]
    resp = raw.call("DELETE", f"/zones/{zone}")  # has a subnet: the VSD asks first
    assert resp.status_code == 300 and resp.json()["choices"]
    assert raw.call("DELETE", f"/zones/{zone}?responseChoice=1").status_code == 204
    assert raw.call("GET", f"/subnets/{managed['subnet']}").status_code == 404
    deep = raw.call("GET", f"/enterprises/{managed['enterprise']}/domains/{managed['domain']}/zones")
    assert deep.status_code == 404 and deep.json()["errors"]
    assert raw.call("GET", "/nosuchthings").status_code == 404
    assert raw.call("GET", f"/domains/{managed['domain']}/nosuchthings").status_code == 404
    assert raw.call("POST", "/subnets", {"name": "x"}).status_code in (404, 405)  # created under zones only
    assert raw.call("POST", f"/domains/{managed['domain']}/subnets", {"name": "x"}).status_code == 405
