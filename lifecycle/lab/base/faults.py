"""Fault injection for the twin, reproducible from a spec and a seed.

A spec is a comma-separated list of ``component.kind=value``:

- rates (0..1) per request: ``oneview.http5xx=0.05``, ``eos.reset=0.01``, ``vsd.timeout=0.02``,
  ``oneview.task_error=0.1`` (a OneView task ends in Error);
- named targets: ``bmc.dead=c02-s03`` (that server's BMC never answers),
  ``cable.miswire=c02-s04:nic1~c02-s05:nic1`` (the two cables swap their leaf ends),
  ``ztp.fail=c02-leaf2`` (that switch's ZTP fails), ``undercloud.deploy_fail=c02-s08`` (the
  overcloud deploy of that node fails; ``=uc-new``: every deploy on that undercloud fails),
  ``netscaler.app_down=orders-prd-1`` (that VM's application answers neither its load balancer
  monitor nor its writer hook); several targets are joined with ``+``.

Rates hit operator traffic only: the lab arms them once it is up, so the estate it seeds over
the wire while starting is the same with or without faults.

>>> plan = parse_faults("oneview.http5xx=1,bmc.dead=c02-s03+c02-s04", seed=7)
>>> plan.roll("oneview", "http5xx"), plan.targets("bmc", "dead")
(True, ['c02-s03', 'c02-s04'])
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

RATE_KINDS = {"http5xx", "reset", "timeout", "task_error"}
TARGET_KINDS = {"dead", "miswire", "fail", "deploy_fail", "app_down"}


class FaultSpecError(ValueError):
    """The --faults text is malformed; the message names the offending item."""


@dataclass
class FaultPlan:
    """Which faults are on, with one seeded RNG per component so runs are reproducible."""

    rates: dict[tuple[str, str], float] = field(default_factory=dict)
    named: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    seed: int = 0
    _rngs: dict[str, random.Random] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    injected: dict[tuple[str, str], int] = field(default_factory=dict)
    armed: bool = True

    def hold(self) -> None:
        """Rates off until ``arm()``: the lab seeds its estate first."""
        self.armed = False

    def arm(self) -> None:
        self.armed = True

    def rate(self, component: str, kind: str) -> float:
        return self.rates.get((component, kind), 0.0)

    def roll(self, component: str, kind: str) -> bool:
        """True when a fault of ``kind`` should hit this request of ``component``."""
        p = self.rate(component, kind)
        if p <= 0 or not self.armed:
            return False
        with self._lock:
            rng = self._rngs.setdefault(component, random.Random(f"{self.seed}:{component}"))
            hit = rng.random() < p
            if hit:
                self.injected[(component, kind)] = self.injected.get((component, kind), 0) + 1
        return hit

    def targets(self, component: str, kind: str) -> list[str]:
        return list(self.named.get((component, kind), []))

    def has(self, component: str, kind: str, target: str) -> bool:
        return target in self.named.get((component, kind), [])

    def as_spec(self) -> str:
        items = [f"{c}.{k}={v:g}" for (c, k), v in sorted(self.rates.items())]
        items += [f"{c}.{k}={'+'.join(v)}" for (c, k), v in sorted(self.named.items())]
        return ",".join(items)


def parse_faults(spec: str | None, seed: int = 0) -> FaultPlan:
    plan = FaultPlan(seed=seed)
    for raw in (spec or "").split(","):
        item = raw.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        component, dot, kind = key.partition(".")
        if not sep or not dot or not component or not value:
            raise FaultSpecError(f"fault {item!r} must look like component.kind=value")
        if kind in RATE_KINDS:
            try:
                rate = float(value)
            except ValueError:
                raise FaultSpecError(f"fault {item!r}: {value!r} is not a rate") from None
            if not 0 <= rate <= 1:
                raise FaultSpecError(f"fault {item!r}: rate must be between 0 and 1")
            plan.rates[(component, kind)] = rate
        elif kind in TARGET_KINDS:
            plan.named[(component, kind)] = [t for t in value.split("+") if t]
        else:
            known = ", ".join(sorted(RATE_KINDS | TARGET_KINDS))
            raise FaultSpecError(f"fault {item!r}: unknown kind {kind!r} (known: {known})")
    return plan
