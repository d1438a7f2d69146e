"""Suite-wide: modules marked ``slow`` (a twin brought up, runs of minutes) are collected first,
longest first (``pytest.mark.slow(seconds)``: a rough figure from ``--durations``), so that
pytest-xdist (``--dist loadfile``) starts them first and the short files fill in around them,
instead of a long file starting last and running alone at the end."""

from __future__ import annotations

import pytest


def _weight(item: pytest.Item) -> float:
    mark = item.get_closest_marker("slow")
    if mark is None:
        return -1.0
    return float(mark.args[0]) if mark.args else 0.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    order = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (-_weight(item), order[id(item)]))
