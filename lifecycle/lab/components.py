"""How the lab daemon starts each component of the twin, in order.

Each starter takes the :class:`~lifecycle.lab.daemon.Lab`, starts its component(s), registers
them with ``lab.add(Component, stop)``, adds its part of the endpoints file and, where racking
changes what it shows, a rack hook.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from lifecycle.lab.config import Component

if TYPE_CHECKING:
    from lifecycle.lab.daemon import Lab


def start_oneview(lab: Lab) -> None:
    from lifecycle.lab.oneview import OneViewEmulator

    emu = OneViewEmulator(lab.world.servers, tls=lab.tls, latency=lab.latency, faults=lab.faults,
                          username="administrator", password=lab.secrets["oneview"],
                          power=lab.power).start()
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
    sushy = SushyService(lab.dir / "sushy", lab.world.servers, tls=lab.tls, username="admin",
                         password=lab.secrets["bmc"], dead=lab.faults.targets("bmc", "dead"),
                         notification_url=agent.notification_url)
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
    """One real Ironic per undercloud named in the site (each cloud's OSP Director)."""
    from lifecycle.lab.ironic import IronicService

    names = sorted({c.undercloud for c in lab.site.clouds})
    services = {n: IronicService(lab.dir / "ironic" / n) for n in names}
    # Each is a process of its own that takes seconds to answer: started side by side.
    with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
        started = {n: pool.submit(svc.start) for n, svc in services.items()}
    for name in names:
        try:
            ironic = started[name].result()
        except Exception:
            for svc in services.values():
                svc.stop()
            raise
        lab.add(Component(f"ironic-{name}", "process", ironic.url,
                          int(ironic.url.rsplit(":", 1)[1]), ironic.pid or 0, f"{ironic.url}/v1"),
                ironic.stop)
        agent = lab.agent
        entry: dict[str, object] = {"url": ironic.url, "api_version": "1.115", "auth": "none",
                                    # no agent can clean the twin's servers (see docs/twin.md)
                                    "automated_clean": False,
                                    # one GIL-bound process on sqlite: more requests at once
                                    # only add contention (production's default is 8)
                                    "requests_at_once": 2}
        if agent is not None:
            agent.ironic_urls[name] = ironic.url
            entry["deploy_iso"] = agent.iso_url(name)
        lab.endpoints.setdefault("ironic", {})[name] = entry


CVX_MGMT = "10.0.0.5"  # the twin's CVX; the site model does not carry one yet


def _switch_component(lab: Lab, sw: object) -> Component:
    port = sw.https_port  # type: ignore[attr-defined]
    return Component(f"eos-{sw.name}", "emulator", f"https://127.0.0.1:{port}", port,  # type: ignore[attr-defined]
                     os.getpid(), f"tcp://127.0.0.1:{port}")


def start_fabric(lab: Lab) -> None:
    """Every racked switch as an EOS emulator, in-service ones configured as i2 renders them;
    the leaves of planned racks appear (empty, in ZTP mode) when their rack is racked."""
    from lifecycle.fabric import render_switches
    from lifecycle.fabric.eapi import switch_hashes
    from lifecycle.lab.eos import CVX, Fabric

    planned = {s.name for s in lab.world.switches if s.ztp}
    # The same hash i2 renders for this site, so `i2 fabric diff` on the twin starts clean.
    configs = render_switches(lab.site, username="i2",
                              secret_hash=switch_hashes(lab.secrets["eapi"], lab.site.site.name),
                              cvx_hosts=(CVX_MGMT,))
    configs = {k: v for k, v in configs.items() if k not in planned}
    cvx = CVX("cvx1", "SSJ17000001", "00:1c:73:00:99:01", mgmt_ip=CVX_MGMT,
              password=lab.secrets["cvx"], flash_dir=lab.dir / "flash" / "cvx1")
    fabric = Fabric.from_world(lab.world, configs=configs, flash_root=lab.dir / "flash",
                               extra=(cvx,), latency=lab.latency)
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


def start_ztp(lab: Lab) -> None:
    """The real ztpserver, and a ZTP agent for each leaf that boots into ZTP once racked."""
    from lifecycle.lab.ztp import ZtpAgent, ZtpServer
    from lifecycle.lab.ztp.console import console

    server = ZtpServer(lab.dir / "ztp").start()
    lab.add(Component("ztpserver", "process", server.url, server.port, server.pid,
                      f"{server.url}/bootstrap/config"), server.stop)
    cons = console(lambda name: lab.fabric[name]).start()
    lab.add(Component("console", "emulator", cons.url, cons.port, os.getpid(), ""), cons.stop)
    lab.endpoints["ztp"] = {"url": server.url, "data_root": str(server.data_root)}

    def rack(name: str) -> None:
        for spec in lab.world.switches:
            if spec.rack != name or not spec.ztp or spec.name in lab.ztp_agents:
                continue
            agent = ZtpAgent(lab.fabric[spec.name], server_url=server.url,
                             workdir=lab.dir / "ztp" / "agents", console_url=cons.url,
                             fail=lab.faults.has("ztp", "fail", spec.name))
            lab.ztp_agents[spec.name] = agent.start()
            lab.stoppers.append(agent.stop)

    lab.rack_hooks.append(rack)


def start_underclouds(lab: Lab) -> None:
    """An OSP Director per undercloud (SSH on loopback), acting on its Ironic (after start_ironic)."""
    from lifecycle.lab.undercloud import start_underclouds as start

    start(lab)


STARTERS: list[Callable[[Lab], None]] = [start_bmcs, start_ironic, start_oneview, start_fabric,
                                         start_ztp, start_underclouds]
