"""The run store: runs, steps, events and target/resource locks in SQLite or PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lifecycle.redact import Redactor, default_redactor

from . import db
from .errors import (
    AmbiguousRunId,
    LockHolder,
    PlanError,
    ResourcesLocked,
    RunBusy,
    RunNotFound,
    RunStateError,
)
from .models import (
    LOCK_FREE_RUN_STATUSES,
    Event,
    Run,
    RunStatus,
    Step,
    StepStatus,
    TargetLock,
    utcnow,
)
from .plan import Plan, check_dag

DEFAULT_LEASE_SECONDS = 15.0
_RUN_ID_RE = re.compile(r"^[0-9a-f]{1,32}$")


def this_host() -> str:
    return socket.gethostname()


def owner_id() -> str:
    """``host:pid`` of this process, as written in ``runs.owner``."""
    return f"{this_host()}:{os.getpid()}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def owner_dead_here(owner: str | None) -> bool:
    """True when ``owner`` is a process of *this* host that no longer exists."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    return host == this_host() and pid.isdigit() and not pid_alive(int(pid))


class Store:
    """Durable state of runs. Open once per process and share.

    Example::

        store = Store.open()                       # $I2_DB or ~/.local/state/i2/i2.db
        run_id = store.create_run(plan)
        for run in store.list_runs(status="partial"):
            print(run.id, store.step_counts(run.id))
    """

    def __init__(
        self,
        engine: sa.Engine,
        *,
        redactor: Redactor | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self.engine = engine
        self.redactor = redactor if redactor is not None else default_redactor
        self.lease_seconds = lease_seconds
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._readonly = sessionmaker(
            engine.execution_options(i2_readonly=True), expire_on_commit=False
        )

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        redactor: Redactor | None = None,
        migrate: bool = True,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> Store:
        """Connect (None: ``$I2_DB`` or the default SQLite file) and upgrade the schema to head."""
        engine = db.make_engine(url)
        try:
            if migrate:
                db.upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, redactor=redactor, lease_seconds=lease_seconds)

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def session(self, *, readonly: bool = False) -> Session:
        """A new ORM session (objects stay usable after commit)."""
        return (self._readonly if readonly else self._sessions)()

    def schema_revision(self) -> str | None:
        with self.engine.connect().execution_options(i2_readonly=True) as conn:
            return db.current_revision(conn)

    @staticmethod
    def head_revision() -> str:
        return db.head_revision()

    # --- creating runs -------------------------------------------------------------------

    def create_run(self, plan: Plan) -> str:
        """Insert the run, its steps and its locks in one transaction; return the run id.

        The run locks ``plan.target`` and every resource of ``plan.resources`` until it succeeds
        or is aborted (a failed or stopped run keeps them for its resume). Raises
        :class:`ResourcesLocked` (a :class:`TargetLocked`) naming the holders when unfinished runs
        hold any of them, and :class:`PlanError` for an invalid DAG.
        """
        check_dag(plan.steps)  # again: the plan may have been built with model_construct()
        try:
            data = plan.model_dump(mode="json")
            json.dumps(data)
        except (TypeError, ValueError) as exc:
            raise PlanError(f"plan is not JSON-serialisable: {exc}") from exc
        data = self.redactor.redact(data)
        for _ in range(5):
            run_id = secrets.token_hex(6)
            with self.session() as s, s.begin():
                if s.get(Run, run_id) is not None:  # 48-bit id collision: draw again
                    continue
                now = utcnow()
                s.add(
                    Run(
                        id=run_id,
                        kind=data["kind"],
                        target=data["target"],
                        site_digest=data["site_digest"],
                        runbook=data["runbook"],
                        params=data["params"],
                        plan=data,
                        status=RunStatus.PENDING.value,
                        resources=data.get("resources") or None,
                        created_at=now,
                        updated_at=now,
                    )
                )
                s.flush()  # the run row must exist before steps/lock reference it
                s.add_all(
                    Step(
                        run_id=run_id,
                        key=st["key"],
                        seq=i,
                        target=st["target"],
                        action=st["action"],
                        system=st["system"],
                        batch=st["batch"],
                        deps=st["deps"],
                        after=st["after"],
                        params=st["params"],
                        description=st["description"],
                        timeout=st["timeout"],
                        status=StepStatus.PENDING.value,
                        attempts=0,
                        observe_first=False,
                    )
                    for i, st in enumerate(data["steps"])
                )
                self._acquire_locks(s, [data["target"], *data.get("resources", [])], run_id, now)
                s.add(
                    Event(
                        run_id=run_id,
                        ts=now,
                        type="run_created",
                        message=f"{data['kind']} run on {data['target']}",
                        data={"steps": len(data["steps"]), "runbook": data["runbook"]},
                    )
                )
            return run_id
        raise RuntimeError("could not allocate a run id")  # pragma: no cover

    def _acquire_locks(self, s: Session, keys: list[str], run_id: str, now: datetime) -> None:
        keys = sorted(set(keys))  # one order for every run: PostgreSQL waiters cannot deadlock
        busy = self._holders(s, keys)
        if busy:  # refuse up front, naming every holder and overlap
            raise ResourcesLocked(busy)
        for key in keys:
            self._acquire_lock(s, key, run_id, now)

    @staticmethod
    def _holders(s: Session, keys: list[str]) -> list[LockHolder]:
        """The unfinished runs holding some of ``keys``, with the keys each holds."""
        rows = s.execute(
            sa.select(TargetLock.target, Run.id, Run.kind, Run.target, Run.status)
            .join(Run, Run.id == TargetLock.run_id)
            .where(TargetLock.target.in_(keys), Run.status.not_in([str(x) for x in LOCK_FREE_RUN_STATUSES]))
        ).all()
        held: dict[tuple[str, str, str, str], list[str]] = {}
        for key, rid, kind, target, status in rows:
            held.setdefault((rid, kind, target, status), []).append(key)
        return [LockHolder(*run, resources=tuple(sorted(ks))) for run, ks in held.items()]

    def _acquire_lock(self, s: Session, target: str, run_id: str, now: datetime) -> None:
        # The PK on target_locks.target makes this race-free on both databases: a concurrent
        # insert either waits for us (PostgreSQL) or for our write lock (SQLite), then conflicts.
        for _ in range(5):
            try:
                with s.begin_nested():
                    s.add(TargetLock(target=target, run_id=run_id, acquired_at=now))
                    s.flush()
                return
            except IntegrityError:
                pass
            row = s.execute(
                sa.select(TargetLock.run_id, Run.status)
                .join(Run, Run.id == TargetLock.run_id, isouter=True)
                .where(TargetLock.target == target)
            ).first()
            if row is None:
                continue  # released meanwhile: try again
            holder, status = row
            if status is not None and status not in LOCK_FREE_RUN_STATUSES:
                # Lost a race (PostgreSQL): the winner committed after our up-front check.
                busy = self._holders(s, [target]) or [LockHolder(holder, "?", "?", status, (target,))]
                raise ResourcesLocked(busy)
            # Stale row of a finished run: take it over, conditionally (someone may race us).
            res = s.execute(
                sa.update(TargetLock)
                .where(TargetLock.target == target, TargetLock.run_id == holder)
                .values(run_id=run_id, acquired_at=now)
            )
            if res.rowcount == 1:  # type: ignore[attr-defined]
                return
        raise ResourcesLocked([LockHolder("?", "?", "?", "contended", (target,))])

    # --- queries for the CLI ---------------------------------------------------------------

    def list_runs(
        self,
        limit: int | None = 50,
        status: str | Iterable[str] | None = None,
        kind: str | None = None,
        target: str | None = None,
    ) -> list[Run]:
        """Most recent first."""
        q = sa.select(Run).order_by(Run.created_at.desc(), Run.id)
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            q = q.where(Run.status.in_([str(x) for x in statuses]))
        if kind is not None:
            q = q.where(Run.kind == kind)
        if target is not None:
            q = q.where(Run.target == target)
        if limit is not None:
            q = q.limit(limit)
        with self.session(readonly=True) as s:
            return list(s.scalars(q))

    def get_run(self, id_or_prefix: str) -> Run:
        """Exact id or unique prefix; :class:`RunNotFound` / :class:`AmbiguousRunId` otherwise."""
        ident = id_or_prefix.strip().lower()
        if not _RUN_ID_RE.match(ident):
            raise RunNotFound(f"no run {id_or_prefix!r}")
        with self.session(readonly=True) as s:
            run = s.get(Run, ident)
            if run is not None:
                return run
            matches = list(s.scalars(sa.select(Run).where(Run.id.startswith(ident)).limit(6)))
        if not matches:
            raise RunNotFound(f"no run {id_or_prefix!r}")
        if len(matches) > 1:
            shown = ", ".join(r.id for r in matches[:5])
            raise AmbiguousRunId(f"run id prefix {id_or_prefix!r} is ambiguous: {shown}...")
        return matches[0]

    def get_steps(self, run_id: str) -> list[Step]:
        """Steps in plan order."""
        with self.session(readonly=True) as s:
            return list(s.scalars(sa.select(Step).where(Step.run_id == run_id).order_by(Step.seq)))

    def get_events(
        self,
        run_id: str,
        limit: int | None = None,
        *,
        after_id: int | None = None,
        step_key: str | None = None,
    ) -> list[Event]:
        """Events in chronological order; ``limit`` keeps the latest ones, ``after_id`` tails."""
        q = sa.select(Event).where(Event.run_id == run_id)
        if after_id is not None:
            q = q.where(Event.id > after_id)
        if step_key is not None:
            q = q.where(Event.step_key == step_key)
        with self.session(readonly=True) as s:
            if limit is None:
                return list(s.scalars(q.order_by(Event.id)))
            latest = list(s.scalars(q.order_by(Event.id.desc()).limit(limit)))
        latest.reverse()
        return latest

    def step_counts(self, run_id: str) -> dict[str, int]:
        """``{status: n}`` for one run (statuses with no step are omitted)."""
        return self.step_counts_by_run([run_id]).get(run_id, {})

    def step_counts_by_run(self, run_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        if not run_ids:
            return {}
        q = (
            sa.select(Step.run_id, Step.status, sa.func.count())
            .where(Step.run_id.in_(list(run_ids)))
            .group_by(Step.run_id, Step.status)
        )
        out: dict[str, dict[str, int]] = {}
        with self.session(readonly=True) as s:
            for rid, status, n in s.execute(q):
                out.setdefault(rid, {})[status] = n
        return out

    def lock_holder(self, target: str) -> str | None:
        """The run holding the lock key (a target or a declared resource), if any row is left."""
        with self.session(readonly=True) as s:
            return s.scalar(sa.select(TargetLock.run_id).where(TargetLock.target == target))

    def locks_of(self, run_id: str) -> list[str]:
        """The lock keys (target and resources) ``run_id`` holds, sorted."""
        with self.session(readonly=True) as s:
            return sorted(s.scalars(sa.select(TargetLock.target).where(TargetLock.run_id == run_id)))

    # --- ownership -----------------------------------------------------------------------

    def owner_alive(self, run: Run, lease_seconds: float | None = None) -> bool:
        """Whether a live process may still be executing ``run`` (fresh heartbeat, pid alive)."""
        if not run.owner:
            return False
        lease = self.lease_seconds if lease_seconds is None else lease_seconds
        if run.heartbeat_at is None or run.heartbeat_at < utcnow() - timedelta(seconds=lease):
            return False
        return not owner_dead_here(run.owner)

    def claim_run(self, run_id: str, owner: str, lease_seconds: float | None = None) -> bool:
        """Atomically become the run's owner if it is free, stale, or its owner died here."""
        lease = self.lease_seconds if lease_seconds is None else lease_seconds
        now = utcnow()
        with self.session() as s, s.begin():
            current = s.scalar(sa.select(Run.owner).where(Run.id == run_id))
            free = sa.or_(
                Run.owner.is_(None),
                Run.heartbeat_at.is_(None),
                Run.heartbeat_at < now - timedelta(seconds=lease),
            )
            if owner_dead_here(current):
                free = sa.or_(free, Run.owner == current)
            res = s.execute(
                sa.update(Run)
                .where(Run.id == run_id, free)
                .values(owner=owner, heartbeat_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            return res.rowcount == 1  # type: ignore[attr-defined]

    def heartbeat(self, run_id: str, owner: str) -> bool:
        """Refresh the lease; False means the run is no longer ours."""
        now = utcnow()
        with self.session() as s, s.begin():
            res = s.execute(
                sa.update(Run)
                .where(Run.id == run_id, Run.owner == owner)
                .values(heartbeat_at=now)
                .execution_options(synchronize_session=False)
            )
            return res.rowcount == 1  # type: ignore[attr-defined]

    def release_run(self, run_id: str, owner: str) -> None:
        with self.session() as s, s.begin():
            s.execute(
                sa.update(Run)
                .where(Run.id == run_id, Run.owner == owner)
                .values(owner=None, heartbeat_at=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )

    def abort_run(self, run_id: str, force: bool = False, reason: str | None = None) -> Run:
        """Mark the run aborted (terminal) and release its target and resource locks.

        Refuses (:class:`RunBusy`) while a live process owns it, unless ``force``.
        """
        run_id = self.get_run(run_id).id
        now = utcnow()
        with self.session() as s, s.begin():
            run = s.get(Run, run_id, with_for_update=True)
            if run is None:  # pragma: no cover - deleted meanwhile
                raise RunNotFound(f"no run {run_id!r}")
            if run.status == RunStatus.ABORTED:
                return run
            if run.status == RunStatus.SUCCEEDED:
                raise RunStateError(f"run {run_id} already succeeded")
            if not force and self.owner_alive(run):
                raise RunBusy(run_id, run.owner, "it is executing; stop it first or use force")
            previous_owner = run.owner
            run.status = RunStatus.ABORTED.value
            run.finished_at = now
            run.updated_at = now
            run.owner = None
            run.heartbeat_at = None
            run.error = self.redactor.redact_text(reason or "aborted by operator")
            s.execute(sa.delete(TargetLock).where(TargetLock.run_id == run_id))
            data: dict[str, Any] = {"force": force}
            if previous_owner:
                data["owner"] = previous_owner
            s.add(Event(run_id=run_id, ts=now, type="aborted", message=run.error, data=data))
        return run
