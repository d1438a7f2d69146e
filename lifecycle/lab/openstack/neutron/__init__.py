"""Neutron v2.0 (ML2 with the Nuage mechanism driver): networks (vxlan), subnets with their
allocation pools, ports with fixed IPs allocated from the pools, security groups, quotas, the
extension list, and the Nuage extensions handled by :mod:`nuage` (net-partitions, the
VSD-managed subnet attributes, vports and VMs in the VSD for compute ports).

Errors are Neutron's ``{"NeutronError": {"type", "message", "detail"}}``.
"""

from lifecycle.lab.openstack.neutron.common import N
from lifecycle.lab.openstack.neutron.service import Neutron

__all__ = ["N", "Neutron"]
