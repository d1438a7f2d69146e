"""OpenStack clouds adapter (openstacksdk): projects, capacity, the Nuage net-partition and
VSD-managed subnets, servers, volumes (manage/unmanage) and compute services of one cloud.

Example (needs a reachable cloud)::

    from lifecycle.clouds import Cloud
    cloud = Cloud.connect(endpoints, "ie1-old")
    [s.name for s in cloud.servers(project="finance-prd")]     # ['billing-prd-1', 'reporting-prd-1']
"""

from lifecycle.clouds.client import CloudError, connect
from lifecycle.clouds.cloud import IN_SERVICE, STEP, WRITES, Cloud

__all__ = ["IN_SERVICE", "STEP", "WRITES", "Cloud", "CloudError", "connect"]
