"""Booting a server, right after the API answered (as the conductor does): the scheduler's host
choice, network allocation through Neutron, boot volumes through Cinder, then ACTIVE once the
latency profile's ``nova.boot`` has passed, or ERROR with Nova's fault."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import HttpError
from lifecycle.lab.openstack.api import iso
from lifecycle.lab.openstack.nova.common import next_device

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova

NO_VALID_HOST = "No valid host was found. There are not enough hosts available."


def pick_host(nova: Nova, flavor: dict[str, Any], zone: str | None) -> str | None:
    """Nova's filter scheduler in short: enabled computes with room, most free RAM first."""
    best, best_free = None, -1.0
    ratio_cpu, ratio_ram = nova.cloud.cpu_allocation_ratio, nova.cloud.ram_allocation_ratio
    for hv in nova.hypervisors.values():
        svc = nova.services[hv["service"]]
        if svc["status"] != "enabled":
            continue
        if zone and zone not in ("nova", f"nova:{hv['hostname']}", f"nova::{hv['hostname']}"):
            continue
        used = nova.usage(hv["hostname"])
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


def set_error(s: dict[str, Any], message: str, code: int = 500, details: str = "") -> None:
    s.update(status="ERROR", task_state=None, updated=iso())
    s["fault"] = {"code": code, "created": iso(), "message": message, "details": details or message}
    if s["host"] and message == NO_VALID_HOST:
        s["host"] = None


def build(nova: Nova, sid: str, requested: list[dict[str, Any]], bdms: list[dict[str, Any]]) -> None:
    """Scheduling and network allocation, right after the API answered (as the conductor does)."""
    neutron, cinder = nova.cloud.neutron, nova.cloud.cinder
    with nova.lock:
        s = nova.servers.get(sid)
        if s is None or s["deleted"]:
            return
        host = pick_host(nova, s["flavor"], s["zone"])
        if host is None:
            set_error(s, NO_VALID_HOST)
            return
        s.update(host=host, task_state="networking")
        if nova.cloud.faults.roll("nova", "task_error"):
            set_error(
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
            with nova.lock:
                s["attachments"].append(
                    {
                        "volumeId": bdm["uuid"],
                        "device": bdm.get("device_name") or next_device(s),
                        "delete_on_termination": bool(bdm.get("delete_on_termination", False)),
                    }
                )
    except HttpError as err:
        with nova.lock:
            message = _message(err)
            set_error(
                s,
                f"Build of instance {sid} aborted: Failed to allocate the network(s), not rescheduling.",
                details=message,
            )
        neutron.release_for_server(sid)
        return
    with nova.lock:
        s["task_state"] = "spawning"
    nova.cloud.timers.after(nova.cloud.latency.task_duration("nova.boot"), lambda: spawned(nova, sid))


def spawned(nova: Nova, sid: str) -> None:
    with nova.lock:
        s = nova.servers.get(sid)
        if s is None or s["deleted"] or s["status"] != "BUILD":
            return
        s.update(status="ACTIVE", task_state=None, launched_at=iso(micro=True, z=False), updated=iso())


def _message(err: HttpError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = next(iter(body.values()), {})
        if isinstance(inner, dict) and "message" in inner:
            return str(inner["message"])
    return str(body)
