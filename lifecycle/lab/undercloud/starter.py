"""``start_underclouds``: the twin's OSP Directors, one per undercloud the site names.

Each listens for SSH on 127.0.0.1 (user ``stack``), with its own Ed25519 host key, all listed in
``LABDIR/underclouds/known_hosts``; i2 logs in with the key pair ``LABDIR/underclouds/id_ed25519``
(0600), referenced from the endpoints file as a secret (``{file: ...}``). In-service clouds are
seeded in the background (lifecycle/lab/undercloud/seed.py; commands wait for it), so the lab is
ready as soon as SSH listens. Hypervisors go to ``lab.hypervisor_sink`` when an
earlier starter set one (the OpenStack cloud emulators), else to a :class:`RecordingSink` in
``LABDIR/underclouds/hypervisors.json``.
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING

from lifecycle.lab.config import Component
from lifecycle.lab.undercloud.host import UndercloudHost
from lifecycle.lab.undercloud.keys import ensure_key, write_known_hosts
from lifecycle.lab.undercloud.seed import seed_cloud
from lifecycle.lab.undercloud.sink import HypervisorSink, RecordingSink

if TYPE_CHECKING:
    from lifecycle.lab.daemon import Lab

DIRNAME = "underclouds"
log = logging.getLogger("i2.lab.undercloud")


def start_underclouds(lab: Lab) -> None:
    base = lab.dir / DIRNAME
    client_key = ensure_key(base / "id_ed25519", comment="i2@twin")
    sink: HypervisorSink = getattr(lab, "hypervisor_sink", None) or RecordingSink(base / "hypervisors.json")
    hosts: list[UndercloudHost] = []
    entries: dict[str, object] = {}
    from lifecycle.lab.components import undercloud_releases

    plays = undercloud_releases(lab)  # what its /etc/rhosp-release says
    for name in sorted({c.undercloud for c in lab.site.clouds}):
        clouds = {c.stack: c.name for c in lab.site.clouds if c.undercloud == name}
        # The director acts on the backend Ironic (it is the undercloud); its stackrc names the
        # undercloud's Keystone, as the undercloud install leaves it.
        ident = lab.undercloud_identities.get(name)
        host = UndercloudHost(name, base / name, ironic_url=lab.ironic_backends[name], sink=sink,
                              clouds=clouds, authorized=[client_key], faults=lab.faults,
                              latency=lab.config.latency,
                              stackrc_text=ident.stackrc() if ident is not None else None,
                              release=plays.get(name),
                              # the twin's ironic-inspector of this undercloud (lab/components.py)
                              inspector_conf=lab.dir / "ironic" / name / "inspector" / "inspector.conf"
                              ).start()
        lab.add(Component(f"undercloud-{name}", "emulator", f"ssh://stack@127.0.0.1:{host.port}", host.port,
                          os.getpid(), f"tcp://127.0.0.1:{host.port}"), host.stop)
        host.boot(lambda host=host, name=name: _seed(lab, host, name))
        hosts.append(host)
        entries[name] = {"host": "127.0.0.1", "port": host.port, "username": "stack",
                         "key_file": {"file": f"{DIRNAME}/id_ed25519"},
                         "known_hosts": f"{DIRNAME}/known_hosts"}
    write_known_hosts(base / "known_hosts", [("127.0.0.1", h.port, h.host_key) for h in hosts])
    lab.endpoints["underclouds"] = entries


def _seed(lab: Lab, host: UndercloudHost, name: str) -> None:
    if lab.config.greenfield:  # installed, no overcloud yet: its Ironic empty, no stack
        return
    t0 = time.monotonic()
    for cloud in (c for c in lab.site.clouds if c.undercloud == name):
        seeded = seed_cloud(host, lab.site, cloud, lab.world)
        log.info("undercloud %s: stack %s of %s: %s", name, cloud.stack, cloud.name,
                 ", ".join(f"{r} {len(n)}" for r, n in seeded.items()))
    log.info("undercloud %s: seeded in %.1f s, %d hypervisor(s)", name, time.monotonic() - t0,
             host.sync_hypervisors())
