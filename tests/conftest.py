"""Suite-wide: modules marked ``slow`` (a twin brought up, runs of minutes) are collected first,
longest first (``pytest.mark.slow(seconds)``: a rough figure from ``--durations``), so that
pytest-xdist (``--dist loadfile``) starts them first and the short files fill in around them,
instead of a long file starting last and running alone at the end.

``pytest.mark.needs_root(reason)``: the twin's ZTP runs switches in mount namespaces, which need
root. Without root a test so marked is skipped on a developer's machine, but fails under ``CI``:
a test that cannot run there must not pass by hiding."""

from __future__ import annotations

import os

import pytest

from tests.unavailable import unavailable


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    mark = item.get_closest_marker("needs_root")
    if mark is None or os.geteuid() == 0:
        return
    why = mark.args[0] if mark.args else "needs root"
    unavailable(why)


def _weight(item: pytest.Item) -> float:
    mark = item.get_closest_marker("slow")
    if mark is None:
        return -1.0
    return float(mark.args[0]) if mark.args else 0.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    order = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (-_weight(item), order[id(item)]))
