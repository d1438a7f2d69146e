"""Nuage net-partitions (``/v2.0/net-partitions``): creating one links to the VSD enterprise of
that name if it exists (adding the plugin's default L3/L2 domain templates when missing), else
creates the enterprise; the net-partition id is the enterprise id."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, empty, neutron_fault
from lifecycle.lab.openstack.nuage.common import (
    DEF_L2DOM_TEMPLATE_PFIX,
    DEF_L3DOM_TEMPLATE_PFIX,
    DEF_NUAGE_ZONE_PREFIX,
    N,
    plain_bad_request,
)
from lifecycle.lab.openstack.vsd import VsdClient, VsdError

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nuage.plugin import NuagePlugin


def np_view(np: dict[str, Any], ctx: Ctx | None = None) -> dict[str, Any]:
    out = dict(np)
    if ctx is not None and ctx.project_id:
        out["tenant_id"] = ctx.project_id
    return out


def default_templates(vsd: VsdClient, np_id: str, name: str) -> tuple[str, str]:
    """The plugin's default L3/L2 domain templates of an enterprise, created if missing."""
    ext = {"externalID": f"{np_id}@openstack"}
    l3 = vsd.get(f"/enterprises/{np_id}/domaintemplates", filter=f"name IS '{name}{DEF_L3DOM_TEMPLATE_PFIX}'")
    if l3:
        l3_id = l3[0]["ID"]
    else:
        l3_id = vsd.post(
            f"/enterprises/{np_id}/domaintemplates", {"name": name + DEF_L3DOM_TEMPLATE_PFIX, **ext}
        )["ID"]
        vsd.post(
            f"/domaintemplates/{l3_id}/zonetemplates", {"name": f"{DEF_NUAGE_ZONE_PREFIX}-{l3_id}", **ext}
        )
        try:  # the plugin gives both zone templates the same externalID
            vsd.post(
                f"/domaintemplates/{l3_id}/zonetemplates",
                {"name": f"{DEF_NUAGE_ZONE_PREFIX}-pub-{l3_id}", **ext},
            )
        except VsdError as err:
            if err.status != 409:  # the twin's VSD wants sibling externalIDs unique: the public
                raise  # zone template is then left out (the upgrade never uses it)
    l2 = vsd.get(
        f"/enterprises/{np_id}/l2domaintemplates", filter=f"name IS '{name}{DEF_L2DOM_TEMPLATE_PFIX}'"
    )
    l2_id = (
        l2[0]["ID"]
        if l2
        else vsd.post(
            f"/enterprises/{np_id}/l2domaintemplates", {"name": name + DEF_L2DOM_TEMPLATE_PFIX, **ext}
        )["ID"]
    )
    return l3_id, l2_id


def create_net_partition(plugin: NuagePlugin, name: str) -> dict[str, Any]:
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        raise plain_bad_request("Invalid netpartition name: Only ascii names are allowed") from None
    vsd = plugin.need_vsd()

    def work() -> dict[str, Any]:
        existing = next((np for np in plugin.net_partitions.values() if np["name"] == name), None)
        ent = vsd.get("/enterprises", filter=f"name IS '{name}'")
        if ent:
            if existing:
                same = "with same id" if existing["id"] == ent[0]["ID"] else "but the id is different"
                raise plain_bad_request(f"Net-partition {name} already exists in Neutron and VSD {same}")
            np_id = ent[0]["ID"]
        else:
            if existing:
                del plugin.net_partitions[existing["id"]]
            np_id = vsd.post(
                "/enterprises",
                {"name": name, "floatingIPsQuota": "254", "externalID": f"{name}@openstack"},
            )["ID"]
        l3_id, l2_id = default_templates(vsd, np_id, name)
        np = {
            "id": np_id,
            "name": name,
            "l3dom_tmplt_id": l3_id,
            "l2dom_tmplt_id": l2_id,
            "isolated_zone": f"{DEF_NUAGE_ZONE_PREFIX}-{l3_id}",
            "shared_zone": f"{DEF_NUAGE_ZONE_PREFIX}-pub-{l3_id}",
        }
        plugin.net_partitions[np_id] = np
        return np

    return plugin.call(work)  # type: ignore[no-any-return]


def np_by(plugin: NuagePlugin, id_or_name: str) -> dict[str, Any] | None:
    return plugin.net_partitions.get(id_or_name) or next(
        (np for np in plugin.net_partitions.values() if np["name"] == id_or_name), None
    )


def register(plugin: NuagePlugin, route: Callable[[str, str], Callable[..., Any]]) -> None:
    lock = plugin.lock

    @route("GET", N + r"/net-partitions")
    def nps(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            items = [np_view(np, ctx) for np in plugin.net_partitions.values()]
        if req.arg("name"):
            items = [i for i in items if i["name"] == req.arg("name")]
        return {"net_partitions": items}

    @route("POST", N + r"/net-partitions")
    def np_create(req: Request, ctx: Ctx) -> Response:
        if not ctx.is_admin:
            raise neutron_fault(403, "HTTPForbidden", "rule:create_net_partition is disallowed by policy")
        body = plugin.neutron.svc.body(req, "net_partition")
        if not body.get("name"):
            raise neutron_fault(
                400, "HTTPBadRequest", "Failed to parse request. Required attribute 'name' not specified"
            )
        with lock:
            np = create_net_partition(plugin, str(body["name"]))
        return json_response({"net_partition": np_view(np, ctx)}, 201)

    @route("GET", N + r"/net-partitions/(?P<id>[^/]+)")
    def np_get(req: Request, ctx: Ctx) -> dict[str, Any]:
        with lock:
            np = plugin.net_partitions.get(req.params["id"])
            if np is None:
                raise neutron_fault(
                    404, "NuageNotFound", f"net_partition {req.params['id']} could not be found"
                )
            return {"net_partition": np_view(np, ctx)}

    @route("DELETE", N + r"/net-partitions/(?P<id>[^/]+)")
    def np_delete(req: Request, ctx: Ctx) -> Response:
        if not ctx.is_admin:
            raise neutron_fault(403, "HTTPForbidden", "rule:delete_net_partition is disallowed by policy")
        with lock:
            np = plugin.net_partitions.get(req.params["id"])
            if np is None:
                raise neutron_fault(
                    404, "NuageNotFound", f"net_partition {req.params['id']} could not be found"
                )
            if any(s.get("nuage_net_partition_id") == np["id"] for s in plugin.neutron.subnets.values()):
                raise plain_bad_request(
                    f"One or more L2 Domain Subnet present in the net_partition {np['name']}"
                )
            vsd = plugin.need_vsd()

            def work() -> None:
                ent = vsd.get(f"/enterprises/{np['id']}")
                if ent and str(ent[0].get("externalID") or "").endswith("@openstack"):
                    vsd.delete(f"/enterprises/{np['id']}?responseChoice=1")

            plugin.call(work)
            del plugin.net_partitions[np["id"]]
        return empty()
