"""Fixtures for the OpenStack emulators' contract tests: the twin CA, clouds of both releases,
unmodified openstacksdk connections and python-openstackclient runs (in-process, its own shell
class, to spare a 3-7 s interpreter start per command), all over HTTPS verified against the CA.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
import yaml
from openstackclient import shell
from openstackclient.common.clientmanager import ClientManager
from osc_lib.clientmanager import ClientCache

from lifecycle.lab.array import PureArray
from lifecycle.lab.base import FaultPlan, TlsFiles, make_ca
from lifecycle.lab.openstack import OpenStackCloud, VsdAccess
from lifecycle.lab.openstack.vsd import VsdClient
from lifecycle.model.schema import Cloud

PASSWORD = "admin-secret"
VSD_PASSWORD = "vsd-secret"
RELEASES = {"newton": 10, "train": 16}


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_ca(tmp_path_factory.mktemp("twin-ca"))


def cloud_model(name: str, release: str, *, nuage: bool = False) -> Cloud:
    return Cloud.model_validate(
        {
            "name": name,
            "release": release,
            "osp_version": RELEASES[release],
            "undercloud": f"uc-{name}",
            "roles": [{"name": "Compute", "count": 0, "flavor": "compute", "profile": "compute"}],
            "nuage": {"net_partition": "IE1", "cms_name": name, "vsc_controllers": ["10.0.0.50"]}
            if nuage
            else None,
            "pure": {"backend_name": "pure-ie1"},
        }
    )


class Clouds:
    """Starts clouds on demand and stops them all at the end of a test."""

    def __init__(self, tls: TlsFiles, directory: Path):
        self.tls, self.dir = tls, directory
        self.started: list[OpenStackCloud] = []

    def start(
        self,
        name: str = "ie1-new",
        release: str = "train",
        *,
        array: PureArray | None = None,
        vsd: VsdAccess | None = None,
        faults: FaultPlan | None = None,
        hypervisors: int = 1,
        **kwargs: Any,
    ) -> OpenStackCloud:
        cloud = OpenStackCloud(
            cloud_model(name, release, nuage=vsd is not None),
            tls=self.tls,
            admin_password=PASSWORD,
            array=array,
            vsd=vsd,
            faults=faults,
            **kwargs,
        ).start()
        self.started.append(cloud)
        for i in range(hypervisors):
            cloud.add_hypervisor(f"{name}-cmp-{i}", vcpus=8, memory_mb=16384 + 512, local_gb=200)
        return cloud

    def clouds_yaml(self, *clouds: OpenStackCloud, projects: tuple[str, ...] = ()) -> Path:
        entries: dict[str, Any] = {}
        for c in clouds:
            entries.update(c.clouds_yaml(projects)["clouds"])
        path = self.dir / "clouds.yaml"
        path.write_text(yaml.safe_dump({"clouds": entries}))
        return path

    def stop(self) -> None:
        for c in self.started:
            c.stop()


@pytest.fixture
def clouds(tls: TlsFiles, tmp_path: Path) -> Iterator[Clouds]:
    c = Clouds(tls, tmp_path)
    yield c
    c.stop()


def connect(
    cloud: OpenStackCloud, *, project: str = "admin", **kwargs: Any
) -> openstack.connection.Connection:
    """openstacksdk as an operator configures it: a clouds.yaml entry with the CA."""
    entry = cloud.clouds_yaml_entry(project=project)
    return openstack.connect(
        auth=entry["auth"],
        region_name=entry["region_name"],
        cacert=entry["cacert"],
        identity_api_version="3",
        **kwargs,
    )


def osc(config: Path, cloud: str, *args: str) -> Any:
    """One ``openstack ARGS -f json`` through python-openstackclient's own shell, in-process."""
    out, err = io.StringIO(), io.StringIO()
    env = {"OS_CLIENT_CONFIG_FILE": str(config), "OS_CLOUD": cloud}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = shell.OpenStackShell().run(
                [*args, "-f", "json"] if args[-1] != "--no-json" else list(args[:-1])
            )
    finally:
        # osc_lib caches each API client on the ClientManager *class* (a process lives for one
        # command): forget them, or the next command reuses the last cloud's endpoints.
        for cls in ClientManager.__mro__:
            for attr in vars(cls).values():
                if isinstance(attr, ClientCache):
                    attr._handle = None
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if rc != 0:
        raise OscError(rc, err.getvalue() or out.getvalue())
    text = out.getvalue().strip()
    return json.loads(text) if text.startswith(("{", "[")) else text


class OscError(Exception):
    def __init__(self, rc: int, output: str):
        super().__init__(f"openstack exited {rc}: {output}")
        self.rc, self.output = rc, output


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll until ``predicate()`` is truthy (a bound, not a timing assertion)."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def seed(conn: openstack.connection.Connection) -> tuple[Any, Any, Any, Any]:
    """A flavor, an image, a network and a subnet, created over the wire as the integrator does."""
    flavor = conn.compute.create_flavor(name="m1.medium", ram=4096, vcpus=2, disk=40)
    image = conn.image.create_image(name="rhel-8.4", disk_format="qcow2", container_format="bare")
    net = conn.network.create_network(name="net-a")
    subnet = conn.network.create_subnet(network_id=net.id, cidr="10.20.1.0/26", ip_version=4, name="sub-a")
    return flavor, image, net, subnet


def boot(conn: openstack.connection.Connection, name: str, flavor: Any, image: Any, net: Any) -> Any:
    server = conn.compute.create_server(
        name=name, flavor_id=flavor.id, image_id=image.id, networks=[{"uuid": net.id}]
    )
    return wait_for(
        lambda: (s := conn.compute.get_server(server.id)).status in ("ACTIVE", "ERROR") and s,
        what=f"{name} to leave BUILD",
    )


# --- the VSD the Nuage tests need ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def vsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from lifecycle.lab.nuage import VsdEmulator

    tls = make_ca(tmp_path_factory.mktemp("vsd-ca"))
    emu = VsdEmulator(username="csproot", password=VSD_PASSWORD, tls=tls, organisation="csp").start()
    emu.tls = tls
    yield emu
    emu.stop()


def vsd_access(vsd: Any) -> VsdAccess:
    return VsdAccess(vsd.url, "csproot", VSD_PASSWORD, "csp", ca=vsd.tls.ca)


def vsd_client(vsd: Any) -> VsdClient:
    return VsdClient(vsd.url, "csproot", VSD_PASSWORD, "csp", ca=vsd.tls.ca)
