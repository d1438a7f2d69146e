"""Recommissioning: the old cloud's emptied computes become hypervisors of the new cloud.

For each ``recommission`` entry of the upgrade (servers, role, after_wave), once that wave's
applications have left the old cloud (the node delete, one per entry, is the old director's
``openstack overcloud node delete``: the old stack stops counting the servers before the old
Ironic forgets them)::

    rec/<s>/drain ─> disable ─> rec/<old>/<wave>/node-delete ─> rec/<s>/undeploy
    undeploy ─┬─> rec/<rack>/fabric ────────────────────┐
              └─> rec/<s>/identify ─> profile ─> enroll ─> manage ─> inspect
    inspect ─> check ─> tag ─> provide ─> overcloud/<new>/render ─> validate ─> upload ─> deploy
    deploy ─> rec/<s>/hypervisor

The OneView, Ironic and overcloud steps are the rack runbook's own (lifecycle.runbooks.rack), run
on a view of the site in which the recommissioned servers already belong to the new cloud with
their new role (:func:`recommissioned`): their leaf ports render with the new cloud's VLANs,
they enroll in the new cloud's undercloud and get ``node:<role>-N`` indices there. The steps are
part of an upgrade run (lifecycle.runbooks.upgrade), whose factory registers :func:`actions`.

>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> site = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1")
>>> [(s.cloud, s.role) for s in recommissioned(site).servers if s.name == "c01-s01"]
[('ie1-new', 'ComputeNuage')]
>>> [s.cloud for s in site.servers if s.name == "c01-s01"]  # the site itself is untouched
['ie1-old']
"""

from __future__ import annotations

from lifecycle.engine import Action
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.recommission.fabric import Fabric
from lifecycle.runbooks.recommission.old_cloud import (
    Disable,
    Drain,
    OldCloudParams,
    OldNodeDelete,
    OldStackParams,
    Undeploy,
)
from lifecycle.runbooks.recommission.plan import recommission_steps, recommissioned

__all__ = ["Disable", "Drain", "Fabric", "OldCloudParams", "OldNodeDelete", "OldStackParams", "Undeploy",
           "actions", "recommission_steps", "recommissioned"]


def actions(svc: Services) -> list[Action]:
    """The recommissioning's own actions (the rack's and the overcloud's are registered apart)."""
    return [k(svc) for k in (Drain, Disable, OldNodeDelete, Undeploy, Fabric)]
