"""Synthetic sites for benchmarks and scale tests, the shape of examples/ie1 at any size.

    python -m lifecycle.model.generate OUT --racks 40 --servers-per-rack 24 --apps 150 [--seed N]

writes a valid, self-contained site to ``OUT`` (``scripts/gen-site`` runs this):

- ``site.yaml``: the site and its one DC; ``hardware_profiles: hardware-profiles``, a copy of the
  repository's profiles;
- ``fabric.yaml``: the spines (DCS-7504R3, or DCS-7508R3 once the leaves need more than four
  36-port line cards); every leaf has one uplink to every spine;
- ``racks/ctl01.yaml``: the control rack with the new cloud's three controllers;
- ``racks/rNNN.yaml``: one compute rack each (the rack, its servers, its cables); the first half
  in service on the old cloud, the rest planned for the new one;
- ``openstack.yaml``, ``nuage.yaml``: the old and new clouds, the VSD enterprise;
- ``applications/<team>.yaml``: the applications, an A/B pair of /26 per environment (prd, qa)
  allocated from 10.64.0.0/10, some stateful with volumes, some talking to others;
- ``loadbalancer.yaml``: the NetScaler (SNIPs in macro ``adc-snips``) and a monitor per
  application; every environment has its ``lb`` (vserver, VIP, service group) and every
  application an ``adc-to-APP`` rule letting the SNIPs reach its zone, as in examples/ie1;
- ``upgrade.yaml``: waves of ``--wave-size`` applications, then the old racks recommissioned.

The same arguments and seed always give the same bytes.

The pieces: :mod:`~lifecycle.model.generate_layout` (spec, numbering, racks),
:mod:`~lifecycle.model.generate_fabric` (site, spines, racks), :mod:`~lifecycle.model.generate_services`
(clouds, Nuage, applications, upgrade) and :mod:`~lifecycle.model.generate_yaml` (the YAML form).

>>> files = site_files(Spec(racks=2, servers_per_rack=2, apps=3))
>>> sorted(files)
['applications/digital.yaml', 'applications/finance.yaml', 'fabric.yaml', 'loadbalancer.yaml',
 'nuage.yaml', 'openstack.yaml', 'racks/ctl01.yaml', 'racks/r001.yaml', 'racks/r002.yaml',
 'site.yaml', 'upgrade.yaml']
>>> print(files["fabric.yaml"].text())
# Spine layer: 2 x DCS-7504R3, one ASN; leaves live in racks/*.yaml.
spines:
  - name: syn1-spine1
    dc: syn1-dc1
    model: DCS-7504R3
...
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from lifecycle.model import validate_site
from lifecycle.model.generate_fabric import fabric_file, rack_file, site_file
from lifecycle.model.generate_layout import Layout, RackPlan, Spec, plan
from lifecycle.model.generate_services import (
    application_files,
    applications,
    loadbalancer_file,
    nuage_file,
    openstack_file,
    upgrade_file,
)
from lifecycle.model.generate_yaml import Flow, FlowList, SiteFile

REPO_PROFILES = Path(__file__).resolve().parents[2] / "hardware-profiles"
PROFILES = ("dl360g9-compute", "dl360g9-controller", "dl380g9-compute-large")


def site_files(spec: Spec) -> dict[str, SiteFile]:
    """Every file of the site, by path relative to the site directory."""
    lay = plan(spec)
    apps = applications(spec)
    files = {"site.yaml": site_file(lay), "fabric.yaml": fabric_file(lay)}
    files |= {f"racks/{r.name}.yaml": rack_file(lay, r) for r in lay.racks}
    files |= {"openstack.yaml": openstack_file(lay), "nuage.yaml": nuage_file(lay)}
    files |= application_files(apps)
    files["loadbalancer.yaml"] = loadbalancer_file(spec, apps)
    files["upgrade.yaml"] = upgrade_file(lay, apps)
    return files


# --- writing ----------------------------------------------------------------------------------


def write_site(out: Path, spec: Spec, *, force: bool = False,
               profiles: Path = REPO_PROFILES) -> dict[str, SiteFile]:
    """Write the site of ``spec`` to ``out`` with a copy of the hardware profiles it uses."""
    problems = spec.problems()
    if problems:
        raise ValueError("; ".join(problems))
    missing = [p for p in PROFILES if not (profiles / f"{p}.yaml").is_file()]
    if missing:
        raise FileNotFoundError(f"hardware profiles {', '.join(missing)} not found in {profiles}")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty (--force replaces a generated site)")
        if not (out / "site.yaml").is_file():
            raise FileExistsError(f"{out} is not empty and holds no site.yaml: not removing it")
        shutil.rmtree(out)
    files = site_files(spec)
    for rel, content in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content.text(), encoding="utf-8")
    (out / "hardware-profiles").mkdir(parents=True)
    for name in PROFILES:
        shutil.copyfile(profiles / f"{name}.yaml", out / "hardware-profiles" / f"{name}.yaml")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="gen-site", description="Write a valid synthetic i2 site (shape of examples/ie1).")
    parser.add_argument("out", type=Path, metavar="OUT", help="site directory to write")
    parser.add_argument("--racks", type=int, default=Spec.racks, help="compute racks")
    parser.add_argument("--servers-per-rack", type=int, default=Spec.servers_per_rack)
    parser.add_argument("--apps", type=int, default=Spec.apps, help="applications")
    parser.add_argument("--seed", type=int, default=Spec.seed)
    parser.add_argument("--spines", type=int, default=Spec.spines)
    parser.add_argument("--wave-size", type=int, default=Spec.wave_size)
    parser.add_argument("--name", default=Spec.name, help="site name")
    parser.add_argument("--force", action="store_true", help="replace a site already in OUT")
    parser.add_argument("--check", action="store_true", help="validate the result and time it")
    args = parser.parse_args(argv)
    spec = Spec(racks=args.racks, servers_per_rack=args.servers_per_rack, apps=args.apps,
                seed=args.seed, spines=args.spines, wave_size=args.wave_size, name=args.name)
    if spec.problems():
        parser.error("; ".join(spec.problems()))
    try:
        files = write_site(args.out, spec, force=args.force)
    except (FileExistsError, FileNotFoundError) as exc:
        print(f"gen-site: {exc}", file=sys.stderr)
        return 1
    servers = 3 + spec.racks * spec.servers_per_rack
    print(f"wrote {args.out}: {spec.racks + 1} racks, {servers} servers, {spec.apps} applications, "
          f"{len(files)} site files")
    if args.check:
        start = time.perf_counter()
        _, problems = validate_site(args.out)
        took = time.perf_counter() - start
        for p in problems:
            print(p, file=sys.stderr)
        print(f"validated in {took:.2f}s: {len(problems)} problem(s)")
        return 1 if problems else 0
    return 0


__all__ = ["PROFILES", "REPO_PROFILES", "Flow", "FlowList", "Layout", "RackPlan", "SiteFile", "Spec",
           "main", "plan", "site_files", "write_site"]


if __name__ == "__main__":
    sys.exit(main())
