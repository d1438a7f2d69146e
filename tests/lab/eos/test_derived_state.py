"""Operational state follows configs and cables: MLAG, BGP, LLDP, interfaces, CVX, power."""

from __future__ import annotations

import pyeapi
import pytest
from pyeapi.eapilib import ConnectionError

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.eos import Fabric
from tests.lab.eos.conftest import PASSWORD, USER, ca_context, node


def show(n: pyeapi.client.Node, cmd: str) -> dict:
    return n.enable(cmd)[0]["result"]


def test_mlag_active_then_inactive_when_the_peer_link_is_shut(fabric: Fabric, tls: TlsFiles) -> None:
    leaf1, leaf2 = node(fabric, "c01-leaf1", tls), node(fabric, "c01-leaf2", tls)
    mlag = show(leaf1, "show mlag")
    assert (mlag["state"], mlag["negStatus"], mlag["localIntfStatus"], mlag["peerLinkStatus"]) == (
        "active",
        "connected",
        "up",
        "up",
    )
    assert (mlag["domainId"], mlag["peerAddress"], mlag["peerLink"]) == (
        "c01-mlag",
        "10.254.255.3",
        "Port-Channel1000",
    )
    roles = {show(n, "show mlag detail")["detail"]["mlagState"] for n in (leaf1, leaf2)}
    assert roles == {"primary", "secondary"}

    leaf1.config(["interface Port-Channel1000", "shutdown"])
    for n in (leaf1, leaf2):  # LACP stops, so the peer's port-channel goes down as well
        mlag = show(n, "show mlag")
        assert (mlag["state"], mlag["negStatus"], mlag["peerLinkStatus"]) == (
            "inactive",
            "connecting",
            "down",
        )
    status = show(leaf2, "show interfaces Port-Channel1000 description")["interfaceDescriptions"]
    assert status["Port-Channel1000"]["lineProtocolStatus"] == "lowerLayerDown"
    assert (
        show(leaf2, "show ip bgp summary")["vrfs"]["default"]["peers"]["10.254.255.2"]["peerState"]
        == "Active"
    )

    leaf1.config(["interface Port-Channel1000", "no shutdown"])
    assert show(leaf2, "show mlag")["negStatus"] == "connected"


def test_mlag_needs_matching_domain_ids(fabric: Fabric, tls: TlsFiles) -> None:
    leaf2 = node(fabric, "c01-leaf2", tls)
    leaf2.config(["mlag configuration", "domain-id other"])
    mlag = show(node(fabric, "c01-leaf1", tls), "show mlag")
    assert (mlag["state"], mlag["negStatus"]) == ("active", "connecting")
    leaf2.config(["no mlag configuration"])
    assert show(leaf2, "show mlag")["state"] == "disabled"


def test_bgp_established_with_prefixes_then_active_when_a_neighbor_is_removed(
    fabric: Fabric, tls: TlsFiles
) -> None:
    leaf1, spine1 = node(fabric, "c01-leaf1", tls), node(fabric, "ie1-spine1", tls)
    peers = show(leaf1, "show ip bgp summary")["vrfs"]["default"]["peers"]
    assert {ip: p["peerState"] for ip, p in peers.items()} == {
        "10.254.0.8": "Established",
        "10.254.0.10": "Established",
        "10.254.255.3": "Established",
    }
    assert peers["10.254.0.8"]["asn"] == "65000" and peers["10.254.0.8"]["description"] == "ie1-spine1"
    # spine1 sends its loopback; leaf2 sends its own and both spines' (iBGP carries eBGP routes).
    assert (peers["10.254.0.8"]["prefixReceived"], peers["10.254.255.3"]["prefixAccepted"]) == (1, 3)
    assert peers["10.254.0.8"]["inMsgQueue"] == peers["10.254.0.8"]["outMsgQueue"] == 0
    routes = show(leaf1, "show ip route")["vrfs"]["default"]["routes"]
    assert routes["10.255.0.1/32"]["routeType"] == "eBGP"
    assert routes["10.255.0.1/32"]["vias"] == [{"nexthopAddr": "10.254.0.8", "interface": "Ethernet49/1"}]

    spine1.config(["router bgp 65000", "no neighbor 10.254.0.9"])
    peers = show(leaf1, "show bgp summary vrf all")["vrfs"]["default"]["peers"]
    assert peers["10.254.0.8"]["peerState"] == "Active"
    assert peers["10.254.0.10"]["peerState"] == "Established"
    assert "10.254.0.9" not in show(spine1, "show ip bgp summary")["vrfs"]["default"]["peers"]
    neighbors = show(leaf1, "show bgp neighbors vrf all")["vrfs"]["default"]["peerList"]
    lost = next(p for p in neighbors if p["peerAddress"] == "10.254.0.8")
    assert lost["state"] == "Active" and lost["neighborCapabilities"]["multiprotocolCaps"]["ipv4Unicast"] == {
        "advertised": True,
        "received": False,
        "enabled": False,
    }


def test_bgp_asn_mismatch_keeps_the_session_down(fabric: Fabric, tls: TlsFiles) -> None:
    leaf2 = node(fabric, "c01-leaf2", tls)
    leaf2.config(["router bgp 65102", "neighbor 10.254.0.14 remote-as 65999"])
    peers = show(leaf2, "show ip bgp summary")["vrfs"]["default"]["peers"]
    assert peers["10.254.0.14"]["peerState"] == "Active"
    assert peers["10.254.0.12"]["peerState"] == "Established"


def test_lldp_follows_cables_lldp_run_and_shutdown(fabric: Fabric, tls: TlsFiles) -> None:
    leaf1, spine2 = node(fabric, "c01-leaf1", tls), node(fabric, "ie1-spine2", tls)
    rows = show(leaf1, "show lldp neighbors")["lldpNeighbors"]
    assert {
        "port": "Ethernet50/1",
        "neighborDevice": "ie1-spine2.ie1.example.net",
        "neighborPort": "Ethernet3/3",
        "ttl": 120,
    } in rows
    detail = show(leaf1, "show lldp neighbors detail")["lldpNeighbors"]
    info = detail["Ethernet50/1"]["lldpNeighborInfo"][0]
    assert info["neighborInterfaceInfo"]["interfaceId_v2"] == "Ethernet3/3"
    assert info["neighborInterfaceInfo"]["interfaceDescription"] == "c01-leaf1_Ethernet50/1"
    assert detail["Ethernet10"]["lldpNeighborInfo"] == []
    spine2.config(["no lldp run"])
    assert "Ethernet50/1" not in {r["port"] for r in show(leaf1, "show lldp neighbors")["lldpNeighbors"]}
    spine2.config(["lldp run", "interface Ethernet3/3", "shutdown"])
    status = show(leaf1, "show interfaces Ethernet50/1 status")["interfaceStatuses"]["Ethernet50/1"]
    assert (status["linkStatus"], status["lineProtocolStatus"]) == ("notconnect", "down")
    assert (
        show(spine2, "show interfaces description")["interfaceDescriptions"]["Ethernet3/3"]["interfaceStatus"]
        == "adminDown"
    )
    fabric.uncable("c01-leaf1:Ethernet49/1")
    status = show(leaf1, "show interfaces status")["interfaceStatuses"]["Ethernet49/1"]
    assert (status["linkStatus"], status["interfaceType"]) == ("notconnect", "Not Present")


def test_cvx_registration_both_sides(fabric: Fabric, tls: TlsFiles) -> None:
    leaf1, cvx = node(fabric, "c01-leaf1", tls), node(fabric, "ie1-cvx1", tls)
    status = show(leaf1, "show management cvx")["clusterStatus"]
    assert status["enabled"] is True
    assert status["controllerStatus"]["10.0.0.5"]["connectionStatus"] == "connected"
    conns = show(cvx, "show cvx connections")["connections"]
    assert [(c["hostname"], c["switchId"]) for c in conns] == [
        ("c01-leaf1", "44:4c:a8:02:00:01"),
        ("c01-leaf2", "44:4c:a8:02:00:02"),
    ]
    cvx.config(["cvx", "shutdown"])
    assert (
        show(leaf1, "show management cvx")["clusterStatus"]["controllerStatus"]["10.0.0.5"][
            "connectionStatus"
        ]
        == "disconnected"
    )
    assert show(cvx, "show cvx")["enabled"] is False
    assert show(cvx, "show cvx connections brief")["connections"] == []


def test_a_powered_off_switch_does_not_answer_and_drops_its_links(fabric: Fabric, tls: TlsFiles) -> None:
    fabric["ie1-spine1"].power_off()
    quick = pyeapi.connect(
        transport="https",
        host="127.0.0.1",
        port=fabric["ie1-spine1"].https_port,
        username=USER,
        password=PASSWORD,
        context=ca_context(tls),
        timeout=0.3,
        return_node=True,
    )
    with pytest.raises(ConnectionError):
        quick.enable("show version")
    leaf1 = node(fabric, "c01-leaf1", tls)
    status = show(leaf1, "show interfaces Ethernet49/1 description")["interfaceDescriptions"]["Ethernet49/1"]
    assert (status["interfaceStatus"], status["lineProtocolStatus"]) == ("down", "down")
    assert (
        show(leaf1, "show ip bgp summary")["vrfs"]["default"]["peers"]["10.254.0.8"]["peerState"] == "Active"
    )
    fabric["ie1-spine1"].power_on()
    assert (
        show(leaf1, "show ip bgp summary")["vrfs"]["default"]["peers"]["10.254.0.8"]["peerState"]
        == "Established"
    )
    cause = show(node(fabric, "ie1-spine1", tls), "show reload cause")["resetCauses"][0]["description"]
    assert cause == "Reload after power cycle"


def test_eapi_disabled_closes_the_connection(fabric: Fabric, tls: TlsFiles) -> None:
    spine = node(fabric, "ie1-spine2", tls)
    assert show(spine, "show management api http-commands")["httpsServer"]["running"] is True
    spine.config(["management api http-commands", "shutdown"])
    with pytest.raises(ConnectionError):
        node(fabric, "ie1-spine2", tls).enable("show version")
    assert "Enabled:            No" in fabric["ie1-spine2"].cli("show management api http-commands")


def test_request_faults_hit_the_eos_component_only(tmp_path, tls: TlsFiles, sockets) -> None:
    from lifecycle.lab.base import parse_faults
    from tests.lab.eos.conftest import build_fabric

    fab = build_fabric(tmp_path / "flash").serve(tls=tls, faults=parse_faults("eos.reset=1", seed=3))
    try:
        with pytest.raises(ConnectionError):
            node(fab, "c01-leaf1", tls).enable("show version")
        assert show(node(fab, "ie1-cvx1", tls), "show version")["modelName"] == "vEOS"  # component "cvx"
        assert set(fab.endpoints()["c01-leaf1"]) == {"https", "http"}
    finally:
        fab.stop()


def test_an_injected_5xx_looks_like_nginx_to_pyeapi(tmp_path, tls: TlsFiles) -> None:
    from lifecycle.lab.base import parse_faults
    from tests.lab.eos.conftest import build_fabric

    fab = build_fabric(tmp_path / "flash").serve(tls=tls, faults=parse_faults("eos.http5xx=1"))
    try:
        with pytest.raises(ConnectionError, match="unable to connect to eAPI"):
            node(fab, "ie1-spine1", tls).enable("show version")
    finally:
        fab.stop()
