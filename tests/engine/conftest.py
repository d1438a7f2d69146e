"""Fixtures for engine tests: every DB-backed test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lifecycle.engine import Store
from lifecycle.redact import Redactor
from tests.pg import new_database, pg_url  # noqa: F401  (session fixture)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/state/i2.db"
    request.getfixturevalue("pg_url")
    return new_database()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url, redactor=Redactor())  # private redactor: no cross-test secrets
    yield s
    s.close()


@pytest.fixture
def effects(tmp_path: Path) -> str:
    return str(tmp_path / "effects.log")
