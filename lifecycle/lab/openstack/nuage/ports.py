"""Compute ports on VSD-managed subnets: binding makes a vport (``type VM``) and a VM with its
interface (MAC, IP) in the VSD, objects carrying ``externalID <neutron-uuid>@<cms_id>``;
unbinding removes them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.openstack.vsd import VsdError

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nuage.plugin import NuagePlugin


def manages(plugin: NuagePlugin, port: dict[str, Any]) -> bool:
    return any(
        (plugin.neutron.subnets.get(ip["subnet_id"]) or {}).get("vsd_managed") for ip in port["fixed_ips"]
    )


def port_bound(plugin: NuagePlugin, port: dict[str, Any]) -> None:
    if not manages(plugin, port) or port.get("_vport") or not port["device_owner"].startswith("compute:"):
        return
    subnet = plugin.neutron.subnets[port["fixed_ips"][0]["subnet_id"]]
    info = subnet["_vsd"]
    vsd = plugin.need_vsd()
    parent = "subnets" if info["type"] == "SUBNET" else "l2domains"
    server_id = port["device_id"]

    def work() -> None:
        vport = vsd.post(
            f"/{parent}/{subnet['vsd_id']}/vports",
            {
                "type": "VM",
                "name": port["id"],
                "addressSpoofing": "DISABLED" if port["port_security_enabled"] else "ENABLED",
                "externalID": plugin.ext_id(port["id"]),
                "description": "device_owner:compute:(please do not edit)",
            },
        )
        port["_vport"] = vport["ID"]
        interface = {
            "MAC": port["mac_address"],
            "externalID": plugin.ext_id(port["id"]),
            "VPortID": vport["ID"],
            "IPAddress": port["fixed_ips"][0]["ip_address"],
        }
        proxy = {"X-Nuage-ProxyUser": f"{port['project_id']}@{info['np_name']}"}
        sibling = next(
            (
                p
                for p in plugin.neutron.ports.values()
                if p is not port and p["device_id"] == server_id and p.get("_vm")
            ),
            None,
        )
        try:
            if sibling:
                vif = vsd.post(f"/vms/{sibling['_vm']}/vminterfaces", interface, proxy)
                port.update(_vm=sibling["_vm"], _vif=vif.get("ID"))
            else:
                vm = vsd.post(
                    "/vms",
                    {
                        "name": "vm-" + port["mac_address"].replace(":", ""),
                        "interfaces": [interface],
                        "UUID": server_id,
                        "externalID": plugin.ext_id(server_id),
                    },
                    proxy,
                )
                port["_vm"] = vm["ID"]
        except VsdError:
            vsd.delete(f"/vports/{vport['ID']}?responseChoice=1")
            port.pop("_vport", None)
            raise

    plugin.call(work)


def port_unbound(plugin: NuagePlugin, port: dict[str, Any]) -> None:
    if not port.get("_vport") or plugin.vsd is None:
        return
    vsd = plugin.vsd

    def work() -> None:
        vm = port.pop("_vm", None)
        others = [p for p in plugin.neutron.ports.values() if p is not port and p.get("_vm") == vm]
        if vm and not others:
            vsd.delete(f"/vms/{vm}?responseChoice=1")
        elif port.get("_vif"):
            vsd.delete(f"/vminterfaces/{port['_vif']}?responseChoice=1")
        vsd.delete(f"/vports/{port.pop('_vport')}?responseChoice=1")

    plugin.call(work)
