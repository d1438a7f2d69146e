"""Neutron's IPAM: fixed IPs from a subnet's allocation pools, first free address first, with
Neutron's refusals (address taken, not on the subnet, pools exhausted)."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from lifecycle.lab.openstack.api import neutron_fault

if TYPE_CHECKING:
    from lifecycle.lab.openstack.neutron.service import Neutron


def used_ips(neutron: Neutron, subnet_id: str) -> set[str]:
    used = {
        ip["ip_address"]
        for p in neutron.ports.values()
        for ip in p["fixed_ips"]
        if ip["subnet_id"] == subnet_id
    }
    gw = neutron.subnets[subnet_id].get("gateway_ip")
    if gw:
        used.add(gw)
    return used


def allocate(
    neutron: Neutron, network: dict[str, Any], requests_: list[dict[str, Any]] | None
) -> list[dict[str, str]]:
    subnets = [s for s in neutron.subnets.values() if s["network_id"] == network["id"]]
    if requests_ is None:  # one address from the network's first subnet with room, as Neutron does
        for s in subnets:
            ip = free_ip(neutron, s)
            if ip:
                return [{"subnet_id": s["id"], "ip_address": ip}]
        if not subnets:
            return []
        raise neutron_fault(
            409,
            "IpAddressGenerationFailure",
            f"No more IP addresses available on network {network['id']}.",
        )
    out = []
    for want in requests_:
        sid, ip = want.get("subnet_id"), want.get("ip_address")
        if ip and not sid:
            sid = next(
                (s["id"] for s in subnets if ipaddress.ip_address(ip) in ipaddress.ip_network(s["cidr"])),
                None,
            )
            if sid is None:
                raise neutron_fault(
                    400,
                    "InvalidIpForNetwork",
                    f"IP address {ip} is not a valid IP for any of the subnets on the specified network.",
                )
        s = neutron.subnets.get(str(sid))
        if s is None or s["network_id"] != network["id"]:
            raise neutron_fault(
                400,
                "InvalidInput",
                f"Invalid input for operation: Failed to create port on "
                f"network {network['id']}, because fixed_ips included invalid subnet {sid}.",
            )
        if ip:
            if ipaddress.ip_address(ip) not in ipaddress.ip_network(s["cidr"]):
                raise neutron_fault(
                    400,
                    "InvalidIpForSubnet",
                    f"IP address {ip} is not a valid IP for the specified subnet.",
                )
            if ip in used_ips(neutron, s["id"]) or any(ip == o["ip_address"] for o in out):
                raise neutron_fault(
                    409,
                    "IpAddressAlreadyAllocated",
                    f"IP address {ip} already allocated in subnet {s['id']}",
                )
        else:
            ip = free_ip(neutron, s, taken={o["ip_address"] for o in out})
            if ip is None:
                raise neutron_fault(
                    409,
                    "IpAddressGenerationFailure",
                    f"No more IP addresses available on network {network['id']}.",
                )
        out.append({"subnet_id": s["id"], "ip_address": str(ip)})
    return out


def free_ip(neutron: Neutron, s: dict[str, Any], taken: set[str] | None = None) -> str | None:
    used = used_ips(neutron, s["id"]) | (taken or set())
    for pool in s["allocation_pools"]:
        start, end = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
        addr = start
        while addr <= end:
            if str(addr) not in used:
                return str(addr)
            addr += 1
    return None
