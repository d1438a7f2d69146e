"""Ports on VSD-managed subnets, as nuage_ml2/mech_nuage.py (20.5/train) handles them, request for
request:

- created (create_port_postcommit, _create_port): the VSD subnet, then a vport (``type VM``,
  ``externalID <port>@<cms_id>``); bound to a host already, the VM too;
- updated (update_port_precommit): the vport found by externalID; a host added makes the VM (or
  its interface when the server has other bound ports), a host removed deletes it. ML2 runs the
  hook once more when it commits a binding (plugin.py _commit_port_binding): one more lookup;
- deleted (delete_port_postcommit, _delete_port): the vport found, the VM (or interface) and the
  vport deleted.

Nova (Train) creates a server's port bare (network, project) and then updates it with the
device, the owner and the host: the vport comes with the first request, the VM with the second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.openstack.nuage.vsdclient import (
    L3,
    create_usergroup,
    nuage_subnet_by_id,
    permit,
    proxy_user,
    vm_interface_of,
    vport_of,
)

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nuage.plugin import NuagePlugin
    from lifecycle.lab.openstack.vsd import VsdClient

# base_plugin.get_auto_create_port_owners, router ports and the plugin's own DHCP port
NOT_OURS = (
    "network:router_interface",
    "network:router_gateway",
    "network:floatingip",
    "nuage:vip",
    "compute:ironic",
    "Octavia",
    "network:dhcp:nuage",
)
PORT_IS_VM = ("neutron:LOADBALANCERV2", "network:dhcp", "Octavia:health-mgr")


def mapping(plugin: NuagePlugin, port: dict[str, Any]) -> dict[str, Any] | None:
    """nuagedb.get_subnet_l2doms_by_subnet_ids: the first fixed IP's VSD-managed subnet."""
    for ip in port["fixed_ips"]:
        s = plugin.neutron.subnets.get(ip["subnet_id"])
        if s and s.get("_vsd"):
            return s
    return None


def manages(plugin: NuagePlugin, port: dict[str, Any]) -> bool:
    return mapping(plugin, port) is not None


def acts_on(port: dict[str, Any]) -> bool:
    """_should_act_on_port."""
    return bool(port.get("fixed_ips")) and (port.get("device_owner") or "") not in NOT_OURS


def has_vm(port: dict[str, Any]) -> bool:
    """_port_should_have_vm."""
    owner = port.get("device_owner") or ""
    return "compute:" in owner or owner in PORT_IS_VM


def _bound_ports(plugin: NuagePlugin, device_id: str, but: str | None = None) -> int:
    """get_num_ports_of_device: the device's ports bound to a host (``but`` that one)."""
    return sum(
        1
        for p in list(plugin.neutron.ports.values())
        if p["device_id"] == device_id and p.get("binding:host_id") and p["id"] != but
    )


def port_created(plugin: NuagePlugin, port: dict[str, Any]) -> None:
    s = mapping(plugin, port)
    if s is None or not acts_on(port):
        return
    vsd = plugin.need_vsd()

    def work() -> None:
        vsd_subnet, kind = nuage_subnet_by_id(vsd, s["vsd_id"], s["_vsd"]["type"])  # _find_vsd_subnet
        bound = bool(port.get("binding:host_id")) and has_vm(port)
        vport = _create_vport(plugin, vsd, port, s, kind, bound)
        try:
            if bound:
                np_name = _np_name(vsd, s)
                _create_vm(plugin, vsd, port, s, vsd_subnet, kind, vport, np_name)
        except Exception:
            vsd.delete(f"/vports/{vport['ID']}?responseChoice=1")
            raise

    plugin.call(work)


def port_updated(plugin: NuagePlugin, original: dict[str, Any], port: dict[str, Any]) -> None:
    s = mapping(plugin, port)
    now, before = acts_on(port), acts_on(original)
    if s is None or not (now or before):
        return
    if now and not before:
        port_created(plugin, port)
        return
    if before and not now:
        port_deleted(plugin, original)
        return
    vsd = plugin.need_vsd()
    host_added = not original.get("binding:host_id") and bool(port.get("binding:host_id"))
    host_removed = bool(original.get("binding:host_id")) and not port.get("binding:host_id")

    def work() -> None:
        kind = s["_vsd"]["type"]
        vport = vport_of(vsd, port["id"], s["vsd_id"], kind, plugin.ext_id(port["id"]))  # _find_vport
        if vport is None or not (host_added or host_removed):
            return
        np_name = _np_name(vsd, s)  # _port_device_change
        if host_removed:
            if has_vm(original):
                _delete_vm(plugin, vsd, original, np_name, extra=1)
        elif has_vm(port):
            vsd_subnet, kind = nuage_subnet_by_id(vsd, s["vsd_id"], kind)
            _create_vm(plugin, vsd, port, s, vsd_subnet, kind, vport, np_name)

    plugin.call(work)


def binding_committed(plugin: NuagePlugin, port: dict[str, Any]) -> None:
    """ML2's _commit_port_binding runs update_port_precommit with the bound port: nothing changes
    but the vport is looked up again."""
    port_updated(plugin, port, port)


def port_deleted(plugin: NuagePlugin, port: dict[str, Any]) -> None:
    s = mapping(plugin, port)
    if s is None or plugin.vsd is None or not acts_on(port):
        return  # (a gateway host vport's cleanup: the twin makes none)
    vsd = plugin.need_vsd()

    def work() -> None:
        kind = s["_vsd"]["type"]
        vport = vport_of(vsd, port["id"], s["vsd_id"], kind, plugin.ext_id(port["id"]))
        if port.get("binding:host_id") or (vport and vport.get("hasAttachedInterfaces")):
            np_name = _np_name(vsd, s)
            _delete_vm(plugin, vsd, port, np_name, extra=0)
        if vport and vport.get("type") == "VM":
            vsd.delete(f"/vports/{vport['ID']}?responseChoice=1")

    plugin.call(work)


def _np_name(vsd: VsdClient, s: dict[str, Any]) -> str:
    """get_net_partition_name_by_id."""
    ent = vsd.get(f"/enterprises/{s['nuage_net_partition_id']}")
    return str(ent[0]["name"]) if ent else s["_vsd"]["np_name"]


def _create_vport(
    plugin: NuagePlugin, vsd: VsdClient, port: dict[str, Any], s: dict[str, Any], kind: str, bound: bool
) -> dict[str, Any]:
    """vm.create_vport."""
    parent = "subnets" if kind == L3 else "l2domains"
    return vsd.post(
        f"/{parent}/{s['vsd_id']}/vports",
        {
            "type": "VM",
            "name": port["id"],
            "externalID": plugin.ext_id(port["id"]),
            "description": "device_owner:compute:(please do not edit)" if bound else None,
            "addressSpoofing": "DISABLED" if port.get("port_security_enabled", True) else "ENABLED",
        },
    )


def _create_vm(
    plugin: NuagePlugin,
    vsd: VsdClient,
    port: dict[str, Any],
    s: dict[str, Any],
    vsd_subnet: dict[str, Any],
    kind: str,
    vport: dict[str, Any],
    np_name: str,
) -> None:
    """_create_nuage_vm and vm.create_vms: the VM with this interface, or (the server has other
    bound ports) the interface added to its VM."""
    project = port["project_id"]
    vm_id = port["id"] if port["device_owner"] in PORT_IS_VM else port["device_id"]
    many = port["device_owner"] not in PORT_IS_VM and _bound_ports(plugin, vm_id) > 1
    ip = port["fixed_ips"][0]["ip_address"] if port["fixed_ips"] else None
    interface = {"MAC": port["mac_address"], "externalID": plugin.ext_id(port["id"]), "VPortID": vport["ID"]}
    if ip is not None:
        interface["IPAddress"] = ip
    headers = proxy_user(project, np_name)
    if many:
        vm = vsd.get("/vms", filter=f"UUID IS '{vm_id}'", headers=headers)  # _get_nuage_vm
        if not vm:
            raise _not_found(vm_id)
        _permit_for_boot(plugin, vsd, s, vsd_subnet, kind, project)
        vsd.post(f"/vms/{vm[0]['ID']}/vminterfaces", interface, headers)
        return
    shared = bool((plugin.neutron.networks.get(s["network_id"]) or {}).get("shared"))
    if shared:
        create_usergroup(vsd, project, s["nuage_net_partition_id"])
    else:
        _permit_for_boot(plugin, vsd, s, vsd_subnet, kind, project)
    vsd.post(
        "/vms",
        {
            "name": "vm-" + port["mac_address"].replace(":", ""),
            "interfaces": [interface],
            "UUID": vm_id,
            "externalID": plugin.ext_id(vm_id),
        },
        headers,
    )


def _permit_for_boot(
    plugin: NuagePlugin,
    vsd: VsdClient,
    s: dict[str, Any],
    vsd_subnet: dict[str, Any],
    kind: str,
    project: str,
) -> None:
    """vm._attach_reqd_perm_for_vm_boot: on a zone, nothing when the project already has a
    permission; on an L2 domain, the group and its permission are always (re)made."""
    if kind == L3:
        zone = vsd_subnet["parentID"]
        perms = vsd.get(f"/zones/{zone}/permissions", required=True)
        if any(p.get("permittedEntityName") == project for p in perms):
            return
        target = f"/zones/{zone}"
    else:
        target = f"/l2domains/{vsd_subnet['ID']}"
    groups = []
    if s["project_id"] != project:
        groups.append(create_usergroup(vsd, s["project_id"], s["nuage_net_partition_id"])[1])
    groups.append(create_usergroup(vsd, project, s["nuage_net_partition_id"])[1])
    for g in groups:
        permit(vsd, target, g, plugin.ext_id(project))


def _delete_vm(plugin: NuagePlugin, vsd: VsdClient, port: dict[str, Any], np_name: str, extra: int) -> None:
    """_delete_nuage_vm and vm.delete_vms: the interface when the server keeps other bound ports,
    else the VM. The port itself is no longer in Neutron's count (deleted, or its device cleared);
    ``extra``: 1 when its host was just removed (the plugin adds it back)."""
    owner = port.get("device_owner") or ""
    vm_id = port["id"] if owner in PORT_IS_VM else port["device_id"]
    count = 1 if owner in PORT_IS_VM else _bound_ports(plugin, vm_id, but=port["id"]) + extra
    vif = vm_interface_of(vsd, plugin.ext_id(port["id"]))
    if vif is None:
        return
    headers = proxy_user(port["project_id"], np_name)
    if count > 1:
        vsd.delete(f"/vminterfaces/{vif['ID']}?responseChoice=1", headers)
        return
    vm = vsd.get("/vms", filter=f"UUID IS '{vm_id}'", headers=headers)
    if vm:
        vsd.delete(f"/vms/{vm[0]['ID']}?responseChoice=1", headers)


def _not_found(vm_id: str) -> Exception:
    from lifecycle.lab.openstack.vsd import VsdError

    return VsdError(404, f"VM with uuid {vm_id} not found on VSD")
