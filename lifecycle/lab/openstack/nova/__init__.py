"""Nova: servers with their lifecycle, scheduling onto enabled hypervisors with capacity, server
actions (stop/start/reboot), instance actions, metadata, volume attachments (coordinated with
Cinder and the array) and interfaces; and the inventory side: flavors, hypervisors, os-services,
keypairs, quotas and limits.

A server is BUILD until the latency profile's ``nova.boot`` has passed, then ACTIVE; it goes to
ERROR with Nova's fault when no enabled hypervisor has room ("No valid host was found. There are
not enough hosts available."), when its network cannot be allocated (e.g. the VSD refuses the
vport) or when ``nova.task_error`` fires. Deleting a server deletes the ports Nova made (and
through Neutron their VSD vport/VM) and detaches its volumes.
"""

from lifecycle.lab.openstack.nova.boot import NO_VALID_HOST
from lifecycle.lab.openstack.nova.common import V
from lifecycle.lab.openstack.nova.servers import ServerView
from lifecycle.lab.openstack.nova.service import Nova

__all__ = ["NO_VALID_HOST", "Nova", "ServerView", "V"]
