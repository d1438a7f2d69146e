"""What Nova's resource modules share: the path prefix (with the legacy project segment), the id
patterns, the vm_state of each status, and finding a caller's server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.openstack.api import Ctx, nova_fault

if TYPE_CHECKING:
    from lifecycle.lab.openstack.nova.service import Nova

V = r"/v2\.1(?:/[0-9a-f]{32})?"  # Nova still accepts the legacy /v2.1/{project_id}/... form
ID = r"(?P<id>[0-9a-fA-F-]{36})"  # a server
ANY_ID = r"(?P<id>[^/]+)"  # a flavor, hypervisor, service or keypair
VM_STATE = {
    "ACTIVE": "active",
    "SHUTOFF": "stopped",
    "ERROR": "error",
    "BUILD": "building",
    "REBOOT": "active",
    "HARD_REBOOT": "active",
}


def find_server(nova: Nova, sid: str, ctx: Ctx) -> dict[str, Any]:
    s = nova.servers.get(sid)
    if s is None or s["deleted"] or (s["project_id"] != ctx.project_id and not ctx.is_admin):
        raise nova_fault(404, f"Instance {sid} could not be found.")
    return s


def next_device(s: dict[str, Any]) -> str:
    return f"/dev/vd{'bcdefghijklmnop'[len(s['attachments'])]}"
