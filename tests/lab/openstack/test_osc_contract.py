"""python-openstackclient, unmodified, against both releases with the clouds.yaml the twin
writes: its own shell in-process for most commands, the ``openstack`` executable once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lab.openstack.conftest import Clouds, OscError, osc, wait_for


@pytest.mark.parametrize("release", ["newton", "train"])
def test_operator_commands(clouds: Clouds, release: str, tmp_path: Path) -> None:
    cloud = clouds.start(release=release)
    disk = tmp_path / "rhel-8.4.qcow2"
    disk.write_bytes(b"QFI\xfb" + bytes(60))
    config = clouds.clouds_yaml(cloud, projects=("admin",))
    name = cloud.name
    osc(config, name, "flavor", "create", "--ram", "4096", "--vcpus", "2", "--disk", "40", "m1.medium")
    osc(
        config,
        name,
        "image",
        "create",
        "--disk-format",
        "qcow2",
        "--container-format",
        "bare",
        "--file",
        str(disk),
        "rhel-8.4",
    )
    osc(config, name, "network", "create", "net-a")
    subnet = osc(
        config, name, "subnet", "create", "--network", "net-a", "--subnet-range", "10.20.1.0/26", "sub-a"
    )
    assert subnet["gateway_ip"] == "10.20.1.1" and subnet["allocation_pools"] == [
        {"start": "10.20.1.2", "end": "10.20.1.62"}
    ]
    server = osc(
        config,
        name,
        "server",
        "create",
        "--flavor",
        "m1.medium",
        "--image",
        "rhel-8.4",
        "--network",
        "net-a",
        "--property",
        "i2.in_service=true",
        "web-1",
    )
    wait_for(lambda: osc(config, name, "server", "show", server["id"])["status"] == "ACTIVE", what="ACTIVE")
    listed = osc(config, name, "server", "list")
    assert [(s["Name"], s["Status"], s["Networks"]) for s in listed] == [
        ("web-1", "ACTIVE", {"net-a": ["10.20.1.2"]})
    ]
    assert [n["Name"] for n in osc(config, name, "network", "list")] == ["net-a"]
    assert [h["Hypervisor Hostname"] for h in osc(config, name, "hypervisor", "list")] == [f"{name}-cmp-0"]
    osc(config, name, "volume", "create", "--size", "1", "data")
    wait_for(lambda: osc(config, name, "volume", "list")[0]["Status"] == "available", what="volume available")
    # disabling a compute, as the upgrade does before decommissioning it
    osc(
        config,
        name,
        "compute",
        "service",
        "set",
        "--disable",
        "--disable-reason",
        "drain",
        f"{name}-cmp-0",
        "nova-compute",
        "--no-json",
    )
    states = {(s["Host"], s["Status"]) for s in osc(config, name, "compute", "service", "list")}
    assert (f"{name}-cmp-0", "disabled") in states
    with pytest.raises(OscError, match="No Network found for nope"):
        osc(
            config,
            name,
            "server",
            "create",
            "--flavor",
            "m1.medium",
            "--image",
            "rhel-8.4",
            "--network",
            "nope",
            "x",
        )


def test_openstack_executable(clouds: Clouds, tmp_path: Path) -> None:
    cloud = clouds.start(release="train")
    config = clouds.clouds_yaml(cloud)
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(config))
    exe = Path(sys.executable).with_name("openstack")
    out = subprocess.run(
        [
            str(exe),
            "--os-cloud",
            cloud.name,
            "hypervisor",
            "list",
            "-f",
            "value",
            "-c",
            "Hypervisor Hostname",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [f"{cloud.name}-cmp-0"]
