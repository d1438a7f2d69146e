"""The product's release table and the negotiation it bounds (pure)."""

from __future__ import annotations

import itertools

import pytest

from lifecycle.baremetal import BaremetalError
from lifecycle.baremetal.client import negotiate
from lifecycle.baremetal.releases import RELEASES, newer, parse, release, release_for, serves


def test_the_estates_releases():
    """OSP 16 is Train (Ironic 13.0, API up to 1.58), OSP 10 Newton (6.2, up to 1.22)."""
    assert (release("train").api_max, release("train").ironic) == ("1.58", "13.0")
    assert (release("newton").api_max, release("newton").ironic) == ("1.22", "6.2")
    assert release("current").api_max == "1.115"  # the Ironic 39 the twin runs


def test_table_never_goes_back_and_names_are_unique():
    for before, after in itertools.pairwise(RELEASES):
        assert not newer(before.api_max, after.api_max), (before, after)
    names = [n for r in RELEASES for n in (r.name, *r.aliases)]
    assert len(names) == len(set(names))


def test_versions_compare_as_numbers():
    assert newer("1.100", "1.99") and not newer("1.58", "1.58")
    with pytest.raises(ValueError, match=r"MAJOR\.MINOR"):
        parse("latest")


def test_unknown_release_names_the_known_ones():
    with pytest.raises(KeyError, match=r"'trian'.*train.*releases\.py"):
        release("trian")


def test_release_of_a_server_max():
    assert release_for("1.22").name == "newton"
    assert release_for("1.23").name == "ocata"
    assert release_for("1.87").name == "bobcat"
    assert release_for("1.200") is None


def test_serves_only_its_own_range():
    train = release("train")
    assert serves(train, "1.58") and serves(train, "1.57")
    assert not serves(train, "1.56") and not serves(train, "1.59")
    assert serves(release("yoga"), "1.78")  # yoga added no API version after xena


@pytest.mark.parametrize(("rel", "cap", "low", "high", "want"), [
    ("train", None, "1.1", "1.58", "1.58"),
    ("newton", None, "1.1", "1.22", "1.22"),
    ("newton", "1.20", "1.1", "1.22", "1.20"),
    ("current", "1.81", "1.1", "1.115", "1.81"),  # an old endpoints file's api_version: a cap
    ("train", "1.81", "1.1", "1.58", "1.58"),
    (None, None, "1.1", "1.115", "1.115"),  # release not recorded: the server's range
])
def test_negotiation_takes_the_lowest(rel, cap, low, high, want):
    assert negotiate("uc", rel, cap, low, high) == want


def test_a_server_above_its_release_is_refused_naming_both():
    with pytest.raises(BaremetalError) as exc:
        negotiate("uc-new", "train", None, "1.1", "1.87")
    assert str(exc.value) == ("uc-new: the endpoints file says uc-new runs train (Ironic API up to 1.58) "
                              "but its Ironic offers up to 1.87 (bobcat): fix `release` under ironic.uc-new")
    assert not exc.value.transient


def test_a_server_older_than_its_release_is_refused():
    with pytest.raises(BaremetalError, match=r"runs train .* offers up to 1.22 \(newton\)"):
        negotiate("uc-new", "train", None, "1.1", "1.22")


def test_a_cap_below_the_server_minimum_is_refused():
    with pytest.raises(BaremetalError, match=r"cap api_version 1\.0 is below"):
        negotiate("uc", "train", "1.0", "1.1", "1.58")
