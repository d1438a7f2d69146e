"""OpenStack cloud emulators of the twin: Keystone v3, Nova, Neutron with the Nuage extensions,
Cinder v3 on the shared Pure-like array and Glance v2, each on its own HTTPS port of 127.0.0.1,
wire-faithful for unmodified openstacksdk and python-openstackclient. docs/twin-openstack.md
describes what is emulated and how faithfully.

In-process API (what the lab daemon and tests use)::

    from lifecycle.lab.array import PureArray
    from lifecycle.lab.openstack import OpenStackCloud, VsdAccess

    array = PureArray("pure-ie1")                       # one array, shared by both clouds
    vsd = VsdAccess("https://127.0.0.1:8443", "csproot", "csproot", "csp", ca=tls.ca)
    old = OpenStackCloud(site.cloud("ie1-old"), tls=tls, array=array, vsd=vsd,
                         admin_password=secrets["keystone"], latency=lab.latency,
                         faults=lab.faults).start()     # registers its CMS id in the VSD
    old.cms_id                                          # the id its VSD objects end with
    old.add_hypervisor("c01-s01", vcpus=56, memory_mb=393216, local_gb=447)
    yaml.safe_dump(old.clouds_yaml(projects=["digital-prd"]))   # admin + per-project entries
    [s for s in old.servers() if s.status == "ACTIVE" and s.in_service]   # workload probes
    old.remove_hypervisor("c01-s01")
    old.stop()

Then ``openstack.connect(cloud="ie1-old")`` with that clouds.yaml, or
``OS_CLIENT_CONFIG_FILE=clouds.yaml openstack --os-cloud ie1-old server list``.
"""

from lifecycle.lab.openstack.cloud import OpenStackCloud, VsdAccess
from lifecycle.lab.openstack.nova import ServerView
from lifecycle.lab.openstack.releases import RELEASES, ReleaseFacts, release

__all__ = ["RELEASES", "OpenStackCloud", "ReleaseFacts", "ServerView", "VsdAccess", "release"]
