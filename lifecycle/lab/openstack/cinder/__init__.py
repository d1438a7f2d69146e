"""Cinder v3 with one Pure backend on the shared array: volumes (create, list, show, update,
delete), the legacy attach actions (os-reserve, os-attach, os-begin_detaching, os-detach, ...)
and the 3.27+ attachments API, manageable volumes, manage existing, unmanage, volume types,
os-services, scheduler pools, quotas and user messages.

The backend behaves as cinder/volume/drivers/pure.py does: a Cinder volume is the array volume
``volume-<id>-cinder``; manage renames the referenced array volume to that name (it must exist and
be connected to no host); unmanage renames it ``volume-<id>-cinder-unmanaged``; manageable volumes
list every array volume with ``safe_to_manage`` and the driver's reasons. One addition (see
:mod:`lifecycle.lab.array`): a volume another cloud manages is "already managed" here too.
Manage is asynchronous as in Cinder (202, ``creating``, then ``available`` or ``error``).
"""

from lifecycle.lab.openstack.cinder.common import P
from lifecycle.lab.openstack.cinder.manage import UNMANAGED_SUFFIX
from lifecycle.lab.openstack.cinder.service import Cinder

__all__ = ["UNMANAGED_SUFFIX", "Cinder", "P"]
