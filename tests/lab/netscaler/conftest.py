"""Fixtures for the NetScaler emulator's tests: a twin CA, one emulator per module, a fake world
that says which backends answer their monitor, and plain ``requests`` sessions speaking NITRO."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from lifecycle.lab.base import TlsFiles, make_ca
from lifecycle.lab.netscaler import NetScalerEmulator

PASSWORD = "twin-secret"


class World:
    """Which ip:port answers; every probe is recorded."""

    def __init__(self) -> None:
        self.up: set[tuple[str, int]] = set()
        self.probes: list[tuple[str, int, str]] = []

    def probe(self, ip: str, port: int, monitor: dict[str, Any]) -> tuple[bool, str]:
        self.probes.append((ip, port, monitor["monitorname"]))
        if (ip, port) in self.up:
            return True, "HTTP response code 200 received."
        return False, "TCP syn sent, reset received."


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_ca(tmp_path_factory.mktemp("twin-ca"))


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.fixture(scope="module")
def emu(tls: TlsFiles, world: World) -> Iterator[NetScalerEmulator]:
    e = NetScalerEmulator(tls=tls, password=PASSWORD, probe=world.probe).start()
    yield e
    e.stop()


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


def wait_for(check: Callable[[], bool], timeout: float = 3.0) -> float:
    """Seconds until ``check()`` holds; fails the test after ``timeout``."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.005)
    return time.monotonic() - start
