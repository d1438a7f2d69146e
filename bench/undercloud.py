"""Bench: i2's SSH client against the twin's undercloud, and the twin's deploy of N nodes.

A fresh real Ironic (fake-hardware nodes tagged ``node:computenuage-N``: Redfish deploys would
measure the emulated BMCs' 1-11 s power delays; the rack runbook's twin test deploys c02 over
Redfish), one twin undercloud, ie1-new rendered by i2. Measured:

- ``connect``   SSH connect, key exchange, host key check and public-key login (mean of 10);
- ``exec``      one short remote command on an open connection (``openstack stack list``, mean of 20);
- ``upload``    SFTP of the rendered files (14) into the remote directory;
- ``deploy``    ``openstack overcloud deploy`` adding N compute nodes, and its validation part
                (THT process-templates + Heat, in the twin), then the same files again;
- ``delete``    ``openstack overcloud node delete`` of two nodes.

Usage: ``.venv/bin/python bench/undercloud.py [--nodes 8] [--json FILE]`` (needs .venv-ironic,
the THT tree and .venv-heat).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from lifecycle.lab.ironic import IronicService  # noqa: E402
from lifecycle.lab.undercloud import RecordingSink, UndercloudHost  # noqa: E402
from lifecycle.lab.undercloud.keys import ensure_key, write_known_hosts  # noqa: E402
from lifecycle.model import load_site  # noqa: E402
from lifecycle.model.endpoints import load_endpoints  # noqa: E402
from lifecycle.tripleo.render import render_overcloud  # noqa: E402
from lifecycle.tripleo.undercloud import Undercloud  # noqa: E402


def timed(fn: Any) -> tuple[float, Any]:
    t0 = time.monotonic()
    out = fn()
    return time.monotonic() - t0, out


def setup(work: Path, n: int) -> tuple[UndercloudHost, Any, Any]:
    """Ironic with one controller and ``n`` compute nodes available, the undercloud, endpoints."""
    ironic = IronicService(work / "ironic").start()
    key = ensure_key(work / "id_ed25519")
    host = UndercloudHost("uc-bench", work / "uc", ironic_url=ironic.url, authorized=[key],
                          sink=RecordingSink(work / "hv.json"), clouds={"overcloud": "ie1-new"}).start()
    host.boot(lambda: None)
    write_known_hosts(work / "known_hosts", [("127.0.0.1", host.port, host.host_key)])
    (work / "secrets.yaml").write_text(yaml.safe_dump({"vsd": "bench-vsd", "pure": "bench-pure",
                                                       "vsd-plugin-ie1-new": "bench-plugin",
                                                       "nuage-metadata-ie1-new": "bench-md"}))
    uc = {"host": "127.0.0.1", "port": host.port, "key_file": {"file": "id_ed25519"},
          "known_hosts": "known_hosts"}
    (work / "endpoints.yaml").write_text(yaml.safe_dump({
        "secrets_file": "secrets.yaml",
        "vsd": {"url": "https://127.0.0.1:8443", "username": "csproot", "password": {"secret": "vsd"},
                "plugins": {"ie1-new": {
                    "username": "ie1-new-neutron", "password": {"secret": "vsd-plugin-ie1-new"},
                    "metadata_secret": {"secret": "nuage-metadata-ie1-new"}}}},
        "pure": {"url": "https://127.0.0.1:8444", "api_token": {"secret": "pure"}},
        "underclouds": {"uc-bench": uc}}))
    assert host.nodes is not None
    uuids = []
    for role, count in (("controller", 1), ("computenuage", n)):
        for i in range(count):
            node = host.nodes.create_fake(f"{role}-{i}", resource_class="baremetal", properties={
                "cpus": 56, "memory_mb": 393216, "cpu_arch": "x86_64", "capabilities": f"node:{role}-{i}"})
            uuids.append(node["uuid"])
    for verb, target in (("manage", "manageable"), ("provide", "available")):
        for uid in uuids:
            host.nodes.api.set_node_provision_state(uid, verb)
        host.nodes.wait(uuids, target)
    return host, ironic, load_endpoints(work / "endpoints.yaml")


def ssh(ep: Any) -> dict[str, float]:
    connects = [timed(lambda: Undercloud.connect(ep, "uc-bench").close())[0] for _ in range(10)]
    with Undercloud.connect(ep, "uc-bench") as uc:
        execs = [timed(lambda: uc.output(["openstack", "stack", "list", "-f", "json"]))[0] for _ in range(20)]
    return {"connect_s": statistics.mean(connects), "exec_s": statistics.mean(execs)}


def deploy(ep: Any, host: UndercloudHost, work: Path, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    computes = [(f"computenuage-{i}", i) for i in range(n)]
    tagged = {"Controller": [("controller-0", 0)], "ComputeNuage": computes}
    rendered = render_overcloud(load_site(ROOT / "examples" / "ie1"), "ie1-new", ep, work / "r", nodes=tagged,
                                counts={"Controller": 1, "ComputeNuage": n}, cms_id="bench")
    names = [str(p.relative_to(rendered.out_dir)) for p in rendered.out_dir.rglob("*") if p.is_file()]
    stamps: dict[str, float] = {}

    def mark(line: str) -> None:
        for key in ("Processing templates", "Deploying templates"):
            if line.startswith(key):
                stamps.setdefault(key, time.monotonic())

    with Undercloud.connect(ep, "uc-bench") as uc:
        remote = rendered.manifest["remote_dir"]
        out["upload_s"], _ = timed(lambda: uc.upload(rendered.out_dir, remote, names))
        out["upload_files"] = len(names)
        res = uc.run(rendered.command, on_line=mark)
        assert res.ok, res.tail
        out["deploy_s"], out["deploy_lines"] = res.seconds, res.lines
        out["deploy_validation_s"] = stamps["Deploying templates"] - stamps["Processing templates"]
        out["deploy_again_s"] = uc.run(rendered.command).seconds
        assert host.nodes is not None
        last = {f"computenuage-{n - 1}", f"computenuage-{n - 2}"}
        victims = [x["instance_uuid"] for x in host.nodes.list() if x["name"] in last]
        res = uc.run(["openstack", "overcloud", "node", "delete", "--stack", "overcloud", "-y", *victims])
        assert res.ok, res.tail
        out["delete_2_s"] = res.seconds
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--nodes", type=int, default=8)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    out: dict[str, Any] = {"nodes": args.nodes}
    with tempfile.TemporaryDirectory(prefix="i2-bench-uc-") as tmp:
        host, ironic, ep = setup(Path(tmp), args.nodes)
        try:
            out.update(ssh(ep))
            out.update(deploy(ep, host, Path(tmp), args.nodes))
        finally:
            host.stop()
            ironic.stop()
    out = {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
