"""The Nuage side of Neutron (nuage-openstack-neutron 20.5/train, VSD-managed mode), talking to
the VSD over its REST API with this cloud's CMS id:

- ``/v2.0/net-partitions``: creating one links to the VSD enterprise of that name if it exists
  (adding the plugin's default ``<name>_def_L3_Template``/``_def_L2_Template`` when missing), else
  creates the enterprise; the net-partition id is the enterprise id.
- a subnet with ``nuagenet`` (and ``net_partition``) is VSD-managed: the plugin's checks are made
  against the VSD (the VSD subnet exists and lies in the net-partition's enterprise; CIDR and gateway
  match) with the plugin's messages, then the project's group is given USE on the subnet's zone.
- a port on a VSD-managed subnet gets a vport (``type VM``) when created, and a VM with its
  interface (MAC, IP) when bound to a compute; objects carry ``externalID <neutron-uuid>@<cms_id>``;
  unbinding removes the VM, deleting the port the vport too.

The VSD requests are the plugin's, one for one (:mod:`.subnets`, :mod:`.ports`), sent as the
cloud's own plugin user (``NeutronNuageVSDUsername`` in ``NeutronNuageVSDOrganization``), who logs
in at the first call that needs the VSD: until the user exists (or with a wrong password) those
calls fail with the plugin's NuageAPIException (500).

Messages are the plugin's: ``Bad request: Provided Nuage subnet not in the provided Nuage
net-partition``, ``Bad request: OSP cidr 10.0.0.0/26 and NuageVsd cidr 10.0.0.64/26 do not
match``, ``Bad request: The specified gateway 10.0.0.1 does not match with gateway on VSD 10.0.0.65``.
"""

from lifecycle.lab.openstack.nuage.common import NUAGE_SUBNET_ATTRS
from lifecycle.lab.openstack.nuage.plugin import NuagePlugin

__all__ = ["NUAGE_SUBNET_ATTRS", "NuagePlugin"]
