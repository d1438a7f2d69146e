"""The upgrade runbook's actions: one class per step kind, each idempotent and observable,
grouped by the system they change.

Every action finds its objects by the names :mod:`lifecycle.runbooks.upgrade.model` fixes (and
by what earlier steps recorded), so a process killed anywhere resumes without creating a VSD
object, a VM or a volume twice. The sides are named by role: a rollback's
``upgrade.delete_source_vms`` deletes B's VMs. Stored runs keep the older names (``aliases``).
"""

from __future__ import annotations

from collections.abc import Callable

from lifecycle.engine import Action
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.upgrade.actions.cutover import Evidence, InService, Retire, Soak
from lifecycle.runbooks.upgrade.actions.lb import LbDrain, LbEnsure, LbInService, LbUnbind
from lifecycle.runbooks.upgrade.actions.network import DeleteSourceNetwork, Network
from lifecycle.runbooks.upgrade.actions.servers import Boot, DeleteSourceVms, Freeze, Healthy, RollbackCheck
from lifecycle.runbooks.upgrade.actions.teams import Endpoint
from lifecycle.runbooks.upgrade.actions.volumes import Attach, Detach, Manage, Unmanage
from lifecycle.runbooks.upgrade.actions.vsd import AclMirror, DeleteSourceVsd, NetPartition, VsdSubnet

KINDS: tuple[Callable[[Services], Action], ...] = (
    NetPartition, VsdSubnet, AclMirror, Network, Boot, Freeze, RollbackCheck, Detach, Unmanage, Manage,
    Attach, Healthy, InService, Endpoint, Soak, Retire, DeleteSourceVms, DeleteSourceNetwork,
    DeleteSourceVsd, Evidence, LbEnsure, LbInService, LbDrain, LbUnbind)


def actions(svc: Services) -> list[Action]:
    """One of each, bound to ``svc``."""
    return [k(svc) for k in KINDS]


__all__ = ["KINDS", "AclMirror", "Attach", "Boot", "DeleteSourceNetwork", "DeleteSourceVms",
           "DeleteSourceVsd", "Detach", "Endpoint", "Evidence", "Freeze", "Healthy", "InService", "LbDrain",
           "LbEnsure", "LbInService", "LbUnbind", "Manage",
           "NetPartition", "Network", "Retire", "RollbackCheck", "Soak", "Unmanage", "VsdSubnet", "actions"]
