"""The plan's ETA models how the engine runs the upgrade: moves of a wave in parallel within
each system's limit, waves one after the other, the soak, the monitor and the drain delay."""

from __future__ import annotations

import pytest

from lifecycle.engine.estimate import simulate
from lifecycle.engine.plan import StepSpec
from lifecycle.model import load_site
from lifecycle.runbooks import upgrade
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.upgrade.eta import STARTUP, Costs, estimate, step_seconds

SITE = "examples/ie1"


@pytest.fixture(scope="module")
def svc() -> Services:
    return upgrade.services(Services(site_dir=SITE, endpoints_file="no-endpoints.yaml"))


def eta(svc: Services, limits: dict[str, int] | None = None, **plan: object) -> float:
    p = upgrade.build_plan(svc, recommission=False, **plan)  # type: ignore[arg-type]
    return upgrade.eta_seconds(p, site=svc.site, limits=limits)


def test_waves_run_one_after_the_other(svc: Services) -> None:
    both, one, two = eta(svc), eta(svc, wave="wave1"), eta(svc, wave="wave2")
    # one process start for both waves, otherwise the sum of the waves
    assert both == pytest.approx(one + two - STARTUP, abs=0.5)


def test_moves_of_a_wave_overlap(svc: Services) -> None:
    wave = eta(svc, wave="wave1")
    apps = [eta(svc, apps=[a]) - STARTUP for a in ("notifications", "reporting", "web-portal")]
    assert wave - STARTUP < 0.6 * sum(apps)  # in parallel, not one after the other
    assert wave - STARTUP >= max(apps) - 0.5  # and no faster than the slowest


def test_a_system_limit_of_one_serialises_its_steps(svc: Services) -> None:
    wide = eta(svc, wave="wave1")
    narrow = eta(svc, wave="wave1", limits={"nova": 1, "vsd": 1, "neutron": 1, "netscaler": 1})
    # six moves' boots (4 s and more each) now queue for one Nova slot
    assert narrow > wide + 5 * 4


def test_soak_monitor_and_drain_delay_are_on_the_critical_path(svc: Services) -> None:
    base = eta(svc)
    site = load_site(SITE)
    slow = site.model_copy(deep=True)
    assert slow.upgrade is not None and slow.loadbalancer is not None
    slow.upgrade.soak_seconds = site.upgrade.soak_seconds + 10  # type: ignore[union-attr]
    for m in slow.loadbalancer.monitors:
        m.interval = m.interval + 4
    for a in slow.applications:
        for env in a.environments.values():
            assert env.lb is not None
            env.lb.drain_delay = env.lb.drain_delay + 6
    svc_slow = upgrade.services(Services(site_dir=SITE, endpoints_file="no-endpoints.yaml", site=slow))
    p = upgrade.build_plan(svc_slow, recommission=False)
    # per wave: 10 s more soak, 6 s more drain, a quarter of 4 s more until i2 sees UP
    assert upgrade.eta_seconds(p, site=slow) == pytest.approx(base + 2 * (10 + 6 + 1), abs=0.5)


def test_a_boot_costs_per_vm_and_waits_for_the_vm() -> None:
    boot = StepSpec(key="x/prd/boot", target="app:x", action="upgrade.boot",
                    params={"app": "x", "env": "prd"})
    one, three = step_seconds(boot, Costs(vms={"x/prd": 1})), step_seconds(boot, Costs(vms={"x/prd": 3}))
    assert one > 4.0  # the twin's realistic boot
    assert three - one == pytest.approx(2 * 0.05, abs=1e-6)  # one more POST per VM, at Nova's 50 ms


def test_a_cycle_is_an_error() -> None:
    steps = [StepSpec(key="a", target="t", action="x", deps=["b"]),
             StepSpec(key="b", target="t", action="x", deps=["a"])]
    with pytest.raises(ValueError, match="cycle"):
        simulate(steps, lambda s: 1.0, lambda s: "nova", lambda sys: 1)


def test_estimate_adds_readiness_per_move(svc: Services) -> None:
    p = upgrade.build_plan(svc, recommission=False, wave="wave1")
    one = estimate(p, svc.site, lambda sys: 4)
    more = upgrade.build_plan(svc, recommission=False)
    assert estimate(more, svc.site, lambda sys: 4) > one
