"""Runs declare the resources they act on (each one locked like the target).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: runs created before this revision declared nothing and keep locking their target
    # only. The locks themselves reuse target_locks (its key column holds any lock key).
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("resources", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("resources")
