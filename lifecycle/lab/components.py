"""How the lab daemon starts each component of the twin, in order.

Each starter takes the :class:`~lifecycle.lab.daemon.Lab`, starts its component(s), registers
them with ``lab.add(Component, stop)``, adds its part of the endpoints file and, where racking
changes what it shows, a rack hook.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from lifecycle.lab.config import Component, ensure_secret
from lifecycle.lab.ironic import gateway
from lifecycle.lab.ironic.identity import UndercloudIdentity, write_undercloud_clouds
from lifecycle.lab.ironic.releases import fmt, ironic_release

if TYPE_CHECKING:
    from lifecycle.lab.daemon import Lab


def start_oneview(lab: Lab) -> None:
    from lifecycle.lab.oneview import OneViewEmulator

    emu = OneViewEmulator(lab.world.servers, tls=lab.tls, latency=lab.latency, faults=lab.faults,
                          username="administrator", password=lab.secrets["oneview"],
                          power=lab.power).start()
    # brownfield: the in-service servers' profiles from the platform team's templates, old firmware
    from lifecycle.lab.oneview.brownfield import seed_hardware

    if not lab.config.greenfield:  # greenfield: the servers only, no team's baseline or profile
        seed_hardware(emu, profiles=lab.config.brownfield_hardware_profiles,
                      old_firmware=lab.config.brownfield_hardware_old_firmware,
                      old_redfish=lab.config.brownfield_hardware_old_redfish)
    lab.add(Component("oneview", "emulator", emu.url, int(emu.address.rsplit(":", 1)[1]), os.getpid(),
                      f"{emu.url}/rest/version"), emu.stop)
    lab.rack_hooks.append(lambda rack: emu.rack([rack]))
    lab.endpoints["oneview"] = {
        "url": emu.url, "api_version": 1800, "username": "administrator",
        "password": {"secret": "oneview"}, "ca_file": str(lab.tls.ca),
    }


def start_bmcs(lab: Lab) -> None:
    """Real sushy-tools plays every racked server's iLO; its power is what OneView shows."""
    from lifecycle.lab.ironic import RamdiskAgent, RedfishPower, SushyService

    # The servers' ramdisk: sushy-tools tells it what each server boots (start_ironic adds the
    # Ironic each IPA ISO calls back).
    agent = RamdiskAgent(lab.world, {}, latency=lab.latency).start()
    lab.agent = agent
    lab.add(Component("ipa", "emulator", agent.url, agent.server.port, os.getpid(),
                      agent.iso_url("health")), agent.stop)
    from lifecycle.lab.oneview.brownfield import OLD_REDFISH_ILO, old_redfish_server

    # brownfield: in-service servers are on; one of them answers as an iLO 4 2.40
    old = old_redfish_server(lab.world.servers) if lab.config.brownfield_hardware_old_redfish else None
    sushy = SushyService(lab.dir / "sushy", lab.world.servers, tls=lab.tls, username="admin",
                         password=lab.secrets["bmc"], dead=lab.faults.targets("bmc", "dead"),
                         notification_url=agent.notification_url,
                         powered_on=lab.config.brownfield_hardware_powered_on,
                         old_ilo={old.name: OLD_REDFISH_ILO} if old else None)
    sushy.start()
    lab.power = RedfishPower(sushy, timeout=5.0)
    comp = Component("bmc", "process", sushy.url, sushy.port, sushy.pid or 0,
                     f"tcp://127.0.0.1:{sushy.port}")
    lab.add(comp, sushy.stop)

    def rack(_: str) -> None:
        if sushy.sync():  # restarted with the new systems: a new PID to supervise
            comp.pid = sushy.pid or 0
            lab.save(ready=True)
        _bmc_endpoints(lab, sushy)
        lab.write_endpoints()

    lab.rack_hooks.insert(0, rack)  # BMCs first: OneView reads power from them
    _bmc_endpoints(lab, sushy)


def _bmc_endpoints(lab: Lab, sushy: object) -> None:
    devices = {}
    for spec in lab.world.servers:
        info = sushy.driver_info(spec)  # type: ignore[attr-defined]
        devices[spec.name] = {"address": info["redfish_address"],
                              "system_id": info["redfish_system_id"]}
    lab.endpoints["bmc"] = {"username": "admin", "password": {"secret": "bmc"},
                            "ca_file": str(lab.tls.ca), "devices": devices}


def start_ironic(lab: Lab) -> None:
    """Per undercloud named in the site (each cloud's OSP Director): one real Ironic (the
    backend), for Train the real ironic-inspector, a Keystone and the release gateway that makes
    them play the release of the site cloud the undercloud serves (docs/twin.md, "Underclouds:
    the releases they play"). i2 reaches the gateway; the lab's own parts the backends."""
    from lifecycle.lab.ironic import InspectorService, IronicService
    from lifecycle.lab.ironic.agent import undercloud_lookup

    plays = undercloud_releases(lab)
    if lab.agent is not None:
        lab.agent.undercloud_of = undercloud_lookup(lab.site)
    names = sorted(plays)
    services = {n: IronicService(lab.dir / "ironic" / n, extra_conf=gateway.BACKEND_CONF) for n in names}
    inspectors: dict[str, Any] = {}

    def start(name: str) -> None:
        services[name].start()
        if ironic_release(plays[name]).inspector_max:
            inspectors[name] = InspectorService(lab.dir / "ironic" / name / "inspector",
                                               ironic_url=services[name].url).start()

    # Each is a process of its own that takes seconds to answer: started side by side.
    with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
        started = {n: pool.submit(start, n) for n in names}
    for name in names:
        try:
            started[name].result()
        except Exception:
            for svc in [*services.values(), *inspectors.values()]:
                svc.stop()
            raise
    identities = {}
    for name in names:
        identities[name] = _start_undercloud(lab, name, plays[name], services[name], inspectors.get(name))
    lab.undercloud_identities = identities
    write_undercloud_clouds(lab.dir / "undercloud-clouds.yaml", identities)


def undercloud_releases(lab: Lab) -> dict[str, str]:
    """undercloud -> the release it plays: its site cloud's, or the lab's override."""
    plays: dict[str, str] = {}
    for cloud in lab.site.clouds:
        if plays.setdefault(cloud.undercloud, cloud.release) != cloud.release:
            raise ValueError(f"undercloud {cloud.undercloud} serves clouds of two releases "
                             f"({plays[cloud.undercloud]}, {cloud.release}): it can play only one")
    for name, release in lab.config.undercloud_releases.items():
        if name not in plays:
            raise ValueError(f"lab.yaml undercloud_releases: no undercloud {name!r} in the site "
                             f"(known: {', '.join(sorted(plays))})")
        ironic_release(release)  # a clear error for a release the twin cannot play
        plays[name] = release
    return plays


def _start_undercloud(lab: Lab, name: str, release_name: str, ironic: Any, inspector: Any) -> Any:
    release = ironic_release(release_name)
    password = ensure_secret(lab.dir, lab.secrets, f"undercloud-{name}")
    ident = UndercloudIdentity(name, release.identity, tls=lab.tls, admin_password=password,
                               latency=lab.latency, faults=lab.faults,
                               token_lifetime=lab.config.token_lifetime).start()
    gw = gateway.ReleaseGateway(name, release, ironic_url=ironic.url, tls=lab.tls, check_token=ident.check,
                                keystone_url=ident.url,
                                log_path=lab.dir / "ironic" / name / "api-versions.jsonl",
                                inspector_url=inspector.url if inspector else None).start()
    ident.set_catalog(baremetal=gw.url, introspection=gw.inspector_public_url)
    lab.add(Component(f"ironic-{name}", "process", ironic.url, int(ironic.url.rsplit(":", 1)[1]),
                      ironic.pid or 0, f"{ironic.url}/v1"), ironic.stop)
    lab.ironic_backends[name] = ironic.url
    if inspector is not None:
        lab.add(Component(f"ironic-inspector-{name}", "process", inspector.url, inspector.port,
                          inspector.pid or 0, f"{inspector.url}/"), inspector.stop)
        lab.inspector_backends[name] = inspector.url
        if lab.agent is not None:
            lab.agent.inspector_urls[name] = inspector.url
    lab.add(Component(f"keystone-{name}", "emulator", ident.url, ident.keystone.svc.server.port,
                      os.getpid(), f"{ident.url}/v3"), ident.stop)
    lab.add(Component(f"gateway-{name}", "emulator", gw.url, gw.ironic.port, os.getpid(), f"{gw.url}/v1",
                      detail={"release": gw.release.name, "api_max": fmt(gw.release.api_max),
                              "inspector": gw.inspector_public_url or ""}), gw.stop)
    entry: dict[str, object] = {
        "url": gw.url, "ca_file": str(lab.tls.ca), "release": release.name, "auth": "keystone",
        "keystone": ident.auth(password_ref={"secret": f"undercloud-{name}"}),
        # no agent can clean the twin's servers (see docs/twin.md)
        "automated_clean": False,
        # one GIL-bound process on sqlite: more requests at once only add contention
        # (production's default is 8)
        "requests_at_once": 2}
    if lab.agent is not None:
        lab.agent.ironic_urls[name] = ironic.url
        entry = {**entry, "deploy_iso": lab.agent.iso_url(name)}
    lab.endpoints.setdefault("ironic", {})[name] = entry
    return ident


CVX_MGMT = "10.0.0.5"  # the twin's CVX; the site model does not carry one yet


def _switch_component(lab: Lab, sw: object) -> Component:
    port = sw.https_port  # type: ignore[attr-defined]
    return Component(f"eos-{sw.name}", "emulator", f"https://127.0.0.1:{port}", port,  # type: ignore[attr-defined]
                     os.getpid(), f"tcp://127.0.0.1:{port}")


def start_fabric(lab: Lab) -> None:
    """Every racked switch as an EOS emulator, in-service ones with the configs the network team
    typed over the years (the lab's own writer, brownfield unless ``brownfield_switches`` is
    off); the leaves of planned racks appear (empty, in ZTP mode) when their rack is racked.
    Greenfield: no configs, every switch factory-fresh in ZTP (the lab's world says so)."""
    from lifecycle.lab.eos import CVX, Fabric
    from lifecycle.lab.eos.estate_configs import typed_configs

    configs = {} if lab.config.greenfield else typed_configs(
        lab.site, username="i2", password=lab.secrets["eapi"], cvx_hosts=(CVX_MGMT,),
        brownfield=lab.config.brownfield_switches)
    cvx = CVX("cvx1", "SSJ17000001", "00:1c:73:00:99:01", mgmt_ip=CVX_MGMT,
              password=lab.secrets["cvx"], flash_dir=lab.dir / "flash" / "cvx1")
    fabric = Fabric.from_world(lab.world, configs=configs, flash_root=lab.dir / "flash",
                               extra=(cvx,), latency=lab.latency)
    for name in configs:  # typed at the CLI, then `write memory`: flash holds EOS's own form
        if fabric[name].boot_errors:
            raise RuntimeError(f"{name}: the lab's config has lines EOS rejects: "
                               f"{fabric[name].boot_errors[:3]}")
        fabric[name].write_memory()
    fabric.serve(tls=lab.tls, faults=lab.faults)
    lab.fabric = fabric
    devices = {}
    for name, sw in fabric.switches.items():
        if name == "cvx1":
            continue
        lab.add(_switch_component(lab, sw), sw.stop)
        devices[name] = {"host": "127.0.0.1", "port": sw.https_port}
    lab.add(Component("cvx", "emulator", f"https://127.0.0.1:{cvx.https_port}", cvx.https_port,
                      os.getpid(), f"tcp://127.0.0.1:{cvx.https_port}"), cvx.stop)
    lab.endpoints["fabric"] = {
        "defaults": {"transport": "https", "username": "i2", "password": {"secret": "eapi"},
                     "ca_file": str(lab.tls.ca)},
        "devices": devices,
    }
    lab.endpoints["cvx_servers"] = [CVX_MGMT]
    lab.endpoints["cvx"] = {"host": "127.0.0.1", "port": cvx.https_port, "transport": "https",
                            "username": "admin", "password": {"secret": "cvx"},
                            "ca_file": str(lab.tls.ca)}

    def rack(name: str) -> None:
        for spec in lab.world.switches:
            if spec.rack != name or spec.name in fabric.switches:
                continue
            sw = Fabric.switch_for(spec, flash_root=lab.dir / "flash", latency=lab.latency)
            fabric.add(sw)
            sw.serve(tls=lab.tls, faults=lab.faults)
            lab.add(_switch_component(lab, sw), sw.stop)
            lab.endpoints["fabric"]["devices"][spec.name] = {"host": "127.0.0.1",
                                                             "port": sw.https_port}
        lab.write_endpoints()

    lab.rack_hooks.append(rack)


# A factory-fresh switch asks for its bootstrap until one is served: in a greenfield lab the
# build-out may write the data root long after the twin started.
GREENFIELD_ZTP_WAIT = 6 * 3600.0


def start_ztp(lab: Lab) -> None:
    """The real ztpserver, and a ZTP agent for each switch that boots into ZTP: a greenfield
    lab's every switch at once, else each leaf of a planned rack once it is racked."""
    from lifecycle.lab.ztp import ZtpAgent, ZtpServer
    from lifecycle.lab.ztp.console import console

    server = ZtpServer(lab.dir / "ztp").start()
    lab.add(Component("ztpserver", "process", server.url, server.port, server.pid,
                      f"{server.url}/bootstrap/config"), server.stop)
    cons = console(lambda name: lab.fabric[name]).start()
    lab.add(Component("console", "emulator", cons.url, cons.port, os.getpid(), ""), cons.stop)
    lab.endpoints["ztp"] = {"url": server.url, "data_root": str(server.data_root)}

    wait = {"timeout": GREENFIELD_ZTP_WAIT} if lab.config.greenfield else {}

    def boot(racks: set[str | None]) -> None:
        for spec in lab.world.switches:
            if spec.rack not in racks or not spec.ztp or not spec.racked \
                    or spec.name in lab.ztp_agents:
                continue
            agent = ZtpAgent(lab.fabric[spec.name], server_url=server.url,
                             workdir=lab.dir / "ztp" / "agents", console_url=cons.url,
                             fail=lab.faults.has("ztp", "fail", spec.name), **wait)
            lab.ztp_agents[spec.name] = agent.start()
            lab.stoppers.append(agent.stop)

    if lab.config.greenfield:  # spines (no rack) and every rack's leaves
        boot({None, *(r.name for r in lab.site.racks)})
    lab.rack_hooks.append(lambda name: boot({name}))


def start_underclouds(lab: Lab) -> None:
    """An OSP Director per undercloud (SSH on loopback), acting on its Ironic (after start_ironic)."""
    from lifecycle.lab.undercloud import start_underclouds as start

    start(lab)


def start_netscaler(lab: Lab) -> None:
    """After the estate (:data:`AFTER_ESTATE`): the HTTP proxy and the SSH jump host to the VMs'
    writer hooks and, per load balancer device of the site, a NetScaler seeded as the platform team
    built it (side A's VMs bound and UP, lifecycle.lab.netscaler.wiring); the workload probes then
    go through the VIPs."""
    from lifecycle.lab.netscaler import NetScalerEmulator
    from lifecycle.lab.netscaler.wiring import monitor_probe, seed, snips_of, vips, wait_up
    from lifecycle.lab.vmhooks import HookJump, HookProxy, VmCa, VmDirectory

    if not lab.clouds:
        return
    vms = VmDirectory(lab.site, list(lab.clouds.values()), lab.faults)
    proxy = HookProxy(vms, VmCa(lab.dir / "tls")).start()
    lab.add(Component("vm-hooks", "emulator", proxy.url, proxy.port, os.getpid(),
                      f"tcp://127.0.0.1:{proxy.port}"), proxy.stop)
    jump = HookJump(vms, lab.dir / "vmhooks").start()
    lab.add(Component("vm-hooks-ssh", "emulator", f"ssh://{HookJump.USER}@127.0.0.1:{jump.port}", jump.port,
                      os.getpid(), f"tcp://127.0.0.1:{jump.port}"), jump.stop)
    key = {"file": "vmhooks/id_ed25519"}  # i2's key, on the jump host and on the VMs
    lab.endpoints["vm_access"] = {
        "http_proxy": proxy.url, "ca_file": str(proxy.ca.ca_file),
        "ssh_jump": {"host": "127.0.0.1", "port": jump.port, "username": HookJump.USER, "key_file": key},
        "ssh_key_file": dict(key), "known_hosts": "vmhooks/known_hosts"}  # copies: no YAML anchors
    if lab.site.loadbalancer is None or lab.vsd is None:
        if lab.probes is not None:
            lab.probes.engine.use_lb({}, vms)
        return
    greenfield = lab.config.greenfield  # installed, no virtual server yet
    password = ensure_secret(lab.dir, lab.secrets, "netscaler")
    # side A on the old cloud; a lab restarted after a move finds a VM on the other one
    old = lab.site.upgrade.from_cloud if lab.site.upgrade else next(iter(lab.clouds))
    addresses: dict[str, str] = {}
    for cloud in sorted(lab.clouds, key=lambda c: c != old):
        for s in lab.clouds[cloud].servers():
            if s.addresses and s.status == "ACTIVE":
                addresses.setdefault(s.name, s.addresses[0][2])
    emus: dict[str, Any] = {}
    for dev in lab.site.loadbalancer.devices:
        emu = NetScalerEmulator(tls=lab.tls, password=password, latency=lab.latency, faults=lab.faults)
        emu.set_probe(monitor_probe(vms, lab.vsd.store, snips_of(emu)))
        emu.start()
        emus[dev.name] = emu
        lab.add(Component(f"netscaler-{dev.name}", "emulator", emu.url, emu.server.port, os.getpid(),
                          f"tcp://127.0.0.1:{emu.server.port}"), emu.stop)
        lab.endpoints.setdefault("netscaler", {})[dev.name] = {
            "url": emu.url, "username": "nsroot", "password": {"secret": "netscaler"},
            "ca_file": str(lab.tls.ca)}
        if greenfield:
            continue
        members = seed(emu, lab.site, dev.name, addresses)
        # an application the faults keep down cannot pass its monitor: nothing to wait for
        wait_up(emu, [m for m in members if not any(
            vms.down(n) for n, ip in addresses.items() if f"/{ip}:" in m)], timeout=60)
    if lab.probes is not None and greenfield:
        lab.probes.engine.use_lb({}, vms)
    elif lab.probes is not None:
        lab.probes.engine.use_lb({key: (emus[dev], vip, vport, sgport)
                                  for key, (dev, vip, vport, sgport) in vips(lab.site).items()}, vms)


STARTERS: list[Callable[[Lab], None]] = [start_bmcs, start_ironic, start_oneview, start_fabric,
                                         start_ztp, start_underclouds]
# After lifecycle.lab.sdn.LATE: they act on the estate it seeds.
AFTER_ESTATE: list[Callable[[Lab], None]] = [start_netscaler]
