"""One twin undercloud per test module: its SSH server, a real Ironic with fake-hardware nodes
tagged as the rack runbook tags them, and ie1-new rendered by i2 for it. Tests drive it over the
wire, with paramiko and with i2's own undercloud client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from lifecycle.lab.base.faults import parse_faults
from lifecycle.lab.ironic import IronicService, ironic_venv, venv_ready
from lifecycle.lab.undercloud import RecordingSink, UndercloudHost
from lifecycle.lab.undercloud.keys import ensure_key, write_known_hosts
from lifecycle.lab.undercloud.nodes import IronicNodes
from lifecycle.model import load_site
from lifecycle.model.endpoints import Endpoints, load_endpoints
from lifecycle.tripleo.paths import INSTALL_SCRIPT, REPO_ROOT, tht_ready
from lifecycle.tripleo.paths import venv_ready as heat_ready
from lifecycle.tripleo.render import Rendered, render_overcloud
from lifecycle.tripleo.undercloud import Undercloud
from tests.unavailable import unavailable

SITE = REPO_ROOT / "examples" / "ie1"
VSD_PASSWORD = "vsd-Pa55-twin-undercloud"
# c02-s04's deploy fails (the fault test); the others deploy.
FAULTS = "undercloud.deploy_fail=c02-s04"
NODES = {"Controller": ["r01-s01"], "ComputeNuage": ["c02-s01", "c02-s02", "c02-s03", "c02-s04"]}


def require() -> None:
    missing = []
    if not venv_ready():
        missing.append(f"Ironic in {ironic_venv()}")
    if not (tht_ready() and heat_ready()):
        missing.append(f"THT/.venv-heat ({INSTALL_SCRIPT.relative_to(REPO_ROOT)})")
    if missing:
        unavailable(f"missing: {', '.join(missing)}")


@dataclass
class Twin:
    dir: Path
    host: UndercloudHost
    sink: RecordingSink
    nodes: IronicNodes
    endpoints: Endpoints
    site: Any

    def connect(self) -> Undercloud:
        return Undercloud.connect(self.endpoints, "uc-test")

    def render(self, out: Path, computes: int, removed: tuple[int, ...] = ()) -> Rendered:
        """ie1-new with one controller and ``computes`` ComputeNuage nodes."""
        counts = {"Controller": 1, "ComputeNuage": computes}
        tagged = {role: [(n, i) for i, n in enumerate(names)] for role, names in NODES.items()}
        return render_overcloud(self.site, "ie1-new", self.endpoints, out, nodes=tagged, counts=counts,
                                removed={"ComputeNuage": list(removed)}, cms_id="0d8c-twin",
                                remote_dir="/home/stack/i2/ie1-new")

    def upload(self, rendered: Rendered) -> None:
        with self.connect() as uc:
            names = [str(p.relative_to(rendered.out_dir)) for p in rendered.out_dir.rglob("*") if p.is_file()]
            uc.upload(rendered.out_dir, rendered.manifest["remote_dir"], names)

    def by_name(self) -> dict[str, dict[str, Any]]:
        return {n["name"]: n for n in self.nodes.list()}


def _nodes(ironic: IronicNodes, site: Any) -> None:
    """Fake-hardware nodes tagged node:<role>-N with the site's hardware properties, available."""
    inv = site.hardware_profiles["dl360g9-compute"].inventory
    uuids = []
    for role, names in NODES.items():
        for i, name in enumerate(names):
            caps = f"node:{role.lower()}-{i},profile:{'control' if role == 'Controller' else 'compute'}"
            node = ironic.create_fake(name, resource_class="baremetal", properties={
                "cpus": inv.cpus, "memory_mb": inv.memory_mb, "local_gb": 447, "cpu_arch": "x86_64",
                "capabilities": caps})
            uuids.append(node["uuid"])
    for verb, target in (("manage", "manageable"), ("provide", "available")):
        for uid in uuids:
            ironic.api.set_node_provision_state(uid, verb)
        assert not any(ironic.wait(uuids, target, timeout=120).values())


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    require()
    work = tmp_path_factory.mktemp("undercloud")
    ironic = IronicService(work / "ironic").start()
    host = None
    try:
        client_key = ensure_key(work / "id_ed25519")
        sink = RecordingSink(work / "hypervisors.json")
        host = UndercloudHost("uc-test", work / "uc", ironic_url=ironic.url, sink=sink,
                              clouds={"overcloud": "ie1-new"}, authorized=[client_key],
                              faults=parse_faults(FAULTS), release="train").start()
        host.boot(lambda: None)  # nothing to seed: the stack is created by the first deploy
        write_known_hosts(work / "known_hosts", [("127.0.0.1", host.port, host.host_key)])
        (work / "secrets.yaml").write_text(yaml.safe_dump({  # Heat gets the plugin's password
            "vsd": "i2-own-vsd-pass", "pure": "pure-T0ken-twin", "vsd-plugin-ie1-new": VSD_PASSWORD,
            "nuage-metadata-ie1-new": "md-twin"}))
        (work / "endpoints.yaml").write_text(yaml.safe_dump({
            "secrets_file": "secrets.yaml",
            "vsd": {"url": "https://127.0.0.1:8443", "username": "csproot", "password": {"secret": "vsd"},
                    "plugins": {"ie1-new": {
                        "username": "ie1-new-neutron", "password": {"secret": "vsd-plugin-ie1-new"},
                        "metadata_secret": {"secret": "nuage-metadata-ie1-new"}}}},
            "pure": {"url": "https://127.0.0.1:8444", "api_token": {"secret": "pure"}},
            "underclouds": {"uc-test": {"host": "127.0.0.1", "port": host.port, "username": "stack",
                                        "key_file": {"file": "id_ed25519"}, "known_hosts": "known_hosts"}}}))
        site = load_site(SITE)
        assert host.nodes is not None
        _nodes(host.nodes, site)
        yield Twin(work, host, sink, host.nodes, load_endpoints(work / "endpoints.yaml"), site)
    finally:
        if host is not None:
            host.stop()
        ironic.stop()
