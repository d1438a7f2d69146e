"""A small fabric as in examples/ie1 rack c01: two 7504R3 spines, two 7050X3 leaves in MLAG, a CVX.

Configs are written as an engineer would (EOS config text); cabling is the rack's cabling plan.
Every switch serves eAPI over HTTPS with the twin CA and over HTTP; clients are unmodified.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyeapi
import pytest

from lifecycle.lab.base import TlsFiles, make_ca
from lifecycle.lab.eos import CVX, Fabric, Switch
from lifecycle.lab.world import Link

USER = "admin"
PASSWORD = "twin-eapi-secret"
VERSION = "4.28.3M"

SPINE = """\
hostname {name}
ip domain-name ie1.example.net
ntp server 10.40.0.1 iburst
username {user} privilege 15 role network-admin secret 0 {password}
!
service routing protocols model multi-agent
!
spanning-tree mode none
!
interface Ethernet3/3
   description c01-leaf1_{leaf_port}
   mtu 9214
   no switchport
   ip address {p1}.{a1}/31
!
interface Ethernet3/4
   description c01-leaf2_{leaf_port}
   mtu 9214
   no switchport
   ip address {p1}.{a2}/31
!
interface Loopback0
   description router-id
   ip address {loopback}/32
!
interface Management1/1
   ip address {mgmt}/24
!
ip routing
!
router bgp 65000
   router-id {loopback}
   maximum-paths 4 ecmp 4
   neighbor LEAVES peer group
   neighbor LEAVES send-community
   neighbor {p1}.{b1} peer group LEAVES
   neighbor {p1}.{b1} remote-as 65102
   neighbor {p1}.{b1} description c01-leaf1
   neighbor {p1}.{b2} peer group LEAVES
   neighbor {p1}.{b2} remote-as 65102
   neighbor {p1}.{b2} description c01-leaf2
   network {loopback}/32
!
management api http-commands
   protocol http
   no shutdown
!
end
"""

LEAF = """\
hostname {name}
ip domain-name ie1.example.net
ntp server 10.40.0.1 iburst
username {user} privilege 15 role network-admin secret 0 {password}
!
spanning-tree mode mstp
no spanning-tree vlan-id 4094
!
vlan 4094
   name MLAG_PEER
   trunk group mlagpeer
!
interface Port-Channel1000
   description MLAG peer link
   switchport mode trunk
   switchport trunk group mlagpeer
!
interface Ethernet49/1
   description ie1-spine1_Ethernet3/{spine_port}
   mtu 9214
   no switchport
   ip address 10.254.0.{u1}/31
!
interface Ethernet50/1
   description ie1-spine2_Ethernet3/{spine_port}
   mtu 9214
   no switchport
   ip address 10.254.0.{u2}/31
!
interface Ethernet55/1
   description MLAG {peer}_Ethernet55/1
   channel-group 1000 mode active
!
interface Ethernet56/1
   description MLAG {peer}_Ethernet56/1
   channel-group 1000 mode active
!
interface Loopback0
   ip address {loopback}/32
!
interface Management1
   ip address {mgmt}/24
!
interface Vlan4094
   description MLAG peer
   no autostate
   ip address 10.254.255.{me}/31
!
ip routing
!
mlag configuration
   domain-id c01-mlag
   local-interface Vlan4094
   peer-address 10.254.255.{them}
   peer-link Port-Channel1000
   reload-delay mlag 300
   reload-delay non-mlag 330
!
router bgp 65102
   router-id {loopback}
   maximum-paths 4 ecmp 4
   neighbor SPINES peer group
   neighbor SPINES remote-as 65000
   neighbor 10.254.0.{s1} peer group SPINES
   neighbor 10.254.0.{s1} description ie1-spine1
   neighbor 10.254.0.{s2} peer group SPINES
   neighbor 10.254.0.{s2} description ie1-spine2
   neighbor 10.254.255.{them} remote-as 65102
   neighbor 10.254.255.{them} next-hop-self
   neighbor 10.254.255.{them} description {peer}
   network {loopback}/32
!
management api http-commands
   protocol http
   no shutdown
!
management cvx
   no shutdown
   server host 10.0.0.5
!
end
"""

# The cabling plan of rack c01 (switch-to-switch cables), as in examples/ie1/racks/c01.yaml.
CABLES = [
    Link("c01-leaf1", "Ethernet49/1", "ie1-spine1", "Ethernet3/3"),
    Link("c01-leaf1", "Ethernet50/1", "ie1-spine2", "Ethernet3/3"),
    Link("c01-leaf2", "Ethernet49/1", "ie1-spine1", "Ethernet3/4"),
    Link("c01-leaf2", "Ethernet50/1", "ie1-spine2", "Ethernet3/4"),
    Link("c01-leaf1", "Ethernet55/1", "c01-leaf2", "Ethernet55/1"),
    Link("c01-leaf1", "Ethernet56/1", "c01-leaf2", "Ethernet56/1"),
    Link("c01-s01", "nic1", "c01-leaf1", "Ethernet1"),
    Link("c01-s01", "nic2", "c01-leaf2", "Ethernet1"),
]


def spine_config(n: int) -> str:
    base = 8 if n == 1 else 10  # spine1: .8/.12, spine2: .10/.14 (the leaf takes the odd address)
    return SPINE.format(
        name=f"ie1-spine{n}",
        user=USER,
        password=PASSWORD,
        p1="10.254.0",
        a1=base,
        a2=base + 4,
        b1=base + 1,
        b2=base + 5,
        leaf_port=f"Ethernet{48 + n}/1",
        loopback=f"10.255.0.{n}",
        mgmt=f"10.0.0.{10 + n}",
    )


def leaf_config(n: int) -> str:
    off = 0 if n == 1 else 4
    return LEAF.format(
        name=f"c01-leaf{n}",
        user=USER,
        password=PASSWORD,
        spine_port=2 + n,
        u1=9 + off,
        u2=11 + off,
        s1=8 + off,
        s2=10 + off,
        peer=f"c01-leaf{3 - n}",
        me=1 + n,
        them=4 - n,
        loopback=f"10.255.1.{2 + n}",
        mgmt=f"10.0.0.{22 + n}",
    )


def build_fabric(flash_root: Path) -> Fabric:
    spines = [
        Switch(
            f"ie1-spine{n}",
            "DCS-7504R3",
            f"JPE2011000{n}",
            f"28:99:3a:00:00:0{n}",
            mgmt_ip=f"10.0.0.{10 + n}",
            version=VERSION,
            config=spine_config(n),
            flash_dir=flash_root / f"ie1-spine{n}",
        )
        for n in (1, 2)
    ]
    leaves = [
        Switch(
            f"c01-leaf{n}",
            "DCS-7050SX3-48YC8",
            f"JPE2033020{n}",
            f"44:4c:a8:02:00:0{n}",
            mgmt_ip=f"10.0.0.{22 + n}",
            version=VERSION,
            config=leaf_config(n),
            flash_dir=flash_root / f"c01-leaf{n}",
        )
        for n in (1, 2)
    ]
    cvx = CVX(
        "ie1-cvx1",
        "SSJ17000001",
        "00:1c:73:00:cf:01",
        mgmt_ip="10.0.0.5",
        password=PASSWORD,
        version=VERSION,
        flash_dir=flash_root / "ie1-cvx1",
    )
    return Fabric([*spines, *leaves, cvx], CABLES)


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_ca(tmp_path_factory.mktemp("twin-ca"))


@pytest.fixture
def sockets() -> Iterator[Path]:
    """A short directory for unix sockets (their paths are limited to 107 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="eos-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def fabric(tmp_path: Path, tls: TlsFiles, sockets: Path) -> Iterator[Fabric]:
    fab = build_fabric(tmp_path / "flash").serve(tls=tls, unix_dir=sockets, timeout_seconds=2.0)
    yield fab
    fab.stop()


def ca_context(tls: TlsFiles) -> ssl.SSLContext:
    """What production passes to pyeapi: verify the switch certificate against the CA bundle."""
    return ssl.create_default_context(cafile=str(tls.ca))


def node(fab: Fabric, name: str, tls: TlsFiles, *, password: str = PASSWORD) -> pyeapi.client.Node:
    sw = fab[name]
    return pyeapi.connect(
        transport="https",
        host="127.0.0.1",
        port=sw.https_port,
        username=USER,
        password=password,
        context=ca_context(tls),
        timeout=10,
        return_node=True,
    )
