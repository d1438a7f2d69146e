"""Fixtures for the NetScaler emulator's tests: a twin CA, one emulator per module, a fake world
that says which backends answer their monitor (shared with tests/loadbalancer:
``tests/netscaler_fixtures.py``), and plain ``requests`` sessions speaking NITRO."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.netscaler import NetScalerEmulator
from tests.netscaler_fixtures import PASSWORD, World, emu, tls, wait_for, world

__all__ = ["PASSWORD", "Nitro", "World", "emu", "nitro", "tls", "wait_for", "world"]


class Nitro:
    """NITRO over plain requests, TLS verified against the twin CA."""

    def __init__(self, emu: NetScalerEmulator, tls: TlsFiles):
        self.base = f"{emu.url}/nitro/v1/config"
        self.ca = str(tls.ca)  # per request: Session.verify loses to $REQUESTS_CA_BUNDLE
        self.http = requests.Session()

    def login(self, password: str = PASSWORD, **extra: Any) -> requests.Response:
        body = {"login": {"username": "nsroot", "password": password, **extra}}
        return self.http.post(f"{self.base}/login", json=body, verify=self.ca)

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.http.request(method, f"{self.base}/{path}", json=body, verify=self.ca, **kw)


@pytest.fixture
def nitro(emu: NetScalerEmulator, tls: TlsFiles) -> Nitro:
    n = Nitro(emu, tls)
    assert n.login().status_code == 201
    return n
