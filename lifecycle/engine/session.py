"""The scheduler's unit of work: one DB session, the run journal, and observer calls that wait
for the commit (a display must never show what a rollback undid)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy.orm import Session

from .events import EventJournal
from .models import Event

log = logging.getLogger("lifecycle.engine")


class RunSession:
    """Scheduler thread only. Changes made inside :meth:`tx` commit together with their events."""

    def __init__(self, session: Session, journal: EventJournal) -> None:
        self.session = session
        self.journal = journal
        self.after_commit: list[Callable[[], None]] = []

    @contextmanager
    def tx(self) -> Iterator[None]:
        """Commit what the block changed, then mirror events to JSONL, then notify."""
        try:
            yield
            self.session.commit()
        except BaseException:
            with suppress(Exception):
                self.session.rollback()
            self.journal.discard()
            self.after_commit.clear()
            raise
        self.journal.flush_file()
        callbacks, self.after_commit = self.after_commit, []
        for cb in callbacks:
            try:
                cb()
            except Exception:  # a broken progress display must not break the run
                log.exception("run observer failed")

    def event(
        self, type_: str, message: str = "", *, step: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> Event:
        """Journal an event in the current transaction."""
        return self.journal.add(self.session, type_, message, step=step, data=data)

    def notify(self, fn: Callable[..., None], *args: Any) -> None:
        """Call ``fn(*args)`` once the current transaction has committed."""
        self.after_commit.append(lambda: fn(*args))

    def close(self) -> None:
        with suppress(Exception):
            self.session.close()
        self.journal.close()
