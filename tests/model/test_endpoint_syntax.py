"""parse_endpoint: the ACL endpoint syntax of application rules and the common Nuage ACL."""

from __future__ import annotations

import re

import pytest

from lifecycle.model.schema import parse_endpoint


@pytest.mark.parametrize(("text", "parsed"), [
    ("any", ("any", "")),
    ("external", ("external", "")),
    ("app:billing", ("app", "billing")),
    ("zone:billing-zone", ("zone", "billing-zone")),
    ("macro:corp-users", ("macro", "corp-users")),
    ("pg:ops_v2.1", ("pg", "ops_v2.1")),
    ("subnet:billing/prd/a", ("subnet", "billing/prd/a")),
    ("subnet:billing/qa/b", ("subnet", "billing/qa/b")),
])
def test_valid_endpoints(text: str, parsed: tuple[str, str]):
    assert parse_endpoint(text) == parsed


@pytest.mark.parametrize(("text", "message"), [
    ("", "is not an ACL endpoint"),
    ("ANY", "is not an ACL endpoint"),
    ("app:", "is not an ACL endpoint"),
    ("app billing", "is not an ACL endpoint"),
    ("host:db1", "is not an ACL endpoint"),
    ("macro:corp users", "is not an ACL endpoint"),
    ("app:billing ", "is not an ACL endpoint"),
    ("subnet:billing/prd", "must be subnet:APP/ENV/a or /b"),
    ("subnet:billing/prd/c", "must be subnet:APP/ENV/a or /b"),
    ("subnet:billing/prd/a/b", "must be subnet:APP/ENV/a or /b"),
])
def test_invalid_endpoints(text: str, message: str):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_endpoint(text)
