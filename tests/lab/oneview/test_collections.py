"""Filters and paging of OneView collections, without a server."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from lifecycle.lab.base import Request
from lifecycle.lab.oneview.collections import page
from lifecycle.lab.oneview.errors import OneViewError
from lifecycle.lab.oneview.filters import FilterError, parse_filter

DOCS = [
    {"name": "Encl1, bay 1", "powerState": "On", "memoryMb": 16384, "tags": [{"v": "a"}], "x": None},
    {"name": "Encl1, bay 2", "powerState": "Off", "memoryMb": 393216, "tags": [{"v": "b"}], "x": True},
    {"name": "rack 3", "powerState": "On", "memoryMb": 262144, "tags": [], "x": False},
]


@pytest.mark.parametrize(("text", "names"), [
    ("\"name='Encl1, bay 1'\"", ["Encl1, bay 1"]),  # hpOneView's get_by form
    ("\"'name' = 'ENCL1, BAY 2'\"", ["Encl1, bay 2"]),  # quoted field, case-insensitive value
    ("name=='rack 3'", ["rack 3"]),
    ("\"powerState<>'On'\"", ["Encl1, bay 2"]),
    ("powerState != 'Off'", ["Encl1, bay 1", "rack 3"]),
    ("\"name matches 'Encl1%'\"", ["Encl1, bay 1", "Encl1, bay 2"]),
    ("name matches 'rack_3'", ["rack 3"]),  # SQL LIKE: _ is one character
    ("name matches 'Encl1, bay \\_'", []),  # ... and \_ a literal underscore (hpOneView's get_range)
    ("name matches '%bay%' AND powerState='On'", ["Encl1, bay 1"]),
    ("name='rack 3' OR (powerState='Off' AND NOT name matches 'x%')", ["Encl1, bay 2", "rack 3"]),
    ("memoryMb >= 262144", ["Encl1, bay 2", "rack 3"]),
    ("tags.v = 'b'", ["Encl1, bay 2"]),
    ("x = null", ["Encl1, bay 1"]),
    ("x = 'true'", ["Encl1, bay 2"]),
    ("name = 'it''s'", []),
])
def test_filter(text: str, names: list[str]) -> None:
    pred = parse_filter(text)
    assert [d["name"] for d in DOCS if pred(d)] == names


@pytest.mark.parametrize("text", ["name =", "name 'x'", "(name='x'", "name='x' name='y'", "name ~ 'x'"])
def test_malformed_filter(text: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(text)


def request(query: str) -> Request:
    return Request("GET", "/rest/things", parse_qs(query, keep_blank_values=True), {}, b"")


def get(query: str, page_size: int = 2) -> dict[str, Any]:
    members = [{"name": f"n{i}", "i": i} for i in range(5)]
    return page(request(query), members, list_type="thing-list", category="things", page_size=page_size)


def test_paging_walks_every_member_once() -> None:
    seen, query = [], "start=0&count=-1"
    while query is not None:
        p = get(query)
        assert p["total"] == 5 and p["count"] == len(p["members"]) <= 2
        seen += [m["i"] for m in p["members"]]
        query = urlsplit(p["nextPageUri"]).query if p["nextPageUri"] else None
    assert seen == [0, 1, 2, 3, 4]


def test_paging_window_and_links() -> None:
    p = get("start=2&count=2", page_size=10)
    assert [m["i"] for m in p["members"]] == [2, 3]
    assert parse_qs(urlsplit(p["nextPageUri"]).query)["start"] == ["4"]
    assert parse_qs(urlsplit(p["prevPageUri"]).query)["start"] == ["0"]
    last = get("start=4&count=2", page_size=10)
    assert last["nextPageUri"] is None and last["count"] == 1
    assert get("start=0&count=2", page_size=10)["prevPageUri"] is None


def test_sort_filter_and_bad_arguments() -> None:
    p = get("sort=i:descending&filter=%22i%3E%3D1%22&filter=%22name%3C%3E%27n3%27%22", page_size=10)
    assert [m["i"] for m in p["members"]] == [4, 2, 1] and p["total"] == 3
    assert parse_qs(urlsplit(p["uri"]).query)["filter"] == ['"i>=1"', "\"name<>'n3'\""]
    with pytest.raises(OneViewError) as exc:
        get("count=many")
    assert exc.value.status == 400
