"""Synthetic sites for benchmarks and scale tests, the shape of examples/ie1 at any size.

    python -m lifecycle.model.generate OUT --racks 40 --servers-per-rack 24 --apps 150 [--seed N]

writes a valid, self-contained site to ``OUT`` (``scripts/gen-site`` runs this):

- ``site.yaml``: the site and its one DC; ``hardware_profiles: hardware-profiles``, a copy of the
  repository's profiles;
- ``fabric.yaml``: the spines (DCS-7504R3, or DCS-7508R3 once the leaves need more than four
  36-port line cards); every leaf has one uplink to every spine;
- ``racks/ctl01.yaml``: the control rack with the new cloud's three controllers;
- ``racks/rNNN.yaml``: one compute rack each (the rack, its servers, its cables); the first half
  in service on the old cloud, the rest planned for the new one;
- ``openstack.yaml``, ``nuage.yaml``: the old and new clouds, the VSD enterprise;
- ``applications/<team>.yaml``: the applications, an A/B pair of /26 per environment (prd, qa)
  allocated from 10.64.0.0/10, some stateful with volumes, some talking to others;
- ``upgrade.yaml``: waves of ``--wave-size`` applications, then the old racks recommissioned.

The same arguments and seed always give the same bytes.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import random
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lifecycle.model import validate_site

REPO_PROFILES = Path(__file__).resolve().parents[2] / "hardware-profiles"
PROFILES = ("dl360g9-compute", "dl360g9-controller", "dl380g9-compute-large")

LEAF_MODEL = "DCS-7050SX3-48YC8"  # 48 x 25G server ports, QSFP 49-56 (uplinks from 49, MLAG 55/56)
LEAF_SERVER_PORTS = 48
PEER_LINK = ["Ethernet55/1", "Ethernet56/1"]
MAX_SPINES = 6  # uplinks on Ethernet49/1 .. Ethernet54/1
PORTS_PER_CARD = 36
SPINE_MODELS = (("DCS-7504R3", 4), ("DCS-7508R3", 8))  # line cards in slots 3 onwards

SPINE_ASN, LEAF_ASN_BASE = 65000, 65100
MGMT = ipaddress.IPv4Network("10.0.0.0/20")
ILO_BASE = ipaddress.IPv4Address("10.1.0.0")  # 10.1.<rack>.<10 + slot>
SPINE_LOOPBACKS = ipaddress.IPv4Address("10.255.0.0")
LEAF_LOOPBACKS = ipaddress.IPv4Address("10.255.1.0")
UPLINKS = ipaddress.IPv4Address("10.254.0.0")  # consecutive /31s
PEER_SUBNETS = ipaddress.IPv4Address("10.253.0.0")  # one /31 per rack
APP_SUBNETS = ipaddress.IPv4Network("10.64.0.0/10")  # one /25 per application and environment
ENVIRONMENTS = ("prd", "qa")
MAX_APPS = APP_SUBNETS.num_addresses // 128 // len(ENVIRONMENTS)

TEAMS = ("digital", "platform", "commerce", "finance", "data", "ops")
WORDS = ("portal", "api", "orders", "billing", "ledger", "search", "catalog", "cart", "auth",
         "notify", "report", "stream", "media", "events", "quotes", "claims", "crm", "pricing")


@dataclass(frozen=True)
class Spec:
    """What to generate."""

    racks: int = 40
    servers_per_rack: int = 24
    apps: int = 150
    seed: int = 1
    spines: int = 2
    wave_size: int = 25
    name: str = "syn1"

    def problems(self) -> list[str]:
        out = []
        if self.racks < 1:
            out.append("--racks must be at least 1")
        if not 1 <= self.servers_per_rack <= LEAF_SERVER_PORTS:
            out.append(f"--servers-per-rack must be 1..{LEAF_SERVER_PORTS} (leaf server ports)")
        if not 1 <= self.apps <= MAX_APPS:
            out.append(f"--apps must be 1..{MAX_APPS}")
        if not 1 <= self.spines <= MAX_SPINES:
            out.append(f"--spines must be 1..{MAX_SPINES} (leaf uplink ports)")
        if self.wave_size < 1:
            out.append("--wave-size must be at least 1")
        most = SPINE_MODELS[-1][1] * PORTS_PER_CARD // 2 - 1
        if self.racks > most:
            out.append(f"--racks must be at most {most}: each spine has a port per leaf")
        return out


# --- YAML output ------------------------------------------------------------------------------


class Flow(dict):
    """A mapping written on one line: ``{a: c01-leaf1:Ethernet1, b: ...}``."""


class FlowList(list):
    """A sequence written on one line: ``[Ethernet55/1, Ethernet56/1]``."""


class _Dumper(yaml.SafeDumper):
    """Indents block sequences under their key, as the hand-written sites do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


_Dumper.add_representer(
    Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True))
_Dumper.add_representer(
    FlowList, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True))


@dataclass
class SiteFile:
    comment: str
    sections: dict[str, Any]

    def text(self) -> str:
        head = "".join(f"# {line}\n" for line in self.comment.splitlines())
        body = "\n".join(
            yaml.dump({k: v}, Dumper=_Dumper, sort_keys=False, width=110, allow_unicode=True)
            for k, v in self.sections.items())
        return head + body


# --- layout: who sits where, shared by the rack files and the upgrade -------------------------


@dataclass
class RackPlan:
    no: int  # 0 for the control rack
    name: str
    kind: str
    state: str
    cloud: str
    role: str
    servers: list[str] = field(default_factory=list)


@dataclass
class Layout:
    spec: Spec
    old_cloud: str
    new_cloud: str
    spine_model: str
    racks: list[RackPlan]

    @property
    def spine_names(self) -> list[str]:
        return [f"{self.spec.name}-spine{k}" for k in range(1, self.spec.spines + 1)]

    def leaf_index(self, rack: RackPlan, leaf: int) -> int:
        """0-based position of a leaf among all leaves: its port on every spine."""
        return 2 * self.racks.index(rack) + leaf - 1


def plan(spec: Spec) -> Layout:
    leaves = 2 * (spec.racks + 1)
    model = next(m for m, cards in SPINE_MODELS if leaves <= cards * PORTS_PER_CARD)
    old, new = f"{spec.name}-old", f"{spec.name}-new"
    racks = [RackPlan(0, "ctl01", "control", "in-service", new, "Controller")]
    racks[0].servers = [f"ctl01-s{i:02d}" for i in range(1, 4)]
    in_service = math.ceil(spec.racks / 2)
    for no in range(1, spec.racks + 1):
        name = f"r{no:03d}"
        rack = (RackPlan(no, name, "compute", "in-service", old, "Compute") if no <= in_service
                else RackPlan(no, name, "compute", "planned", new, "ComputeNuage"))
        rack.servers = [f"{name}-s{i:02d}" for i in range(1, spec.servers_per_rack + 1)]
        racks.append(rack)
    return Layout(spec, old, new, model, racks)


# --- sections ---------------------------------------------------------------------------------


def site_file(lay: Layout) -> SiteFile:
    s = lay.spec
    return SiteFile(
        f"{s.name}: synthetic site ({s.racks} compute racks x {s.servers_per_rack} servers, "
        f"{s.apps} applications, seed {s.seed}).\nWritten by lifecycle.model.generate.",
        {
            "site": {
                "name": s.name,
                "description": "Synthetic site for benchmarks and scale tests",
                "domain": f"{s.name}.example.net",
                "hardware_profiles": "hardware-profiles",
                "ntp_servers": FlowList(["10.40.0.1", "10.40.0.2"]),
                "dns_servers": FlowList(["10.40.0.3", "10.40.0.4"]),
            },
            "dcs": [{"name": f"{s.name}-dc1", "location": "Synthetic hall 1"}],
        })


def fabric_file(lay: Layout) -> SiteFile:
    spines = []
    for k, name in enumerate(lay.spine_names, start=1):
        spines.append({
            "name": name,
            "dc": f"{lay.spec.name}-dc1",
            "model": lay.spine_model,
            "serial": f"JPE8011{k:04d}",
            "system_mac": f"28:99:3a:80:00:{k:02x}",
            "asn": SPINE_ASN,
            "loopback": str(SPINE_LOOPBACKS + k),
            "mgmt": f"{MGMT[10 + k]}/{MGMT.prefixlen}",
        })
    return SiteFile(f"Spine layer: {len(spines)} x {lay.spine_model}, one ASN; leaves live in "
                    "racks/*.yaml.", {"spines": spines})


def spine_port(lay: Layout, rack: RackPlan, leaf: int) -> str:
    i = lay.leaf_index(rack, leaf)
    return f"Ethernet{3 + i // PORTS_PER_CARD}/{i % PORTS_PER_CARD + 1}"


def leaf(lay: Layout, rack: RackPlan, n: int) -> dict[str, Any]:
    i = lay.leaf_index(rack, n)
    uplinks = []
    for k in range(len(lay.spine_names)):
        subnet = ipaddress.IPv4Network((UPLINKS + 2 * (i * len(lay.spine_names) + k), 31))
        uplinks.append(Flow(port=f"Ethernet{49 + k}/1", subnet=str(subnet)))
    return {
        "name": f"{rack.name}-leaf{n}",
        "model": LEAF_MODEL,
        "serial": f"JPE8033{rack.no:03d}{n}",
        "system_mac": f"44:4c:a8:80:{rack.no:02x}:{n:02x}",
        "loopback": str(LEAF_LOOPBACKS + i + 1),
        "mgmt": f"{MGMT[256 + i]}/{MGMT.prefixlen}",
        "uplinks": uplinks,
    }


def server(lay: Layout, rack: RackPlan, slot: int) -> dict[str, Any]:
    name = rack.servers[slot - 1]
    count = len(rack.servers)
    if rack.kind == "control":
        profile = "dl360g9-controller"
    else:  # like c02 of ie1: the last sixth of a rack are large-memory nodes
        profile = "dl380g9-compute-large" if slot > count - count // 6 else "dl360g9-compute"
    step = 2 if count <= 25 else 1
    return {
        "name": name,
        "rack": rack.name,
        "u": 2 + (slot - 1) * step,
        "serial": f"CZJ8{rack.no:03d}{slot:03d}",
        "oneview_name": f"ilo-{name}.{lay.spec.name}.example.net",
        "hardware_profile": profile,
        "cloud": rack.cloud,
        "role": rack.role,
        "ilo": str(ILO_BASE + 256 * rack.no + 10 + slot),
        "nics": [Flow(name=f"nic{n}", mac=f"94:40:c9:{rack.no:02x}:{slot:02x}:{n:02x}")
                 for n in (1, 2)],
    }


def cables(lay: Layout, rack: RackPlan) -> list[Flow]:
    out = []
    for n in (1, 2):
        for k, spine in enumerate(lay.spine_names):
            out.append(Flow(a=f"{rack.name}-leaf{n}:Ethernet{49 + k}/1",
                            b=f"{spine}:{spine_port(lay, rack, n)}"))
    for port in PEER_LINK:
        out.append(Flow(a=f"{rack.name}-leaf1:{port}", b=f"{rack.name}-leaf2:{port}"))
    for slot, name in enumerate(rack.servers, start=1):
        for n in (1, 2):
            out.append(Flow(a=f"{name}:nic{n}", b=f"{rack.name}-leaf{n}:Ethernet{slot}"))
    return out


def rack_file(lay: Layout, rack: RackPlan) -> SiteFile:
    what = ("Control rack: the controllers of the new cloud." if rack.kind == "control" else
            f"Compute rack, {rack.state}, {rack.cloud} ({rack.role}).")
    return SiteFile(what, {
        "racks": [{
            "name": rack.name,
            "dc": f"{lay.spec.name}-dc1",
            "kind": rack.kind,
            "state": rack.state,
            "leaves": {
                "mlag_domain": f"{rack.name}-mlag",
                "asn": LEAF_ASN_BASE + rack.no,
                "peer_link": FlowList(PEER_LINK),
                "peer_vlan": 4094,
                "peer_subnet": str(ipaddress.IPv4Network((PEER_SUBNETS + 2 * rack.no, 31))),
                "leaves": [leaf(lay, rack, 1), leaf(lay, rack, 2)],
            },
        }],
        "servers": [server(lay, rack, slot) for slot in range(1, len(rack.servers) + 1)],
        "cables": cables(lay, rack),
    })


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
                               Flow(name="corp-users", cidr="10.60.0.0/16")],
            "acl": {"common": [
                Flow({"name": "allow-dns", "from": "any", "to": "macro:dns-servers",
                      "protocol": "udp", "ports": FlowList([53])}),
                Flow({"name": "allow-node-exporter", "from": "macro:monitoring", "to": "any",
                      "protocol": "tcp", "ports": FlowList([9100])}),
            ]},
        }})


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
                                        "vms": vms}
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
        if stateful and others and rng.random() < 0.5:
            reader = rng.choice(others)
            app["rules"] = [Flow({"name": f"{reader}-to-{name}", "from": f"app:{reader}",
                                  "to": f"subnet:{name}/prd/a", "protocol": "tcp",
                                  "ports": FlowList([5432])})]
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


def site_files(spec: Spec) -> dict[str, SiteFile]:
    """Every file of the site, by path relative to the site directory."""
    lay = plan(spec)
    apps = applications(spec)
    files = {"site.yaml": site_file(lay), "fabric.yaml": fabric_file(lay)}
    files |= {f"racks/{r.name}.yaml": rack_file(lay, r) for r in lay.racks}
    files |= {"openstack.yaml": openstack_file(lay), "nuage.yaml": nuage_file(lay)}
    files |= application_files(apps)
    files["upgrade.yaml"] = upgrade_file(lay, apps)
    return files


# --- writing ----------------------------------------------------------------------------------


def write_site(out: Path, spec: Spec, *, force: bool = False,
               profiles: Path = REPO_PROFILES) -> dict[str, SiteFile]:
    """Write the site of ``spec`` to ``out`` with a copy of the hardware profiles it uses."""
    problems = spec.problems()
    if problems:
        raise ValueError("; ".join(problems))
    missing = [p for p in PROFILES if not (profiles / f"{p}.yaml").is_file()]
    if missing:
        raise FileNotFoundError(f"hardware profiles {', '.join(missing)} not found in {profiles}")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty (--force replaces a generated site)")
        if not (out / "site.yaml").is_file():
            raise FileExistsError(f"{out} is not empty and holds no site.yaml: not removing it")
        shutil.rmtree(out)
    files = site_files(spec)
    for rel, content in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content.text(), encoding="utf-8")
    (out / "hardware-profiles").mkdir(parents=True)
    for name in PROFILES:
        shutil.copyfile(profiles / f"{name}.yaml", out / "hardware-profiles" / f"{name}.yaml")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gen-site", description="Write a valid synthetic i2 site (shape of examples/ie1).")
    parser.add_argument("out", type=Path, metavar="OUT", help="site directory to write")
    parser.add_argument("--racks", type=int, default=Spec.racks, help="compute racks")
    parser.add_argument("--servers-per-rack", type=int, default=Spec.servers_per_rack)
    parser.add_argument("--apps", type=int, default=Spec.apps, help="applications")
    parser.add_argument("--seed", type=int, default=Spec.seed)
    parser.add_argument("--spines", type=int, default=Spec.spines)
    parser.add_argument("--wave-size", type=int, default=Spec.wave_size)
    parser.add_argument("--name", default=Spec.name, help="site name")
    parser.add_argument("--force", action="store_true", help="replace a site already in OUT")
    parser.add_argument("--check", action="store_true", help="validate the result and time it")
    args = parser.parse_args(argv)
    spec = Spec(racks=args.racks, servers_per_rack=args.servers_per_rack, apps=args.apps,
                seed=args.seed, spines=args.spines, wave_size=args.wave_size, name=args.name)
    if spec.problems():
        parser.error("; ".join(spec.problems()))
    try:
        files = write_site(args.out, spec, force=args.force)
    except (FileExistsError, FileNotFoundError) as exc:
        print(f"gen-site: {exc}", file=sys.stderr)
        return 1
    servers = 3 + spec.racks * spec.servers_per_rack
    print(f"wrote {args.out}: {spec.racks + 1} racks, {servers} servers, {spec.apps} applications, "
          f"{len(files)} site files")
    if args.check:
        start = time.perf_counter()
        _, problems = validate_site(args.out)
        took = time.perf_counter() - start
        for p in problems:
            print(p, file=sys.stderr)
        print(f"validated in {took:.2f}s: {len(problems)} problem(s)")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
