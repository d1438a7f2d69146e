"""Alembic environment for the i2 run store.

i2 runs these migrations itself (``Store.open`` -> ``db.upgrade``), handing over an open
connection in ``config.attributes["connection"]``. Run by hand, the URL comes from
``-x url=...``, then ``sqlalchemy.url``, then ``$I2_DB`` / the default SQLite file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from lifecycle.engine.db import make_engine, resolve_url
from lifecycle.engine.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str | None:
    return context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=resolve_url(_url()), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
