"""Users, groups (with their role), group membership, CMS registrations and domain templates, as
unmodified vspk drives them: what the VSD bootstrap (lifecycle/nuage/bootstrap.py) relies on."""

from __future__ import annotations

import pytest
from bambou.exceptions import BambouHTTPError
from bambou.utils import Sha1
from vspk import v6 as vsdk

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.nuage import VsdEmulator
from tests.lab.nuage.conftest import Raw, session


def user(name: str, password: str) -> vsdk.NUUser:
    return vsdk.NUUser(user_name=name, password=Sha1.encrypt(password), first_name="f", last_name="l",
                       email=f"{name}@example.invalid")


def status(exc: pytest.ExceptionInfo[BambouHTTPError]) -> int:
    return exc.value.connection.response.status_code


def test_a_cms_group_member_logs_in_as_cms_and_its_password_is_never_shown(
        vsd: VsdEmulator, tls: TlsFiles, me: vsdk.NUMe) -> None:
    ent = vsdk.NUEnterprise(name="IE1")
    me.create_child(ent)
    cms = vsdk.NUGroup(name="CMS Group", role="CMS")
    ent.create_child(cms)
    u = user("plug", "pw-1")
    ent.create_child(u)
    cms.assign([u], vsdk.NUUser)
    assert [x.user_name for x in cms.users.get()] == ["plug"]
    assert [(g.name, g.role) for g in u.groups.get()] == [("CMS Group", "CMS")]
    assert [g.name for g in ent.groups.get(filter='role == "CMS"')] == ["CMS Group"]
    assert ent.users.get_first(filter='userName == "plug"').password is None
    as_plugin = session(vsd, tls.ca, user="plug", password="pw-1", enterprise="IE1").user
    assert (as_plugin.role, as_plugin.enterprise_name) == ("CMS", "IE1")
    cms.assign([], vsdk.NUUser)  # out of the group: an ordinary user again
    assert cms.users.get() == [] and u.groups.get() == []
    assert session(vsd, tls.ca, user="plug", password="pw-1", enterprise="IE1").user.role == "USER"
    with pytest.raises(BambouHTTPError) as err:
        session(vsd, tls.ca, user="plug", password="wrong", enterprise="IE1")
    assert status(err) == 401


def test_users_and_groups_are_checked_as_the_vsd_checks_them(me: vsdk.NUMe) -> None:
    ent = vsdk.NUEnterprise(name="IE1")
    me.create_child(ent)
    ent.create_child(user("plug", "pw"))
    with pytest.raises(BambouHTTPError) as err:
        ent.create_child(user("plug", "other"))
    assert status(err) == 409  # a user name is unique in its enterprise
    with pytest.raises(BambouHTTPError) as err:
        ent.create_child(vsdk.NUUser(user_name="noemail", password="x", first_name="f", last_name="l"))
    assert status(err) == 409 and "email" in str(err.value.connection.response.errors)
    with pytest.raises(BambouHTTPError) as err:
        ent.create_child(vsdk.NUGroup(name="odd", role="WIZARD"))
    assert status(err) == 409  # not among vspk's roles


def test_membership_over_plain_rest_as_the_api_shows_it(me: vsdk.NUMe, raw: Raw) -> None:
    ent = vsdk.NUEnterprise(name="IE1")
    me.create_child(ent)
    admins = next(g for g in ent.groups.get() if g.role == "ORGADMIN")
    a, b = user("a", "x"), user("b", "y")
    ent.create_child(a)
    ent.create_child(b)
    assert raw.call("PUT", f"/groups/{admins.id}/users", [a.id, b.id]).status_code == 204
    assert sorted(u["userName"] for u in raw.ok("GET", f"/groups/{admins.id}/users")) == ["a", "b"]
    assert [g["name"] for g in raw.ok("GET", f"/users/{a.id}/groups")] == ["Administrators"]
    a.delete()
    assert [u["userName"] for u in raw.ok("GET", f"/groups/{admins.id}/users")] == ["b"]


def test_domain_templates_hold_acl_templates_with_their_defaults_and_cms_are_found_by_name(
        me: vsdk.NUMe) -> None:
    ent = vsdk.NUEnterprise(name="IE1")
    me.create_child(ent)
    tpl = vsdk.NUDomainTemplate(name="l3")
    ent.create_child(tpl)
    tpl.create_child(vsdk.NUIngressACLTemplate(name="in", default_allow_ip=False, default_allow_non_ip=False,
                                               allow_address_spoof=False, active=True))
    tpl.create_child(vsdk.NUEgressACLTemplate(name="out", default_allow_ip=False, default_allow_non_ip=False,
                                              default_install_acl_implicit_rules=False, active=True))
    (i,) = tpl.ingress_acl_templates.get()
    (e,) = tpl.egress_acl_templates.get()
    assert (i.default_allow_ip, i.default_allow_non_ip, i.allow_address_spoof) == (False, False, False)
    assert (e.default_allow_ip, e.default_install_acl_implicit_rules) == (False, False)
    dom = vsdk.NUDomain(name="prd", template_id=tpl.id)
    ent.create_child(dom)
    (copied,) = dom.egress_acl_templates.get()  # instantiation copies the template's policy
    assert (copied.name, copied.default_allow_ip, copied.default_allow_non_ip) == ("out", False, False)
    e.default_allow_ip = True
    e.save()
    assert tpl.egress_acl_templates.get_first().default_allow_ip is True
    me.create_child(vsdk.NUCloudMgmtSystem(name="ie1-new"))
    assert [c.name for c in me.cloud_mgmt_systems.get(filter='name == "ie1-new"')] == ["ie1-new"]
