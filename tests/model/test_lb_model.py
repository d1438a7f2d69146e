"""Load balancing in the site model: examples/ie1's NetScaler, vservers, monitors and writer hooks,
and each problem the checks catch, located by file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lifecycle.model import Problem, load_site, validate_site

ROOT = Path(__file__).resolve().parents[2]
IE1 = ROOT / "examples/ie1"
APPS = "applications.yaml"
LB = "loadbalancer.yaml"


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "ie1"
    shutil.copytree(IE1, copy)
    cfg = copy / "site.yaml"
    cfg.write_text(cfg.read_text().replace("../../hardware-profiles", str(ROOT / "hardware-profiles")))
    return copy


def edit(root: Path, name: str, old: str, new: str) -> int:
    """Replace the one occurrence of ``old`` in ``name``; the line where it was."""
    path = root / name
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
    path.write_text(text.replace(old, new))
    return text[:text.index(old)].count("\n") + 1


def problems(root: Path) -> list[Problem]:
    site, found = validate_site(root)
    assert site is None and found
    return found


def at(found: list[Problem], file: str, line: int, field: str, contains: str) -> Problem:
    hits = [p for p in found if (p.file, p.line, p.field) == (file, line, field) and contains in p.message]
    assert hits, f"no {file}:{line} {field} ~ {contains!r} in:\n" + "\n".join(map(str, found))
    return hits[0]


# -- the example ---------------------------------------------------------------------------------


def test_every_application_environment_of_the_example_is_load_balanced():
    site = load_site(IE1)
    assert site.loadbalancer is not None
    (adc,) = site.loadbalancer.devices
    assert adc.name == "ie1-adc1" and [str(ip) for ip in adc.snips] == ["10.50.0.11", "10.50.0.12"]
    monitors = {m.monitorname: m for m in site.loadbalancer.monitors}
    vips = []
    for app in site.applications:
        for env, spec in app.environments.items():
            lb = spec.lb
            assert lb is not None, f"{app.name}/{env}"
            assert lb.lbvserver.name == f"lb_{app.name}_{env}"
            assert lb.servicegroup.servicegroupname == f"sg_{app.name}_{env}"
            assert lb.device == adc.name and lb.monitor == f"mon_{app.name}"
            assert adc.vip_range is not None and lb.lbvserver.ipv46 in adc.vip_range
            assert lb.drain_delay > 0
            vips.append(lb.lbvserver.ipv46)
    assert len(vips) == len(set(vips)) == 12
    billing = site.application("billing").environments["prd"].lb
    assert billing is not None and monitors["mon_billing"].port_for(billing.servicegroup.port) == 8081
    portal = site.application("web-portal").environments["prd"].lb
    assert portal is not None and (portal.lbvserver.servicetype, portal.lbvserver.port) == ("SSL", 443)
    assert portal.csvserver is not None and portal.csvserver.policyname == "csp_web-portal_prd"
    assert portal.gslbvserver is not None and portal.gslbvserver.name == "gslb_web-portal_prd"
    assert monitors["mon_reporting"].port_for(8080) == 8080  # default: the member's port


def test_writer_hooks_of_the_stateful_applications():
    site = load_site(IE1)
    orders, billing = site.application("orders").writer_hook, site.application("billing").writer_hook
    assert orders is not None and orders.kind == "http"
    assert (orders.method, orders.resume_method, orders.port, orders.path) == (
        "POST", "DELETE", 8081, "/admin/writers")
    assert billing is not None and billing.kind == "ssh"
    assert billing.command.endswith("quiesce") and billing.resume_command.endswith("resume")


# -- names and addresses used twice ------------------------------------------------------------


def test_a_vip_used_twice(site_dir: Path):
    prd = _line(site_dir, APPS, "ipv46: 10.50.1.10,", 1)
    line = edit(site_dir, APPS, "ipv46: 10.50.1.139", "ipv46: 10.50.1.10")  # api-gateway qa
    p = at(problems(site_dir), APPS, line, "applications[api-gateway].environments.qa.lb.lbvserver.ipv46",
           "duplicate VIP 10.50.1.10")
    assert f"applications[web-portal].environments.prd.lb.lbvserver.ipv46 at {APPS}:{prd}" in p.message


@pytest.mark.parametrize(("old", "new", "field", "what"), [
    ("name: lb_orders_qa,", "name: lb_orders_prd,", "lbvserver.name", "lbvserver name"),
    ("servicegroupname: sg_orders_qa,", "servicegroupname: SG_orders_prd,",
     "servicegroup.servicegroupname", "servicegroup name"),
])
def test_a_vserver_or_servicegroup_name_used_twice(site_dir: Path, old: str, new: str, field: str,
                                                     what: str):
    line = edit(site_dir, APPS, old, new)
    at(problems(site_dir), APPS, line, f"applications[orders].environments.qa.lb.{field}",
       f"duplicate {what}")


def test_a_monitor_name_used_twice(site_dir: Path):
    line = edit(site_dir, LB, "monitorname: mon_reporting,", "monitorname: mon_orders,")
    found = problems(site_dir)
    at(found, LB, line, "loadbalancer.monitors[4].monitorname", "duplicate monitor name mon_orders")
    # the vservers that used the renamed one now name a monitor that does not exist
    at(found, APPS, _line(site_dir, APPS, "monitor: mon_reporting", 1),
       "applications[reporting].environments.prd.lb.monitor", "unknown monitor 'mon_reporting'")


def _line(root: Path, name: str, text: str, nth: int) -> int:
    """The line of the ``nth`` (1-based) line holding ``text``."""
    lines = [i + 1 for i, s in enumerate((root / name).read_text().split("\n")) if text in s]
    return lines[nth - 1]


def test_a_snip_and_a_vip_are_different_addresses(site_dir: Path):
    line = edit(site_dir, APPS, "ipv46: 10.50.1.14,", "ipv46: 10.50.0.11,")  # reporting prd
    at(problems(site_dir), APPS, line, "applications[reporting].environments.prd.lb.lbvserver.ipv46",
       "VIP 10.50.0.11 is also a SNIP")


# -- references ------------------------------------------------------------------------------------


def test_an_unknown_monitor_or_device(site_dir: Path):
    mon = _line(site_dir, APPS, "monitor: mon_web-portal", 2)  # the qa environment's
    text = (site_dir / APPS).read_text().split("\n")
    text[mon - 1] = text[mon - 1].replace("mon_web-portal", "mon_nope")
    dev = _line(site_dir, APPS, "device: ie1-adc1", 1)
    text[dev - 1] = text[dev - 1].replace("ie1-adc1", "ie1-adc9")
    (site_dir / APPS).write_text("\n".join(text))
    found = problems(site_dir)
    at(found, APPS, mon, "applications[web-portal].environments.qa.lb.monitor",
       "unknown monitor 'mon_nope' (known: mon_api-gateway, mon_billing")
    at(found, APPS, dev, "applications[web-portal].environments.prd.lb.device",
       "unknown load-balancer device 'ie1-adc9' (known: ie1-adc1)")


def test_vservers_without_a_loadbalancer_section(site_dir: Path):
    (site_dir / LB).unlink()
    found = problems(site_dir)
    at(found, APPS, _line(site_dir, APPS, "        lb:", 1), "applications[web-portal].environments.prd.lb",
       "the site has no loadbalancer section")
    assert len(found) == 1, found  # not one "unknown device/monitor" per vserver on top


# -- ports and values ------------------------------------------------------------------------------


@pytest.mark.parametrize(("file", "old", "new", "field"), [
    (APPS, "ipv46: 10.50.1.12, port: 8080,", "ipv46: 10.50.1.12, port: 70000,",
     "applications[orders].environments.prd.lb.lbvserver.port"),
    (APPS, "servicegroupname: sg_orders_prd, servicetype: HTTP, port: 8080}",
     "servicegroupname: sg_orders_prd, servicetype: HTTP, port: 0}",
     "applications[orders].environments.prd.lb.servicegroup.port"),
    (LB, "destport: 8081,", "destport: 65536,", "loadbalancer.monitors[3].destport"),
])
def test_a_port_outside_1_to_65535(site_dir: Path, file: str, old: str, new: str, field: str):
    line = edit(site_dir, file, old, new)
    p = at(problems(site_dir), file, line, field, "")
    assert "65535" in p.message or "greater than or equal to 1" in p.message, p


def test_netscaler_names_for_servicetype_lbmethod_and_monitor_type(site_dir: Path):
    sg = "\n          servicegroup: {servicegroupname: sg_orders_prd"
    line = edit(site_dir, APPS, "lbmethod: ROUNDROBIN}" + sg, "lbmethod: round-robin}" + sg)
    at(problems(site_dir), APPS, line, "applications[orders].environments.prd.lb.lbvserver.lbmethod",
       "'LEASTCONNECTION'")


@pytest.mark.parametrize(("old", "new", "contains"), [
    ("type: TCP, interval", "type: TCP, httprequest: GET /, interval",
     "httprequest/respcode only apply to HTTP monitors, not TCP"),
    ("monitorname: mon_reporting,", "monitorname: tcp,", "'tcp' is a built-in NetScaler monitor name"),
    ("type: TCP, interval: 2, resptimeout: 1", "type: TCP, interval: 2, resptimeout: 2",
     "resptimeout (2) must be less than interval (2)"),
])
def test_a_monitor_that_netscaler_would_refuse(site_dir: Path, old: str, new: str, contains: str):
    line = edit(site_dir, LB, old, new)
    at(problems(site_dir), LB, line, "loadbalancer.monitors[4]", contains)


# -- VIPs and SNIPs against the network ------------------------------------------------------------


def test_a_vip_inside_an_application_subnet(site_dir: Path):
    line = edit(site_dir, APPS, "ipv46: 10.50.1.10,", "ipv46: 10.20.2.70,")  # api-gateway prd B
    found = problems(site_dir)
    at(found, APPS, line, "applications[web-portal].environments.prd.lb.lbvserver.ipv46",
       "VIP 10.20.2.70 is inside application subnet api-gateway/prd/b")
    at(found, APPS, line, "applications[web-portal].environments.prd.lb.lbvserver.ipv46",
       "outside ie1-adc1's vip_range 10.50.1.0/24")


def test_snips_that_the_acls_keep_from_the_monitor_port(site_dir: Path):
    edit(site_dir, APPS, "ports: [8080, 8081]}", "ports: [8080]}")  # adc-to-billing
    found = problems(site_dir)
    for env in ("prd", "qa"):
        mon = _line(site_dir, APPS, "monitor: mon_billing", 1 if env == "prd" else 2)
        p = at(found, APPS, mon, f"applications[billing].environments.{env}.lb.monitor",
               f"the SNIPs of ie1-adc1 cannot reach billing/{env} B")
        assert "on tcp/8081 to monitor (mon_billing)" in p.message
    assert len(found) == 2, found  # the service port 8080 is still allowed


def test_a_rule_to_subnet_a_does_not_let_the_snips_see_b(site_dir: Path):
    edit(site_dir, APPS, 'to: "app:orders", protocol: tcp,\n         ports: [8080]',
         'to: "subnet:orders/prd/a", protocol: tcp,\n         ports: [8080]')
    found = problems(site_dir)
    port = _line(site_dir, APPS, "servicegroupname: sg_orders_prd", 1)
    p = at(found, APPS, port, "applications[orders].environments.prd.lb.servicegroup.port",
           "cannot reach orders/prd B (10.20.3.64/26) on tcp/8080 to serve")
    assert "subnet:orders/prd/b" in p.message and "10.50.0.11, 10.50.0.12" in p.message
    assert {f.field.split(".")[2] for f in found} == {"prd", "qa"}


def test_a_rule_to_subnet_b_or_from_any_is_enough(site_dir: Path):
    edit(site_dir, APPS, 'to: "app:orders", protocol: tcp,\n         ports: [8080]',
         'to: "subnet:orders/prd/b", protocol: tcp,\n         ports: [8080]}\n'
         '      - {name: any-to-orders-qa, from: any, to: "subnet:orders/qa/b", protocol: any')
    site, found = validate_site(site_dir)
    assert found == [] and site is not None


def test_a_snip_outside_the_macro(site_dir: Path):
    edit(site_dir, LB, "snips: [10.50.0.11, 10.50.0.12]", "snips: [10.50.0.11, 10.50.0.99]")
    found = problems(site_dir)
    assert len(found) == 24  # service and monitor port of 12 application environments
    assert all("cannot reach" in p.message and "10.50.0.99" in p.message for p in found)


# -- writer hooks ----------------------------------------------------------------------------------


def test_a_writer_hook_needs_writer_stop_freeze(site_dir: Path):
    edit(site_dir, APPS, "    writer_stop: freeze\n    # writers", "    writer_stop: stop-vms\n    # writers")
    hook = _line(site_dir, APPS, "writer_hook: {kind: http", 1)
    at(problems(site_dir), APPS, hook, "applications[orders].writer_hook",
       "writer_hook is only used with writer_stop: freeze, not stop-vms")


def test_a_writer_hook_of_an_unknown_kind(site_dir: Path):
    line = edit(site_dir, APPS, "writer_hook: {kind: ssh,", "writer_hook: {kind: telnet,")
    at(problems(site_dir), APPS, line, "applications[billing].writer_hook", "'http', 'ssh'")


def test_a_device_name_or_snip_used_twice(site_dir: Path):
    line = edit(site_dir, LB, "      vip_range: 10.50.1.0/24\n",
                "      vip_range: 10.50.1.0/24\n    - {name: ie1-adc1, snips: [10.50.0.12]}\n")
    found = problems(site_dir)
    at(found, LB, line + 1, "loadbalancer.devices[ie1-adc1].name",
       "duplicate load-balancer device name ie1-adc1")
    at(found, LB, line + 1, "loadbalancer.devices[ie1-adc1].snips[0]", "duplicate SNIP 10.50.0.12")
