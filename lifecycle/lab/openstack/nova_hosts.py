"""Nova's inventory side: flavors, hypervisors (list, detail, show, statistics, uptime),
os-services (list, enable/disable both before and after microversion 2.53), keypairs, quotas,
limits, availability zones and aggregates. Routes are added by :func:`register`.

Hypervisor and service ids are integers below microversion 2.53 and UUIDs from 2.53 on, as in
Nova; capacity counts flavors of the servers placed on a hypervisor, with Nova's default
allocation ratios (cpu 16.0; ram 1.0 as TripleO sets NovaRAMAllocationRatio).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, accepted, empty, iso, new_id, nova_fault, page
from lifecycle.lab.openstack.keystone import project_of

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova import Nova

V = r"/v2\.1(?:/[0-9a-f]{32})?"  # Nova still accepts the legacy /v2.1/{project_id}/... form
_ID = r"(?P<id>[^/]+)"

DEFAULT_QUOTAS = {
    "instances": 10,
    "cores": 20,
    "ram": 51200,
    "key_pairs": 100,
    "metadata_items": 128,
    "injected_files": 5,
    "injected_file_content_bytes": 10240,
    "injected_file_path_bytes": 255,
    "server_groups": 10,
    "server_group_members": 10,
}
_LEGACY_QUOTAS = {"floating_ips": 10, "fixed_ips": -1, "security_groups": 10, "security_group_rules": 20}


def flavor_view(nova: Nova, f: dict[str, Any], ctx: Ctx, *, detail: bool = True) -> dict[str, Any]:
    link = [
        {"rel": "self", "href": f"{nova.svc.url}/v2.1/flavors/{f['id']}"},
        {"rel": "bookmark", "href": f"{nova.svc.url}/flavors/{f['id']}"},
    ]
    if not detail:
        out = {"id": f["id"], "name": f["name"], "links": link}
        if ctx.at_least(2, 55):
            out["description"] = f.get("description")
        return out
    out = {
        "id": f["id"],
        "name": f["name"],
        "ram": f["ram"],
        "vcpus": f["vcpus"],
        "disk": f["disk"],
        "OS-FLV-EXT-DATA:ephemeral": f["ephemeral"],
        "OS-FLV-DISABLED:disabled": False,
        "swap": f["swap"] if (f["swap"] or ctx.at_least(2, 75)) else "",
        "rxtx_factor": f["rxtx_factor"],
        "os-flavor-access:is_public": f["is_public"],
        "links": link,
    }
    if ctx.at_least(2, 55):
        out["description"] = f.get("description")
    if ctx.at_least(2, 61):
        out["extra_specs"] = dict(f["extra_specs"])
    return out


def register(nova: Nova) -> None:
    svc, lock = nova.svc, nova.lock
    route = svc.route

    # --- flavors ----------------------------------------------------------------------------------
    def find_flavor(fid: str) -> dict[str, Any]:
        f = nova.flavors.get(fid)
        if f is None:
            raise nova_fault(404, f"Flavor {fid} could not be found.")
        return f

    def flavors(req: Request, ctx: Ctx, detail: bool) -> dict[str, Any]:
        with lock:
            items = [flavor_view(nova, f, ctx, detail=True) for f in nova.flavors.values()]
        for key, field in (("minRam", "ram"), ("minDisk", "disk")):
            if req.arg(key):
                items = [i for i in items if i[field] >= int(req.arg(key) or 0)]
        out = page(req, sorted(items, key=lambda i: i["id"]), key="flavors", base_url=svc.url)
        if not detail:
            out["flavors"] = [
                {k: i[k] for k in ("id", "name", "links", "description") if k in i} for i in out["flavors"]
            ]
        return out

    route("GET", V + r"/flavors")(lambda req, ctx: flavors(req, ctx, False))
    route("GET", V + r"/flavors/detail")(lambda req, ctx: flavors(req, ctx, True))

    @route("GET", V + rf"/flavors/{_ID}")
    def flavor_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {"flavor": flavor_view(nova, find_flavor(req.params["id"]), ctx)}

    @route("POST", V + r"/flavors")
    def flavor_create(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-flavor-manage:create")
        body = svc.body(req, "flavor")
        try:
            name = str(body["name"])
            ram, vcpus, disk = int(body["ram"]), int(body["vcpus"]), int(body.get("disk", 0))
        except (KeyError, ValueError, TypeError) as exc:
            raise nova_fault(400, f"Invalid input for field/attribute flavor. Value: {body}. {exc}") from None
        with lock:
            fid = str(body.get("id") or new_id())
            if fid in nova.flavors or any(f["name"] == name for f in nova.flavors.values()):
                raise nova_fault(
                    409,
                    f"Flavor with {'ID ' + fid if fid in nova.flavors else 'name ' + name} already exists.",
                )
            f = {
                "id": fid,
                "name": name,
                "ram": ram,
                "vcpus": vcpus,
                "disk": disk,
                "ephemeral": int(body.get("OS-FLV-EXT-DATA:ephemeral", 0)),
                "swap": int(body.get("swap") or 0),
                "rxtx_factor": float(body.get("rxtx_factor", 1.0)),
                "is_public": bool(body.get("os-flavor-access:is_public", True)),
                "description": body.get("description"),
                "extra_specs": {},
            }
            nova.flavors[fid] = f
            return {"flavor": flavor_view(nova, f, ctx)}

    @route("DELETE", V + rf"/flavors/{_ID}")
    def flavor_delete(req: Request, ctx: Ctx) -> Response:
        svc.need_admin(ctx, "os_compute_api:os-flavor-manage:delete")
        with lock:
            nova.flavors.pop(find_flavor(req.params["id"])["id"])
        return accepted()

    @route("GET", V + rf"/flavors/{_ID}/os-extra_specs")
    def extra_specs(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {"extra_specs": dict(find_flavor(req.params["id"])["extra_specs"])}

    @route("POST", V + rf"/flavors/{_ID}/os-extra_specs")
    def extra_specs_set(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-flavor-extra-specs:create")
        specs = svc.body(req, "extra_specs")
        with lock:
            f = find_flavor(req.params["id"])
            f["extra_specs"].update({str(k): str(v) for k, v in specs.items()})
            return {"extra_specs": dict(f["extra_specs"])}

    # --- hypervisors ------------------------------------------------------------------------------
    def hv_id(hv: dict[str, Any], ctx: Ctx) -> Any:
        return hv["uuid"] if ctx.at_least(2, 53) else hv["num"]

    def hv_view(hv: dict[str, Any], ctx: Ctx, detail: bool) -> dict[str, Any]:
        svc_rec = nova.services[hv["service"]]
        out: dict[str, Any] = {
            "id": hv_id(hv, ctx),
            "hypervisor_hostname": hv["hostname"],
            "state": "up",
            "status": svc_rec["status"],
        }
        if not detail:
            return out
        used = nova.usage(hv["hostname"])
        cpu_info: Any = {
            "arch": "x86_64",
            "model": "Broadwell-IBRS",
            "vendor": "Intel",
            "topology": {"cells": 2, "sockets": 1, "cores": hv["vcpus"] // 4, "threads": 2},
            "features": ["vmx", "ssse3", "sse4.2", "avx2"],
        }
        out.update(
            {
                "vcpus": hv["vcpus"],
                "vcpus_used": used["vcpus"],
                "memory_mb": hv["memory_mb"],
                "memory_mb_used": used["memory_mb"] + 512,
                "free_ram_mb": hv["memory_mb"] - used["memory_mb"] - 512,
                "local_gb": hv["local_gb"],
                "local_gb_used": used["disk"],
                "free_disk_gb": hv["local_gb"] - used["disk"],
                "disk_available_least": hv["local_gb"] - used["disk"],
                "current_workload": 0,
                "running_vms": used["servers"],
                "hypervisor_type": "QEMU",
                "hypervisor_version": 2012000,
                "host_ip": hv["host_ip"],
                "service": {
                    "host": hv["hostname"],
                    "id": svc_rec["uuid"] if ctx.at_least(2, 53) else svc_rec["num"],
                    "disabled_reason": svc_rec["disabled_reason"],
                },
                "cpu_info": cpu_info if ctx.at_least(2, 28) else _json(cpu_info),
            }
        )
        return out

    def find_hv(raw: str, ctx: Ctx) -> dict[str, Any]:
        for hv in nova.hypervisors.values():
            if raw == str(hv_id(hv, ctx)):
                return hv
        raise nova_fault(
            404,
            f"Hypervisor with ID {raw} could not be found."
            if not ctx.at_least(2, 53)
            else f"Hypervisor with ID '{raw}' could not be found.",
        )

    def hypervisors(req: Request, ctx: Ctx, detail: bool) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-hypervisors")
        pattern = req.arg("hypervisor_hostname_pattern")
        with lock:
            items = [
                hv_view(hv, ctx, detail)
                for hv in nova.hypervisors.values()
                if not pattern or pattern in hv["hostname"]
            ]
        if pattern and not items:
            raise nova_fault(404, f"No hypervisor matching '{pattern}' could be found.")
        return page(req, items, key="hypervisors", base_url=svc.url)

    route("GET", V + r"/os-hypervisors")(lambda req, ctx: hypervisors(req, ctx, False))
    route("GET", V + r"/os-hypervisors/detail")(lambda req, ctx: hypervisors(req, ctx, True))

    @route("GET", V + r"/os-hypervisors/statistics")
    def hv_stats(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-hypervisors")
        with lock:
            views = [hv_view(hv, ctx, True) for hv in nova.hypervisors.values()]
        keys = (
            "vcpus",
            "vcpus_used",
            "memory_mb",
            "memory_mb_used",
            "free_ram_mb",
            "local_gb",
            "local_gb_used",
            "free_disk_gb",
            "disk_available_least",
            "current_workload",
            "running_vms",
        )
        stats = {k: sum(v[k] for v in views) for k in keys}
        return {"hypervisor_statistics": {"count": len(views), **stats}}

    @route("GET", V + rf"/os-hypervisors/{_ID}")
    def hv_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-hypervisors")
        with lock:
            return {"hypervisor": hv_view(find_hv(req.params["id"], ctx), ctx, True)}

    @route("GET", V + rf"/os-hypervisors/{_ID}/uptime")
    def hv_uptime(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-hypervisors")
        with lock:
            out = hv_view(find_hv(req.params["id"], ctx), ctx, False)
        out["uptime"] = " 12:00:00 up 42 days,  3:10,  0 users,  load average: 0.10, 0.12, 0.09"
        return {"hypervisor": out}

    @route("GET", V + r"/os-hypervisors/(?P<pattern>[^/]+)/(?P<what>search|servers)")
    def hv_search(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-hypervisors")
        with lock:
            found = []
            for hv in nova.hypervisors.values():
                if req.params["pattern"] in hv["hostname"]:
                    view = hv_view(hv, ctx, False)
                    if req.params["what"] == "servers":
                        view["servers"] = [
                            {"uuid": s["id"], "name": s["name"]}
                            for s in nova.servers.values()
                            if s["host"] == hv["hostname"]
                        ]
                    found.append(view)
        if not found:
            raise nova_fault(404, f"No hypervisor matching '{req.params['pattern']}' could be found.")
        return {"hypervisors": found}

    # --- os-services ------------------------------------------------------------------------------
    def service_view(s: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        out = {
            "id": s["uuid"] if ctx.at_least(2, 53) else s["num"],
            "binary": s["binary"],
            "host": s["host"],
            "zone": s["zone"],
            "status": s["status"],
            "state": "up",
            "updated_at": iso(micro=True, z=False),
            "disabled_reason": s["disabled_reason"],
        }
        if ctx.at_least(2, 11):
            out["forced_down"] = False
        return out

    @route("GET", V + r"/os-services")
    def services(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-services")
        with lock:
            items = [
                service_view(s, ctx)
                for s in nova.services.values()
                if (not req.arg("host") or s["host"] == req.arg("host"))
                and (not req.arg("binary") or s["binary"] == req.arg("binary"))
            ]
        return {"services": items}

    def by_host(body: dict[str, Any]) -> dict[str, Any]:
        for s in nova.services.values():
            if s["host"] == body.get("host") and s["binary"] == body.get("binary"):
                return s
        raise nova_fault(
            404,
            f"Compute host {body.get('host')} could not be found."
            if body.get("binary") == "nova-compute"
            else f"Service {body.get('binary')} on host {body.get('host')} could not be found.",
        )

    @route("PUT", V + r"/os-services/(?P<action>enable|disable|disable-log-reason|force-down)")
    def service_action(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-services")
        if ctx.at_least(2, 53):
            raise nova_fault(404, "The resource could not be found.")
        body = svc.body(req)
        action = req.params["action"]
        with lock:
            s = by_host(body)
            if action == "force-down":
                return {
                    "service": {
                        "host": s["host"],
                        "binary": s["binary"],
                        "forced_down": bool(body.get("forced_down")),
                    }
                }
            s["status"] = "enabled" if action == "enable" else "disabled"
            s["disabled_reason"] = body.get("disabled_reason") if action == "disable-log-reason" else None
            out = {"host": s["host"], "binary": s["binary"], "status": s["status"]}
            if action == "disable-log-reason":
                out["disabled_reason"] = s["disabled_reason"]
            return {"service": out}

    @route("PUT", V + rf"/os-services/{_ID}")
    def service_update(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-services")
        if not ctx.at_least(2, 53):
            raise nova_fault(404, "The resource could not be found.")
        body = svc.body(req)
        with lock:
            s = next((s for s in nova.services.values() if s["uuid"] == req.params["id"]), None)
            if s is None:
                raise nova_fault(404, f"Service {req.params['id']} could not be found.")
            if "status" in body:
                if body["status"] not in ("enabled", "disabled"):
                    raise nova_fault(
                        400, f"Invalid input for field/attribute status. Value: {body['status']}."
                    )
                s["status"] = body["status"]
                s["disabled_reason"] = body.get("disabled_reason") if body["status"] == "disabled" else None
            return {"service": service_view(s, ctx)}

    @route("DELETE", V + rf"/os-services/{_ID}")
    def service_delete(req: Request, ctx: Ctx) -> Response:
        svc.need_admin(ctx, "os_compute_api:os-services")
        with lock:
            s = next(
                (
                    s
                    for s in nova.services.values()
                    if str(s["uuid"] if ctx.at_least(2, 53) else s["num"]) == req.params["id"]
                ),
                None,
            )
            if s is None:
                raise nova_fault(404, f"Service {req.params['id']} could not be found.")
            if (
                s["binary"] == "nova-compute"
                and s["host"] in nova.hypervisors
                and nova.usage(s["host"])["servers"]
            ):
                raise nova_fault(
                    409,
                    "Unable to delete compute service that is hosting instances. Migrate "
                    "or delete the instances first.",
                )
            nova.services.pop(s["key"])
            nova.hypervisors.pop(s["host"], None)
        return empty()

    # --- keypairs ---------------------------------------------------------------------------------
    def kp_view(kp: dict[str, Any], ctx: Ctx, full: bool) -> dict[str, Any]:
        out = {"name": kp["name"], "public_key": kp["public_key"], "fingerprint": kp["fingerprint"]}
        if ctx.at_least(2, 2):
            out["type"] = kp["type"]
        if full:
            out.update(
                user_id=kp["user_id"],
                id=kp["num"],
                created_at=kp["created_at"],
                deleted=False,
                deleted_at=None,
                updated_at=None,
            )
        return out

    @route("GET", V + r"/os-keypairs")
    def keypairs(req: Request, ctx: Ctx) -> dict[str, Any]:
        user = req.arg("user_id") if ctx.is_admin and req.arg("user_id") else ctx.user_id
        with lock:
            return {
                "keypairs": [
                    {"keypair": kp_view(kp, ctx, False)}
                    for (u, _), kp in sorted(nova.keypairs.items())
                    if u == user
                ]
            }

    @route("POST", V + r"/os-keypairs")
    def keypair_create(req: Request, ctx: Ctx) -> Response:
        body = svc.body(req, "keypair")
        name = str(body.get("name") or "")
        if not name:
            raise nova_fault(
                400, "Invalid input for field/attribute keypair. Value: {}. 'name' is a required property"
            )
        user = body.get("user_id") if ctx.is_admin and body.get("user_id") else ctx.user_id
        with lock:
            if (user, name) in nova.keypairs:
                raise nova_fault(409, f"Key pair '{name}' already exists.")
            private = None
            public = body.get("public_key")
            if not public:
                raw = secrets.token_bytes(64)
                public = "ssh-rsa " + base64.b64encode(raw).decode() + " Generated-by-Nova"
                private = (
                    "-----BEGIN RSA PRIVATE KEY-----\n"
                    + base64.b64encode(raw * 4).decode()
                    + "\n-----END RSA PRIVATE KEY-----\n"
                )
            blob = public.split()[1] if len(public.split()) > 1 else public
            digest = hashlib.md5(base64.b64decode(blob + "==="), usedforsecurity=False).hexdigest()
            kp = {
                "name": name,
                "public_key": public,
                "type": body.get("type", "ssh"),
                "user_id": user,
                "fingerprint": ":".join(digest[i : i + 2] for i in range(0, 32, 2)),
                "num": len(nova.keypairs) + 1,
                "created_at": iso(micro=True, z=False),
            }
            nova.keypairs[(str(user), name)] = kp
            out = kp_view(kp, ctx, False)
            out["user_id"] = user
            if private:
                out["private_key"] = private
        return json_response({"keypair": out}, 201 if ctx.at_least(2, 2) else 200)

    def find_kp(name: str, ctx: Ctx, req: Request) -> tuple[tuple[str, str], dict[str, Any]]:
        user = req.arg("user_id") if ctx.is_admin and req.arg("user_id") else ctx.user_id
        key = (str(user), name)
        if key not in nova.keypairs:
            raise nova_fault(404, f"Keypair {name} not found for user {user}")
        return key, nova.keypairs[key]

    @route("GET", V + rf"/os-keypairs/{_ID}")
    def keypair_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            return {"keypair": kp_view(find_kp(req.params["id"], ctx, req)[1], ctx, True)}

    @route("DELETE", V + rf"/os-keypairs/{_ID}")
    def keypair_delete(req: Request, ctx: Ctx) -> Response:
        with lock:
            nova.keypairs.pop(find_kp(req.params["id"], ctx, req)[0])
        return Response(202 if not ctx.at_least(2, 2) else 204, b"", {})

    # --- quotas and limits ------------------------------------------------------------------------
    def quota_keys(ctx: Ctx) -> dict[str, int]:
        return dict(DEFAULT_QUOTAS) if ctx.at_least(2, 36) else {**DEFAULT_QUOTAS, **_LEGACY_QUOTAS}

    def quota_set(project: str, ctx: Ctx, detail: bool) -> dict[str, Any]:
        limits = {
            **quota_keys(ctx),
            **{k: v for k, v in nova.quotas.get(project, {}).items() if k in quota_keys(ctx)},
        }
        if not detail:
            return {"id": project, **limits}
        used = nova.project_usage(project)
        return {
            "id": project,
            **{k: {"limit": v, "in_use": used.get(k, 0), "reserved": 0} for k, v in limits.items()},
        }

    @route("GET", V + r"/os-quota-sets/(?P<project>[^/]+)(?P<detail>/detail)?")
    def quotas_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        project = req.params["project"]
        if project != ctx.project_id:
            svc.need_admin(ctx, "os_compute_api:os-quota-sets:show")
        with lock:
            return {
                "quota_set": quota_set(project, ctx, "detail" in req.params or req.arg("usage") == "True")
            }

    @route("GET", V + r"/os-quota-sets/(?P<project>[^/]+)/defaults")
    def quotas_defaults(req: Request, ctx: Ctx) -> dict[str, Any]:
        return {"quota_set": {"id": req.params["project"], **quota_keys(ctx)}}

    @route("PUT", V + r"/os-quota-sets/(?P<project>[^/]+)")
    def quotas_put(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-quota-sets:update")
        body = svc.body(req, "quota_set")
        with lock:
            q = nova.quotas.setdefault(req.params["project"], {})
            for k, v in body.items():
                if k in quota_keys(ctx):
                    q[k] = int(v)
                elif k not in ("force", "id"):
                    raise nova_fault(400, f"Bad key(s) {k} in quota_set")
            out = quota_set(req.params["project"], ctx, False)
            out.pop("id")
            return {"quota_set": out}

    @route("GET", V + r"/limits")
    def limits(req: Request, ctx: Ctx) -> dict[str, Any]:
        project = req.arg("tenant_id") if ctx.is_admin and req.arg("tenant_id") else project_of(ctx)
        with lock:
            q = quota_set(project, ctx, False)
            used = nova.project_usage(project)
        absolute = {
            "maxTotalInstances": q["instances"],
            "maxTotalCores": q["cores"],
            "maxTotalRAMSize": q["ram"],
            "maxServerMeta": q["metadata_items"],
            "maxTotalKeypairs": q["key_pairs"],
            "maxServerGroups": q["server_groups"],
            "maxServerGroupMembers": q["server_group_members"],
            "totalInstancesUsed": used["instances"],
            "totalCoresUsed": used["cores"],
            "totalRAMUsed": used["ram"],
            "totalServerGroupsUsed": 0,
        }
        if not ctx.at_least(2, 57):
            absolute.update(maxPersonality=5, maxPersonalitySize=10240)
        return {"limits": {"absolute": absolute, "rate": []}}

    # --- zones, aggregates ------------------------------------------------------------------------
    @route("GET", V + r"/os-availability-zone(?P<detail>/detail)?")
    def zones(req: Request, ctx: Ctx) -> dict[str, Any]:
        return {
            "availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": True}, "hosts": None}]
        }

    @route("GET", V + r"/os-aggregates")
    def aggregates(req: Request, ctx: Ctx) -> dict[str, Any]:
        svc.need_admin(ctx, "os_compute_api:os-aggregates:index")
        return {"aggregates": []}


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
