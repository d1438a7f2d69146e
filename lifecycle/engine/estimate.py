"""How long a plan takes when the engine runs it: each step's expected duration laid out the way
the scheduler starts steps (plan order, once its ``deps`` and ``after`` have ended, within its
system's concurrency limit), so parallel steps overlap and a busy system queues them.

Runbooks give the durations (their steps' costs on their systems); this knows no vendor.

>>> from lifecycle.engine.plan import StepSpec
>>> steps = [StepSpec(key=f"vm{i}/boot", target=f"vm{i}", action="boot") for i in range(4)]
>>> steps.append(StepSpec(key="done", target="all", action="check", deps=[s.key for s in steps]))
>>> durations = {"boot": 10.0, "check": 1.0}
>>> systems = {"boot": "nova", "check": "vsd"}
>>> simulate(steps, lambda s: durations[s.action], lambda s: systems[s.action], lambda sys: 2)
21.0
>>> simulate(steps, lambda s: durations[s.action], lambda s: systems[s.action], lambda sys: 8)
11.0
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Sequence

from lifecycle.engine.plan import StepSpec


def simulate(steps: Sequence[StepSpec], duration: Callable[[StepSpec], float],
             system: Callable[[StepSpec], str], limit_for: Callable[[str], int]) -> float:
    """Seconds from the first step's start to the last step's end (every step succeeding)."""
    index = {s.key: i for i, s in enumerate(steps)}
    waiting = [0] * len(steps)  # unfinished predecessors of each step
    after: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(steps):
        preds = {index[k] for k in (*s.deps, *s.after) if k in index}
        waiting[i] = len(preds)
        for p in preds:
            after[p].append(i)
    systems = [system(s) for s in steps]
    ready: dict[str, list[int]] = defaultdict(list)  # per system, by plan order
    for i, n in enumerate(waiting):
        if n == 0:
            heapq.heappush(ready[systems[i]], i)
    running: dict[str, int] = defaultdict(int)
    ends: list[tuple[float, int]] = []
    now = 0.0
    done = 0
    while done < len(steps):
        for sys_name, queue in ready.items():
            limit = max(1, limit_for(sys_name))
            while queue and running[sys_name] < limit:
                i = heapq.heappop(queue)
                running[sys_name] += 1
                heapq.heappush(ends, (now + max(0.0, duration(steps[i])), i))
        if not ends:
            raise ValueError("the plan's dependencies form a cycle or name no step")
        now, i = heapq.heappop(ends)
        finished = [i]
        while ends and ends[0][0] <= now:  # every step ending at the same moment
            finished.append(heapq.heappop(ends)[1])
        for i in finished:
            done += 1
            running[systems[i]] -= 1
            for j in after[i]:
                waiting[j] -= 1
                if waiting[j] == 0:
                    heapq.heappush(ready[systems[j]], j)
    return now


__all__ = ["simulate"]
