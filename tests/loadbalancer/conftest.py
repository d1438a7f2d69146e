"""Fixtures for the adapter against the twin's NITRO emulator: a twin CA, one emulator per test
module, a world that says which members answer their monitor, and what the platform team made
by hand above web-portal/prd's vserver (its content switching and GSLB objects)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lifecycle.lab.base import TlsFiles, make_ca
from lifecycle.lab.netscaler import NetScalerEmulator
from lifecycle.loadbalancer import LbIntent, LoadBalancer, Nitro

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "twin-nitro-s3cret"


class World:
    """Which members (ip, port) answer their monitor."""

    def __init__(self) -> None:
        self.up: set[tuple[str, int]] = set()

    def probe(self, ip: str, port: int, monitor: dict[str, Any]) -> tuple[bool, str]:
        return ((ip, port) in self.up, "probe")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_ca(tmp_path_factory.mktemp("ns-ca"))


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.fixture(scope="module")
def emu(tls: TlsFiles, world: World) -> Iterator[NetScalerEmulator]:
    e = NetScalerEmulator(tls=tls, password=PASSWORD, probe=world.probe).start()
    yield e
    e.stop()


def connect(emu: NetScalerEmulator, tls: TlsFiles, auth: str = "session") -> LoadBalancer:
    return LoadBalancer(Nitro(emu.url, "nsroot", PASSWORD, verify=str(tls.ca), auth=auth, timeout=10))


def wait_for(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def platform_team(lb: LoadBalancer, intent: LbIntent) -> None:
    """What the platform team made, by plain NITRO adds: the csvserver and its policy, the GSLB
    site, this site's GSLB service (the VIP) and the gslbvserver, nothing bound (i2 binds)."""
    vs = intent.vserver
    assert intent.cs is not None and intent.gslb is not None
    lb.nitro.add("csvserver", {"name": intent.cs["name"], "servicetype": "SSL", "ipv46": "10.50.1.200",
                               "port": 443})
    lb.nitro.add("cspolicy", {"policyname": intent.cs["policyname"], "rule": 'HTTP.REQ.HOSTNAME.EQ("www")'})
    lb.nitro.add("gslbsite", {"sitename": "ie1", "siteipaddress": "10.0.0.41"})
    lb.nitro.add("gslbservice", {"servicename": intent.gslb["servicename"], "ip": vs["ipv46"],
                                 "port": vs["port"], "servicetype": vs["servicetype"], "sitename": "ie1"})
    lb.nitro.add("gslbvserver", {"name": intent.gslb["name"], "servicetype": vs["servicetype"]})
