"""The ANTA inventory and catalog for the test fabric, derived from its cabling plan and design.

TLS: ANTA 1.10 verifies eAPI certificates when a host's inventory entry has
``ssl_params: {verify: true}``; the CA bundle comes from ``SSL_CERT_FILE`` (HTTPX reads it because
``trust_env`` is on by default). ANTA's ``--insecure`` is about SSH host keys, not TLS, and is not used.
"""

from __future__ import annotations

from typing import Any

from lifecycle.lab.eos import Fabric
from tests.lab.eos.conftest import CABLES, VERSION

DOMAIN = "ie1.example.net"
SPINES = ["ie1-spine1", "ie1-spine2"]
LEAVES = ["c01-leaf1", "c01-leaf2"]
PEERS = {  # BGP peers per switch, from the rack design (/31 uplinks, MLAG peer subnet)
    "ie1-spine1": ["10.254.0.9", "10.254.0.13"],
    "ie1-spine2": ["10.254.0.11", "10.254.0.15"],
    "c01-leaf1": ["10.254.0.8", "10.254.0.10", "10.254.255.3"],
    "c01-leaf2": ["10.254.0.12", "10.254.0.14", "10.254.255.2"],
}


def inventory(fab: Fabric, *, session_auth: str | None = None) -> dict[str, Any]:
    """ANTA inventory input: one host per switch, HTTPS on the switch's port, certificate verified."""
    hosts = []
    for name, sw in fab.switches.items():
        role = "cvx" if name.endswith("cvx1") else ("spine" if "spine" in name else "leaf")
        hosts.append(
            {
                "name": name,
                "host": "127.0.0.1",
                "port": sw.https_port,
                "tags": [name, role],
                "use_session_auth": name == session_auth,
                "ssl_params": {"verify": True, "check_hostname": True},
            }
        )
    return {"anta_inventory": {"hosts": hosts}}


def lldp_neighbors(name: str) -> list[dict[str, str]]:
    """What the cabling plan says ``name`` should see on each switch-facing port."""
    out = []
    for link in CABLES:
        for (dev, port), (far, far_port) in (link.ends(), link.ends()[::-1]):
            if dev == name and far in SPINES + LEAVES:
                out.append({"port": port, "neighbor_device": f"{far}.{DOMAIN}", "neighbor_port": far_port})
    return out


def _on(*tags: str) -> dict[str, Any]:
    return {"filters": {"tags": list(tags)}}


def catalog() -> dict[str, Any]:
    lldp = [{"VerifyLLDPNeighbors": {"neighbors": lldp_neighbors(n), **_on(n)}} for n in SPINES + LEAVES]
    specific = [
        {
            "VerifyBGPSpecificPeers": {
                "address_families": [{"afi": "ipv4", "safi": "unicast", "peers": PEERS[n]}],
                **_on(n),
            }
        }
        for n in SPINES + LEAVES
    ]
    intf_leaf = [
        {"name": n, "status": "up"}
        for n in (
            "Ethernet49/1",
            "Ethernet50/1",
            "Ethernet55/1",
            "Ethernet56/1",
            "Port-Channel1000",
            "Vlan4094",
            "Loopback0",
        )
    ]
    intf_spine = [{"name": n, "status": "up"} for n in ("Ethernet3/3", "Ethernet3/4", "Loopback0")]
    physical = ("spine", "leaf")
    return {
        "anta.tests.software": [{"VerifyEOSVersion": {"versions": [VERSION]}}],
        "anta.tests.services": [
            {"VerifyHostname": {"hostname": n, **_on(n)}} for n in [*SPINES, *LEAVES, "ie1-cvx1"]
        ],
        "anta.tests.system": [
            {"VerifyReloadCause": None},
            {"VerifyMemoryUtilization": None},
            {"VerifyCoredump": None},
            {"VerifyNTP": _on(*physical)},
        ],
        "anta.tests.configuration": [{"VerifyZeroTouch": None}, {"VerifyRunningConfigDiffs": None}],
        "anta.tests.hardware": [
            {"VerifyTemperature": _on(*physical)},
            {"VerifyEnvironmentSystemCooling": _on(*physical)},
            {"VerifyEnvironmentCooling": {"states": ["ok"], **_on(*physical)}},
            {"VerifyEnvironmentPower": {"states": ["ok"], **_on(*physical)}},
            {"VerifyInventory": _on(*physical)},
            {
                "VerifyTransceiversManufacturers": {
                    "manufacturers": ["Arista Networks"],
                    "allow_not_present": True,
                    **_on(*physical),
                }
            },
            {"VerifyModuleStatus": _on("spine")},
        ],
        "anta.tests.mlag": [
            {"VerifyMlagStatus": _on("leaf")},
            {"VerifyMlagInterfaces": _on("leaf")},
            {"VerifyMlagConfigSanity": _on("leaf")},
        ],
        "anta.tests.connectivity": lldp,
        "anta.tests.routing.bgp": [
            {
                "VerifyBGPPeersHealth": {
                    "address_families": [{"afi": "ipv4", "safi": "unicast"}],
                    **_on(*physical),
                }
            },
            {
                "VerifyBGPPeerCount": {
                    "address_families": [
                        {"afi": "ipv4", "safi": "unicast", "num_peers": 2, "check_peer_state": True}
                    ],
                    **_on("spine"),
                }
            },
            {
                "VerifyBGPPeerCount": {
                    "address_families": [
                        {"afi": "ipv4", "safi": "unicast", "num_peers": 3, "check_peer_state": True}
                    ],
                    **_on("leaf"),
                }
            },
            *specific,
        ],
        "anta.tests.interfaces": [
            {"VerifyInterfacesStatus": {"interfaces": intf_leaf, **_on("leaf")}},
            {"VerifyInterfacesStatus": {"interfaces": intf_spine, **_on("spine")}},
            {"VerifyInterfaceErrors": _on(*physical)},
        ],
        "anta.tests.cvx": [
            {"VerifyManagementCVX": {"enabled": True, **_on("leaf")}},
            {"VerifyActiveCVXConnections": {"connections_count": 2, **_on("cvx")}},
        ],
    }
