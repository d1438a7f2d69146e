"""One real sushy-tools and one real Ironic per test module, driven by the unmodified clients."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lifecycle.lab.base.tls import TlsFiles, make_ca
from lifecycle.lab.ironic import (
    INSTALL_SCRIPT,
    IronicService,
    RedfishTiming,
    SushyService,
    ironic_venv,
    venv_ready,
)
from lifecycle.lab.world import NicSpec, ServerSpec
from tests.unavailable import unavailable

API_VERSION = "1.115"  # Ironic 39's maximum; openstacksdk and ironicclient 6.3 know it
DEADLINE = 240.0  # a safety net against hanging, not a performance assertion


def require_venv() -> None:
    """Skip without .venv-ironic on a developer machine; under CI its absence is a failure."""
    if venv_ready():
        return
    msg = (f"no Ironic/sushy-tools in {ironic_venv()}: "
           f"run {INSTALL_SCRIPT.relative_to(INSTALL_SCRIPT.parents[2])}")
    unavailable(msg)


def server(i: int, name: str | None = None, *, racked: bool = True) -> ServerSpec:
    """A hand-made server with two NICs, as the site model would describe it."""
    return ServerSpec(
        name=name or f"c01-s{i:02d}", oneview_name=f"OV-{i:02d}", serial=f"CZJ70{i:05d}",
        model="DL360 Gen9 1", ilo=f"10.0.1.{i}", rack="c01", profile="compute",
        nics=[NicSpec("nic1", "FlexibleLOM 1:1", f"94:18:82:00:{i:02x}:01"),
              NicSpec("nic2", "FlexibleLOM 1:2", f"94:18:82:00:{i:02x}:02")],
        racked=racked, cpus=32, memory_mb=262144, disks_gb=[480, 480])


@dataclass
class Stack:
    tls: TlsFiles
    sushy: SushyService
    ironic: IronicService
    servers: dict[str, ServerSpec]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_venv()
    work: Path = tmp_path_factory.mktemp("ironic-lab")
    tls = make_ca(work / "tls")
    servers = {s.name: s for s in (server(1, "sdk-node"), server(2, "cli-node"), server(3, "dead-node"))}
    sushy = SushyService(work / "sushy", servers.values(), tls=tls, username="twin", password="s3cret",
                         dead={"dead-node"})
    # A dead BMC costs sushy's 10 read-timeout retries per Ironic attempt: keep each one short.
    ironic = IronicService(work / "ironic", redfish=RedfishTiming(connection_attempts=1,
                                                                    connect_timeout=2, read_timeout=2))
    try:
        sushy.start()
        ironic.start()
        yield Stack(tls, sushy, ironic, servers)
    finally:
        ironic.stop()
        sushy.stop()


@pytest.fixture(scope="module")
def sdk(stack: Stack) -> Any:
    import openstack

    return openstack.connect(auth_type="none", baremetal_endpoint_override=stack.ironic.url,
                             baremetal_api_version=API_VERSION)


@pytest.fixture(scope="module")
def ironic_cli(stack: Stack) -> Any:
    from ironicclient import client

    return client.get_client("1", endpoint=stack.ironic.url, auth_type="none",
                             os_ironic_api_version=API_VERSION)


def poll(list_nodes: Callable[[], dict[str, Any]], done: Callable[[Any], bool],
         interval: float = 0.5) -> dict[str, Any]:
    """Re-list until ``done`` holds for every node listed; one list call per ``interval``."""
    t0 = time.monotonic()
    while True:
        nodes = list_nodes()
        if nodes and all(done(n) for n in nodes.values()):
            return nodes
        if time.monotonic() - t0 > DEADLINE:
            states = {k: (getattr(n, "provision_state", None), getattr(n, "power_state", None))
                      for k, n in nodes.items()}
            raise AssertionError(f"nodes still busy after {DEADLINE:.0f} s: {states}")
        time.sleep(interval)
