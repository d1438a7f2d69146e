"""Bare-metal adapter: an undercloud's Ironic (openstacksdk, redfish nodes, in-band inspection).

Example (needs a reachable Ironic)::

    from lifecycle.baremetal import Baremetal
    bm = Baremetal.connect(endpoints, "uc-new")
"""

from lifecycle.baremetal.client import Api, connect, ironic_endpoint, open_ironic
from lifecycle.baremetal.errors import BaremetalError
from lifecycle.baremetal.export import baremetal_deployment, instackenv
from lifecycle.baremetal.inspection import cabling_findings, hardware_findings, inventory_findings
from lifecycle.baremetal.nodes import Baremetal
from lifecycle.baremetal.spec import NodeSpec, PortSpec, node_spec, parse_capabilities, role_capability
from lifecycle.baremetal.watch import NodeWatcher

__all__ = [
    "Api", "Baremetal", "BaremetalError", "NodeSpec", "NodeWatcher", "PortSpec", "baremetal_deployment",
    "cabling_findings", "connect", "hardware_findings", "instackenv", "inventory_findings",
    "ironic_endpoint", "node_spec", "open_ironic", "parse_capabilities", "role_capability",
]
