"""What an operator's own hpOneView script reads from any appliance, whatever i2 uses: every
collection the SDK addresses answers a page (empty where the estate has none), and the
appliance-wide resources (login details, users, roles, ID pools, node information, schemas)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from hpOneView.exceptions import HPOneViewException
from hpOneView.oneview_client import OneViewClient

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.oneview import OneViewEmulator
from lifecycle.lab.oneview.power import InMemoryPower
from tests.lab.oneview.conftest import raw, server

# hpOneView classes whose get_all() does not read a plain collection (certificates_server GETs
# /rest/certificates, which the appliance answers with the server certificate's own resource).
_NOT_COLLECTIONS = {"certificates_server"}


def _collection_clients(ov: OneViewClient) -> dict[str, Any]:
    found = {}
    for name, _ in inspect.getmembers(OneViewClient, lambda m: isinstance(m, property)):
        obj = getattr(ov, name)
        if hasattr(obj, "get_all") and name not in _NOT_COLLECTIONS:
            found[name] = obj
    return found


@pytest.fixture
def emu(emu_factory: Callable[..., OneViewEmulator]) -> OneViewEmulator:
    return emu_factory([server(1), server(2)])


def test_every_collection_of_the_sdk_answers_a_page(
    emu: OneViewEmulator, connect: Callable[..., Any]
) -> None:
    ov = connect(emu)
    clients = _collection_clients(ov)
    assert len(clients) > 50  # the SDK's whole surface, not a hand-picked few
    results = {name: obj.get_all() for name, obj in clients.items()}
    assert all(isinstance(r, list) for r in results.values())
    # Only what the estate holds has members; the rest is empty, never an error.
    assert len(results["server_hardware"]) == 2
    assert results["enclosures"] == results["fc_networks"] == results["alerts"] == results["events"] == []
    assert (
        results["labels"] == results["scopes"] == results["storage_systems"] == results["uplink_sets"] == []
    )


def test_empty_collection_has_the_appliance_page_shape(
    emu: OneViewEmulator, tls: TlsFiles, connect: Callable[..., Any]
) -> None:
    session = connect(emu).connection.get_session_id()
    status, page = raw(emu, tls, "GET", "/rest/enclosures?start=0&count=-1", session=session)
    assert status == 200
    assert page["members"] == [] and page["count"] == 0 and page["total"] == 0 and page["start"] == 0
    assert page["prevPageUri"] is None and page["nextPageUri"] is None
    assert page["uri"].startswith("/rest/enclosures?") and page["type"].startswith("Enclosure")
    # A member of an empty collection is the appliance's RESOURCE_NOT_FOUND, as for any other.
    status, body = raw(emu, tls, "GET", "/rest/enclosures/0000-missing", session=session)
    assert (status, body["errorCode"]) == (404, "RESOURCE_NOT_FOUND")
    status, body = raw(emu, tls, "DELETE", "/rest/fc-networks/0000-missing", session=session)
    assert (status, body["errorCode"]) == (404, "RESOURCE_NOT_FOUND")
    # A bad filter is still refused, empty or not.
    status, body = raw(emu, tls, "GET", "/rest/alerts?filter=%22severity%20~%20'x'%22", session=session)
    assert status == 400


def test_login_details_need_no_session(emu: OneViewEmulator, tls: TlsFiles) -> None:
    status, body = raw(emu, tls, "GET", "/rest/logindetails")
    assert status == 200
    assert body["allowLocalLogin"] is True
    assert body["defaultLoginDomain"]["name"] == "LOCAL"
    assert [d["name"] for d in body["loginDomainsList"]] == ["LOCAL"]
    status, _ = raw(emu, tls, "GET", "/rest/alerts")
    assert status == 401  # everything else still wants a session


def test_users_roles_and_node_information(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    ov = connect(emu)
    assert ov.login_details.get_login_details()["allowLocalLogin"] is True
    users = ov.users.get_all()
    assert [u["userName"] for u in users] == ["administrator"]
    assert users[0]["permissions"] == [{"roleName": "Infrastructure administrator", "scopeUri": None}]
    assert ov.users.get_by("userName", "administrator")["enabled"] is True
    roles = {r["name"] for r in ov.roles.get_all()}
    assert {"Infrastructure administrator", "Read only", "Server administrator"} <= roles
    assert ov.roles.get("Read only")["uri"] == "/rest/roles/Read only"
    with pytest.raises(HPOneViewException) as exc:
        ov.roles.get("Root")
    assert exc.value.oneview_response["errorCode"] == "RESOURCE_NOT_FOUND"
    version = ov.appliance_node_information.get_version()
    assert version["softwareVersion"].startswith(f"{version['major']}.{version['minor']}.")
    # The release is the one whose API the appliance serves: currentVersion 2000 is OneView 5.40.
    assert ov.versions.get_version()["currentVersion"] == 2000
    assert (version["major"], version["minor"]) == ("5", "40")
    assert ov.appliance_node_information.get_status()["status"] == "OK"
    locale = ov.appliance_time_and_locale_configuration.get()
    assert locale["timezone"] == "UTC"


@pytest.mark.parametrize(("pool", "size"), [("vmac", 1048576), ("vwwn", 1048576), ("vsn", 46656)])
def test_id_pools(emu: OneViewEmulator, connect: Callable[..., Any], pool: str, size: int) -> None:
    ov = connect(emu)
    doc = ov.id_pools.get(pool)
    assert (doc["poolType"], doc["enabled"], doc["totalCount"], doc["freeCount"]) == (
        pool.upper(),
        True,
        size,
        size,
    )
    (range_uri,) = doc["rangeUris"]
    ranges = {"vmac": ov.id_pools_vmac_ranges, "vwwn": ov.id_pools_vwwn_ranges, "vsn": ov.id_pools_vsn_ranges}
    rng = ranges[pool].get(range_uri)
    assert rng["rangeCategory"] == "GENERATED" and rng["totalCount"] == size
    assert ov.id_pools.generate(pool)["idList"] == [rng["startAddress"]]


def test_ipv4_pool_has_no_ranges_until_a_subnet_exists(
    emu: OneViewEmulator, connect: Callable[..., Any]
) -> None:
    ov = connect(emu)
    assert ov.id_pools.get("ipv4")["rangeUris"] == []
    assert ov.id_pools_ipv4_subnets.get_all() == []
    with pytest.raises(HPOneViewException) as exc:
        ov.id_pools.generate("ipv4")
    assert exc.value.oneview_response["errorCode"] == "ID_POOL_NO_RANGES"


def test_schemas(emu: OneViewEmulator, connect: Callable[..., Any]) -> None:
    ov = connect(emu)
    drivers = ov.firmware_drivers.get_schema()
    assert drivers["$schema"].startswith("http://json-schema.org/")
    assert drivers["properties"]["baselineShortName"]["type"] == "string"  # from a baseline the twin holds
    assert ov.connection.get("/rest/server-hardware/schema")["properties"]["memoryMb"]["type"] == "integer"
    # A collection the estate has none of still describes the fields every resource has.
    enclosures = ov.connection.get("/rest/enclosures/schema")
    assert enclosures["properties"]["uri"]["required"] is True


class _DeadIlo(InMemoryPower):
    def get(self, spec: Any) -> Any:
        if spec.name == "c01-s02":
            raise TimeoutError("iLO does not answer")
        return super().get(spec)


def test_alerts_name_a_server_whose_ilo_does_not_answer(
    emu_factory: Callable[..., OneViewEmulator], connect: Callable[..., Any]
) -> None:
    emu = emu_factory([server(1), server(2)], power=_DeadIlo())
    ov = connect(emu)
    (alert,) = ov.alerts.get_all()
    sh = ov.server_hardware.get_by_name("C01 S02")
    assert (alert["alertState"], alert["severity"], alert["resourceUri"]) == (
        "Active",
        "Critical",
        sh.data["uri"],
    )
    assert sh.data["powerState"] == "Unknown"
    assert ov.alerts.get(alert["uri"])["description"].endswith("at 10.1.0.2.")
    assert ov.alerts.get_all(filter="severity='Warning'") == []


def test_internal_ca_is_the_one_the_appliance_certificate_chains_to(
    emu: OneViewEmulator, tls: TlsFiles, connect: Callable[..., Any]
) -> None:
    (ca,) = connect(emu).certificate_authority.get()["members"]
    assert ca["certificateDetails"]["base64Data"] == tls.ca.read_text()
