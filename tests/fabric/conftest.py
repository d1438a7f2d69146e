"""A rack-complete fabric of the example site on the twin's EOS emulator, configured exactly as
i2 renders it (no ZTP here), with an endpoints file pointing at it."""

from __future__ import annotations

import pytest
import yaml

from lifecycle.fabric import render_switches
from lifecycle.fabric.eapi import secret_hash
from lifecycle.lab.base import make_ca
from lifecycle.lab.eos import CVX, Fabric
from lifecycle.lab.world import build_world
from lifecycle.model import load_site
from lifecycle.model.endpoints import SecretStore, load_endpoints

PASSWORD = "nrfu-test-pass"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fabric")
    site = load_site("examples/ie1")
    world = build_world(site)
    world.rack("c02")
    for spec in world.switches:
        spec.ztp = False  # built straight from the rendered configs
    configs = {name: cfg for name, cfg in render_switches(
        site, secret_hash=secret_hash(PASSWORD, "ie1"), cvx_hosts=("10.0.0.5",)).items()}
    tls = make_ca(tmp / "tls")
    cvx = CVX("cvx1", "SSJ1", "00:1c:73:00:99:01", mgmt_ip="10.0.0.5", password="x",
              flash_dir=tmp / "flash" / "cvx1")
    fabric = Fabric.from_world(world, configs=configs, flash_root=tmp / "flash", extra=(cvx,))
    fabric.serve(tls=tls)
    yield site, fabric, tls, tmp
    fabric.stop()


@pytest.fixture(scope="module")
def endpoints(built):
    _, fabric, tls, tmp = built
    (tmp / "secrets.yaml").write_text(yaml.safe_dump({"eapi": PASSWORD}))
    (tmp / "endpoints.yaml").write_text(yaml.safe_dump({
        "secrets_file": "secrets.yaml",
        "fabric": {"defaults": {"transport": "https", "username": "i2",
                                "password": {"secret": "eapi"}, "ca_file": str(tls.ca)},
                   "devices": {n: {"host": "127.0.0.1", "port": sw.https_port}
                               for n, sw in fabric.switches.items()}}}))
    ep = load_endpoints(tmp / "endpoints.yaml")
    return ep, SecretStore(ep)
