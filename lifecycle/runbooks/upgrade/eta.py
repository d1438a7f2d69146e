"""How long ``i2 upgrade apply`` takes: the plan's steps laid out as the engine runs them
(:func:`lifecycle.engine.estimate.simulate`: moves in parallel within a wave, waves in sequence,
each system's concurrency limit, a step holding its slot while it waits), each step costing
what it costs on the estate.

A step's cost is the engine's own work per step, its API calls times the system's answer time,
and what it waits for: a boot, Cinder's manage, the monitor saying UP, the drain delay, the
soak. The figures are calibrated on the twin with its realistic latency profile
(``i2 lab up --latency realistic``, meant to mirror production; see docs/performance.md),
which answers VSD in 30 ms, Nova in 50 ms, Neutron and Cinder in 40 ms, NITRO in 20 ms, boots
a VM in 4 s and manages a volume in 1 s. Steps the table does not know (recommissioning's:
Ironic, OneView, the fabric, the undercloud) take :data:`OTHER_SECONDS` or their own entry.

>>> from lifecycle.engine.plan import StepSpec
>>> s = StepSpec(key="x/prd/soak", target="app:x", action="upgrade.soak",
...              params={"app": "x", "env": "prd", "soak_seconds": 30})
>>> round(step_seconds(s, Costs()), 2)
30.06
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lifecycle.engine import Plan
from lifecycle.engine.estimate import simulate
from lifecycle.engine.plan import StepSpec
from lifecycle.runbooks.upgrade.actions.base import POLICY_GATHER

#: Seconds one API call takes to answer, per system (the twin's realistic profile's means).
ANSWER = {"vsd": 0.030, "nova": 0.050, "neutron": 0.040, "cinder": 0.040, "glance": 0.030,
          "keystone": 0.040, "netscaler": 0.020, "probes": 0.020}
#: The engine's work per step: the intent, the outcome and the events committed to the store.
ENGINE = 0.04

#: Per action: API calls by system, and seconds of waiting on top (per step; ``per_vm``: calls
#: and waits that are per VM of the move). Calls as bench/upgrade.py counts them
#: (``i2_calls_per_one_step``, 20 applications, issue 14's third pass: Nova's listings shared
#: by the cloud's projects, a domain's subnets and entries read in one round per guard).
#: NITRO's as of the second pass.
CALLS: dict[str, dict[str, float]] = {
    "upgrade.net_partition": {"neutron": 2, "vsd": 2},  # (+ each client's first token: Keystone)
    "upgrade.vsd_subnet": {"vsd": 2},
    "upgrade.acl_mirror": {"vsd": 2.3},
    "upgrade.network": {"neutron": 2.6, "keystone": 0.35},
    "upgrade.boot": {"nova": 1.5, "glance": 0.05, "keystone": 0.1},
    "upgrade.freeze": {"nova": 2.7},
    "upgrade.detach": {"cinder": 2, "nova": 1.3},
    "upgrade.unmanage": {"cinder": 3.2},
    "upgrade.manage": {"cinder": 4.3},
    "upgrade.attach": {"nova": 1.1, "cinder": 0.7},  # a stateless move's reads nothing
    "upgrade.healthy": {"nova": 0.4, "vsd": 0.9},
    "upgrade.lb_ensure": {"netscaler": 6},
    # behind a load balancer, NITRO's reads are the appliance's shared ones (bench: "other");
    # B's addresses are the healthy step's
    "upgrade.lb_in_service": {"netscaler": 2, "vsd": 2.25},
    "upgrade.in_service": {"vsd": 4, "nova": 3},  # (not in the bench: every move has lb)
    "upgrade.soak": {"netscaler": 1},  # behind a load balancer (without: Nova 2, VSD 1)
    "upgrade.lb_drain": {"netscaler": 3, "vsd": 2.5},
    "upgrade.retire": {"vsd": 4, "nova": 3},  # (not in the bench)
    "upgrade.lb_unbind": {"netscaler": 4},  # members read, one bulk unbind, vserver, monitors
    "upgrade.delete_source_vms": {"nova": 1, "netscaler": 1},
    "upgrade.delete_source_network": {"neutron": 1.7},
    "upgrade.delete_source_vsd": {"vsd": 4.15},
    "upgrade.evidence": {"probes": 1},
    "upgrade.endpoint": {},
}
PER_VM: dict[str, dict[str, float]] = {
    "upgrade.boot": {"nova": 1},
    "upgrade.delete_source_vms": {"nova": 1},
}
#: Seconds waited per step, on top of its calls (measured on the twin, realistic profile). Steps
#: that run side by side for a batch (boots, inspections) take what the slower of them take:
#: the slowest sets the pace of what follows. The guards (and the source's clean-up) wait up to
#: ``POLICY_GATHER`` for the other moves of their domain to share their read of VSD.
WAIT = {"upgrade.boot": 6.8, "upgrade.manage": 1.0, "upgrade.network": 0.6,
        "upgrade.delete_source_vms": 0.3, "upgrade.net_partition": 0.2,
        **dict.fromkeys(("upgrade.lb_in_service", "upgrade.lb_drain", "upgrade.in_service",
                         "upgrade.retire", "upgrade.delete_source_vsd"), POLICY_GATHER)}
#: VSD calls the cloud's Nuage plugin makes while answering the step's Neutron or Nova writes
#: (nuage-openstack-neutron 20.5, Train; the twin sends the same, pinned by
#: tests/lab/openstack/test_nuage_calls.py): a VSD-managed subnet 12, a booted VM's port 8, a
#: deleted server's port 6, a deleted network's subnet 5. The step waits for them at VSD's
#: answer time; a move's VMs boot and go in parallel, so once per step.
PLUGIN_VSD = {"upgrade.network": 12, "upgrade.boot": 8, "upgrade.delete_source_vms": 6,
              "upgrade.delete_source_network": 5}
#: Steps of the other runbooks recommissioning uses: (seconds, system when the plan names none),
#: measured on the twin with the realistic profile (Redfish, inspection, the director's deploy).
OTHER: dict[str, tuple[float, str]] = {
    "oneview.template": (1.9, "oneview"), "oneview.profile": (10.0, "oneview"),
    "oneview.identify": (0.1, "oneview"), "ironic.enroll": (0.2, "ironic"),
    "ironic.manage": (0.8, "ironic"), "ironic.inspect": (28.0, "ironic"), "ironic.check": (0.05, "ironic"),
    "ironic.tag": (14.0, "ironic"), "ironic.provide": (0.4, "ironic"), "tripleo.render": (0.1, "undercloud"),
    "tripleo.validate": (4.6, "undercloud"), "tripleo.upload": (0.05, "undercloud"),
    "tripleo.ensure_deployed": (26.2, "undercloud"), "tripleo.prove": (0.35, "ironic"),
    "upgrade.rec_drain": (0.1, "nova"), "upgrade.rec_disable": (0.25, "nova"),
    "upgrade.rec_node_delete": (2.3, "undercloud"), "upgrade.rec_undeploy": (0.3, "ironic"),
    "upgrade.rec_fabric": (0.8, "fabric"),
}
#: A step neither table knows.
OTHER_SECONDS = 2.0


@dataclass
class Costs:
    """What the durations depend on beyond the step itself: the site's timers."""

    answer: Mapping[str, float] = field(default_factory=lambda: dict(ANSWER))
    monitor_up: dict[str, float] = field(default_factory=dict)  # "app/env" -> s until UP
    drain: dict[str, float] = field(default_factory=dict)  # "app/env" -> drain delay
    vms: dict[str, int] = field(default_factory=dict)  # "app/env" -> VMs of the move


def step_seconds(s: StepSpec, costs: Costs) -> float:
    """Expected seconds of one step (every call answered first time)."""
    key = f"{s.params.get('app')}/{s.params.get('env')}"
    calls = dict(CALLS.get(s.action, {}))
    for system, n in PER_VM.get(s.action, {}).items():
        calls[system] = calls.get(system, 0) + n * costs.vms.get(key, 1)
    if s.action not in CALLS:
        return ENGINE + OTHER.get(s.action, (OTHER_SECONDS, ""))[0]
    seconds = ENGINE + sum(n * costs.answer.get(system, 0.03) for system, n in calls.items())
    seconds += WAIT.get(s.action, 0.0) + PLUGIN_VSD.get(s.action, 0) * costs.answer.get("vsd", 0.03)
    if s.action == "upgrade.soak":
        seconds += float(s.params.get("soak_seconds") or 0)
    elif s.action == "upgrade.lb_in_service":
        seconds += costs.monitor_up.get(key, 0.0)
    elif s.action == "upgrade.lb_unbind":
        seconds += costs.drain.get(key, 0.0)
    return seconds


def base_seconds() -> dict[str, float]:
    """Seconds per step kind of the upgrade with one VM and no site timers (no soak, monitor,
    drain delay)."""
    return {a: round(step_seconds(StepSpec(key=a, target="x", action=a), Costs()), 2) for a in CALLS}


def costs_of(site: Any) -> Costs:
    """The site's timers per application environment: how long a new member takes to be UP
    (a NetScaler probes a new member at once; i2 sees it UP at its next poll, a quarter of the
    monitor's interval later), the drain delay, the VMs of each move."""
    costs = Costs()
    lb = getattr(site, "loadbalancer", None)
    monitors = {m.monitorname: m for m in (lb.monitors if lb else [])}
    for app in site.applications:
        for env, spec in app.environments.items():
            key = f"{app.name}/{env}"
            costs.vms[key] = len(spec.vms)
            if spec.lb is not None:
                mon = monitors.get(spec.lb.monitor)
                interval = float(mon.interval) if mon else 5.0
                costs.monitor_up[key] = interval / 4
                costs.drain[key] = float(spec.lb.drain_delay)
    return costs


#: ``i2 upgrade apply`` before the run's first step: the readiness report (it observes every
#: move's objects) and the process starting. Per move, and once.
READINESS_PER_MOVE = 0.6
STARTUP = 4.0


def run_seconds(plan: Plan, site: Any, limit_for: Callable[[str], int]) -> float:
    """Seconds the engine takes to run ``plan``'s steps (``limit_for``: a system's limit)."""
    systems = _systems()
    costs = costs_of(site)
    return simulate(plan.steps, lambda s: step_seconds(s, costs),
                    lambda s: s.system or systems.get(s.action, "default"), limit_for)


def estimate(plan: Plan, site: Any, limit_for: Callable[[str], int]) -> float:
    """Seconds ``i2 upgrade apply`` of ``plan`` takes: the process starting, the readiness
    report, then the steps as the engine runs them."""
    moves = len({(s.params.get("app"), s.params.get("env")) for s in plan.steps if s.params.get("app")})
    return STARTUP + READINESS_PER_MOVE * moves + run_seconds(plan, site, limit_for)


def _systems() -> dict[str, str]:
    """Action name -> its system, for the upgrade's own actions and recommissioning's on the old
    cloud (the rest name their system in the plan, or fall to the default)."""
    from lifecycle.runbooks.recommission import old_cloud
    from lifecycle.runbooks.upgrade.actions import KINDS

    out = {a: system for a, (_, system) in OTHER.items()}
    out |= {k.name: k.system for k in KINDS}  # type: ignore[attr-defined]
    for obj in vars(old_cloud).values():
        name, system = getattr(obj, "name", None), getattr(obj, "system", None)
        if isinstance(obj, type) and isinstance(name, str) and isinstance(system, str):
            out[name] = system
    return out


__all__ = ["ANSWER", "CALLS", "ENGINE", "PLUGIN_VSD", "Costs", "base_seconds", "costs_of", "estimate",
           "run_seconds", "step_seconds"]
