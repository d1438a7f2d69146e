"""The twin's long-running process: ``python -m lifecycle.lab.daemon LABDIR``.

It hosts the in-process emulators, supervises the real components it spawns (Ironic,
sushy-tools, ztpserver), writes the endpoints file and ``state.json``, and serves a small
control API on loopback (``i2 lab rack``, ``i2 lab swap-cables``). SIGTERM stops everything it started.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lifecycle.lab.base import EmulatorServer, HttpError, LatencyProfile, Router, make_ca, parse_faults
from lifecycle.lab.config import Component, LabConfig, LabState, lab_secrets
from lifecycle.lab.world import World, build_world
from lifecycle.model import load_site
from lifecycle.model.schema import Site

log = logging.getLogger("i2.lab")


def greenfield_world(world: World) -> None:
    """The DC as a build-out finds it: every rack's servers and switches are in (planned or
    not), and every switch, spines included, is factory-fresh and boots into ZTP."""
    for server in world.servers:
        server.racked = True
    for switch in world.switches:
        switch.racked = switch.ztp = True


class Lab:
    """Everything one twin runs. Components register a stop callback as they start."""

    def __init__(self, labdir: Path):
        self.dir = labdir
        self.config = LabConfig.load(labdir)
        self.site: Site = load_site(self.config.site)
        self.faults = parse_faults(self.config.faults, self.config.seed)
        self.latency = LatencyProfile(self.config.latency, self.config.seed)
        self.world: World = build_world(self.site, self.faults)
        if self.config.greenfield:  # racked and cabled, nothing provisioned
            greenfield_world(self.world)
        self.tls = make_ca(labdir / "tls")
        self.secrets = lab_secrets(labdir)
        self.components: list[Component] = []
        self.endpoints: dict[str, Any] = {"secrets_file": "secrets.yaml"}
        self._stops: list[Callable[[], None]] = []
        self.rack_hooks: list[Callable[[str], None]] = []
        # Who answers for server power: the BMCs once they run; OneView asks through this.
        self.power: Any = None
        self.fabric: Any = None  # the EOS emulators (lifecycle.lab.eos.Fabric)
        self.ztp_agents: dict[str, Any] = {}
        self.agent: Any = None  # the servers' IPA ramdisk (lifecycle.lab.ironic.RamdiskAgent)
        # undercloud -> its backend Ironic / ironic-inspector URL (plain HTTP, no auth): what the
        # lab's own parts use (they *are* the undercloud); i2 goes through the release gateway.
        self.ironic_backends: dict[str, str] = {}
        self.inspector_backends: dict[str, str] = {}
        self.undercloud_identities: dict[str, Any] = {}  # undercloud -> its Keystone
        self.vsd: Any = None  # the Nuage VSD emulator (lifecycle.lab.nuage)
        self.clouds: dict[str, Any] = {}  # site cloud name -> OpenStack emulator
        self.array: Any = None  # the Pure-like array both clouds' Cinder use
        self.hypervisor_sink: Any = None  # where the underclouds register deployed computes
        self.probes: Any = None  # workload probes (lifecycle.lab.probes)
        self.stoppers: list[Callable[[], None]] = []  # extra things to stop (agents)
        self.stopped = threading.Event()
        self.ready = False

    # -- bookkeeping -------------------------------------------------------------------------

    def add(self, component: Component, stop: Callable[[], None]) -> None:
        self.components.append(component)
        self._stops.append(stop)
        self.save(ready=self.ready)

    def save(self, ready: bool, error: str = "") -> None:
        self.ready = ready
        LabState(os.getpid(), self.components, ready, error).save(self.dir)

    def write_endpoints(self) -> None:
        import yaml

        (self.dir / "endpoints.yaml").write_text(
            "# Written by `i2 lab up`: how i2 reaches this twin. Secrets are references.\n"
            + yaml.safe_dump(self.endpoints, sort_keys=False))

    # -- control API -------------------------------------------------------------------------

    def start_control(self) -> None:
        router = Router()

        @router.route("POST", r"/rack/(?P<rack>[A-Za-z0-9._-]+)")
        def rack(req: Any) -> Any:
            name = req.params["rack"]
            try:
                self.site.rack(name)
            except KeyError as exc:
                raise HttpError(404, {"message": exc.args[0]}) from None
            self.world.rack(name)
            for hook in self.rack_hooks:
                hook(name)
            return {"racked": name}

        @router.route("POST", r"/cables/swap")
        def swap_cables(req: Any) -> Any:
            # moving two cables back (a miswire undone) is the same swap again: LLDP on the
            # switches and the next inspection's TLVs see the new far ends
            from lifecycle.lab.world import miswire

            spec = str((req.json() or {}).get("swap", ""))
            try:
                links = miswire(self.world.links, spec)
            except ValueError as exc:
                raise HttpError(400, {"message": str(exc)}) from None
            self.world.links = links
            if self.fabric is not None:
                self.fabric.set_links(links)
            return {"swapped": spec}

        @router.route("GET", r"/ztp")
        def ztp(req: Any) -> Any:
            return {name: agent.result.as_dict() for name, agent in self.ztp_agents.items()}

        @router.route("GET", r"/array")
        def array(req: Any) -> Any:
            from dataclasses import asdict

            return {"volumes": [asdict(v) for v in self.array.snapshot()] if self.array else []}

        @router.route("GET", r"/requests")
        def requests(req: Any) -> Any:
            from lifecycle.lab.base.http import request_counts

            return {"requests": request_counts()}

        @router.route("GET", r"/health")
        def health(req: Any) -> Any:
            return {"components": [c.name for c in self.components]}

        srv = EmulatorServer("control", router).start()
        self.add(Component("control", "emulator", srv.url, srv.port, os.getpid(),
                           f"{srv.url}/health"), srv.stop)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        from lifecycle.lab import components, sdn

        self.start_control()
        self.faults.hold()  # the estate is seeded as it is; faults hit what operators do
        for starter in [*sdn.EARLY, *components.STARTERS, *sdn.LATE, *components.AFTER_ESTATE]:
            t0 = time.monotonic()
            starter(self)
            log.info("%s: %.1f s", starter.__name__, time.monotonic() - t0)
        self.faults.arm()
        self.write_endpoints()
        self.save(ready=True)

    def stop(self) -> None:
        for stop in [*self.stoppers, *reversed(self._stops)]:
            try:
                stop()
            except Exception:  # keep stopping the rest: nothing may be left behind
                log.exception("stopping a lab component failed")
        self._stops.clear()
        self.stopped.set()


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    labdir = Path(args[0]).resolve()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("bambou").setLevel(logging.WARNING)  # every VSD request, else
    lab = Lab(labdir)
    signal.signal(signal.SIGTERM, lambda *_: lab.stopped.set())
    signal.signal(signal.SIGINT, lambda *_: lab.stopped.set())
    try:
        lab.start()
    except Exception as exc:
        log.exception("lab failed to start")
        lab.save(ready=False, error=f"{type(exc).__name__}: {exc}")
        lab.stop()
        return 1
    log.info("lab ready in %s", labdir)
    lab.stopped.wait()
    lab.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
