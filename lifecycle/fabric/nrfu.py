"""NRFU of a whole fabric: one ANTA catalog for the spines, the leaf pairs of the racks a
build-out brought up (and those already in service), NTP on every switch and CVX, run by the
stock ``anta nrfu`` in its own process.

The per-rack part is :func:`lifecycle.fabric.anta.nrfu_catalog`'s; this module adds what only a
whole fabric has: each spine's LLDP neighbours and BGP peers towards the leaves of the racks in
scope, and NTP (synchronised, associated with the site's servers) on every switch.

ANTA runs as ``anta nrfu … json`` in a subprocess: its credentials go through ``ANTA_USERNAME``/
``ANTA_PASSWORD`` (never argv, which ``ps`` shows), and the fabric CA through ``SSL_CERT_FILE``
for that process only (ANTA verifies eAPI certificates with the environment's CA; setting it in
i2's own process would change every other client's trust).

>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> site = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")
>>> cat = fabric_catalog(site, ["c02"])
>>> sorted(cat)
['anta.tests.connectivity', 'anta.tests.cvx', 'anta.tests.interfaces', 'anta.tests.mlag', ...]
>>> cat["anta.tests.system"][1]["VerifyNTPAssociations"]["ntp_pool"]
{'server_addresses': ['10.40.0.1', '10.40.0.2'], 'preferred_stratum_range': [1, 3]}
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lifecycle.fabric.anta import anta_inventory, nrfu_catalog
from lifecycle.fabric.render import ends
from lifecycle.model.endpoints import Endpoints, SecretStore
from lifecycle.model.schema import Cable, Site

CVX_HOST = "cvx"  # the inventory name (and tag) of the CVX server, as nrfu_catalog expects


def _tags(names: Iterable[str]) -> dict[str, Any]:
    return {"filters": {"tags": sorted(names)}}


def fabric_switches(site: Site, racks: Iterable[str]) -> list[str]:
    """Every spine, and the leaves of ``racks`` and of the racks already in service."""
    scope = set(racks)
    leaves = [leaf.name for r in site.racks if r.name in scope or r.state == "in-service"
              for leaf in r.leaves.leaves]
    return [s.name for s in site.spines] + leaves


def fabric_catalog(site: Site, racks: Iterable[str], *, cvx: bool = True) -> dict[str, list[dict[str, Any]]]:
    """The ANTA catalog (``AntaCatalog.from_dict`` shape) for the fabric once ``racks`` are up."""
    scope = list(racks)
    cat: dict[str, list[dict[str, Any]]] = {}
    for rack in scope:
        for module, tests in nrfu_catalog(site, rack, cvx=False).items():
            cat.setdefault(module, []).extend(tests)
    spine_lldp: dict[str, list[dict[str, str]]] = {s.name: [] for s in site.spines}
    spine_peers: dict[str, list[str]] = {s.name: [] for s in site.spines}
    for rack in scope:
        for leaf in site.rack(rack).leaves.leaves:
            for up in leaf.uplinks:
                peer = site.peer_of(f"{leaf.name}:{up.port}")
                if peer is None:
                    continue
                spine, spine_port = Cable.split(peer)
                if spine not in spine_lldp:
                    continue
                spine_lldp[spine].append({"port": spine_port, "neighbor_port": up.port,
                                          "neighbor_device": f"{leaf.name}.{site.site.domain}"})
                spine_peers[spine].append(ends(up.subnet)[0])
    for spine in spine_lldp:
        if not spine_lldp[spine]:
            continue
        cat.setdefault("anta.tests.connectivity", []).append(
            {"VerifyLLDPNeighbors": {"neighbors": spine_lldp[spine], **_tags([spine])}})
        cat.setdefault("anta.tests.routing.bgp", []).append({"VerifyBGPSpecificPeers": {
            "address_families": [{"afi": "ipv4", "safi": "unicast", "peers": spine_peers[spine]}],
            **_tags([spine])}})
        ports = [{"name": n["port"], "status": "up"} for n in spine_lldp[spine]]
        cat.setdefault("anta.tests.interfaces", []).append(
            {"VerifyInterfacesStatus": {"interfaces": ports, **_tags([spine])}})
    switches = fabric_switches(site, scope)
    if site.site.ntp_servers:
        servers = [str(x) for x in site.site.ntp_servers]
        pool = {"server_addresses": servers, "preferred_stratum_range": [1, 3]}
        cat["anta.tests.system"] = [{"VerifyNTP": _tags(switches)},
                                    {"VerifyNTPAssociations": {"ntp_pool": pool, **_tags(switches)}}]
    if cvx:
        cat["anta.tests.cvx"] = [
            {"VerifyManagementCVX": {"enabled": True, **_tags(switches)}},
            {"VerifyActiveCVXConnections": {"connections_count": len(switches), **_tags([CVX_HOST])}}]
    return cat


@dataclass(frozen=True)
class Result:
    device: str
    test: str
    result: str  # success | failure | error | skipped
    messages: list[str]

    @property
    def ok(self) -> bool:
        return self.result in ("success", "skipped")


class NrfuError(Exception):
    """ANTA could not be run at all (not a failed test: those are results)."""


def run_anta(endpoints: Endpoints, secrets: SecretStore, devices: Iterable[str],
             catalog: dict[str, Any], *, timeout: float = 600.0) -> list[Result]:
    """``anta nrfu`` over ``devices`` (and the CVX server when the catalog has CVX tests), one
    run per set of credentials (ANTA's are global; the CVX appliance may have its own). A device
    ANTA could not reach gives no results at all: it is reported as an ``error`` row, never
    silently left out."""
    groups: dict[tuple[Any, ...], dict[str, tuple[str, int]]] = {}
    creds: dict[tuple[Any, ...], Any] = {}
    named = [(n, endpoints.fabric.device(n)) for n in devices]
    if "anta.tests.cvx" in catalog:
        if endpoints.cvx is None or endpoints.cvx.host is None:
            raise NrfuError("the catalog checks CVX connections, but the endpoints file has no cvx section")
        merged = {**endpoints.fabric.defaults.model_dump(), **endpoints.cvx.model_dump(exclude_unset=True)}
        cvx = type(endpoints.cvx).model_validate(merged)
        named.append((CVX_HOST, cvx))
    for name, ep in named:
        if ep.host is None:
            raise NrfuError(f"the endpoints file has no address for switch {name}")
        if ep.username is None or ep.password is None:
            raise NrfuError(f"the endpoints file has no credentials for {name}")
        key = (ep.username, ep.password.describe(), ep.ca_file, ep.verify)
        groups.setdefault(key, {})[name] = (ep.host, ep.port or 443)
        creds[key] = ep
    out: list[Result] = []
    for key, hosts in groups.items():
        out += _anta(endpoints, secrets, creds[key], hosts, catalog, timeout)
    seen = {r.device for r in out}
    silent = ["ANTA returned no result for this device (not reachable, or login refused)"]
    out += [Result(name, "reachable", "error", silent) for name, _ in named if name not in seen]
    return out


def _anta(endpoints: Endpoints, secrets: SecretStore, ep: Any, hosts: dict[str, tuple[str, int]],
          catalog: dict[str, Any], timeout: float) -> list[Result]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTA_")}
    env.update(ANTA_USERNAME=ep.username, ANTA_PASSWORD=secrets.get(ep.password))
    if ep.ca_file:
        env["SSL_CERT_FILE"] = str(endpoints.path(ep.ca_file))
    anta = Path(sys.executable).with_name("anta")
    with tempfile.TemporaryDirectory(prefix="i2-nrfu-") as tmp:
        inv, cat, out = Path(tmp, "inventory.yml"), Path(tmp, "catalog.yml"), Path(tmp, "results.json")
        inv.write_text(yaml.safe_dump(anta_inventory(hosts, verify=bool(ep.verify))))
        cat.write_text(yaml.safe_dump(catalog))
        proc = subprocess.run([str(anta), "nrfu", "--inventory", str(inv), "--catalog", str(cat),
                               "--ignore-status", "json", "--output", str(out)],
                              env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise NrfuError(f"anta nrfu exited {proc.returncode}: {' '.join(tail) or 'no output'}")
        rows = json.loads(out.read_text())
    return [Result(str(r.get("name")), str(r.get("test")), str(r.get("result")),
                   list(r.get("messages") or [])) for r in rows]
