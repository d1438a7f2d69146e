"""Nova servers: their rendering (by microversion and role), create (validated against Neutron,
Glance, Cinder, flavors, keypairs and quotas, then booted in the background), list with Nova's
filters, show, update and delete; and the consistent copies workload probes read."""

from __future__ import annotations

import copy
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, empty, iso, new_id, nova_fault, page
from lifecycle.lab.openstack.keystone import project_of
from lifecycle.lab.openstack.nova.actions import record_action
from lifecycle.lab.openstack.nova.boot import build
from lifecycle.lab.openstack.nova.common import ID, VM_STATE, V, find_server
from lifecycle.lab.openstack.nova.metadata import check_metadata
from lifecycle.lab.openstack.nova.quotas import check_quota
from lifecycle.lab.openstack.nova.usage import record_termination

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova

_POWER = {"ACTIVE": 1, "SHUTOFF": 4, "ERROR": 0, "BUILD": 0, "REBOOT": 1, "HARD_REBOOT": 1}


@dataclass(frozen=True)
class ServerView:
    """A consistent copy of one Nova server, for workload probes and reports."""

    id: str
    name: str
    project_id: str
    status: str
    host: str | None
    metadata: dict[str, str]
    addresses: tuple[tuple[str, str, str, str, str], ...]  # (network_id, subnet_id, ip, mac, port_id)
    volumes: tuple[str, ...]

    @property
    def in_service(self) -> bool:
        return self.metadata.get("i2.in_service", "true").lower() == "true"


def server_views(nova: Nova) -> list[ServerView]:
    with nova.lock:
        out = []
        for s in nova.servers.values():
            if s["deleted"]:
                continue
            addrs = tuple(
                (p["network_id"], ip["subnet_id"], ip["ip_address"], p["mac_address"], p["id"])
                for p in nova.cloud.neutron.ports_of(s["id"])
                for ip in p["fixed_ips"]
            )
            out.append(
                ServerView(
                    s["id"],
                    s["name"],
                    s["project_id"],
                    s["status"],
                    s["host"],
                    dict(s["metadata"]),
                    addrs,
                    tuple(a["volumeId"] for a in s["attachments"]),
                )
            )
        return out


def addresses(nova: Nova, server: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for p in nova.cloud.neutron.ports_of(server["id"]):
        net = nova.cloud.neutron.networks.get(p["network_id"], {}).get("name", p["network_id"])
        for ip in p["fixed_ips"]:
            out.setdefault(net, []).append(
                {
                    "version": 6 if ":" in ip["ip_address"] else 4,
                    "addr": ip["ip_address"],
                    "OS-EXT-IPS:type": "fixed",
                    "OS-EXT-IPS-MAC:mac_addr": p["mac_address"],
                }
            )
    return out


def server_view(nova: Nova, s: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    url = nova.svc.url
    f = s["flavor"]
    if ctx.at_least(2, 47):
        flavor: dict[str, Any] = {
            "vcpus": f["vcpus"],
            "ram": f["ram"],
            "disk": f["disk"],
            "ephemeral": f["ephemeral"],
            "swap": f["swap"],
            "original_name": f["name"],
            "extra_specs": dict(f["extra_specs"]),
        }
    else:
        flavor = {"id": f["id"], "links": [{"rel": "bookmark", "href": f"{url}/flavors/{f['id']}"}]}
    image: Any = ""
    if s["image_id"]:
        image = {
            "id": s["image_id"],
            "links": [{"rel": "bookmark", "href": f"{url}/images/{s['image_id']}"}],
        }
    status = s["status"]
    out: dict[str, Any] = {
        "id": s["id"],
        "name": s["name"],
        "status": status,
        "tenant_id": s["project_id"],
        "user_id": s["user_id"],
        "metadata": dict(s["metadata"]),
        "hostId": secrets.token_hex(28)[:56] if s["host"] else "",
        "image": image,
        "flavor": flavor,
        "created": s["created"],
        "updated": s["updated"],
        "addresses": addresses(nova, s),
        "accessIPv4": "",
        "accessIPv6": "",
        "links": [
            {"rel": "self", "href": f"{url}/v2.1/servers/{s['id']}"},
            {"rel": "bookmark", "href": f"{url}/servers/{s['id']}"},
        ],
        "OS-DCF:diskConfig": "MANUAL",
        "OS-EXT-AZ:availability_zone": "nova" if s["host"] else "",
        "config_drive": "",
        "key_name": s["key_name"],
        "OS-SRV-USG:launched_at": s["launched_at"],
        "OS-SRV-USG:terminated_at": None,
        "OS-EXT-STS:task_state": s["task_state"],
        "OS-EXT-STS:vm_state": VM_STATE.get(status, "active"),
        "OS-EXT-STS:power_state": _POWER.get(status, 0),
        "os-extended-volumes:volumes_attached": [
            {
                "id": a["volumeId"],
                **({"delete_on_termination": a["delete_on_termination"]} if ctx.at_least(2, 3) else {}),
            }
            for a in s["attachments"]
        ],
        "security_groups": [{"name": "default"}],
    }
    if status in ("BUILD", "ACTIVE"):
        out["progress"] = 0 if status == "BUILD" else 100
    if s["fault"]:
        out["fault"] = dict(s["fault"])
    if ctx.is_admin:
        out.update(
            {
                "OS-EXT-SRV-ATTR:host": s["host"],
                "OS-EXT-SRV-ATTR:hypervisor_hostname": s["host"],
                "OS-EXT-SRV-ATTR:instance_name": s["instance_name"],
            }
        )
        if ctx.at_least(2, 3):
            out.update(
                {
                    "OS-EXT-SRV-ATTR:hostname": s["name"],
                    "OS-EXT-SRV-ATTR:reservation_id": s["reservation"],
                    "OS-EXT-SRV-ATTR:launch_index": 0,
                    "OS-EXT-SRV-ATTR:kernel_id": "",
                    "OS-EXT-SRV-ATTR:ramdisk_id": "",
                    "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                    "OS-EXT-SRV-ATTR:user_data": s["user_data"],
                }
            )
        if ctx.at_least(2, 16):
            out["host_status"] = "UP" if s["host"] else ""
    if ctx.at_least(2, 9):
        out["locked"] = False
    if ctx.at_least(2, 19):
        out["description"] = s["description"]
    if ctx.at_least(2, 26):
        out["tags"] = list(s["tags"])
    if ctx.at_least(2, 63):
        out["trusted_image_certificates"] = None
    if ctx.at_least(2, 73):
        out["locked_reason"] = None
    return out


def create_server(nova: Nova, req: Request, ctx: Ctx) -> Response:
    project = project_of(ctx)
    body = nova.svc.body(req, "server")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise nova_fault(
            400, "Invalid input for field/attribute server. Value: {}. 'name' is a required property"
        )
    neutron, glance, cinder = nova.cloud.neutron, nova.cloud.glance, nova.cloud.cinder
    networks = body.get("networks")
    if ctx.at_least(2, 37) and networks is None:
        raise nova_fault(400, "Invalid input for field/attribute server. 'networks' is a required property")
    if networks in ("none", "auto"):
        networks = (
            [] if networks == "none" else [{"uuid": n["id"]} for n in neutron.visible_networks(project)][:1]
        )
    requested: list[dict[str, Any]] = []
    for n in networks or []:
        if n.get("port"):
            if neutron.ports.get(n["port"]) is None:
                raise nova_fault(400, f"Port {n['port']} could not be found.")
            requested.append({"port": n["port"]})
        elif n.get("uuid"):
            if n["uuid"] not in neutron.networks:
                raise nova_fault(400, f"Network {n['uuid']} could not be found.")
            requested.append({"uuid": n["uuid"], "fixed_ip": n.get("fixed_ip")})
        else:
            raise nova_fault(400, f"Bad networks format: network uuid is not in proper format ({n})")
    bdms = [b for b in body.get("block_device_mapping_v2") or [] if b.get("source_type") == "volume"]
    image_id = body.get("imageRef") or ""
    if image_id and glance.images.get(image_id) is None:
        raise nova_fault(400, "Can not find requested image")
    if not image_id and not any(b.get("boot_index") in (0, "0") for b in bdms):
        raise nova_fault(
            400, "Block Device Mapping is Invalid: You specified more local devices than the limit allows"
        )
    for b in bdms:
        cinder.check_attachable(b.get("uuid", ""))
    with nova.lock:
        fref = str(body.get("flavorRef") or "").rstrip("/").rsplit("/", 1)[-1]
        flavor = nova.flavors.get(fref)
        if flavor is None:
            raise nova_fault(400, "Invalid flavorRef provided.")
        key_name = body.get("key_name")
        if key_name and (str(ctx.user_id), key_name) not in nova.keypairs:
            raise nova_fault(400, "Invalid key_name provided.")
        check_quota(nova, project, flavor)
        metadata = body.get("metadata") or {}
        check_metadata(metadata)
        sid = new_id()
        now = iso()
        s = {
            "id": sid,
            "name": name,
            "project_id": project,
            "user_id": ctx.user_id,
            "flavor": copy.deepcopy(flavor),
            "image_id": image_id,
            "status": "BUILD",
            "task_state": "scheduling",
            "host": None,
            "zone": body.get("availability_zone"),
            "metadata": {str(k): str(v) for k, v in metadata.items()},
            "key_name": key_name,
            "created": now,
            "updated": now,
            "launched_at": None,
            "fault": None,
            "attachments": [],
            "deleted": False,
            "description": body.get("description"),
            "tags": list(body.get("tags") or []),
            "user_data": body.get("user_data"),
            "instance_name": f"instance-{nova.next_num():08x}",
            "reservation": f"r-{secrets.token_hex(4)}",
            "actions": [],
        }
        nova.servers[sid] = s
        record_action(s, "create", ctx)
    nova.cloud.timers.after(0, lambda: build(nova, sid, requested, bdms))
    admin_pass = secrets.token_urlsafe(9)
    out = {
        "id": sid,
        "links": server_view(nova, s, ctx)["links"],
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}],
        "adminPass": admin_pass,
    }
    return json_response({"server": out}, 202, {"Location": f"{nova.svc.url}/v2.1/servers/{sid}"})


def delete_server(nova: Nova, sid: str, ctx: Ctx) -> None:
    with nova.lock:
        s = find_server(nova, sid, ctx)
        s["task_state"] = "deleting"
        record_action(s, "delete", ctx)
    nova.cloud.timers.after(
        nova.cloud.latency.task_duration("nova.delete"), lambda: server_deleted(nova, sid)
    )


def server_deleted(nova: Nova, sid: str) -> None:
    with nova.lock:
        s = nova.servers.get(sid)
        if s is None or s["deleted"]:
            return
        attachments = list(s["attachments"])
    for a in attachments:
        nova.cloud.cinder.detach_for_server(a["volumeId"], s, s["host"])
    nova.cloud.neutron.release_for_server(sid)
    with nova.lock:
        s.update(deleted=True, status="DELETED", attachments=[])
        record_termination(nova, s)
        del nova.servers[sid]


def register(nova: Nova) -> None:
    svc, lock, route = nova.svc, nova.lock, nova.svc.route

    def listing(req: Request, ctx: Ctx, detail: bool) -> dict[str, Any]:
        project = project_of(ctx)
        all_tenants = ctx.is_admin and (req.arg("all_tenants") or "").lower() not in (
            "",
            "0",
            "false",
            "f",
            "no",
        )
        want_project = req.arg("project_id") or req.arg("tenant_id")
        name_rx = req.arg("name")
        with lock:
            items = []
            for s in nova.servers.values():
                if s["deleted"]:
                    continue
                if want_project and ctx.is_admin and all_tenants:
                    if s["project_id"] != want_project:
                        continue
                elif not all_tenants and s["project_id"] != project:
                    continue
                if name_rx and not re.search(name_rx, s["name"]):
                    continue
                if req.arg("status") and s["status"] != req.arg("status", "").upper():
                    continue
                if req.arg("host") and ctx.is_admin and s["host"] != req.arg("host"):
                    continue
                if req.arg("flavor") and s["flavor"]["id"] != req.arg("flavor"):
                    continue
                if req.arg("image") and s["image_id"] != req.arg("image"):
                    continue
                items.append(server_view(nova, s, ctx))
        items.sort(key=lambda i: i["created"], reverse=True)
        out = page(req, items, key="servers", base_url=svc.url)
        if not detail:
            out["servers"] = [{"id": i["id"], "name": i["name"], "links": i["links"]} for i in out["servers"]]
        return out

    route("GET", V + r"/servers")(lambda req, ctx: listing(req, ctx, False))
    route("GET", V + r"/servers/detail")(lambda req, ctx: listing(req, ctx, True))
    route("POST", V + r"/servers")(lambda req, ctx: create_server(nova, req, ctx))

    @route("GET", V + rf"/servers/{ID}")
    def get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {"server": server_view(nova, find_server(nova, req.params["id"], ctx), ctx)}

    @route("PUT", V + rf"/servers/{ID}")
    def update(req: Request, ctx: Ctx) -> dict[str, Any]:
        body = svc.body(req, "server")
        with lock:
            s = find_server(nova, req.params["id"], ctx)
            for k in ("name", "description"):
                if k in body:
                    s[k] = body[k]
            s["updated"] = iso()
            return {"server": server_view(nova, s, ctx)}

    @route("DELETE", V + rf"/servers/{ID}")
    def delete(req: Request, ctx: Ctx) -> Response:
        delete_server(nova, req.params["id"], ctx)
        return empty()
