"""The plain data a cloud's deploy files are rendered from: role and network plans, addresses.

Roles start from the THT tree's own definitions (or ``lifecycle/tripleo/templates/roles.yaml``'s derived
ones); every node gets a predictable address per network, VIPs first, then a block per role.

>>> name_lower("InternalApi"), hostname("%stackname%-novacompute-%index%", "overcloud", 2)
('internal_api', 'overcloud-novacompute-2')
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from lifecycle.model.schema import Cloud, IsolatedNetwork, Role, Site
from lifecycle.tripleo.errors import RenderError
from lifecycle.tripleo.paths import TEMPLATES_DIR, THT_VERSION

# Addresses at the start of a VIP network's pool kept for its VIPs (the network's, Redis').
VIP_SLOTS = 2
NO_VIP_NETWORKS = ("Tenant", "Management")
DEFAULT_MTU = 1500


@dataclass
class NetPlan:
    name: str
    lower: str
    vlan: int | None
    cidr: str
    gateway: str | None
    pools: list[dict[str, str]]
    vip: bool
    mtu: int = DEFAULT_MTU
    vip_ip: str | None = None

    @property
    def vip_param(self) -> str:
        return "PublicVirtualFixedIPs" if self.name == "External" else f"{self.name}VirtualFixedIPs"

    @property
    def vip_port(self) -> str:
        return f"{self.name}VipPort"


@dataclass
class RolePlan:
    name: str
    count: int
    flavor: str
    hostname_format: str
    capability: str
    nets: list[NetPlan]
    slots: int
    nic_config: str
    ctlplane_nic: str
    trunk_nic: str
    default_route_net: str | None
    hostnames: dict[str, str] = field(default_factory=dict)
    ips: dict[str, list[str]] = field(default_factory=dict)
    removed: list[int] = field(default_factory=list)  # indices for <Role>RemovalPolicies


def group_members(count: int, removed: Sequence[int] = ()) -> list[int]:
    """The indices Heat's ResourceGroup gives ``count`` members: the first ones not removed.

    >>> group_members(3, [1])
    [0, 2, 3]
    """
    skip, out, i = set(removed), [], 0
    while len(out) < count:
        if i not in skip:
            out.append(i)
        i += 1
    return out


def name_lower(name: str) -> str:
    """THT's ``name_lower`` of a network: ``InternalApi`` -> ``internal_api``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def hostname(fmt: str, stack: str, index: int) -> str:
    """The hostname THT gives node ``index`` of a role before ``HostnameMap`` applies."""
    return fmt.replace("%stackname%", stack).replace("%index%", str(index))


@cache
def _derived_roles() -> dict[str, Any]:
    return yaml.safe_load((TEMPLATES_DIR / "roles.yaml").read_text()) or {}


def _load_yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(), Loader=loader)


def base_role(tree: Path, name: str) -> dict[str, Any]:
    """The THT role definition a site role starts from (a copy, i2's changes applied)."""
    own = tree / "roles" / f"{name}.yaml"
    if own.is_file():
        return dict(_load_yaml(own)[0])
    derived = _derived_roles().get(name)
    if derived is None:
        raise RenderError(f"role {name}: THT {THT_VERSION} has no roles/{name}.yaml and "
                          "lifecycle/tripleo/templates/roles.yaml does not derive it")
    base_file = tree / "roles" / f"{derived['base']}.yaml"
    role = dict(_load_yaml(base_file)[0])
    for key in [k for k in role if k.startswith("deprecated_") or k == "uses_deprecated_params"]:
        del role[key]  # the deprecated aliases belong to the legacy role names only
    drop = set(derived.get("remove_services", []))
    role["ServicesDefault"] = [s for s in role.get("ServicesDefault", []) if s not in drop]
    role["description"] = derived.get("description", role.get("description", ""))
    if "HostnameFormatDefault" in derived:
        role["HostnameFormatDefault"] = derived["HostnameFormatDefault"]
    return role


def _role_networks(base: Mapping[str, Any]) -> list[str]:
    nets = base.get("networks") or []
    return list(nets) if isinstance(nets, Mapping | list) else []


def _pool_addresses(net: IsolatedNetwork) -> Iterator[str]:
    for pool in net.allocation_pools:
        for n in range(int(pool.start), int(pool.end) + 1):
            ip = ipaddress.IPv4Address(n)
            if ip != net.gateway:
                yield str(ip)


def _net_plan(net: IsolatedNetwork) -> NetPlan:
    pools = [{"start": str(p.start), "end": str(p.end)} for p in net.allocation_pools]
    return NetPlan(name=net.name, lower=name_lower(net.name), vlan=net.vlan, cidr=str(net.cidr),
                   gateway=str(net.gateway) if net.gateway else None, pools=pools,
                   vip=net.name not in NO_VIP_NETWORKS)


def default_nodes(site: Site, cloud: Cloud) -> dict[str, list[tuple[str, int]]]:
    """Role -> [(server, index)] as the rack runbook first tags a fresh cloud: name order."""
    out: dict[str, list[tuple[str, int]]] = {}
    for role in cloud.roles:
        members = sorted(s.name for s in site.servers if s.cloud == cloud.name and s.role == role.name)
        out[role.name] = [(name, i) for i, name in enumerate(members)]
    return out


def _nics(site: Site, cloud: Cloud, role: Role) -> tuple[str, str]:
    """(ctlplane NIC, trunk NIC) from the hardware profile of the role's servers."""
    servers = sorted((s for s in site.servers if s.cloud == cloud.name and s.role == role.name),
                     key=lambda s: s.name)
    profile = site.hardware_profiles.get(servers[0].hardware_profile) if servers else None
    if profile is None:
        return "nic1", "nic2"
    names = [n.name for n in profile.nics]
    pxe = next((n.name for n in profile.nics if n.pxe), names[0])
    trunk = next((n for n in names if n != pxe), pxe)
    return pxe, trunk


def plan_cloud(site: Site, cloud: Cloud, tree: Path,
               nodes: Mapping[str, Sequence[tuple[str, int]]] | None = None,
               counts: Mapping[str, int] | None = None, removed: Mapping[str, Sequence[int]] | None = None
               ) -> tuple[list[dict[str, Any]], list[NetPlan], list[RolePlan], str | None]:
    """roles_data entries, network plans, role plans and the Redis VIP. ``counts`` and
    ``removed`` override the site's count and name the removed indices, per role."""
    nets = [_net_plan(n) for n in cloud.networks]
    by_name = {n.name: n for n in nets}
    members = dict(default_nodes(site, cloud))
    for role_name, given in (nodes or {}).items():
        members[role_name] = [(str(n), int(i)) for n, i in given]
    roles_data: list[dict[str, Any]] = []
    plans: list[RolePlan] = []
    for role in cloud.roles:
        base = base_role(tree, role.name)
        base["name"] = role.name
        base["CountDefault"] = role.count
        fmt = role.hostname_format or base.get("HostnameFormatDefault") or \
            f"%stackname%-{role.name.lower()}-%index%"
        base["HostnameFormatDefault"] = fmt
        wanted = [n for n in _role_networks(base) if n in by_name]
        if isinstance(base.get("networks"), Mapping):
            base["networks"] = {n: base["networks"][n] for n in wanted}
        else:
            base["networks"] = wanted
        gateways = [n for n in base.get("default_route_networks", []) if n in by_name and by_name[n].gateway]
        if "default_route_networks" in base:
            base["default_route_networks"] = [n for n in base["default_route_networks"]
                                              if n in by_name or n == "ControlPlane"]
        roles_data.append(base)
        given = members.get(role.name, [])
        count = (counts or {}).get(role.name, role.count)
        gone = sorted({int(i) for i in (removed or {}).get(role.name, ())})
        slots = max([role.count, len(given), *[i + 1 for _, i in given],
                     *[i + 1 for i in group_members(count, gone)]])
        ctl, trunk = _nics(site, cloud, role)
        plan = RolePlan(name=role.name, count=count, flavor=role.flavor, hostname_format=fmt, removed=gone,
                        capability=role.name.lower(), nets=[by_name[n] for n in wanted], slots=slots,
                        nic_config=f"{role.name.lower()}.yaml", ctlplane_nic=ctl, trunk_nic=trunk,
                        default_route_net=gateways[0] if gateways else None)
        for node, index in sorted(given, key=lambda x: x[1]):
            plan.hostnames[hostname(fmt, cloud.stack, index)] = node
        plans.append(plan)
    redis = _allocate(cloud, nets, plans)
    return roles_data, nets, plans, redis


def _allocate(cloud: Cloud, nets: list[NetPlan], plans: list[RolePlan]) -> str | None:
    """Predictable addresses: per network, its VIPs then one block per role (cloud order)."""
    redis: str | None = None
    by_name = {n.name: n for n in cloud.networks}
    for net in nets:
        users = [p for p in plans if net in p.nets]
        reserved = VIP_SLOTS if net.vip else 0
        need = reserved + sum(p.slots for p in users)
        addresses = list(_take(_pool_addresses(by_name[net.name]), need))
        if len(addresses) < need:
            parts = ", ".join(f"{p.name} {p.slots}" for p in users)
            raise RenderError(
                f"network {net.name} of cloud {cloud.name}: its allocation pools hold "
                f"{len(addresses)} addresses but {need} are needed ({reserved} VIPs, {parts})")
        if net.vip:
            net.vip_ip = addresses[0]
            if net.name == "InternalApi":
                redis = addresses[1]
        at = reserved
        for p in users:
            p.ips[net.lower] = addresses[at:at + p.slots]
            at += p.slots
    return redis


def _take(it: Iterator[str], n: int) -> Iterator[str]:
    for i, item in enumerate(it):
        if i >= n:
            return
        yield item

