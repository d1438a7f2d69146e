"""A synthetic site's clouds, Nuage enterprise, applications (from the seed), the NetScaler in
front of them and the upgrade waves."""

from __future__ import annotations

import ipaddress
import random
from typing import Any

from lifecycle.model.generate_layout import (
    APP_SUBNETS,
    ENVIRONMENTS,
    MAX_APPS,
    TEAMS,
    WORDS,
    Layout,
    Spec,
)
from lifecycle.model.generate_yaml import Flow, FlowList, SiteFile


def openstack_file(lay: Layout) -> SiteFile:
    computes = {c: sum(len(r.servers) for r in lay.racks if r.kind == "compute" and r.cloud == c)
                for c in (lay.old_cloud, lay.new_cloud)}
    org = lay.spec.name.upper()

    def nuage(cms: str) -> dict[str, Any]:
        return {"net_partition": org, "cms_name": cms,
                "vsc_controllers": FlowList(["10.0.0.50", "10.0.0.51"])}

    def network(name: str, vlan: int, cidr: str) -> dict[str, Any]:
        net = ipaddress.IPv4Network(cidr)
        return {"name": name, "vlan": vlan, "cidr": cidr,
                "allocation_pools": [Flow(start=str(net[10]), end=str(net[250]))]}

    old = {
        "name": lay.old_cloud, "release": "newton", "osp_version": 10, "undercloud": "uc-old",
        "managed": False,
        "roles": [Flow(name="Controller", count=3, flavor="control", profile="control"),
                  Flow(name="Compute", count=computes[lay.old_cloud], flavor="compute",
                       profile="compute")],
        "nuage": nuage(lay.old_cloud),
        "pure": {"backend_name": f"pure-{lay.spec.name}", "protocol": "iSCSI"},
    }
    new = {
        "name": lay.new_cloud, "release": "train", "osp_version": 16, "undercloud": "uc-new",
        "roles": [Flow(name="Controller", count=3, flavor="control", profile="control",
                       hostname_format=f"{lay.spec.name}-ctl-%index%"),
                  Flow(name="ComputeNuage", count=computes[lay.new_cloud], flavor="compute",
                       profile="compute", hostname_format=f"{lay.spec.name}-cmp-%index%")],
        "networks": [network("InternalApi", 20, "172.16.2.0/24"),
                     network("Storage", 30, "172.16.1.0/24"),
                     network("StorageMgmt", 40, "172.16.3.0/24"),
                     network("Tenant", 50, "172.16.0.0/24")],
        "nuage": nuage(lay.new_cloud),
        "pure": {"backend_name": f"pure-{lay.spec.name}", "protocol": "iSCSI"},
        "ironic": True,
    }
    return SiteFile("The two clouds of the upgrade: old (drained, never deployed by i2) and new.",
                    {"clouds": [old, new]})


def nuage_file(lay: Layout) -> SiteFile:
    name = lay.spec.name
    return SiteFile("One VSD enterprise, an L3 domain per environment, the common ACL rules.", {
        "nuage": {
            "organisation": name.upper(),
            "domain_template": f"{name}-l3-template",
            "domains": [Flow(name=f"{name}-{env}", environment=env) for env in ENVIRONMENTS],
            "network_macros": [Flow(name="dns-servers", cidr="10.40.0.0/29"),
                               Flow(name="monitoring", cidr="10.41.0.0/27"),
                               Flow(name="corp-users", cidr="10.60.0.0/16"),
                               Flow(name="adc-snips", cidr=ADC_SNIPS_NET)],
            "acl": {"common": [
                Flow({"name": "allow-dns", "from": "any", "to": "macro:dns-servers",
                      "protocol": "udp", "ports": FlowList([53])}),
                Flow({"name": "allow-node-exporter", "from": "macro:monitoring", "to": "any",
                      "protocol": "tcp", "ports": FlowList([9100])}),
            ]},
        }})


# The NetScaler, as in examples/ie1: its SNIPs in macro adc-snips, one VIP per application
# environment from its own range (outside every application subnet).
ADC_SNIPS_NET = "10.50.0.0/28"
ADC_SNIPS = ("10.50.0.11", "10.50.0.12")
VIP_RANGE = ipaddress.IPv4Network("10.51.0.0/16")
# (monitor type, vserver servicetype and port, members' port); drain and timers as ie1's
LB_KINDS = (("HTTP", "HTTP", 80, 8080), ("TCP", "HTTP", 8080, 8080), ("HTTP", "SSL", 443, 8443))


def adc_name(spec: Spec) -> str:
    return f"{spec.name}-adc1"


def app_vip(index: int, env: int) -> str:
    return str(VIP_RANGE.network_address + 1 + index * len(ENVIRONMENTS) + env)


def balancing(spec: Spec, name: str, index: int, env: int,
              kind: tuple[str, str, int, int]) -> dict[str, Any]:
    """An environment's ``lb``: its vserver, service group and the application's monitor."""
    _, servicetype, vport, sgport = kind
    envname = ENVIRONMENTS[env]
    return dict(device=adc_name(spec),
                lbvserver=Flow(name=f"lb_{name}_{envname}", servicetype=servicetype,
                               ipv46=app_vip(index, env), port=vport, lbmethod="ROUNDROBIN"),
                servicegroup=Flow(servicegroupname=f"sg_{name}_{envname}", servicetype=servicetype,
                                  port=sgport),
                monitor=f"mon_{name}", drain_delay=2)


def lb_kinds(spec: Spec) -> list[tuple[str, str, int, int]]:
    """Each application's kind of service; its own stream, so the applications stay the same."""
    rng = random.Random(spec.seed + 2)
    return [rng.choice(LB_KINDS) for _ in range(spec.apps)]


def loadbalancer_file(spec: Spec, apps: list[dict[str, Any]]) -> SiteFile:
    monitors = []
    for app, (mtype, *_rest) in zip(apps, lb_kinds(spec), strict=True):
        mon = Flow(monitorname=f"mon_{app['name']}", type=mtype)
        if mtype == "HTTP":
            mon |= {"httprequest": "GET /health", "respcode": FlowList(["200"])}
        monitors.append(Flow(mon, interval=2, resptimeout=1, downtime=10, retries=3))
    return SiteFile("The NetScaler in front of every application environment, one monitor per "
                    "application; short timers keep the twin's campaign quick.", {
                        "loadbalancer": {
                            "devices": [Flow(name=adc_name(spec), snips=FlowList(list(ADC_SNIPS)),
                                             vip_range=str(VIP_RANGE))],
                            "monitors": monitors}})


def app_subnets(index: int, env: int) -> Flow:
    """The A/B halves of the /25 numbered ``index`` in environment ``env``'s half of the range."""
    number = env * MAX_APPS + index
    net = ipaddress.IPv4Network((APP_SUBNETS.network_address + 128 * number, 25))
    a, b = net.subnets(new_prefix=26)
    return Flow(a=str(a), b=str(b))


def applications(spec: Spec) -> list[dict[str, Any]]:
    """``spec.apps`` applications; what varies (team, state, VMs, traffic) comes from the seed."""
    rng = random.Random(spec.seed)
    names = [f"{rng.choice(WORDS)}-{i:03d}" for i in range(1, spec.apps + 1)]
    kinds = lb_kinds(spec)
    apps = []
    for i, name in enumerate(names):
        team = rng.choice(TEAMS)
        stateful = rng.random() < 0.25
        app: dict[str, Any] = {"name": name, "team": team}
        if stateful:
            app |= {"stateful": True, "writer_stop": "freeze"}
        envs = {}
        vm_count = rng.randint(1, 3)
        size = rng.choice((50, 100, 200, 500))
        for e, env in enumerate(ENVIRONMENTS):
            volume = f"{name}-{env}-data"
            vms = [Flow(name=f"{name}-{env}-{k}", flavor="m1.large" if stateful else "m1.medium",
                        image="rhel-8.4") for k in range(1, vm_count + 1)]
            spec_env: dict[str, Any] = {"project": f"{team}-{env}", "subnets": app_subnets(i, e),
                                        "lb": balancing(spec, name, i, e, kinds[i]), "vms": vms}
            if stateful:
                vms[0]["volumes"] = FlowList([volume])
                spec_env["volumes"] = [Flow(name=volume, size_gb=size)]
            envs[env] = spec_env
        app["environments"] = envs
        others = [n for n in names if n != name]
        talks = rng.sample(others, k=min(len(others), rng.choice((0, 0, 1, 1, 2))))
        if talks:
            app["talks_to"] = [Flow(app=t, protocol="tcp", ports=FlowList([rng.choice((8080, 8443))]))
                               for t in talks]
        exposure = rng.random()
        if exposure < 0.2:
            app["exposed_to"] = [Flow({"from": "external", "protocol": "tcp", "ports": FlowList([443])})]
        elif exposure < 0.3:
            app["exposed_to"] = [Flow({"from": "macro:corp-users", "protocol": "tcp",
                                       "ports": FlowList([443])})]
        rules = []
        if stateful and others and rng.random() < 0.5:
            reader = rng.choice(others)
            rules.append(Flow({"name": f"{reader}-to-{name}", "from": f"app:{reader}",
                               "to": f"subnet:{name}/prd/a", "protocol": "tcp",
                               "ports": FlowList([5432])}))
        # the SNIPs reach both sides (the zone) on the members' port, which the monitor probes
        rules.append(Flow({"name": f"adc-to-{name}", "from": "macro:adc-snips", "to": f"app:{name}",
                           "protocol": "tcp", "ports": FlowList([kinds[i][3]])}))
        app["rules"] = rules
        apps.append(app)
    return apps


def application_files(apps: list[dict[str, Any]]) -> dict[str, SiteFile]:
    by_team: dict[str, list[dict[str, Any]]] = {}
    for app in apps:
        by_team.setdefault(app["team"], []).append(app)
    return {f"applications/{team}.yaml": SiteFile(
        f"Applications of team {team}: an A/B pair of /26 subnets per environment.",
        {"applications": team_apps}) for team, team_apps in sorted(by_team.items())}


def upgrade_file(lay: Layout, apps: list[dict[str, Any]]) -> SiteFile:
    order = [a["name"] for a in apps]
    random.Random(lay.spec.seed + 1).shuffle(order)
    size = lay.spec.wave_size
    waves = [{"name": f"wave{n + 1:02d}", "applications": FlowList(order[i:i + size])}
             for n, i in enumerate(range(0, len(order), size))]
    old_racks = [r for r in lay.racks if r.cloud == lay.old_cloud]
    upgrade: dict[str, Any] = {"from": lay.old_cloud, "to": lay.new_cloud, "soak_seconds": 2,
                               "waves": waves}
    if old_racks:
        upgrade["recommission"] = [{"servers": FlowList(r.servers), "role": "ComputeNuage",
                                    "after_wave": waves[-1]["name"]} for r in old_racks]
    return SiteFile(f"{lay.old_cloud} -> {lay.new_cloud}: {len(order)} applications in waves of "
                    f"{size}; the old racks join the new cloud after the last wave.",
                    {"upgrade": upgrade})
