"""Run journal: event rows in the current transaction, mirrored to a JSONL file after commit."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lifecycle.redact import Redactor

from .db import make_private_dirs
from .models import Event, utcnow


class EventJournal:
    """Adds redacted :class:`Event` rows to a session; ``flush_file()`` after a commit appends
    them to ``{events_dir}/{run_id}.jsonl`` (mode 0600), so the file never shows uncommitted
    history."""

    def __init__(self, run_id: str, redactor: Redactor, events_dir: str | os.PathLike[str] | None) -> None:
        self.run_id = run_id
        self.redactor = redactor
        self._pending: list[Event] = []
        self._fd: int | None = None
        self.path: Path | None = None
        if events_dir is not None:
            directory = Path(events_dir).expanduser()
            make_private_dirs(directory)
            self.path = directory / f"{run_id}.jsonl"

    def add(
        self,
        session: Session,
        type_: str,
        message: str = "",
        *,
        step: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> Event:
        event = Event(
            run_id=self.run_id,
            step_key=step,
            ts=utcnow(),
            type=type_,
            message=self.redactor.redact_text(message),
            data=self.redactor.redact(data) if data else None,
        )
        session.add(event)
        self._pending.append(event)
        return event

    def discard(self) -> None:
        """The transaction rolled back: forget its events."""
        self._pending.clear()

    def flush_file(self) -> None:
        pending, self._pending = self._pending, []
        if self.path is None or not pending:
            return
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        lines = "".join(json.dumps(e.as_dict(), default=str) + "\n" for e in pending)
        os.write(self._fd, lines.encode())

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
