"""``max_fail_percent``: stop starting steps once too many targets of one batch have failed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

DEFAULT_BATCH = "default"


@dataclass(frozen=True)
class Exceeded:
    """The first batch whose failed share went over the limit."""

    batch: str
    failed: int
    targets: int
    limit: float

    @property
    def message(self) -> str:
        pct = self.failed * 100 / self.targets
        return (f"batch {self.batch}: {self.failed}/{self.targets} targets failed ({pct:.1f}%) "
                f"> max_fail_percent {self.limit:g}")


class FailThreshold:
    """Failed targets per batch against ``max_fail_percent`` (a step without a batch counts in
    ``"default"``). Trips once; after that the run starts nothing new and ends ``failed``.

    >>> t = FailThreshold(50)
    >>> for target in ("server:a", "server:b", "server:c"):
    ...     t.add("c02", target)
    >>> t.fail("server:a") is None        # 1/3 is not over 50 %
    True
    >>> t.fail("server:b").message
    'batch c02: 2/3 targets failed (66.7%) > max_fail_percent 50'
    >>> t.error
    'batch c02: 2/3 targets failed (66.7%) > max_fail_percent 50'
    """

    def __init__(self, max_fail_percent: float) -> None:
        self.limit = max_fail_percent
        self.batch_targets: dict[str, set[str]] = defaultdict(set)
        self.failed_targets: set[str] = set()
        self.error: str | None = None

    def add(self, batch: str | None, target: str) -> None:
        self.batch_targets[batch or DEFAULT_BATCH].add(target)

    def fail(self, target: str) -> Exceeded | None:
        """Count ``target`` as failed; the batch that trips the threshold, the first time only."""
        self.failed_targets.add(target)
        if self.error is not None:
            return None
        for batch, targets in sorted(self.batch_targets.items()):
            failed = len(targets & self.failed_targets)
            if failed and failed * 100 > self.limit * len(targets):
                exceeded = Exceeded(batch, failed, len(targets), self.limit)
                self.error = exceeded.message
                return exceeded
        return None
