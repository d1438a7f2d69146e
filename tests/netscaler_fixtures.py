"""Fixtures shared by the NITRO emulator's tests (``tests/lab/netscaler``) and the adapter's
tests against it (``tests/loadbalancer``): a twin CA, one emulator per test module, a world that
says which members answer their monitor (and records every probe), and a wait. A conftest
imports the fixtures it uses; pytest finds them there."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lifecycle.lab.base import TlsFiles, make_ca
from lifecycle.lab.netscaler import NetScalerEmulator

PASSWORD = "twin-nitro-s3cret"


class World:
    """Which ip:port answers its monitor; every probe is recorded."""

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


def wait_for(check: Callable[[], bool], timeout: float = 15.0, poll: float = 0.02) -> float:
    """Seconds until ``check()`` holds; fails the test after ``timeout``."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(poll)
    return time.monotonic() - start


__all__ = ["PASSWORD", "World", "emu", "tls", "wait_for", "world"]
