"""Fixtures for the OneView emulator's contract tests: a twin CA, hand-made servers, and
unmodified hpOneView clients pointed at an emulator (HTTPS verified against the twin CA)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hpOneView.connection import connection
from hpOneView.oneview_client import OneViewClient

from lifecycle.lab.base import LatencyProfile, TlsFiles, make_ca
from lifecycle.lab.oneview import OneViewEmulator
from lifecycle.lab.world import NicSpec, ServerSpec

PASSWORD = "twin-secret"
API = 1800


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_ca(tmp_path_factory.mktemp("twin-ca"))


def server(i: int, *, model: str = "DL360 Gen9 1", rack: str = "r1", racked: bool = True) -> ServerSpec:
    return ServerSpec(
        name=f"c01-s{i:02d}", oneview_name=f"C01 S{i:02d}", serial=f"CZJ70{i:05d}", model=model,
        ilo=f"10.1.0.{i}", rack=rack, profile="dl360g9-compute", racked=racked, cpus=56,
        memory_mb=393216, disks_gb=[447],
        nics=[NicSpec("nic1", "FlexibleLOM 1:1", f"14:02:ec:00:{i:02x}:01"),
              NicSpec("nic2", "FlexibleLOM 1:2", f"14:02:ec:00:{i:02x}:02")])


def start(tls: TlsFiles, servers: list[ServerSpec], **kwargs: Any) -> OneViewEmulator:
    kwargs.setdefault("latency", LatencyProfile("none"))
    return OneViewEmulator(servers, tls=tls, password=PASSWORD, **kwargs).start()


def client(emu: OneViewEmulator, tls: TlsFiles, *, password: str = PASSWORD, api: int = API,
           ca: Path | None = None) -> OneViewClient:
    """hpOneView as the product configures it: ``ip`` is host:port (http.client splits the port
    off), ``ssl_certificate`` the CA bundle it verifies the appliance's certificate against."""
    return OneViewClient({"ip": emu.address, "api_version": api, "ssl_certificate": str(ca or tls.ca),
                          "credentials": {"userName": "administrator", "password": password}})


def raw(emu: OneViewEmulator, tls: TlsFiles, method: str, path: str, body: Any = None,
        headers: dict[str, str] | None = None, session: str | None = None) -> tuple[int, Any]:
    """One request through hpOneView's own transport, to see the HTTP status the SDK hides."""
    conn = connection(emu.address, API, str(tls.ca))
    if session:
        conn.set_session_id(session)
    resp, data = conn.do_http(method, path, "" if body is None else json.dumps(body), headers)
    return resp.status, data


@pytest.fixture
def connect(tls: TlsFiles) -> Callable[..., OneViewClient]:
    return lambda emu, **kw: client(emu, tls, **kw)


def template_body(sht_uri: str, networks: dict[str, str], baseline_uri: str, *, name: str,
                  bios: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """hardware-profiles/dl360g9-compute.yaml as a server profile template (what the product sends)."""
    return {
        "name": name,
        "description": "DL360 Gen9 compute, 2x E5-2680 v4, 384 GB, 2x 480 GB SSD RAID1 boot",
        "serverHardwareTypeUri": sht_uri,
        "bootMode": {"manageMode": True, "mode": "UEFIOptimized", "pxeBootPolicy": "Auto"},
        "boot": {"manageBoot": True, "order": ["HardDisk", "PXE"]},
        "bios": {"manageBios": True, "overriddenSettings": bios if bios is not None else [
            {"id": "WorkloadProfile", "value": "Virtualization-MaxPerformance"},
            {"id": "ProcVirtualization", "value": "Enabled"},
            {"id": "IntelProcVtd", "value": "Enabled"},
            {"id": "Sriov", "value": "Enabled"},
            {"id": "PowerRegulator", "value": "StaticHighPerf"}]},
        "localStorage": {"controllers": [{
            "deviceSlot": "Embedded", "mode": "RAID", "initialize": True,
            "logicalDrives": [{"name": "boot", "raidLevel": "RAID1", "bootable": True,
                               "numPhysicalDrives": 2, "driveTechnology": "SataSsd"}]}]},
        "firmware": {"manageFirmware": True, "firmwareBaselineUri": baseline_uri,
                     "firmwareInstallType": "FirmwareOnlyOfflineMode", "forceInstallFirmware": False},
        "connectionSettings": {"manageConnections": True, "connections": [
            {"id": 1, "name": "nic1", "functionType": "Ethernet", "portId": "FlexibleLOM 1:1",
             "networkUri": networks["provisioning"], "boot": {"priority": "Primary"}},
            {"id": 2, "name": "nic2", "functionType": "Ethernet", "portId": "FlexibleLOM 1:2",
             "networkUri": networks["tenant-trunk"], "boot": {"priority": "NotBootable"}}]},
    }


@pytest.fixture
def emu_factory(tls: TlsFiles) -> Iterator[Callable[..., OneViewEmulator]]:
    started: list[OneViewEmulator] = []

    def make(servers: list[ServerSpec], **kwargs: Any) -> OneViewEmulator:
        emu = start(tls, servers, **kwargs)
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()
