"""The overcloud's members as one undercloud's Ironic tags them: what TripleO's decisions
(lifecycle.tripleo.deploy) are handed, read here so the TripleO adapter never reads Ironic."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # both imported when first used: `i2 rack plan` needs neither up front
    from lifecycle.baremetal import Baremetal
    from lifecycle.tripleo.deploy import Node

FIELDS = ["uuid", "name", "properties", "provision_state", "instance_uuid", "instance_info"]


def tagged_nodes(bm: Baremetal, roles: Iterable[str]) -> dict[str, dict[int, Node]]:
    """Role -> index -> node, from the ``node:<role lower>-N`` capabilities of one Ironic.

    >>> from types import SimpleNamespace as NS
    >>> node = NS(name="c02-s01", id="u-1", provision_state="active", instance_id="i-1",
    ...           properties={"capabilities": "node:computenuage-0,boot_option:local"},
    ...           instance_info={"display_name": "novacompute-0"})
    >>> nodes = tagged_nodes(NS(api=NS(nodes=lambda fields: [node])), ["Controller", "ComputeNuage"])
    >>> nodes["Controller"], nodes["ComputeNuage"][0].hostname, nodes["ComputeNuage"][0].deployed
    ({}, 'novacompute-0', True)
    """
    from lifecycle.baremetal import parse_capabilities, role_capability
    from lifecycle.tripleo.deploy import Node

    prefixes = {role_capability(r): r for r in roles}
    out: dict[str, dict[int, Node]] = {r: {} for r in prefixes.values()}
    for n in bm.api.nodes(fields=FIELDS):
        tag = parse_capabilities((n.properties or {}).get("capabilities")).get("node", "")
        prefix, _, index = tag.rpartition("-")
        if prefix in prefixes and index.isdigit():
            out[prefixes[prefix]][int(index)] = Node(
                name=n.name or n.id, uuid=n.id, role=prefixes[prefix], index=int(index),
                state=n.provision_state or "", instance=n.instance_id,
                hostname=(n.instance_info or {}).get("display_name"))
    return out
