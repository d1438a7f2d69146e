"""An ANTA NRFU catalog and inventory derived from the site model, for a rack's leaf pair.

What the catalog asserts comes from intent, not from the switches: LLDP neighbours from the
cabling plan (FQDNs, as LLDP reports them), BGP peers from the /31 uplinks and the MLAG peer
subnet, the interfaces that must be up, MLAG, and CVX.

CVX: each leaf's client must be enabled (``VerifyManagementCVX``) and the CVX server must hold an
active connection from every switch that should be connected (``VerifyActiveCVXConnections`` on
the inventory host named ``cvx_server``, counting ``show cvx connections brief`` entries with
``oobConnectionActive``). ``enabled`` alone is not enough: a client can be enabled and never
connect. ANTA's client-side connection test (``VerifyMcsClientMounts``) needs the MCS service,
which this estate's CVX (``service openstack``) does not run, so the server-side count is the
stock check that reads connection state; it does not name the missing switch, which
``i2 fabric verify`` does (:func:`lifecycle.fabric.eapi.cvx_finding`).

>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> site = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")  # the repository's
>>> cat = nrfu_catalog(site, "c02")
>>> sorted(cat)
['anta.tests.connectivity', 'anta.tests.cvx', 'anta.tests.interfaces', 'anta.tests.mlag', ...]
>>> cat["anta.tests.cvx"][1]
{'VerifyActiveCVXConnections': {'connections_count': 8, 'filters': {'tags': ['cvx']}}}
"""

from __future__ import annotations

from typing import Any

from lifecycle.fabric.render import PEER_CHANNEL, ends
from lifecycle.model.schema import Cable, Site


def _on(name: str) -> dict[str, Any]:
    return {"filters": {"tags": [name]}}


def cvx_clients(site: Site, rack: str) -> list[str]:
    """The switches that should be connected to CVX while ``rack`` is verified: every spine, the
    leaves of the in-service racks and ``rack``'s own (i2 renders ``management cvx`` into all)."""
    racks = [r for r in site.racks if r.state == "in-service" or r.name == rack]
    return [s.name for s in site.spines] + [leaf.name for r in racks for leaf in r.leaves.leaves]


def nrfu_catalog(site: Site, rack: str, *, cvx: bool = True,
                 cvx_server: str = "cvx") -> dict[str, list[dict[str, Any]]]:
    """ANTA catalog (as ``AntaCatalog.from_dict`` takes it) for ``rack``'s two leaves and, with
    ``cvx``, the CVX server (the inventory host named and tagged ``cvx_server``)."""
    r = site.rack(rack)
    pair = r.leaves
    peer_ips = ends(pair.peer_subnet)
    vlan = f"Vlan{pair.peer_vlan}"
    cat: dict[str, list[dict[str, Any]]] = {
        "anta.tests.mlag": [{"VerifyMlagStatus": {"filters": {"tags": [x.name
                                                                        for x in pair.leaves]}}}],
        "anta.tests.connectivity": [], "anta.tests.routing.bgp": [], "anta.tests.interfaces": [],
    }
    for i, leaf in enumerate(pair.leaves):
        ports = [u.port for u in leaf.uplinks] + list(pair.peer_link)
        neighbors = []
        for port in ports:
            peer = site.peer_of(f"{leaf.name}:{port}")
            if peer is None:
                continue
            device, far_port = Cable.split(peer)
            neighbors.append({"port": port, "neighbor_device": f"{device}.{site.site.domain}",
                              "neighbor_port": far_port})
        peers = [ends(u.subnet)[1] for u in leaf.uplinks] + [peer_ips[1 - i]]
        up = [*ports, f"Port-Channel{PEER_CHANNEL}", vlan, "Loopback0"]
        cat["anta.tests.connectivity"].append(
            {"VerifyLLDPNeighbors": {"neighbors": neighbors, **_on(leaf.name)}})
        cat["anta.tests.routing.bgp"].append({"VerifyBGPSpecificPeers": {
            "address_families": [{"afi": "ipv4", "safi": "unicast", "peers": peers}],
            **_on(leaf.name)}})
        cat["anta.tests.interfaces"].append({"VerifyInterfacesStatus": {
            "interfaces": [{"name": n, "status": "up"} for n in up], **_on(leaf.name)}})
    if cvx:  # the connection state is read on the server: see the module docstring
        cat["anta.tests.cvx"] = [
            {"VerifyManagementCVX": {"enabled": True, "filters": {"tags": [x.name for x in pair.leaves]}}},
            {"VerifyActiveCVXConnections": {"connections_count": len(cvx_clients(site, rack)),
                                            **_on(cvx_server)}}]
    return cat


def anta_inventory(hosts: dict[str, tuple[str, int]], *, verify: bool = True) -> dict[str, Any]:
    """ANTA inventory for ``{name: (host, port)}``, each tagged with its name.

    ANTA verifies eAPI certificates only with ``ssl_params.verify``; the CA comes from the
    ``SSL_CERT_FILE`` environment variable of the process that runs it.
    """
    return {"anta_inventory": {"hosts": [
        {"name": name, "host": host, "port": port, "tags": [name],
         "ssl_params": {"verify": verify, "check_hostname": verify}}
        for name, (host, port) in hosts.items()]}}
