"""Upgrade runbook: the immutable-cloud upgrade, application by application, subnet by subnet.

:func:`readiness` observes both clouds and VSD and says, per wave and application, what blocks
and what will be done; :func:`build_plan` fixes the steps of a run; :func:`build` is the
engine's factory that rebuilds the actions on every resume (stored runs name it
``lifecycle.runbooks.upgrade:build``).

Steps per application environment (make before break; ``--app``/``--wave`` select)::

    net-partition ─> vsd-subnet ─> acl-mirror ──────────────────────────────┐
                         └──────> network ─> boot ─> [freeze ─> per volume: detach ─> unmanage
                                                      ─> manage] ─> attach ─> healthy ─> in-service
    in-service ─> soak ─> retire ─> delete-a-vms ─> delete-a-network ─> delete-vsd-a
    in-service (every app of a project) ─> endpoint/<project>

B's VMs are booted before any volume moves, so the writers are held only while volumes move.
Waves run one after the other; a failed application is quarantined and its wave goes on
within ``--max-fail-percent``. A rollback runs the same actions from B back to A: its
``delete-b-vms`` step runs ``upgrade.delete_source_vms``.

>>> from lifecycle.runbooks.common import Services
>>> svc = services(Services(site_dir="examples/ie1", endpoints_file="endpoints.yaml"))
>>> plan = build_plan(svc, wave="wave1", recommission=False)
>>> [s.key for s in plan.steps][:4]
['net-partition', 'notifications/prd/vsd-subnet', 'notifications/prd/acl-mirror',
 'notifications/prd/network']
>>> plan.steps[4].action, plan.steps[4].params
('upgrade.boot', {'app': 'notifications', 'env': 'prd', 'reverse': False,
                  'network_step': 'notifications/prd/network'})
>>> back = build_rollback_plan(svc, "notifications")
>>> [(s.key, s.action) for s in back.steps if "/delete-" in s.key][:2]
[('notifications/prd/rollback/delete-b-vms', 'upgrade.delete_source_vms'),
 ('notifications/prd/rollback/delete-b-network', 'upgrade.delete_source_network')]
"""

from __future__ import annotations

from lifecycle.runbooks.upgrade.factory import LIMITS, RUNBOOK, build, registry, services
from lifecycle.runbooks.upgrade.model import Move, UpgradeModelError, clouds, moves
from lifecycle.runbooks.upgrade.plan import STEP_SECONDS, build_plan, build_rollback_plan, eta_seconds
from lifecycle.runbooks.upgrade.readiness import Finding, readiness

__all__ = ["LIMITS", "RUNBOOK", "STEP_SECONDS", "Finding", "Move", "UpgradeModelError", "build", "build_plan",
           "build_rollback_plan", "clouds", "eta_seconds", "moves", "readiness", "registry", "services"]
