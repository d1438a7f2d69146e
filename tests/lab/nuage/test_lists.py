"""Lists through vspk's fetchers: every filter predicate, paging, count() (HEAD), ordering, and the
empty list as bambou needs it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bambou.exceptions import BambouHTTPError
from vspk import v6 as vsdk

from lifecycle.lab.base import TlsFiles
from lifecycle.lab.nuage import VsdEmulator
from tests.lab.nuage.conftest import PASSWORD, Raw, session


@pytest.fixture(scope="module")
def twelve(tls: TlsFiles) -> Iterator[tuple[VsdEmulator, vsdk.NUVSDSession]]:
    """One emulator with twelve enterprises for the read-only tests of this module."""
    with VsdEmulator(password=PASSWORD, tls=tls) as vsd:
        s = session(vsd, tls.ca)
        for i in range(12):
            s.user.create_child(vsdk.NUEnterprise(
                name=f"e{i:02d}", description="blue team" if i % 3 == 0 else "red team",
                external_id=f"np-{i}@{'cms-a' if i < 5 else 'cms-b'}", floating_ips_quota=i * 10,
                allow_gateway_management=i % 2 == 0))
        yield vsd, s


@pytest.fixture
def enterprises(twelve: tuple[VsdEmulator, vsdk.NUVSDSession]) -> vsdk.NUMe:
    return twelve[1].start().user  # bambou talks through the current session: make it this one


@pytest.fixture
def raw12(twelve: tuple[VsdEmulator, vsdk.NUVSDSession], tls: TlsFiles) -> Raw:
    return Raw(twelve[0], tls.ca)


def names(objs: list) -> list[str]:
    return sorted(o.name for o in objs)


@pytest.mark.parametrize("expr,expected", [
    ('name == "e03"', ["e03"]),
    ("name = 'e03'", ["e03"]),
    ("name IS 'e04'", ["e04"]),
    ("name is 'e04'", ["e04"]),
    ("description CONTAINS 'blue'", ["e00", "e03", "e06", "e09"]),
    ("name BEGINSWITH 'e1'", ["e10", "e11"]),
    ("externalID ENDSWITH '@cms-a'", ["e00", "e01", "e02", "e03", "e04"]),
    ("name IN {\"e01\", \"e07\"}", ["e01", "e07"]),
    ("floatingIPsQuota >= 90", ["e09", "e10", "e11"]),
    ("floatingIPsQuota < 20 or name == 'e11'", ["e00", "e01", "e11"]),
    ("allowGatewayManagement == true and floatingIPsQuota > 60", ["e08", "e10"]),
    ("(name == 'e01' or name == 'e02') and externalID ENDSWITH '@cms-a'", ["e01", "e02"]),
    ("not (externalID ENDSWITH '@cms-a') and description CONTAINS 'blue'", ["e06", "e09"]),
    ("ID IS NOT null and customerID IS null and name BEGINSWITH 'e0'",
     ["e00", "e01", "e02", "e03", "e04", "e05", "e06", "e07", "e08", "e09"]),
    ("description == 'blue team'", ["e00", "e03", "e06", "e09"]),
    ("blue", ["e00", "e03", "e06", "e09"]),  # plain text: a search, not a predicate
])
def test_filter_predicates(enterprises: vsdk.NUMe, expr: str, expected: list[str]) -> None:
    assert names(enterprises.enterprises.get(filter=expr)) == expected


def test_not_equal_and_count_with_filter(enterprises: vsdk.NUMe) -> None:
    assert len(enterprises.enterprises.get(filter="name != 'e00'")) == 11
    assert enterprises.enterprises.get_count(filter="externalID ENDSWITH '@cms-b'") == 7
    assert enterprises.enterprises.get_count() == 12


def test_bad_filters_are_400(enterprises: vsdk.NUMe, raw12: Raw) -> None:
    for expr in ("nosuchattribute == 'x'", "name == ", "(name == 'x'"):
        with pytest.raises(BambouHTTPError) as exc:
            enterprises.enterprises.get(filter=expr)
        assert exc.value.connection.response.status_code == 400
    # A predicate is required when the client says so (the Nuage plugin always does).
    resp = raw12.call("GET", "/enterprises", headers={"X-Nuage-Filter": "blue",
                                                      "X-Nuage-FilterType": "predicate"})
    assert resp.status_code == 400 and resp.json()["errors"]


def test_paging_headers_and_count(enterprises: vsdk.NUMe, raw12: Raw) -> None:
    fetcher = enterprises.enterprises
    page0 = fetcher.get(page=0, page_size=5, order_by="name")
    page2 = fetcher.get(page=2, page_size=5, order_by="name")
    assert [e.name for e in page0] == ["e00", "e01", "e02", "e03", "e04"]
    assert [e.name for e in page2] == ["e10", "e11"]
    assert fetcher.get(page=3, page_size=5) == []
    fetcher.fetch(page=1, page_size=5)
    assert (fetcher.current_total_count, fetcher.current_page) == (12, 1)
    assert enterprises.enterprises.get_first(filter="name BEGINSWITH 'e1'", order_by="name").name == "e10"
    resp = raw12.call("HEAD", "/enterprises", headers={"X-Nuage-Filter": "name BEGINSWITH 'e0'"})
    assert resp.status_code == 200 and resp.headers["X-Nuage-Count"] == "10" and not resp.content
    resp = raw12.call("GET", "/enterprises", headers={"X-Nuage-Page": "1", "X-Nuage-PageSize": "4",
                                                      "X-Nuage-OrderBy": "name DESC"})
    assert [e["name"] for e in resp.json()] == ["e07", "e06", "e05", "e04"]
    paging = ("X-Nuage-Page", "X-Nuage-PageSize", "X-Nuage-Count")
    assert tuple(resp.headers[h] for h in paging) == ("1", "4", "12")


def test_default_page_is_fifty(me: vsdk.NUMe) -> None:
    ent = vsdk.NUEnterprise(name="many")
    me.create_child(ent)
    for i in range(52):  # plus the three default groups
        ent.create_child(vsdk.NUGroup(name=f"g{i:02d}"))
    assert len(ent.groups.get()) == 50  # get() does not page by itself
    assert ent.groups.get_count() == 55
    assert len(ent.groups.get(page=1)) == 5


def test_ordering(enterprises: vsdk.NUMe) -> None:
    got = enterprises.enterprises.get(order_by="description, name DESC")
    assert [e.name for e in got][:5] == ["e09", "e06", "e03", "e00", "e11"]
    with pytest.raises(BambouHTTPError):
        enterprises.enterprises.get(order_by="nosuch")


def test_empty_list_is_200_with_empty_body(vsd: VsdEmulator, raw: Raw, me: vsdk.NUMe) -> None:
    resp = raw.call("GET", "/enterprises")
    assert resp.status_code == 200 and resp.content == b"" and resp.headers["X-Nuage-Count"] == "0"
    assert me.enterprises.get() == []  # not None: a 204 would make bambou return None
