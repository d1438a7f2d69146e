"""The clouds adapter's facade: one OpenStack cloud as the upgrade sees it, through openstacksdk.

Reads are plain SDK calls; every change first looks for its object by name in the project
(and i2's metadata on servers), so a resumed run repeats nothing. The facade is put together
from :mod:`~lifecycle.clouds.base` (projects, capacity), :mod:`~lifecycle.clouds.network` (Nuage
net-partitions, VSD-managed subnets), :mod:`~lifecycle.clouds.servers` and
:mod:`~lifecycle.clouds.volumes`.

Example (needs a reachable cloud)::

    cloud = Cloud.connect(endpoints, "ie1-new")
    np, created = cloud.ensure_net_partition("IE1")
    net, _ = cloud.ensure_network("finance-prd", "billing-prd-b")
"""

from __future__ import annotations

from lifecycle.clouds.network import NetworkMixin, vsd_busy
from lifecycle.clouds.servers import ServersMixin
from lifecycle.clouds.volumes import VolumesMixin

IN_SERVICE = "i2.in_service"  # server metadata: "true" while the VM takes traffic
WRITES = "i2.writes"  # server metadata on stateful VMs: "frozen" while its volumes move
STEP = "i2.step"  # server metadata: the run step that booted it (what a resume looks for)


class Cloud(NetworkMixin, ServersMixin, VolumesMixin):
    """One cloud, with an admin connection and a project-scoped one per team project."""


__all__ = ["IN_SERVICE", "STEP", "WRITES", "Cloud", "vsd_busy"]
