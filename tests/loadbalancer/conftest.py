"""Fixtures for the adapter against the twin's NITRO emulator: a twin CA, one emulator per test
module, a world that says which members answer their monitor, and what the platform team made
by hand above web-portal/prd's vserver (its content switching and GSLB objects)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.netscaler import NetScalerEmulator
from lifecycle.loadbalancer import LbIntent, LoadBalancer, Nitro, intents
from lifecycle.model import load_site
from tests.netscaler_fixtures import PASSWORD, World, emu, tls, wait_for, world

__all__ = ["PASSWORD", "ROOT", "World", "connect", "emu", "intent", "lb", "platform_team", "tls", "wait_for",
           "world"]

ROOT = Path(__file__).resolve().parents[2]


def connect(emu: NetScalerEmulator, tls: TlsFiles, auth: str = "session") -> LoadBalancer:
    return LoadBalancer(Nitro(emu.url, "nsroot", PASSWORD, verify=str(tls.ca), auth=auth, timeout=10))


@pytest.fixture(scope="module")
def intent() -> LbIntent:
    """web-portal/prd's objects: the example site puts it behind content switching and GSLB."""
    return intents(load_site(ROOT / "examples/ie1"), "web-portal", "prd")[0]


@pytest.fixture
def lb(emu: NetScalerEmulator, tls: TlsFiles) -> Iterator[LoadBalancer]:
    b = connect(emu, tls)
    yield b
    b.close()


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
