"""Planning the VSD bootstrap from the site model and the endpoints file (pure, no VSD)."""

from __future__ import annotations

import pytest

from lifecycle.model import load_site
from lifecycle.model.endpoints import Endpoints, parse_endpoints
from lifecycle.nuage.bootstrap import BootstrapError, Item, Plan, intent
from lifecycle.nuage.policy import intended_entries
from lifecycle.tripleo.paths import REPO_ROOT

SITE = load_site(REPO_ROOT / "examples" / "ie1")


def endpoints(plugins: dict[str, str]) -> Endpoints:
    return parse_endpoints({"vsd": {
        "url": "https://vsd:8443", "username": "csproot", "password": {"env": "VSD"},
        "plugins": {c: {"username": u, "password": {"env": f"P_{c}"}, "metadata_secret": {"env": f"M_{c}"}}
                    for c, u in plugins.items()}}}, "endpoints.yaml")


EP = endpoints({"ie1-old": "ie1-old-neutron", "ie1-new": "ie1-new-neutron"})


def test_intent_names_what_the_site_needs() -> None:
    want = intent(SITE, EP)
    assert (want.organisation, want.enterprises, want.template) == ("IE1", ("IE1",), "ie1-l3-template")
    assert want.domains == (("ie1-qa", "qa"), ("ie1-prd", "prd"))
    assert dict(want.macros)["adc-snips"] == "10.50.0.0/28" and len(want.macros) == 4
    assert want.cms == ("ie1-old", "ie1-new")
    assert [(p.cloud, p.enterprise, p.username, p.password.describe()) for p in want.plugins] == [
        ("ie1-old", "IE1", "ie1-old-neutron", "env:P_ie1-old"),
        ("ie1-new", "IE1", "ie1-new-neutron", "env:P_ie1-new")]


def test_common_entries_are_the_upgrades_own_and_nothing_of_the_applications() -> None:
    want = intent(SITE, EP)
    common = {r.name for r in SITE.nuage.acl.common}
    for name, env in want.domains:
        got = want.entries[name]
        assert {e.rule for e in got} == common
        # the same entries at the same priorities as the upgrade computes them
        assert list(got) == [e for e in intended_entries(SITE, env) if e.rule in common]
    dns = [(e.direction, str(e.location), str(e.network), e.port, e.priority) for e in want.entries["ie1-prd"]
           if e.rule == "allow-dns"]
    assert dns == [("ingress", "ANY", "ENTERPRISE_NETWORK:dns-servers", "53", 1000)]


def test_a_cloud_without_a_plugin_user_is_refused_by_name() -> None:
    with pytest.raises(BootstrapError, match=r"names no plugin user for ie1-new \(username, password"):
        intent(SITE, endpoints({"ie1-old": "ie1-old-neutron"}))
    with pytest.raises(BootstrapError, match="no vsd section"):
        intent(SITE, parse_endpoints({}, "endpoints.yaml"))


def test_a_plan_counts_changes_and_blocks_and_prints_no_secret() -> None:
    p = Plan([Item("enterprise", "IE1", "exists"), Item("macro", "IE1/dns", "create", "10.40.0.0/29"),
              Item("acl-entry", "IE1/ie1-prd/x", "blocked", "priority 1000 is held by y"),
              Item("user", "IE1/u", "update", "password is not env:P: set again")], foreign=["CMS old (1)"])
    assert [i.name for i in p.changes] == ["IE1/dns", "IE1/u"]
    assert [i.name for i in p.blocked] == ["IE1/ie1-prd/x"]
    assert p.lines()[-1] == "foreign  CMS old (1): left alone"
    assert p.lines()[1] == "create   macro        IE1/dns: 10.40.0.0/29"
