"""``/rest/ethernet-networks``: read, create (an asynchronous task, as the appliance does; one, or
a VLAN range in bulk), delete.

The appliance checks the name is unique, the VLAN id is in 1..4094 for a Tagged network (two
networks may share a VLAN id: they go out on different uplinks), and the enumerations; its network
errors carry ``CRM_`` codes.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, Router
from lifecycle.lab.oneview.errors import bad_request
from lifecycle.lab.oneview.resources.common import read_routes
from lifecycle.lab.oneview.state import READ_ONLY, Record
from lifecycle.lab.oneview.tasks import Task

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lifecycle.lab.oneview.emulator import OneViewEmulator

PREFIX = "/rest/ethernet-networks"
CATEGORY = "ethernet-networks"
_ID = r"(?P<id>[^/]+)"
TYPES = ("Tagged", "Untagged", "Tunnel")
PURPOSES = ("General", "Management", "VMMigration", "FaultTolerance", "ISCSI")


def check(emu: OneViewEmulator, body: dict[str, Any]) -> None:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request(
            "CRM_MISSING_NETWORK_NAME", "The network name is missing.", "A network name is required."
        )
    if any(r.name.lower() == name.lower() for r in emu.networks.values()):
        raise bad_request(
            "CRM_DUPLICATE_NETWORK_NAME",
            f"The network name: {name} is already in use.",
            "Network names must be unique.",
        )
    kind = body.get("ethernetNetworkType", "Tagged")
    if kind not in TYPES:
        raise bad_request(
            "CRM_INVALID_ETHERNET_NETWORK_TYPE",
            f"The ethernet network type {kind!r} is not valid.",
            f"Valid types: {', '.join(TYPES)}.",
        )
    purpose = body.get("purpose", "General")
    if purpose not in PURPOSES:
        raise bad_request(
            "CRM_INVALID_NETWORK_PURPOSE",
            f"The network purpose {purpose!r} is not valid.",
            f"Valid purposes: {', '.join(PURPOSES)}.",
        )
    if kind == "Tagged":
        vlan = body.get("vlanId")
        if isinstance(vlan, bool) or not isinstance(vlan, int) or not 1 <= vlan <= 4094:
            raise bad_request(
                "CRM_INVALID_VLAN_ID",
                f"The VLAN ID {vlan!r} is not valid.",
                "A Tagged network needs a VLAN ID from 1 to 4094.",
            )


def vlan_range(spec: str) -> list[int]:
    """``"1-3,7"`` -> [1, 2, 3, 7]; [] when malformed or out of 1..4094."""
    out: list[int] = []
    for part in spec.replace(" ", "").split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            return []
        out += range(int(lo), int(hi or lo) + 1)
    return sorted(set(out)) if out and all(1 <= v <= 4094 for v in out) else []


def new_doc(body: dict[str, Any], uri: str) -> dict[str, Any]:
    kind = body.get("ethernetNetworkType", "Tagged")
    return {
        "description": None,
        "purpose": "General",
        "smartLink": False,
        "privateNetwork": False,
        "connectionTemplateUri": None,
        "fabricUri": None,
        "subnetUri": None,
        "ipv6SubnetUri": None,
        **{k: v for k, v in body.items() if k not in READ_ONLY and k != "bandwidth"},
        "ethernetNetworkType": kind,
        "vlanId": body.get("vlanId") if kind == "Tagged" else 0,
        "uri": uri,
        "status": "OK",
        "state": "Active",
        "scopesUri": f"/rest/scopes/resources{uri}",
    }


def register(router: Router, emu: OneViewEmulator) -> None:
    table = emu.networks
    read_routes(router, emu, PREFIX, table, CATEGORY)

    @router.route("POST", PREFIX)
    def create(req: Request) -> Response:
        api = emu.api(req)
        body = emu.body(req)
        emu.check_type(body, CATEGORY, api)
        with emu.lock:
            check(emu, body)
            nid = str(uuid.uuid4())
            uri = f"{PREFIX}/{nid}"
            rec = Record(new_doc(body, uri), CATEGORY)
            task = emu.new_task(
                "Create", uri=uri, resource_name=rec.name, category=CATEGORY, kind="oneview.default"
            )
            table[nid] = rec  # listed (and its name taken) at once; a failed task removes it
            hidden = nid

        def work(task: Task) -> Iterator[float]:
            try:
                yield 0.9
                with emu.lock:
                    task.check_fault()
                    task.note(f"Created ethernet network {rec.name}.")
            except Exception:
                with emu.lock:
                    table.pop(hidden, None)
                raise

        emu.runner.start(task, work)
        return emu.accepted(task, api)

    @router.route("POST", rf"{PREFIX}/bulk")
    def create_bulk(req: Request) -> Response:
        """``namePrefix`` + ``vlanIdRange`` ("1-10,50"): one Tagged network ``<prefix>_<vlan>`` a VLAN."""
        api = emu.api(req)
        body = emu.body(req)
        emu.check_type(body, "bulk-ethernet-networks", api)
        prefix, spec = body.get("namePrefix"), str(body.get("vlanIdRange") or "")
        vlans = vlan_range(spec)
        if not isinstance(prefix, str) or not prefix or not vlans:
            raise bad_request(
                "CRM_INVALID_BULK_NETWORK_REQUEST",
                "namePrefix and vlanIdRange are required.",
                f"vlanIdRange {spec!r}: VLAN ids 1..4094, e.g. 1-10,50.",
            )
        common = {k: body[k] for k in ("purpose", "smartLink", "privateNetwork") if k in body}
        with emu.lock:
            for vlan in vlans:
                check(
                    emu,
                    {**common, "name": f"{prefix}_{vlan}", "vlanId": vlan, "ethernetNetworkType": "Tagged"},
                )
            added = []
            for vlan in vlans:
                nid = str(uuid.uuid4())
                uri = f"{PREFIX}/{nid}"
                table[nid] = Record(
                    new_doc({**common, "name": f"{prefix}_{vlan}", "vlanId": vlan}, uri), CATEGORY
                )
                added.append(nid)
            task = emu.new_task(
                "Create", uri=None, resource_name=prefix, category=CATEGORY, kind="oneview.default"
            )

        def work(task: Task) -> Iterator[float]:
            try:
                yield 0.9
                with emu.lock:
                    task.check_fault()
                    task.note(f"Created {len(added)} ethernet networks {prefix}_*.")
            except Exception:
                with emu.lock:
                    for nid in added:
                        table.pop(nid, None)
                raise

        emu.runner.start(task, work)
        return emu.accepted(task, api)

    @router.route("DELETE", rf"{PREFIX}/{_ID}")
    def delete(req: Request) -> Response:
        api = emu.api(req)
        with emu.lock:
            rec = emu.record(table, req.params["id"], PREFIX)
            emu.check_etag(req, rec.etag, None, rec.uri)
            users = sorted(
                p.name
                for p in [*emu.profiles.values(), *emu.templates.values()]
                if rec.uri in str(p.doc.get("connectionSettings"))
            )
            if users:
                raise bad_request(
                    "CRM_NETWORK_IN_USE",
                    f"The network {rec.name} cannot be deleted because it "
                    "is used by server profiles or templates.",
                    ", ".join(users),
                    source=rec.uri,
                )
            task = emu.new_task(
                "Delete", uri=rec.uri, resource_name=rec.name, category=CATEGORY, kind="oneview.default"
            )

        def work(task: Task) -> Iterator[float]:
            yield 0.9
            with emu.lock:
                task.check_fault()
                table.pop(req.params["id"], None)

        emu.runner.start(task, work)
        return emu.accepted(task, api)
