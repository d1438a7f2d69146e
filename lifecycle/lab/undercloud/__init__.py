"""The twin's underclouds (OSP Directors): SSH on loopback, ``openstack overcloud ...`` acting on
the twin's real Ironic and registering hypervisors with the clouds (see host.py, director.py)."""

from lifecycle.lab.undercloud.host import UndercloudHost
from lifecycle.lab.undercloud.sink import HypervisorSink, RecordingSink
from lifecycle.lab.undercloud.starter import start_underclouds

__all__ = ["HypervisorSink", "RecordingSink", "UndercloudHost", "start_underclouds"]
