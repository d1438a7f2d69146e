"""Nova: servers with their lifecycle, scheduling onto enabled hypervisors with capacity, server
actions (stop/start/reboot), instance actions, metadata, volume attachments (coordinated with
Cinder and the array) and interfaces; the inventory side is in :mod:`nova_hosts`.

A server is BUILD until the latency profile's ``nova.boot`` has passed, then ACTIVE; it goes to
ERROR with Nova's fault when no enabled hypervisor has room ("No valid host was found. There are
not enough hosts available."), when its network cannot be allocated (e.g. the VSD refuses the
vport) or when ``nova.task_error`` fires. Deleting a server deletes the ports Nova made (and
through Neutron their VSD vport/VM) and detaches its volumes.
"""

from __future__ import annotations

import copy
import re
import secrets
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import HttpError, Request, Response, json_response
from lifecycle.lab.openstack import nova_hosts
from lifecycle.lab.openstack.api import (
    Ctx,
    Microversions,
    Service,
    accepted,
    empty,
    iso,
    new_id,
    nova_fault,
    page,
)
from lifecycle.lab.openstack.keystone import project_of

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cloud import OpenStackCloud, ServerView

V = nova_hosts.V
_ID = r"(?P<id>[0-9a-fA-F-]{36})"
_POWER = {"ACTIVE": 1, "SHUTOFF": 4, "ERROR": 0, "BUILD": 0, "REBOOT": 1, "HARD_REBOOT": 1}
_VM_STATE = {
    "ACTIVE": "active",
    "SHUTOFF": "stopped",
    "ERROR": "error",
    "BUILD": "building",
    "REBOOT": "active",
    "HARD_REBOOT": "active",
}
NO_VALID_HOST = "No valid host was found. There are not enough hosts available."


class Nova:
    def __init__(self, cloud: OpenStackCloud):
        self.cloud = cloud
        self.lock = cloud.lock
        f = cloud.facts
        self.svc = Service(
            cloud,
            "nova",
            open_paths=(r"/?", r"/v2(\.1)?/?"),
            microversions=Microversions("compute", f.nova_min, f.nova_max, "X-OpenStack-Nova-API-Version"),
        )
        self.flavors: dict[str, dict[str, Any]] = {}
        self.hypervisors: dict[str, dict[str, Any]] = {}  # by hostname
        self.services: dict[str, dict[str, Any]] = {}  # by "binary@host"
        self.servers: dict[str, dict[str, Any]] = {}
        self.keypairs: dict[tuple[str, str], dict[str, Any]] = {}
        self.quotas: dict[str, dict[str, int]] = {}
        self._num = 0
        for i in range(3):  # the control plane's own services, as on three controllers
            host = f"{cloud.name}-controller-{i}"
            for binary in ("nova-conductor", "nova-scheduler"):
                self._add_service(binary, host, "internal")
        self._routes()
        nova_hosts.register(self)

    # --- hosts ------------------------------------------------------------------------------------
    def _next(self) -> int:
        self._num += 1
        return self._num

    def _add_service(self, binary: str, host: str, zone: str, enabled: bool = True) -> dict[str, Any]:
        s = {
            "key": f"{binary}@{host}",
            "num": self._next(),
            "uuid": new_id(),
            "binary": binary,
            "host": host,
            "zone": zone,
            "status": "enabled" if enabled else "disabled",
            "disabled_reason": None,
        }
        self.services[s["key"]] = s
        return s

    def add_hypervisor(
        self,
        hostname: str,
        vcpus: int,
        memory_mb: int,
        local_gb: int = 1000,
        *,
        host_ip: str | None = None,
        enabled: bool = True,
    ) -> dict[str, Any]:
        with self.lock:
            if hostname in self.hypervisors:
                return self.hypervisors[hostname]
            s = self._add_service("nova-compute", hostname, "nova", enabled)
            hv = {
                "hostname": hostname,
                "num": s["num"],
                "uuid": new_id(),
                "vcpus": int(vcpus),
                "memory_mb": int(memory_mb),
                "local_gb": int(local_gb),
                "service": s["key"],
                "host_ip": host_ip or f"172.16.2.{len(self.hypervisors) + 100}",
            }
            self.hypervisors[hostname] = hv
            return hv

    def remove_hypervisor(self, hostname: str) -> None:
        with self.lock:
            hv = self.hypervisors.get(hostname)
            if hv is None:
                raise KeyError(f"{self.cloud.name} has no hypervisor {hostname}")
            if self.usage(hostname)["servers"]:
                raise ValueError(f"hypervisor {hostname} still hosts servers")
            del self.hypervisors[hostname]
            self.services.pop(hv["service"], None)

    def usage(self, hostname: str) -> dict[str, int]:
        used = {"vcpus": 0, "memory_mb": 0, "disk": 0, "servers": 0}
        for s in self.servers.values():
            if s["host"] == hostname and not s["deleted"]:
                f = s["flavor"]
                used["vcpus"] += f["vcpus"]
                used["memory_mb"] += f["ram"]
                used["disk"] += f["disk"]
                used["servers"] += 1
        return used

    def project_usage(self, project: str) -> dict[str, int]:
        mine = [s for s in self.servers.values() if s["project_id"] == project and not s["deleted"]]
        return {
            "instances": len(mine),
            "cores": sum(s["flavor"]["vcpus"] for s in mine),
            "ram": sum(s["flavor"]["ram"] for s in mine),
            "key_pairs": sum(1 for (u, _) in self.keypairs if u == project),
        }

    def _pick_host(self, flavor: dict[str, Any], zone: str | None) -> str | None:
        """Nova's filter scheduler in short: enabled computes with room, most free RAM first."""
        best, best_free = None, -1.0
        ratio_cpu, ratio_ram = self.cloud.cpu_allocation_ratio, self.cloud.ram_allocation_ratio
        for hv in self.hypervisors.values():
            svc = self.services[hv["service"]]
            if svc["status"] != "enabled":
                continue
            if zone and zone not in ("nova", f"nova:{hv['hostname']}", f"nova::{hv['hostname']}"):
                continue
            used = self.usage(hv["hostname"])
            free_ram = hv["memory_mb"] * ratio_ram - 512 - used["memory_mb"]
            free_cpu = hv["vcpus"] * ratio_cpu - used["vcpus"]
            if (
                free_ram < flavor["ram"]
                or free_cpu < flavor["vcpus"]
                or hv["local_gb"] - used["disk"] < flavor["disk"]
            ):
                continue
            if free_ram > best_free:
                best, best_free = hv["hostname"], free_ram
        return best

    # --- views ------------------------------------------------------------------------------------
    def views(self) -> list[ServerView]:
        from lifecycle.lab.openstack.cloud import ServerView

        with self.lock:
            out = []
            for s in self.servers.values():
                if s["deleted"]:
                    continue
                addrs = tuple(
                    (p["network_id"], ip["subnet_id"], ip["ip_address"], p["mac_address"], p["id"])
                    for p in self.cloud.neutron.ports_of(s["id"])
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

    def _addresses(self, server: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for p in self.cloud.neutron.ports_of(server["id"]):
            net = self.cloud.neutron.networks.get(p["network_id"], {}).get("name", p["network_id"])
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

    def view(self, s: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        url = self.svc.url
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
            "addresses": self._addresses(s),
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
            "OS-EXT-STS:vm_state": _VM_STATE.get(status, "active"),
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

    def _find(self, sid: str, ctx: Ctx) -> dict[str, Any]:
        s = self.servers.get(sid)
        if s is None or s["deleted"] or (s["project_id"] != ctx.project_id and not ctx.is_admin):
            raise nova_fault(404, f"Instance {sid} could not be found.")
        return s

    def _record(self, s: dict[str, Any], action: str, ctx: Ctx) -> None:
        s["actions"].append(
            {
                "action": action,
                "instance_uuid": s["id"],
                "request_id": ctx.request_id,
                "user_id": ctx.user_id,
                "project_id": ctx.project_id,
                "start_time": iso(micro=True, z=False),
                "message": None,
                "updated_at": iso(micro=True, z=False),
                "events": [
                    {
                        "event": f"compute_{action}_instance",
                        "start_time": iso(micro=True, z=False),
                        "finish_time": iso(micro=True, z=False),
                        "result": "Success",
                        "traceback": None,
                    }
                ],
            }
        )

    # --- boot -------------------------------------------------------------------------------------
    def _error(self, s: dict[str, Any], message: str, code: int = 500, details: str = "") -> None:
        s.update(status="ERROR", task_state=None, updated=iso())
        s["fault"] = {"code": code, "created": iso(), "message": message, "details": details or message}
        if s["host"] and message == NO_VALID_HOST:
            s["host"] = None

    def _build(self, sid: str, requested: list[dict[str, Any]], bdms: list[dict[str, Any]]) -> None:
        """Scheduling and network allocation, right after the API answered (as the conductor does)."""
        neutron, cinder = self.cloud.neutron, self.cloud.cinder
        with self.lock:
            s = self.servers.get(sid)
            if s is None or s["deleted"]:
                return
            host = self._pick_host(s["flavor"], s["zone"])
            if host is None:
                self._error(s, NO_VALID_HOST)
                return
            s.update(host=host, task_state="networking")
            if self.cloud.faults.roll("nova", "task_error"):
                self._error(
                    s,
                    f"Build of instance {sid} aborted: injected fault: the compute host failed "
                    "to spawn the instance.",
                )
                return
        try:
            for net in requested:
                neutron.allocate_for_server(s, net, host)
            for bdm in bdms:
                cinder.attach_for_server(bdm["uuid"], s, host, device=bdm.get("device_name"))
                with self.lock:
                    s["attachments"].append(
                        {
                            "volumeId": bdm["uuid"],
                            "device": bdm.get("device_name") or self._next_device(s),
                            "delete_on_termination": bool(bdm.get("delete_on_termination", False)),
                        }
                    )
        except HttpError as err:
            with self.lock:
                message = _message(err)
                self._error(
                    s,
                    f"Build of instance {sid} aborted: Failed to allocate the network(s), not rescheduling.",
                    details=message,
                )
            neutron.release_for_server(sid)
            return
        with self.lock:
            s["task_state"] = "spawning"
        self.cloud.timers.after(self.cloud.latency.task_duration("nova.boot"), lambda: self._spawned(sid))

    def _spawned(self, sid: str) -> None:
        with self.lock:
            s = self.servers.get(sid)
            if s is None or s["deleted"] or s["status"] != "BUILD":
                return
            s.update(status="ACTIVE", task_state=None, launched_at=iso(micro=True, z=False), updated=iso())

    def _next_device(self, s: dict[str, Any]) -> str:
        return f"/dev/vd{'bcdefghijklmnop'[len(s['attachments'])]}"

    def create(self, req: Request, ctx: Ctx) -> Response:
        project = project_of(ctx)
        body = self.svc.body(req, "server")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise nova_fault(
                400, "Invalid input for field/attribute server. Value: {}. 'name' is a required property"
            )
        neutron, glance, cinder = self.cloud.neutron, self.cloud.glance, self.cloud.cinder
        networks = body.get("networks")
        if ctx.at_least(2, 37) and networks is None:
            raise nova_fault(
                400, "Invalid input for field/attribute server. 'networks' is a required property"
            )
        if networks in ("none", "auto"):
            networks = (
                []
                if networks == "none"
                else [{"uuid": n["id"]} for n in neutron.visible_networks(project)][:1]
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
        with self.lock:
            fref = str(body.get("flavorRef") or "").rstrip("/").rsplit("/", 1)[-1]
            flavor = self.flavors.get(fref)
            if flavor is None:
                raise nova_fault(400, "Invalid flavorRef provided.")
            key_name = body.get("key_name")
            if key_name and (str(ctx.user_id), key_name) not in self.keypairs:
                raise nova_fault(400, "Invalid key_name provided.")
            self._check_quota(project, flavor)
            metadata = body.get("metadata") or {}
            self._check_metadata(metadata)
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
                "instance_name": f"instance-{self._next():08x}",
                "reservation": f"r-{secrets.token_hex(4)}",
                "actions": [],
            }
            self.servers[sid] = s
            self._record(s, "create", ctx)
        self.cloud.timers.after(0, lambda: self._build(sid, requested, bdms))
        admin_pass = secrets.token_urlsafe(9)
        out = {
            "id": sid,
            "links": self.view(s, ctx)["links"],
            "OS-DCF:diskConfig": "MANUAL",
            "security_groups": [{"name": "default"}],
            "adminPass": admin_pass,
        }
        return json_response({"server": out}, 202, {"Location": f"{self.svc.url}/v2.1/servers/{sid}"})

    def _check_quota(self, project: str, flavor: dict[str, Any]) -> None:
        q = {**nova_hosts.DEFAULT_QUOTAS, **self.quotas.get(project, {})}
        used = self.project_usage(project)
        for res, need in (("instances", 1), ("cores", flavor["vcpus"]), ("ram", flavor["ram"])):
            if q[res] >= 0 and used[res] + need > q[res]:
                raise nova_fault(
                    403,
                    f"Quota exceeded for {res}: Requested {need}, but already used "
                    f"{used[res]} of {q[res]} {res}",
                )

    def _check_metadata(self, metadata: Any) -> None:
        if not isinstance(metadata, dict):
            raise nova_fault(
                400, f"Invalid input for field/attribute metadata. Value: {metadata}. is not of type 'object'"
            )
        for k, v in metadata.items():
            if not isinstance(v, str) or len(str(k)) > 255 or len(v) > 255 or not str(k):
                raise nova_fault(400, f"Invalid input for field/attribute metadata. Value: {metadata}.")

    def delete(self, sid: str, ctx: Ctx) -> None:
        with self.lock:
            s = self._find(sid, ctx)
            s["task_state"] = "deleting"
            self._record(s, "delete", ctx)
        self.cloud.timers.after(self.cloud.latency.task_duration("nova.delete"), lambda: self._deleted(sid))

    def _deleted(self, sid: str) -> None:
        with self.lock:
            s = self.servers.get(sid)
            if s is None or s["deleted"]:
                return
            attachments = list(s["attachments"])
        for a in attachments:
            self.cloud.cinder.detach_for_server(a["volumeId"], s, s["host"])
        self.cloud.neutron.release_for_server(sid)
        with self.lock:
            s.update(deleted=True, status="DELETED", attachments=[])
            del self.servers[sid]

    # --- routes -----------------------------------------------------------------------------------
    def _version(self, minor: bool) -> dict[str, Any]:
        from lifecycle.lab.openstack.releases import fmt

        f = self.cloud.facts
        if not minor:
            return {
                "id": "v2.0",
                "status": "SUPPORTED",
                "version": "",
                "min_version": "",
                "updated": "2011-01-21T11:33:21Z",
                "links": [{"rel": "self", "href": f"{self.svc.url}/v2/"}],
            }
        return {
            "id": "v2.1",
            "status": "CURRENT",
            "version": fmt(f.nova_max),
            "min_version": fmt(f.nova_min),
            "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": f"{self.svc.url}/v2.1/"}],
        }

    def _routes(self) -> None:
        svc, lock, route = self.svc, self.lock, self.svc.route

        @route("GET", r"/?")
        def root(req: Request, ctx: Ctx) -> dict[str, Any]:
            return {"versions": [self._version(False), self._version(True)]}

        @route("GET", r"/v2(?P<minor>\.1)?")
        def version(req: Request, ctx: Ctx) -> dict[str, Any]:
            doc = self._version("minor" in req.params)
            doc["links"].append(
                {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"}
            )
            doc["media-types"] = [
                {"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}
            ]
            return {"version": doc}

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
                for s in self.servers.values():
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
                    items.append(self.view(s, ctx))
            items.sort(key=lambda i: i["created"], reverse=True)
            out = page(req, items, key="servers", base_url=svc.url)
            if not detail:
                out["servers"] = [
                    {"id": i["id"], "name": i["name"], "links": i["links"]} for i in out["servers"]
                ]
            return out

        route("GET", V + r"/servers")(lambda req, ctx: listing(req, ctx, False))
        route("GET", V + r"/servers/detail")(lambda req, ctx: listing(req, ctx, True))
        route("POST", V + r"/servers")(self.create)

        @route("GET", V + rf"/servers/{_ID}")
        def get(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                return {"server": self.view(self._find(req.params["id"], ctx), ctx)}

        @route("PUT", V + rf"/servers/{_ID}")
        def update(req: Request, ctx: Ctx) -> dict[str, Any]:
            body = svc.body(req, "server")
            with lock:
                s = self._find(req.params["id"], ctx)
                for k in ("name", "description"):
                    if k in body:
                        s[k] = body[k]
                s["updated"] = iso()
                return {"server": self.view(s, ctx)}

        @route("DELETE", V + rf"/servers/{_ID}")
        def delete(req: Request, ctx: Ctx) -> Response:
            self.delete(req.params["id"], ctx)
            return empty()

        @route("POST", V + rf"/servers/{_ID}/action")
        def action(req: Request, ctx: Ctx) -> Response:
            body = svc.body(req)
            if len(body) != 1:
                raise nova_fault(
                    400, "There is either no action or more than one action in the request body."
                )
            ((name, args),) = body.items()
            with lock:
                s = self._find(req.params["id"], ctx)
                state = _VM_STATE.get(s["status"], "active")
                rules = {
                    "os-stop": ("ACTIVE", "SHUTOFF", "stop"),
                    "os-start": ("SHUTOFF", "ACTIVE", "start"),
                    "reboot": (None, "ACTIVE", "reboot"),
                }
                if name not in rules:
                    raise nova_fault(400, f"There is no such action: {name}")
                need, final, verb = rules[name]
                if (
                    s["task_state"] is not None
                    or (need and s["status"] != need)
                    or (name == "reboot" and s["status"] not in ("ACTIVE", "SHUTOFF"))
                ):
                    raise nova_fault(
                        409,
                        f"Cannot '{verb}' instance {s['id']} while it is in vm_state {state}"
                        if s["task_state"] is None
                        else f"Cannot '{verb}' instance {s['id']} while it is in task_state "
                        f"{s['task_state']}",
                    )
                if name == "reboot":
                    hard = str((args or {}).get("type", "SOFT")).upper() == "HARD"
                    s.update(
                        status="HARD_REBOOT" if hard else "REBOOT",
                        task_state="reboot_started_hard" if hard else "reboot_started",
                    )
                else:
                    s["task_state"] = "powering-off" if name == "os-stop" else "powering-on"
                self._record(s, verb, ctx)
            sid = s["id"]

            def done() -> None:
                with lock:
                    cur = self.servers.get(sid)
                    if cur is not None and not cur["deleted"]:
                        cur.update(status=final, task_state=None, updated=iso())

            self.cloud.timers.after(self.cloud.latency.task_duration("nova.action"), done)
            return accepted()

        @route("GET", V + rf"/servers/{_ID}/os-instance-actions")
        def actions(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                s = self._find(req.params["id"], ctx)
                return {
                    "instanceActions": [
                        {k: v for k, v in a.items() if k != "events"} for a in reversed(s["actions"])
                    ]
                }

        @route("GET", V + rf"/servers/{_ID}/os-instance-actions/(?P<req_id>[^/]+)")
        def action_get(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                s = self._find(req.params["id"], ctx)
                for a in s["actions"]:
                    if a["request_id"] == req.params["req_id"]:
                        return {"instanceAction": copy.deepcopy(a)}
            raise nova_fault(
                404, f"Action for request_id {req.params['req_id']} on instance {s['id']} not found"
            )

        # --- metadata: the upgrade's i2.in_service switch lives here ------------------------------
        @route("GET", V + rf"/servers/{_ID}/metadata")
        def md_get(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                return {"metadata": dict(self._find(req.params["id"], ctx)["metadata"])}

        def md_write(req: Request, ctx: Ctx, replace: bool) -> dict[str, Any]:
            md = svc.body(req).get("metadata")
            self._check_metadata(md)
            with lock:
                s = self._find(req.params["id"], ctx)
                if replace:
                    s["metadata"] = {}
                s["metadata"].update(md)
                s["updated"] = iso()
                return {"metadata": dict(s["metadata"])}

        route("POST", V + rf"/servers/{_ID}/metadata")(lambda req, ctx: md_write(req, ctx, False))
        route("PUT", V + rf"/servers/{_ID}/metadata")(lambda req, ctx: md_write(req, ctx, True))

        @route("GET", V + rf"/servers/{_ID}/metadata/(?P<key>[^/]+)")
        def md_item(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                s = self._find(req.params["id"], ctx)
                if req.params["key"] not in s["metadata"]:
                    raise nova_fault(404, "Metadata item was not found")
                return {"meta": {req.params["key"]: s["metadata"][req.params["key"]]}}

        @route("PUT", V + rf"/servers/{_ID}/metadata/(?P<key>[^/]+)")
        def md_item_put(req: Request, ctx: Ctx) -> dict[str, Any]:
            meta = svc.body(req).get("meta")
            if not isinstance(meta, dict) or len(meta) != 1 or req.params["key"] not in meta:
                raise nova_fault(400, "Request body and URI mismatch")
            self._check_metadata(meta)
            with lock:
                s = self._find(req.params["id"], ctx)
                s["metadata"].update(meta)
                s["updated"] = iso()
                return {"meta": meta}

        @route("DELETE", V + rf"/servers/{_ID}/metadata/(?P<key>[^/]+)")
        def md_item_delete(req: Request, ctx: Ctx) -> Response:
            with lock:
                s = self._find(req.params["id"], ctx)
                if s["metadata"].pop(req.params["key"], None) is None:
                    raise nova_fault(404, "Metadata item was not found")
                s["updated"] = iso()
            return empty()

        # --- volume attachments -------------------------------------------------------------------
        def att_view(s: dict[str, Any], a: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
            out = {"id": a["volumeId"], "serverId": s["id"], "volumeId": a["volumeId"], "device": a["device"]}
            if ctx.at_least(2, 70):
                out["tag"] = None
            if ctx.at_least(2, 79):
                out["delete_on_termination"] = a["delete_on_termination"]
            return out

        @route("GET", V + rf"/servers/{_ID}/os-volume_attachments")
        def att_list(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                s = self._find(req.params["id"], ctx)
                return {"volumeAttachments": [att_view(s, a, ctx) for a in s["attachments"]]}

        @route("GET", V + rf"/servers/{_ID}/os-volume_attachments/(?P<vol>[^/]+)")
        def att_get(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                s = self._find(req.params["id"], ctx)
                for a in s["attachments"]:
                    if a["volumeId"] == req.params["vol"]:
                        return {"volumeAttachment": att_view(s, a, ctx)}
            raise nova_fault(404, f"Volume {req.params['vol']} is not attached to the instance {s['id']}")

        @route("POST", V + rf"/servers/{_ID}/os-volume_attachments")
        def att_create(req: Request, ctx: Ctx) -> dict[str, Any]:
            body = svc.body(req, "volumeAttachment")
            vol = str(body.get("volumeId") or "")
            with lock:
                s = self._find(req.params["id"], ctx)
                if s["status"] not in ("ACTIVE", "SHUTOFF") or s["task_state"] is not None:
                    raise nova_fault(
                        409,
                        f"Cannot 'attach_volume' instance {s['id']} while it is in vm_state "
                        f"{_VM_STATE.get(s['status'], 'active')}",
                    )
                if any(a["volumeId"] == vol for a in s["attachments"]):
                    raise nova_fault(400, f"Invalid volume: volume {vol} already attached")
                host = s["host"]
            self.cloud.cinder.check_attachable(vol)
            self.cloud.cinder.attach_for_server(vol, s, host, device=body.get("device"))
            with lock:
                a = {
                    "volumeId": vol,
                    "device": body.get("device") or self._next_device(s),
                    "delete_on_termination": bool(body.get("delete_on_termination", False)),
                }
                s["attachments"].append(a)
                self._record(s, "attach_volume", ctx)
                return {"volumeAttachment": att_view(s, a, ctx)}

        @route("DELETE", V + rf"/servers/{_ID}/os-volume_attachments/(?P<vol>[^/]+)")
        def att_delete(req: Request, ctx: Ctx) -> Response:
            with lock:
                s = self._find(req.params["id"], ctx)
                a = next((a for a in s["attachments"] if a["volumeId"] == req.params["vol"]), None)
                if a is None:
                    raise nova_fault(
                        404, f"Volume {req.params['vol']} is not attached to the instance {s['id']}"
                    )
                s["attachments"].remove(a)
                self._record(s, "detach_volume", ctx)
            self.cloud.cinder.detach_for_server(a["volumeId"], s, s["host"])
            return accepted()

        @route("GET", V + rf"/servers/{_ID}/os-interface")
        def interfaces(req: Request, ctx: Ctx) -> dict[str, Any]:
            with lock:
                s = self._find(req.params["id"], ctx)
                ports = self.cloud.neutron.ports_of(s["id"])
                return {
                    "interfaceAttachments": [
                        {
                            "port_id": p["id"],
                            "net_id": p["network_id"],
                            "mac_addr": p["mac_address"],
                            "port_state": p["status"],
                            "fixed_ips": [dict(ip) for ip in p["fixed_ips"]],
                        }
                        for p in ports
                    ]
                }


def _message(err: HttpError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = next(iter(body.values()), {})
        if isinstance(inner, dict) and "message" in inner:
            return str(inner["message"])
    return str(body)
