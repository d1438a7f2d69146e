"""Bench: render and validate the overcloud of a 960-server synthetic site (goal: under 10 s).

``scripts/gen-site`` writes the site; its new cloud's isolated networks are /24s, which cannot
hold 480 predictable addresses per role, so the bench widens them to /20s (render refuses the
/24s, naming the network). Then, timed separately:

- ``load``      the site model (validation included);
- ``render``    every file of ``openstack overcloud deploy`` (lifecycle.tripleo.render);
- ``instackenv`` the new cloud's nodes as the baremetal adapter exports them;
- ``validate``  all checks: THT's process-templates, registry/services/parameters, placement,
                Heat's parser on every template and its stack validation with every nested
                stack, tripleoclient's instackenv validation. Run twice: ``cold`` (fresh caches:
                process-templates and Heat's per-template results are cached by content under
                .cache/tht) and ``warm`` (what an operator sees on the second run).

Usage: ``.venv/bin/python bench/tripleo.py [--racks 40] [--servers-per-rack 24] [--json FILE]``
(needs scripts/lib/tht.sh).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lifecycle.baremetal import instackenv, node_spec  # noqa: E402
from lifecycle.baremetal.export import dump_instackenv  # noqa: E402
from lifecycle.model import load_site  # noqa: E402
from lifecycle.model.endpoints import load_endpoints  # noqa: E402
from lifecycle.tripleo.render import default_nodes, render_overcloud  # noqa: E402
from lifecycle.tripleo.validate import validate_rendered  # noqa: E402

ENDPOINTS = """\
secrets_file: secrets.yaml
vsd:
  url: "https://vsd.example.net:8443"
  username: csproot
  password: {secret: vsd}
  plugins:
    CLOUD: {username: CLOUD-neutron, password: {secret: vsd-plugin}, metadata_secret: {secret: nuage-md}}
pure: {url: "https://pure.example.net", api_token: {secret: pure}}
"""


def widen(site_dir: Path, cloud: str) -> None:
    """Give the cloud's isolated networks /20s (172.16.N.0/24 -> 172.16.16N.0/20)."""
    path = site_dir / "openstack.yaml"
    doc = yaml.safe_load(path.read_text())
    for c in doc["clouds"]:
        if c["name"] != cloud:
            continue
        for net in c.get("networks", []):
            old = ipaddress.ip_network(net["cidr"])
            new = ipaddress.ip_network(f"172.16.{16 * (int(old.network_address) >> 8 & 0xFF)}.0/20")
            net["cidr"] = str(new)
            net["allocation_pools"] = [{"start": str(new[10]), "end": str(new[-6])}]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--racks", type=int, default=40)
    ap.add_argument("--servers-per-rack", type=int, default=24)
    ap.add_argument("--apps", type=int, default=150)
    ap.add_argument("--json", type=Path, help="Write the results here too.")
    args = ap.parse_args()
    results: dict[str, float | int | str] = {}
    with tempfile.TemporaryDirectory(prefix="i2-bench-tripleo-") as tmp:
        t = Path(tmp)
        site_dir = t / "site"
        subprocess.run([str(ROOT / "scripts" / "gen-site"), str(site_dir), "--racks", str(args.racks),
                        "--servers-per-rack", str(args.servers_per_rack), "--apps", str(args.apps)],
                       check=True, stdout=subprocess.DEVNULL)
        clouds = yaml.safe_load((site_dir / "openstack.yaml").read_text())["clouds"]
        cloud_name = next(c["name"] for c in clouds if c.get("managed", True))
        widen(site_dir, cloud_name)
        (t / "endpoints.yaml").write_text(ENDPOINTS.replace("CLOUD", cloud_name))
        (t / "secrets.yaml").write_text("vsd: bench-vsd-pass\npure: bench-pure-token\n"
                                        "vsd-plugin: bench-plugin-pass\nnuage-md: bench-md\n")
        # Fresh caches for the cold run, in the bench's own directory.
        os.environ["I2_THT_WORK"] = str(t / "work")
        t0 = time.perf_counter()
        site = load_site(site_dir)
        results["load_s"] = time.perf_counter() - t0
        results["servers"] = len(site.servers)
        endpoints = load_endpoints(t / "endpoints.yaml")
        cloud = site.cloud(cloud_name)
        results["cloud"] = cloud_name
        results["nodes_in_cloud"] = sum(1 for s in site.servers if s.cloud == cloud_name)
        results["role_counts"] = ", ".join(f"{r.name} {r.count}" for r in cloud.roles)
        t0 = time.perf_counter()
        rendered = render_overcloud(site, cloud_name, endpoints, t / "rendered")
        results["render_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        members = default_nodes(site, cloud)
        indices = {n: f"{role.lower()}-{i}" for role, m in members.items() for n, i in m}
        specs = [node_spec(site, s, redfish_address=f"https://{s.ilo}",
                           redfish_system_id="/redfish/v1/Systems/1", bmc_username="i2",
                           bmc_password="<secret>", bmc_ca_file=None, macs={})
                 for s in sorted((s for s in site.servers if s.cloud == cloud_name), key=lambda s: s.name)]
        env_file = t / "instackenv.json"
        env_file.write_text(dump_instackenv(instackenv(specs, node_indices=indices, include_secrets=False)))
        results["instackenv_s"] = time.perf_counter() - t0
        for run in ("cold", "warm"):
            t0 = time.perf_counter()
            report = validate_rendered(rendered.out_dir, instackenv=env_file)
            results[f"validate_{run}_s"] = time.perf_counter() - t0
            errors = [str(f) for f in report.errors]
            if errors:
                print("\n".join(errors), file=sys.stderr)
                return 1
            for key, value in report.timings.items():
                results[f"{run}.{key}_s"] = value
        results["nested_stacks"] = report.stats.get("nested_stacks", 0)
        results["templates"] = report.stats.get("templates", 0)
        results["total_warm_s"] = (results["load_s"] + results["render_s"] + results["instackenv_s"]
                                   + results["validate_warm_s"])
        results["total_cold_s"] = (results["load_s"] + results["render_s"] + results["instackenv_s"]
                                   + results["validate_cold_s"])
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value:.2f}" if isinstance(value, float) else f"{key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
