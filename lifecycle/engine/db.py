"""Database plumbing: URL resolution, SQLite hardening, schema migrations."""

from __future__ import annotations

import contextlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url

DEFAULT_SQLITE_PATH = Path("~/.local/state/i2/i2.db")
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Serialises concurrent first-time migrations on PostgreSQL (arbitrary constant).
_PG_MIGRATION_LOCK = 0x6932_656E_6769_6E65  # "i2engine"


def default_url() -> str:
    """``$I2_DB`` (a URL or a SQLite file path), else the per-user SQLite file."""
    env = os.environ.get("I2_DB", "").strip()
    if env:
        return env if "://" in env else f"sqlite:///{Path(env).expanduser()}"
    return f"sqlite:///{DEFAULT_SQLITE_PATH.expanduser()}"


def resolve_url(url: str | URL | None) -> URL:
    parsed = make_url(url if url is not None else default_url())
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver we ship
    return parsed


def make_private_dirs(path: Path) -> None:
    """Create ``path`` and any missing parents with mode 0700 (existing ones are left alone)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for p in reversed(missing):
        with contextlib.suppress(FileExistsError):  # a concurrent process made it
            os.mkdir(p, 0o700)


def _prepare_sqlite_file(url: URL) -> None:
    db = url.database or ""
    if db in ("", ":memory:") or db.startswith("file:"):
        return
    path = Path(db).expanduser()
    make_private_dirs(path.parent)
    # The DB holds run history; create it private before SQLite ever opens it (SQLite then
    # gives its -wal/-shm files the same mode).
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)


def _install_sqlite_hooks(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN is ours (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives a process kill (not a power cut).
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front: a deferred transaction that reads then writes
        # fails with SQLITE_BUSY (no busy wait) when another process committed in between.
        if conn.get_execution_options().get("i2_readonly"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | URL | None = None, **kwargs: Any) -> sa.Engine:
    """Create a SQLAlchemy engine for the store (SQLite file made 0600, WAL, busy timeout)."""
    parsed = resolve_url(url)
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite_file(parsed)
        connect_args = {"check_same_thread": False, "timeout": 30}
        engine = sa.create_engine(parsed, connect_args=connect_args, **kwargs)
        _install_sqlite_hooks(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(parsed, **kwargs)


# --- migrations --------------------------------------------------------------------------------


def alembic_config(connection: sa.Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"engine migrations must have a single head, found {heads}")
    return heads[0]


def current_revision(connection: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine) -> bool:
    """Bring the schema to head; returns True when a migration actually ran.

    Fast path: one read of the version table. Otherwise the upgrade runs in one transaction
    holding the write lock (SQLite) or an advisory lock (PostgreSQL), so two processes opening
    a fresh database at once do not both create the tables.
    """
    head = head_revision()
    with engine.connect().execution_options(i2_readonly=True) as conn:
        if current_revision(conn) == head:
            return False
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        if current_revision(conn) == head:
            return False
        command.upgrade(alembic_config(conn), "head")
    return True
