"""What the Nuage plugin's modules share: the Neutron path prefix, the subnet attributes the
plugin adds, its default template and zone names, and its two kinds of bad request."""

from __future__ import annotations

from lifecycle.lab.base import HttpError
from lifecycle.lab.openstack.api import neutron_fault

N = r"/v2\.0"
NUAGE_SUBNET_ATTRS = (
    "net_partition",
    "nuagenet",
    "underlay",
    "vsd_managed",
    "nuage_uplink",
    "vsd_id",
    "nuage_net_partition_id",
    "nuage_underlay",
    "nuage_l2bridge",
)
DEF_L3DOM_TEMPLATE_PFIX = "_def_L3_Template"
DEF_L2DOM_TEMPLATE_PFIX = "_def_L2_Template"
DEF_NUAGE_ZONE_PREFIX = "def_zone"


def bad_request(msg: str) -> HttpError:
    """NuageBadRequest as Neutron renders it."""
    return neutron_fault(400, "NuageBadRequest", f"Bad request: {msg}")


def plain_bad_request(msg: str) -> HttpError:
    """neutron_lib's BadRequest (what nuage_apis.py raises for net-partitions)."""
    return neutron_fault(400, "BadRequest", f"Bad net_partition request: {msg}.")
