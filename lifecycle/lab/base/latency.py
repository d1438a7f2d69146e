"""Latency profiles: how slow each emulated system answers, and how long its tasks take.

``none`` answers at once (tests, benchmarks of the tool's own overhead); ``realistic`` uses
delays in the range measured on real estates (OneView tasks take tens of seconds there; the
profile scales them down so a rehearsal finishes in minutes while keeping their order).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

# component -> (request delay mean s, jitter fraction); tasks -> duration s
REALISTIC_REQUEST = {
    "oneview": (0.060, 0.5),
    "eos": (0.015, 0.5),
    "cvx": (0.015, 0.5),
    "vsd": (0.030, 0.5),
    "keystone": (0.040, 0.5),
    "nova": (0.050, 0.5),
    "neutron": (0.040, 0.5),
    "cinder": (0.040, 0.5),
    "glance": (0.030, 0.5),
}
REALISTIC_TASK = {
    "oneview.power": 2.0,
    "oneview.profile_apply": 6.0,
    "oneview.template": 0.5,
    "oneview.default": 1.0,
    "eos.reload": 3.0,
    "nova.boot": 4.0,
    "cinder.manage": 1.0,
}
NONE_TASK = {
    "oneview.power": 0.05,
    "oneview.profile_apply": 0.2,
    "oneview.template": 0.02,
    "oneview.default": 0.05,
    "eos.reload": 0.05,
    "nova.boot": 0.1,
    "cinder.manage": 0.02,
}
PROFILES = ("none", "realistic")


@dataclass
class LatencyProfile:
    name: str = "none"
    seed: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.name not in PROFILES:
            raise ValueError(f"unknown latency profile {self.name!r} (known: {', '.join(PROFILES)})")
        self._rng.seed(f"latency:{self.seed}")

    def _jitter(self, mean: float, frac: float) -> float:
        with self._lock:
            return max(0.0, mean * (1 + self._rng.uniform(-frac, frac)))

    def request_delay(self, component: str) -> float:
        """Seconds to wait before answering one request of ``component``."""
        if self.name == "none":
            return 0.0
        mean, frac = REALISTIC_REQUEST.get(component, (0.02, 0.5))
        return self._jitter(mean, frac)

    def task_duration(self, kind: str) -> float:
        """Seconds an asynchronous task of ``kind`` (e.g. ``oneview.power``) runs."""
        table = NONE_TASK if self.name == "none" else REALISTIC_TASK
        base = table.get(kind, table.get(kind.split(".")[0] + ".default", 0.05))
        return self._jitter(base, 0.3)
