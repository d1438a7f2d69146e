"""Cross-checks: what no single object can know about itself.

Every check reports through the object's :class:`~lifecycle.model.loader.Origin`, so a duplicate
MAC names the file, line and field of the second occurrence and where the first one is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from lifecycle.model.catalog import SWITCH_MODELS
from lifecycle.model.checks_lb import LbChecks
from lifecycle.model.loader import Loaded
from lifecycle.model.schema import (
    AclRule,
    Application,
    Cable,
    Cloud,
    Leaf,
    Nuage,
    Rack,
    Server,
    Spine,
    Upgrade,
    parse_endpoint,
)
from lifecycle.model.yamlsrc import Problem

Ref = tuple[Any, tuple[Any, ...]]  # (model object, loc inside it)


class Checker:
    """Runs every cross-check over the sections of a :class:`Loaded` site."""

    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self.s = loaded.sections
        self.problems: list[Problem] = []

    # -- helpers ---------------------------------------------------------------------------

    def report(self, obj: Any, loc: tuple[Any, ...], message: str, code: str = "invalid") -> None:
        if code == "reference" and self._names_invalid(message):
            return  # the referenced object is itself invalid and already reported
        self.problems.append(self.loaded.origin(obj).problem(loc, message, code))

    def _names_invalid(self, message: str) -> bool:
        invalid = set().union(*self.loaded.invalid.values()) if self.loaded.invalid else set()
        return any(f"{name!r}" in message for name in invalid)

    def where(self, obj: Any, loc: tuple[Any, ...] = ()) -> str:
        o = self.loaded.origin(obj)
        return f"{o.field(loc)} at {o.file}:{o.line(loc)}"

    def unique(self, what: str, refs: Iterable[tuple[Any, Ref]],
               norm: Callable[[Any], Any] = lambda v: v) -> None:
        first: dict[Any, Ref] = {}
        for value, ref in refs:
            key = norm(value)
            if key in first:
                obj, loc = ref
                self.report(obj, loc, f"duplicate {what} {value!s} (also {self.where(*first[key])})",
                            "duplicate")
            else:
                first[key] = ref

    # -- inventories -----------------------------------------------------------------------

    def spines(self) -> list[Spine]:
        return self.s.get("spines", [])

    def racks(self) -> list[Rack]:
        return self.s.get("racks", [])

    def servers(self) -> list[Server]:
        return self.s.get("servers", [])

    def leaves(self) -> Iterator[tuple[Rack, int, Leaf]]:
        for rack in self.racks():
            for i, leaf in enumerate(rack.leaves.leaves):
                yield rack, i, leaf

    def run(self) -> list[Problem]:
        self.check_names()
        self.check_identities()
        self.check_references()
        self.check_cabling()
        self.check_subnets()
        self.check_clouds()
        self.check_nuage_and_apps()
        self.check_upgrade()
        LbChecks(self).run()
        return self.problems

    # -- checks ----------------------------------------------------------------------------

    def check_names(self) -> None:
        for section in ("dcs", "racks", "clouds", "applications"):
            self.unique(f"{section[:-1]} name",
                        ((o.name, (o, ("name",))) for o in self.s.get(section, [])))
        devices: list[tuple[Any, Ref]] = [(s.name, (s, ("name",))) for s in self.spines()]
        devices += [(leaf.name, (r, ("leaves", "leaves", i, "name"))) for r, i, leaf in self.leaves()]
        devices += [(s.name, (s, ("name",))) for s in self.servers()]
        self.unique("hostname", devices, str.lower)

    def check_identities(self) -> None:
        serials = [(s.serial, (s, ("serial",))) for s in self.spines()]
        serials += [(leaf.serial, (r, ("leaves", "leaves", i, "serial")))
                    for r, i, leaf in self.leaves()]
        serials += [(s.serial, (s, ("serial",))) for s in self.servers()]
        self.unique("serial number", serials, str.upper)

        macs = [(s.system_mac, (s, ("system_mac",))) for s in self.spines() if s.system_mac]
        macs += [(leaf.system_mac, (r, ("leaves", "leaves", i, "system_mac")))
                 for r, i, leaf in self.leaves()]
        macs += [(n.mac, (s, ("nics", j, "mac"))) for s in self.servers()
                 for j, n in enumerate(s.nics)]
        self.unique("MAC address", macs)

        ips: list[tuple[Any, Ref]] = []
        for s in self.spines():
            ips += [(s.loopback, (s, ("loopback",))), (s.mgmt.ip, (s, ("mgmt",)))]
        for r, i, leaf in self.leaves():
            base = ("leaves", "leaves", i)
            ips += [(leaf.loopback, (r, (*base, "loopback"))), (leaf.mgmt.ip, (r, (*base, "mgmt")))]
        ips += [(s.ilo, (s, ("ilo",))) for s in self.servers()]
        self.unique("IP address", ips)

        self.unique("OneView server-hardware name",
                    ((s.oneview_name, (s, ("oneview_name",))) for s in self.servers()))
        self.unique("rack position", (((s.rack, s.u), (s, ("u",))) for s in self.servers()))

        spine_asns = {s.asn for s in self.spines()}
        self.unique("leaf-pair ASN",
                    ((r.leaves.asn, (r, ("leaves", "asn"))) for r in self.racks()))
        for r in self.racks():
            if r.leaves.asn in spine_asns:
                self.report(r, ("leaves", "asn"),
                            f"leaf-pair ASN {r.leaves.asn} is the spines' ASN", "duplicate")
        self.unique("MLAG domain",
                    ((r.leaves.mlag_domain, (r, ("leaves", "mlag_domain"))) for r in self.racks()))

    def check_references(self) -> None:
        dcs = {d.name for d in self.s.get("dcs", [])}
        for obj in [*self.spines(), *self.racks()]:
            if obj.dc not in dcs:
                self.report(obj, ("dc",), f"unknown DC {obj.dc!r}", "reference")
        racks = {r.name for r in self.racks()}
        clouds = {c.name: c for c in self.s.get("clouds", [])}
        for s in self.servers():
            if s.rack not in racks:
                self.report(s, ("rack",), f"unknown rack {s.rack!r}", "reference")
            profile = self.loaded.profiles.get(s.hardware_profile)
            if profile is None:
                known = ", ".join(sorted(self.loaded.profiles)) or "none"
                self.report(s, ("hardware_profile",),
                            f"unknown hardware profile {s.hardware_profile!r} (known: {known})",
                            "reference")
            else:
                names = profile.nic_names()
                for j, nic in enumerate(s.nics):
                    if nic.name not in names:
                        self.report(s, ("nics", j, "name"),
                                    f"profile {profile.name} has no NIC {nic.name!r} "
                                    f"(it has {', '.join(sorted(names))})", "reference")
            cloud = clouds.get(s.cloud)
            if cloud is None:
                self.report(s, ("cloud",), f"unknown cloud {s.cloud!r}", "reference")
            elif s.role not in {r.name for r in cloud.roles}:
                roles = ", ".join(r.name for r in cloud.roles)
                self.report(s, ("role",),
                            f"cloud {cloud.name} has no role {s.role!r} (it has {roles})",
                            "reference")
        for obj in [*self.spines(), *self.racks()]:
            models = [(obj.model, ("model",))] if isinstance(obj, Spine) else [
                (leaf.model, ("leaves", "leaves", i, "model"))
                for i, leaf in enumerate(obj.leaves.leaves)]
            for model, loc in models:
                if model not in SWITCH_MODELS:
                    self.report(obj, loc, f"unknown switch model {model!r} "
                                f"(known: {', '.join(sorted(SWITCH_MODELS))})", "reference")

    def _ports(self) -> dict[str, frozenset[str] | None]:
        """device -> its port names (None when its model is unknown: reported elsewhere)."""
        ports: dict[str, frozenset[str] | None] = {}
        for s in self.spines():
            ports[s.name] = SWITCH_MODELS.get(s.model)
        for _, _, leaf in self.leaves():
            ports[leaf.name] = SWITCH_MODELS.get(leaf.model)
        for s in self.servers():
            profile = self.loaded.profiles.get(s.hardware_profile)
            ports[s.name] = frozenset(profile.nic_names()) if profile else None
        return ports

    def check_cabling(self) -> None:
        ports = self._ports()
        used: dict[str, tuple[Cable, str]] = {}
        peer: dict[str, str] = {}
        for cable in self.s.get("cables", []):
            if cable.a == cable.b:
                self.report(cable, ("b",), f"cable connects {cable.a} to itself")
                continue
            for side in ("a", "b"):
                end = getattr(cable, side)
                device, port = Cable.split(end)
                if device not in ports:
                    self.report(cable, (side,), f"unknown device {device!r}", "reference")
                    continue
                known = ports[device]
                if known is not None and port not in known:
                    self.report(cable, (side,), f"{device} has no port {port!r}", "reference")
                    continue
                if end in used:
                    other, other_side = used[end]
                    self.report(cable, (side,),
                                f"port {end} is already cabled ({self.where(other, (other_side,))})",
                                "duplicate")
                    continue
                used[end] = (cable, side)
            peer[cable.a], peer[cable.b] = cable.b, cable.a
        spines = {s.name for s in self.spines()}
        for rack in self.racks():
            pair = rack.leaves
            for i, leaf in enumerate(pair.leaves):
                for j, up in enumerate(leaf.uplinks):
                    other = peer.get(f"{leaf.name}:{up.port}")
                    loc = ("leaves", "leaves", i, "uplinks", j, "port")
                    if other is None:
                        self.report(rack, loc, f"uplink {leaf.name}:{up.port} has no cable")
                    elif Cable.split(other)[0] not in spines:
                        self.report(rack, loc,
                                    f"uplink {leaf.name}:{up.port} is cabled to {other}, not a spine")
                mate = pair.leaves[1 - i].name
                for j, port in enumerate(pair.peer_link):
                    other = peer.get(f"{leaf.name}:{port}")
                    if other != f"{mate}:{port}":
                        got = f"cabled to {other}" if other else "not cabled"
                        self.report(rack, ("leaves", "peer_link", j),
                                    f"MLAG peer link {leaf.name}:{port} must go to {mate}:{port} "
                                    f"({got})")
        rack_leaves = {r.name: {leaf.name for leaf in r.leaves.leaves} for r in self.racks()}
        for s in self.servers():
            for j, nic in enumerate(s.nics):
                other = peer.get(f"{s.name}:{nic.name}")
                if other is None:
                    self.report(s, ("nics", j, "name"), f"NIC {s.name}:{nic.name} has no cable")
                elif s.rack in rack_leaves and Cable.split(other)[0] not in rack_leaves[s.rack]:
                    # (an unknown or invalid rack is reported by check_references)
                    self.report(s, ("nics", j, "name"),
                                f"NIC {s.name}:{nic.name} is cabled to {other}, "
                                f"not a leaf of rack {s.rack}")

    def check_subnets(self) -> None:
        fabric: list[tuple[Any, Ref]] = []
        for r in self.racks():
            fabric.append((r.leaves.peer_subnet, (r, ("leaves", "peer_subnet"))))
            for i, leaf in enumerate(r.leaves.leaves):
                for j, up in enumerate(leaf.uplinks):
                    fabric.append((up.subnet, (r, ("leaves", "leaves", i, "uplinks", j, "subnet"))))
        self.no_overlap("fabric", fabric)
        apps: list[tuple[Any, Ref]] = []
        for app in self.s.get("applications", []):
            for env, spec in app.environments.items():
                for side in ("a", "b"):
                    net = getattr(spec.subnets, side)
                    apps.append((net, (app, ("environments", env, "subnets", side))))
        self.no_overlap("application", apps)
        for cloud in self.s.get("clouds", []):
            nets = [(n.cidr, (cloud, ("networks", i, "cidr"))) for i, n in enumerate(cloud.networks)]
            self.no_overlap(f"cloud {cloud.name} network", nets)

    def no_overlap(self, what: str, nets: list[tuple[Any, Ref]]) -> None:
        # Sorted by start address, a subnet can only overlap the widest-reaching one before it:
        # one sweep instead of comparing every pair (thousands of application subnets).
        ordered = sorted(nets, key=lambda item: (item[0].network_address, item[0].prefixlen))
        reach: tuple[Any, Ref] | None = None  # the earlier subnet that ends last
        for net, ref in ordered:
            if reach is not None and net.network_address <= reach[0].broadcast_address:
                self.report(*ref, f"{what} subnet {net} overlaps {reach[0]} "
                            f"({self.where(*reach[1])})", "overlap")
            if reach is None or net.broadcast_address > reach[0].broadcast_address:
                reach = (net, ref)

    def check_clouds(self) -> None:
        for cloud in self.s.get("clouds", []):
            self.unique("role", ((r.name, (cloud, ("roles", i, "name")))
                                 for i, r in enumerate(cloud.roles)))
            self.unique("network", ((n.name, (cloud, ("networks", i, "name")))
                                    for i, n in enumerate(cloud.networks)))
        nuage: Nuage | None = self.s.get("nuage")
        clouds: list[Cloud] = self.s.get("clouds", [])
        with_nuage = [c for c in clouds if c.nuage]
        if with_nuage and nuage is None and "nuage" not in self.loaded.invalid_sections:
            self.report(with_nuage[0], ("nuage",), "cloud uses Nuage but the site has no nuage "
                        "section")
        self.unique("Nuage CMS name", ((c.nuage.cms_name, (c, ("nuage", "cms_name")))
                                        for c in with_nuage if c.nuage))

    def _endpoint_refs(self, owner: Any, loc: tuple[Any, ...], text: str,
                       apps: dict[str, Application], macros: set[str] | None,
                       envs: set[str] | None) -> None:
        """Report what ``text`` names that does not exist (``None``: unknown, nuage is invalid)."""
        kind, ref = parse_endpoint(text)
        if kind == "app" and ref not in apps:
            self.report(owner, loc, f"unknown application {ref!r}", "reference")
        elif kind == "zone" and ref not in {a.zone_name for a in apps.values()}:
            self.report(owner, loc, f"unknown zone {ref!r}", "reference")
        elif kind == "macro" and macros is not None and ref not in macros:
            self.report(owner, loc, f"unknown network macro {ref!r}", "reference")
        elif kind == "subnet":
            app, env, _ = ref.split("/")
            if app not in apps:
                self.report(owner, loc, f"unknown application {app!r}", "reference")
            elif env not in apps[app].environments:
                self.report(owner, loc, f"application {app} has no environment {env!r}",
                            "reference")
            elif envs is not None and env not in envs:
                self.report(owner, loc, f"no VSD domain for environment {env!r}", "reference")

    def check_nuage_and_apps(self) -> None:
        nuage: Nuage | None = self.s.get("nuage")
        apps: dict[str, Application] = {a.name: a for a in self.s.get("applications", [])}
        broken = "nuage" in self.loaded.invalid_sections  # present, invalid, reported
        macros: set[str] | None = None if broken else set()  # None: cannot tell what exists
        envs: set[str] | None = None if broken else set()
        if nuage:
            macros = {m.name for m in nuage.network_macros}
            envs = {d.environment for d in nuage.domains}
            self.unique("domain", ((d.name, (nuage, ("domains", i, "name")))
                                   for i, d in enumerate(nuage.domains)))
            self.unique("network macro", ((m.name, (nuage, ("network_macros", i, "name")))
                                          for i, m in enumerate(nuage.network_macros)))
            rules: list[AclRule] = nuage.acl.common
            for i, rule in enumerate(rules):
                for key, text in (("from", rule.src), ("to", rule.dst)):
                    self._endpoint_refs(nuage, ("acl", "common", i, key), text, apps, macros, envs)
        elif apps and not broken:
            first = next(iter(apps.values()))
            self.report(first, ("name",), "applications need a nuage section (VSD domains)")
        self.unique("zone", ((a.zone_name, (a, ("zone" if a.zone else "name",)))
                             for a in apps.values()))
        for app in apps.values():
            for env, spec in app.environments.items():
                if nuage and env not in envs:
                    self.report(app, ("environments", env),
                                f"no VSD domain for environment {env!r} "
                                f"(domains cover {', '.join(sorted(envs))})", "reference")
                vols = {v.name for v in spec.volumes}
                for k, vm in enumerate(spec.vms):
                    for m, vol in enumerate(vm.volumes):
                        if vol not in vols:
                            self.report(app, ("environments", env, "vms", k, "volumes", m),
                                        f"VM {vm.name} attaches unknown volume {vol!r}",
                                        "reference")
                if spec.volumes and not app.stateful:
                    self.report(app, ("stateful",),
                                "an application with volumes must be stateful: true")
            for i, talk in enumerate(app.talks_to):
                if talk.app not in apps:
                    self.report(app, ("talks_to", i, "app"), f"unknown application {talk.app!r}",
                                "reference")
            for i, exp in enumerate(app.exposed_to):
                self._endpoint_refs(app, ("exposed_to", i, "from"), exp.src, apps, macros, envs)
            for i, rule in enumerate(app.rules):
                for key, text in (("from", rule.src), ("to", rule.dst)):
                    self._endpoint_refs(app, ("rules", i, key), text, apps, macros, envs)
        vm_names = [(vm.name, (app, ("environments", env, "vms", k, "name")))
                    for app in apps.values() for env, spec in app.environments.items()
                    for k, vm in enumerate(spec.vms)]
        self.unique("VM name", vm_names)
        vol_names = [(v.name, (app, ("environments", env, "volumes", k, "name")))
                     for app in apps.values() for env, spec in app.environments.items()
                     for k, v in enumerate(spec.volumes)]
        self.unique("volume name", vol_names)

    def check_upgrade(self) -> None:
        up: Upgrade | None = self.s.get("upgrade")
        if up is None:
            return
        clouds = {c.name: c for c in self.s.get("clouds", [])}
        for key, name in (("from", up.from_cloud), ("to", up.to_cloud)):
            if name not in clouds:
                self.report(up, (key,), f"unknown cloud {name!r}", "reference")
        if up.from_cloud == up.to_cloud:
            self.report(up, ("to",), "the upgrade must go to another cloud")
        apps = {a.name for a in self.s.get("applications", [])}
        waves = {w.name for w in up.waves}
        self.unique("wave", ((w.name, (up, ("waves", i, "name"))) for i, w in enumerate(up.waves)))
        self.unique("application in waves",
                    ((a, (up, ("waves", i, "applications", j)))
                     for i, w in enumerate(up.waves) for j, a in enumerate(w.applications)))
        for i, w in enumerate(up.waves):
            for j, a in enumerate(w.applications):
                if a not in apps:
                    self.report(up, ("waves", i, "applications", j), f"unknown application {a!r}",
                                "reference")
        servers = {s.name: s for s in self.servers()}
        target = clouds.get(up.to_cloud)
        for i, rec in enumerate(up.recommission):
            if rec.after_wave not in waves:
                self.report(up, ("recommission", i, "after_wave"), f"unknown wave {rec.after_wave!r}",
                            "reference")
            if target and rec.role not in {r.name for r in target.roles}:
                self.report(up, ("recommission", i, "role"),
                            f"cloud {target.name} has no role {rec.role!r}", "reference")
            for j, name in enumerate(rec.servers):
                srv = servers.get(name)
                if srv is None:
                    self.report(up, ("recommission", i, "servers", j), f"unknown server {name!r}",
                                "reference")
                elif srv.cloud != up.from_cloud:
                    self.report(up, ("recommission", i, "servers", j),
                                f"server {name} is in cloud {srv.cloud}, not {up.from_cloud}")


def cross_check(loaded: Loaded) -> list[Problem]:
    return Checker(loaded).run()
