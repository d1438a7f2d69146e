"""The bare-metal adapter against real Ironic 39 and real sushy-tools BMCs, over HTTP.

Nothing is mocked: nodes are enrolled with openstacksdk through :class:`Baremetal`, transitions
are waited on by the shared list poller, and Ironic's answers are what the assertions read.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from lifecycle.baremetal import Baremetal, BaremetalError, NodeSpec, PortSpec, parse_capabilities
from lifecycle.lab.base.tls import TlsFiles, make_ca
from lifecycle.lab.ironic import IronicService, RedfishTiming, SushyService
from lifecycle.lab.world import ServerSpec
from tests.lab.ironic.conftest import require_venv, server


@dataclass
class Stack:
    tls: TlsFiles
    sushy: SushyService
    ironic: IronicService
    servers: list[ServerSpec]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_venv()
    work: Path = tmp_path_factory.mktemp("bm-adapter")
    tls = make_ca(work / "tls")
    servers = [server(i, f"bm-{i:02d}") for i in range(1, 5)]
    sushy = SushyService(work / "sushy", servers, tls=tls, username="twin", password="s3cret")
    ironic = IronicService(work / "ironic", redfish=RedfishTiming(connection_attempts=1))
    try:
        sushy.start()
        ironic.start()
        yield Stack(tls, sushy, ironic, servers)
    finally:
        ironic.stop()
        sushy.stop()


@pytest.fixture(scope="module")
def bm(stack: Stack) -> Baremetal:
    import openstack

    conn = openstack.connect(auth_type="none", baremetal_endpoint_override=stack.ironic.url,
                             baremetal_api_version="1.115", load_yaml_config=False,
                             load_envvars=False)
    return Baremetal(conn, interval=0.3)


def spec_for(stack: Stack, s: ServerSpec, **kw: object) -> NodeSpec:
    info = stack.sushy.driver_info(s)
    base = dict(
        name=s.name, driver="redfish", driver_info=info,
        interfaces={"boot_interface": "redfish-virtual-media", "management_interface": "redfish",
                    "power_interface": "redfish"},
        properties={"cpu_arch": "x86_64"}, resource_class="baremetal.compute",
        ports=[PortSpec(n.name, n.mac.lower(), n.name == "nic1") for n in s.nics],
        capabilities={"profile": "compute", "boot_mode": "uefi"}, root_device={"size": 447},
        automated_clean=False)
    base.update(kw)
    return NodeSpec(**base)  # type: ignore[arg-type]


def test_enroll_is_idempotent_and_creates_ports(stack: Stack, bm: Baremetal) -> None:
    s = stack.servers[0]
    first = bm.enroll(spec_for(stack, s))
    assert first["created"] and sorted(first["ports_created"]) == sorted(n.mac.lower() for n in s.nics)
    again = bm.enroll(spec_for(stack, s))
    assert again == {"uuid": first["uuid"], "created": False, "updated": [], "ports_created": [],
                     "skipped": []}
    ports = {p.address: p.is_pxe_enabled for p in bm.ports(first["uuid"])}
    assert ports == {s.nics[0].mac.lower(): True, s.nics[1].mac.lower(): False}
    node = bm.require(s.name)
    assert node.driver_info["redfish_password"] == "******"  # Ironic masks it; we never read it back
    assert node.is_automated_clean_enabled is False


def test_enroll_reconciles_a_changed_bmc_address(stack: Stack, bm: Baremetal) -> None:
    s = stack.servers[1]
    spec = spec_for(stack, s)
    bm.enroll(spec)
    moved = spec_for(stack, s, driver_info={**spec.driver_info, "redfish_system_id": "/redfish/v1/Systems/x"})
    out = bm.enroll(moved)
    assert out["updated"] == ["driver_info/redfish_system_id"]
    assert bm.require(s.name).driver_info["redfish_system_id"] == "/redfish/v1/Systems/x"
    bm.enroll(spec)  # back, for the other tests


def test_mac_of_another_node_is_refused_with_its_owner(stack: Stack, bm: Baremetal) -> None:
    a, b = stack.servers[0], stack.servers[2]
    owner = bm.enroll(spec_for(stack, a))["uuid"]
    clash = spec_for(stack, b, ports=[PortSpec("nic1", a.nics[0].mac.lower(), True)])
    with pytest.raises(BaremetalError) as exc:
        bm.enroll(clash)
    mac = a.nics[0].mac.lower()
    assert f"nic1 MAC {mac} is already enrolled (it belongs to node {owner})" in str(exc.value)
    assert not exc.value.transient


def test_manage_tag_provide_many_nodes_with_one_poller(stack: Stack, bm: Baremetal) -> None:
    names = [s.name for s in stack.servers[:2]] + [stack.servers[3].name]
    for s in (stack.servers[0], stack.servers[1], stack.servers[3]):
        bm.enroll(spec_for(stack, s))
    calls0 = bm.watcher.calls
    with ThreadPoolExecutor(len(names)) as pool:
        states = list(pool.map(lambda n: bm.manage(n, timeout=120)["provision_state"], names))
    assert states == ["manageable"] * 3
    polls = bm.watcher.calls - calls0
    # Three waiters, one list call per tick between them: never one poll per node per tick.
    assert polls >= 1
    for i, s in enumerate((stack.servers[0], stack.servers[1], stack.servers[3])):
        changes = bm.tag(spec_for(stack, s), node_index=f"compute-{i}")
        assert f"capabilities.node=compute-{i}" in changes and "root_device={'size': 447}" in changes
        assert bm.tag(spec_for(stack, s), node_index=f"compute-{i}") == []
    assert bm.used_indices("compute") == {0: names[0], 1: names[1], 2: names[2]}
    caps = parse_capabilities(bm.require(names[0]).properties["capabilities"])
    assert caps == {"profile": "compute", "boot_mode": "uefi", "node": "compute-0"}
    with ThreadPoolExecutor(len(names)) as pool:
        states = list(pool.map(lambda n: bm.provide(n, timeout=120)["provision_state"], names))
    assert states == ["available"] * 3
    assert bm.provide(names[0])["provision_state"] == "available"  # idempotent, no transition


def test_manage_failure_names_the_error(stack: Stack, bm: Baremetal) -> None:
    s = stack.servers[2]
    spec = spec_for(stack, s, name="bm-wrong-password", ports=[],
                    driver_info={**stack.sushy.driver_info(s), "redfish_password": "wrong"})
    bm.enroll(spec)
    with pytest.raises(BaremetalError) as exc:
        bm.manage(spec.name, timeout=120)
    assert "bm-wrong-password: manage failed (still enroll)" in str(exc.value), exc.value
    assert "wrong" not in str(exc.value).replace("bm-wrong-password", "")
    assert not exc.value.transient


# -- negotiation: what i2 sends is what it negotiated, on every request ------------------------------

def capped(stack: Stack, cap: str) -> tuple[Baremetal, list[str]]:
    """``Baremetal.connect`` as the runbooks do, to this Ironic 39 as a current release capped at
    ``cap``; the list gets the version header of every request it sends from then on (a
    ``requests`` response hook on its session: nothing of the SDK is replaced)."""
    from lifecycle.model.endpoints import parse_endpoints

    ep = parse_endpoints({"ironic": {"uc": {"url": stack.ironic.url, "release": "current",
                                            "api_version": cap}}}, "endpoints.yaml")
    bm = Baremetal.connect(ep, "uc", interval=0.3)
    sent: list[str] = []
    def seen(resp: object, *args: object, **kwargs: object) -> None:
        req = resp.request  # type: ignore[attr-defined]
        sent.append(f'{req.method} {req.path_url} {req.headers.get("X-OpenStack-Ironic-API-Version")}')

    bm.conn.session.session.hooks["response"].append(seen)
    return bm, sent


def versions(sent: list[str]) -> set[str]:
    """The versions asked for, each request but the (unversioned) version documents."""
    docs = [r for r in sent if r.split(" ")[1] in ("/", "/v1", "/v1/")]
    assert all(r.endswith(" None") for r in docs), docs
    return {r.rsplit(" ", 1)[1] for r in sent if r not in docs}


def test_every_request_carries_the_negotiated_version(stack: Stack) -> None:
    bm, sent = capped(stack, "1.58")
    assert bm.info is not None and (bm.info.version, bm.info.server_max) == ("1.58", "1.115")
    assert bm.inspection == "none"  # 1.58 has no agent inspection, and no inspector without Keystone
    s = stack.servers[2]
    spec = spec_for(stack, s, name="bm-train-cap", ports=[PortSpec("nic1", "52:54:00:00:58:01", True)])
    out = bm.enroll(spec)
    assert out["created"] and out["skipped"] == []
    assert bm.manage(spec.name, timeout=120)["provision_state"] == "manageable"
    assert bm.tag(spec, node_index="capped-0")
    assert bm.used_indices("capped") == {0: spec.name}
    with pytest.raises(BaremetalError, match=r"in-band inspection by Ironic itself .* needs API 1\.84"):
        bm.inspect(spec.name)
    with pytest.raises(BaremetalError, match=r"needs API 1\.84"):
        bm.inventory(spec.name)
    assert bm.delete(spec.name)
    assert len(sent) >= 8 and versions(sent) == {"1.58"}, sent


def test_a_release_without_automated_clean_leaves_it_to_the_undercloud(stack: Stack) -> None:
    bm, sent = capped(stack, "1.46")
    spec = spec_for(stack, stack.servers[2], name="bm-rocky-cap", ports=[], automated_clean=False)
    out = bm.enroll(spec)
    assert out["skipped"] == ["automated_clean"]
    assert bm.enroll(spec)["updated"] == []  # and is not patched in either
    assert bm.delete(spec.name)
    assert versions(sent) == {"1.46"}, sent


def test_newton_refuses_what_it_lacks_naming_release_and_feature(stack: Stack) -> None:
    bm, sent = capped(stack, "1.22")
    assert bm.node("bm-nowhere") is None  # by name: 1.5
    with pytest.raises(BaremetalError) as exc:
        bm.enroll(spec_for(stack, stack.servers[2], name="bm-newton-cap", ports=[]))
    assert exc.value.message.startswith(
        "uc runs current (Ironic API 1.22, the endpoints file's api_version cap): node hardware interfaces")
    assert "needs API 1.31" in exc.value.message and not exc.value.transient
    assert bm.node("bm-newton-cap") is None  # refused before anything was created
    assert versions(sent) == {"1.22"}, sent
