"""The one answer for a test that cannot run here (a missing binary, venv, tree or root).

On a developer's machine it is skipped, with the reason. Under CI (``$CI`` set to anything
non-empty, as ``.ci/run`` and CI services do) it fails instead: there everything is installed,
so a test that cannot run is a broken setup and must not pass by hiding."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def under_ci() -> bool:
    """Any non-empty ``$CI`` counts, ``CI=false`` included: the strict reading, never a silent skip."""
    return bool(os.environ.get("CI"))


def unavailable(reason: str) -> NoReturn:
    """Fail under CI, else skip; either way the test stops here with ``reason``."""
    if under_ci():
        pytest.fail(f"cannot run under CI: {reason}", pytrace=False)
    pytest.skip(reason)
