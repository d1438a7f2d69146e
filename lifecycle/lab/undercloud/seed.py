"""An in-service cloud as its undercloud has it when the twin starts: the servers of its racked
racks enrolled in the undercloud's Ironic, tagged ``node:<role>-N`` (name order) and deployed,
and the stack recording them (the cloud was deployed long before i2 came).

These nodes are fake-hardware, not redfish: nothing of the twin drives them closely, and a
Redfish deploy costs seconds of BMC power delays per node at every ``i2 lab up``. Their names,
properties, capabilities and resource class are the site's; their BMC (sushy-tools) is left
powered off. As an undercloud that imported and introspected them long ago has them, each node
has a port per NIC (the world's MACs; PXE on the boot NIC, as inspection's update_pxe_enabled
leaves it; ``local_link_connection`` from the LLDP of the switch port it is actually cabled to),
and once deployed it is ``active`` with an ``instance_uuid`` and ``power on`` (it is serving).
A lab restarted on the same directory keeps what it seeded.

Example (needs a started undercloud host and its Ironic)::

    seed_cloud(host, site, site.cloud("ie1-new"), world)
    # {'Controller': ['r01-s01', 'r01-s02', 'r01-s03'], 'ComputeNuage': []}
"""

from __future__ import annotations

import uuid
from typing import Any

from lifecycle.lab.undercloud.director import NOVA_COMPUTE
from lifecycle.lab.undercloud.host import UndercloudHost
from lifecycle.lab.undercloud.stack import Member, ResourceGroup, StackState
from lifecycle.lab.undercloud.tht import role_definition, tht_tree
from lifecycle.lab.world import World
from lifecycle.model.schema import Cloud, Role, Site


def _role_base(role: Role) -> dict[str, Any]:
    """THT's role definition (for its services and hostname format), if the tree is there."""
    try:
        return role_definition(tht_tree(), role.name)
    except (OSError, ValueError):  # no THT tree on this machine: a name-based guess is enough for a seed
        return {"ServicesDefault": [NOVA_COMPUTE] if "Compute" in role.name else []}


def _properties(site: Site, server: Any, capabilities: str) -> dict[str, Any]:
    inv = site.hardware_profiles[server.hardware_profile].inventory
    disks = [d.size_gb for d in inv.disks for _ in range(d.count)]
    return {"cpus": inv.cpus, "memory_mb": inv.memory_mb, "local_gb": disks[0] if disks else 0,
            "cpu_arch": inv.cpu_arch, "capabilities": capabilities}


def seed_cloud(host: UndercloudHost, site: Site, cloud: Cloud, world: World) -> dict[str, list[str]]:
    """Enroll and deploy the cloud's racked servers (once); returns role -> node names."""
    if host.stacks.get(cloud.stack) is not None:
        stack = host.stacks.get(cloud.stack)
        assert stack is not None
        return {r: [m.node for m in g.members.values()] for r, g in stack.roles.items()}
    assert host.nodes is not None
    nodes = host.nodes
    racked = {s.name for s in world.servers if s.racked}
    have = {n["name"]: n for n in nodes.list()}
    plan: list[tuple[Role, int, Any, dict[str, Any]]] = []
    for role in cloud.roles:
        servers = sorted((s for s in site.servers if s.cloud == cloud.name and s.role == role.name
                          and s.name in racked), key=lambda s: s.name)
        profile = role.profile
        for i, server in enumerate(servers):
            caps = f"node:{role.name.lower()}-{i},profile:{profile},boot_mode:uefi"
            rc = site.hardware_profiles[server.hardware_profile].ironic.resource_class
            node = have.get(server.name) or nodes.create_fake(
                server.name, properties=_properties(site, server, caps), resource_class=rc)
            plan.append((role, i, server, node))
            _ensure_ports(nodes, node["uuid"], world, server.name)
    by_state = {n["uuid"]: n.get("provision_state") for n in nodes.list()}
    for state, verb, target in (("enroll", "manage", "manageable"), ("manageable", "provide", "available")):
        todo = [n["uuid"] for _, _, _, n in plan if by_state.get(n["uuid"]) == state]
        for uid in todo:
            nodes.api.set_node_provision_state(uid, verb)
        _check(nodes.wait(todo, target), verb)
        by_state.update({uid: target for uid in todo})
    stack = StackState(name=cloud.stack, cloud=cloud.name, deploys=1)
    domain = site.site.domain
    hostmap: dict[str, str] = {}
    deploying = []
    for role in cloud.roles:
        base = _role_base(role)
        fmt = role.hostname_format or base.get("HostnameFormatDefault") or \
            f"%stackname%-{role.name.lower()}-%index%"
        group = stack.roles.setdefault(role.name, ResourceGroup(
            hypervisor=NOVA_COMPUTE in (base.get("ServicesDefault") or [])))
        pd = stack.parameter_defaults
        pd[f"{role.name}HostnameFormat"] = fmt
        pd[f"Overcloud{role.name}Flavor"] = role.flavor
        pd[f"{role.name}SchedulerHints"] = {"capabilities:node": f"{role.name.lower()}-%index%"}
        for r, i, server, node in plan:
            if r.name != role.name:
                continue
            generated = fmt.replace("%stackname%", cloud.stack).replace("%index%", str(i))
            hostmap[generated] = server.name
            inv = site.hardware_profiles[server.hardware_profile].inventory
            server_id = node.get("instance_uuid") or str(uuid.uuid4())  # kept from an interrupted seed
            member = Member(index=i, node=server.name, node_uuid=node["uuid"], server_id=server_id,
                            hostname=f"{server.name}.{domain}", vcpus=inv.cpus, memory_mb=inv.memory_mb)
            group.members[i] = member
            if by_state.get(node["uuid"]) == "available":
                nodes.deploy(node, member.server_id, server.name)
                deploying.append(node["uuid"])
        group.count = len(group.members)
        stack.parameter_defaults[f"{role.name}Count"] = group.count
    stack.parameter_defaults.update(HostnameMap=hostmap, CloudDomain=domain)
    _check(nodes.wait(deploying, "active"), "deploy")
    _power_on(nodes, [n["uuid"] for _, _, _, n in plan])
    host.stacks.save(stack)
    return {r: [m.node for m in g.members.values()] for r, g in stack.roles.items()}


def _local_link(world: World, server: str) -> dict[str, dict[str, str]]:
    """NIC name -> what the inspection's local-link-connection hook stored from its LLDP."""
    out = {}
    for link in world.links:
        for (dev, port), (peer, peer_port) in (link.ends(), link.ends()[::-1]):
            if dev == server:
                try:
                    mac = world.switch(peer).system_mac
                except StopIteration:
                    continue  # not a switch (no LLDP from it)
                out[port] = {"switch_id": mac.lower(), "port_id": peer_port, "switch_info": peer}
    return out


def _ensure_ports(nodes: Any, node_uuid: str, world: World, server: str) -> None:
    """A port per NIC of the server, unless the node has its ports already (a restarted lab)."""
    if any(True for _ in nodes.api.ports(node_uuid=node_uuid)):
        return
    links = _local_link(world, server)
    for i, nic in enumerate(world.server(server).nics):
        llc = links.get(nic.name)
        nodes.api.create_port(node_uuid=node_uuid, address=nic.mac.lower(), is_pxe_enabled=i == 0,
                              **({"local_link_connection": llc} if llc else {}))


def _power_on(nodes: Any, uuids: list[str]) -> None:
    """The deployed nodes are serving: Ironic has them ``power on``."""
    for uid in uuids:
        if nodes.api.get_node(uid).power_state != "power on":
            nodes.api.set_node_power_state(uid, "power on")
    for uid in uuids:
        nodes.api.wait_for_node_power_state(uid, "power on", timeout=60)


def _check(results: dict[str, str | None], verb: str) -> None:
    failed = {k: v for k, v in results.items() if v}
    if failed:
        raise RuntimeError(f"seeding the undercloud: {verb} failed for {failed}")
