"""Toy runbook for engine tests: the external effect is an append-only effects log.

``apply`` appends ``"<step key>\\n"`` (one O_APPEND write + fsync) *without* checking whether it
is there already, so any double application shows up as a duplicate line; ``observe`` reports
the effect when the key is in the log. Faults are driven by step params:

* ``sleep: [lo, hi]``          random sleeps before and after the effect (kills land anywhere)
* ``transient: n``             TransientError (message may carry a secret) on attempts <= n
* ``conn_reset: n``            ConnectionResetError on attempts <= n (classifier path)
* ``http: [status, n]``        an exception carrying ``status_code`` on attempts <= n
* ``permanent: true``          PermanentError
* ``fail_if_exists: path``     PermanentError while that file exists ("fix" = delete it)
* ``hang_after_effect: s``     attempt 1 does the effect then ignores cancellation for s seconds
* ``hang_before_effect: s``    attempt 1 waits up to s seconds for cancellation, then bails out
* ``block: name``              waits on ``GATES[name]`` (in-process tests only)
* ``secret_outputs: true``     outputs carry the runbook secret (must be redacted when stored)
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path
from typing import Any

from lifecycle.engine import (
    Action,
    ActionContext,
    ActionRegistry,
    PermanentError,
    RunbookContext,
    StepView,
    TransientError,
)

RUNBOOK = "tests.engine.toy:build"
GATES: dict[str, threading.Event] = {}
_active_lock = threading.Lock()
_active: set[tuple[str, str]] = set()
OVERLAPS: list[str] = []  # step keys seen with two attempts running at once (in this process)


class HttpError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


def read_effects(path: str | Path) -> list[str]:
    p = Path(path)
    return p.read_text().splitlines() if p.exists() else []


def append_effect(path: str | Path, key: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{key}\n".encode())  # one small O_APPEND write: atomic
        os.fsync(fd)
    finally:
        os.close(fd)


class ToyAction(Action):
    def __init__(
        self, name: str, effects: str, secret: str | None = None, system: str = "toy",
        observe_first: bool = False,
    ) -> None:
        self.name = name
        self.system = system
        self.effects = effects
        self.secret = secret
        self.observe_first = observe_first

    def _enter(self, step: StepView) -> None:
        with _active_lock:
            token = (self.effects, step.key)
            if token in _active:
                OVERLAPS.append(step.key)
            _active.add(token)

    def _leave(self, step: StepView) -> None:
        with _active_lock:
            _active.discard((self.effects, step.key))

    def _outputs(self, step: StepView) -> dict[str, Any]:
        out: dict[str, Any] = {"key": step.key, "target": step.target}
        if step.params.get("secret_outputs") and self.secret:
            out["token"] = self.secret
            out["banner"] = f"logged in with {self.secret}"
        return out

    def observe(self, step: StepView, ctx: ActionContext) -> dict[str, Any] | None:
        self._enter(step)
        try:
            return self._outputs(step) if step.key in read_effects(self.effects) else None
        finally:
            self._leave(step)

    def apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        self._enter(step)
        try:
            return self._apply(step, ctx)
        finally:
            self._leave(step)

    def _apply(self, step: StepView, ctx: ActionContext) -> dict[str, Any]:
        p = step.params
        lo, hi = p.get("sleep", (0, 0))
        if hi:
            time.sleep(random.uniform(lo, hi))
        if step.attempt <= p.get("transient", 0):
            raise TransientError(f"API busy (auth {self.secret})")
        if step.attempt <= p.get("conn_reset", 0):
            raise ConnectionResetError(104, "Connection reset by peer")
        http = p.get("http")
        if http and step.attempt <= http[1]:
            raise HttpError(http[0])
        if p.get("permanent"):
            raise PermanentError(f"{step.target} is broken")
        if p.get("fail_if_exists") and os.path.exists(p["fail_if_exists"]):
            raise PermanentError(f"{step.target}: fault marker present")
        if "block" in p:
            GATES.setdefault(p["block"], threading.Event()).wait(30)
        hang = p.get("hang_before_effect") if step.attempt == 1 else None
        if hang and ctx.cancelled.wait(hang):
            raise TransientError("cancelled before the effect")
        ctx.log("effect", key=step.key)
        append_effect(self.effects, step.key)
        if step.attempt == 1 and p.get("hang_after_effect"):
            time.sleep(p["hang_after_effect"])  # a stuck call that ignores cancellation
        if hi:
            time.sleep(random.uniform(lo, hi))
        ctx.progress(1.0)
        return self._outputs(step)


def build(ctx: RunbookContext) -> ActionRegistry:
    """Runbook factory: ``params["effects"]`` (or ``extra["effects"]``) is the effects log."""
    effects = str(ctx.extra.get("effects") or ctx.params["effects"])
    secret = ctx.extra.get("secret")
    return ActionRegistry(
        [
            ToyAction("toy.step", effects, secret),
            ToyAction("toy.oneview", effects, secret, system="oneview"),
            ToyAction("toy.ironic", effects, secret, system="ironic"),
            ToyAction("toy.arista", effects, secret, system="arista"),
            ToyAction("toy.observe_first", effects, secret, observe_first=True),
        ]
    )
