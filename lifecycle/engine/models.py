"""ORM tables of the run store (schema changes go through ``migrations/versions``)."""

from __future__ import annotations

import enum
import getpass
import os
import socket
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class RunStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # finished, some targets quarantined (under max_fail_percent)
    FAILED = "failed"  # max_fail_percent exceeded or engine error
    INTERRUPTED = "interrupted"  # graceful stop
    ABORTED = "aborted"  # operator gave up; terminal

    @property
    def resumable(self) -> bool:
        return self not in (RunStatus.SUCCEEDED, RunStatus.ABORTED)


class StepStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # a hard dependency did not end done
    QUARANTINED = "quarantined"  # another step of the same target failed

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STEP_STATUSES


TERMINAL_STEP_STATUSES = frozenset(
    {StepStatus.DONE, StepStatus.FAILED, StepStatus.SKIPPED, StepStatus.QUARANTINED}
)
# Runs holding these statuses no longer need their target lock.
LOCK_FREE_RUN_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.ABORTED})


def creator_id() -> str:
    """``user@host`` of this process, as ``runs.created_by`` records it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores naive UTC (same on SQLite and PostgreSQL), returns aware UTC datetimes."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = sa.JSON(none_as_null=True)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType}


class Run(Base):
    """A run: one runbook execution against one target (e.g. ``rack:c02``)."""

    __tablename__ = "runs"
    __table_args__ = (
        sa.Index("ix_runs_status", "status"),
        sa.Index("ix_runs_kind", "kind"),
        sa.Index("ix_runs_target", "target"),
        sa.Index("ix_runs_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str] = mapped_column(sa.String(255))
    site_digest: Mapped[str] = mapped_column(sa.String(128), default="")
    runbook: Mapped[str] = mapped_column(sa.String(255))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default=RunStatus.PENDING.value)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(sa.String(255))  # "host:pid" of the executor
    heartbeat_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    # Declared resources, each also a row of target_locks while the run is unfinished; None for
    # runs created before revision 0002 (they lock their target only).
    resources: Mapped[list[str] | None] = mapped_column(JSONType)
    # "user@host" of whoever created the run (revision 0003; reports say who ran what); None for
    # older runs.
    created_by: Mapped[str | None] = mapped_column(sa.String(255), default=creator_id)

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.kind} {self.target} {self.status}>"


class Step(Base):
    """A step of a run; ``intent`` is written (and committed) before any external effect."""

    __tablename__ = "steps"
    __table_args__ = (
        sa.Index("ix_steps_run_id_seq", "run_id", "seq"),
        sa.Index("ix_steps_run_id_status", "run_id", "status"),
    )

    run_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    seq: Mapped[int]
    target: Mapped[str] = mapped_column(sa.String(255))
    action: Mapped[str] = mapped_column(sa.String(255))
    system: Mapped[str | None] = mapped_column(sa.String(64))
    batch: Mapped[str | None] = mapped_column(sa.String(255))
    deps: Mapped[list[str]] = mapped_column(JSONType, default=list)
    after: Mapped[list[str]] = mapped_column(JSONType, default=list)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    timeout: Mapped[float | None] = mapped_column(sa.Float)
    status: Mapped[str] = mapped_column(sa.String(16), default=StepStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    # Set when a resume resets the step: its next attempt starts with observe().
    observe_first: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    outputs: Mapped[dict[str, Any] | None]
    intent: Mapped[dict[str, Any] | None]
    intent_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Step {self.run_id}/{self.key} {self.status}>"


class Event(Base):
    """Append-only journal of every transition (also mirrored to ``{events_dir}/{run}.jsonl``)."""

    __tablename__ = "events"
    __table_args__ = (sa.Index("ix_events_run_id_id", "run_id", "id"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    run_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE")
    )
    step_key: Mapped[str | None] = mapped_column(sa.String(255))
    ts: Mapped[datetime]
    type: Mapped[str] = mapped_column(sa.String(32))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any] | None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": self.ts.isoformat(),
            "run_id": self.run_id,
            "step": self.step_key,
            "type": self.type,
            "message": self.message,
            "data": self.data,
        }


class TargetLock(Base):
    """One row per locked target or declared resource (``target`` is the lock key, e.g.
    ``rack:c02`` or ``stack:ie1-new``); the primary key makes acquisition race-free."""

    __tablename__ = "target_locks"
    __table_args__ = (sa.Index("ix_target_locks_run_id", "run_id"),)

    target: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    run_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE")
    )
    acquired_at: Mapped[datetime]
