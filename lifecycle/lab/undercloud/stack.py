"""A Heat overcloud stack as the twin's undercloud keeps it: per role a ResourceGroup (count,
blacklist, members), the environment it was last deployed with, and its statuses.

Persisted as JSON (0600: the environment holds the deploy's secrets, as Heat's database does) in
the lab directory, so a lab restart keeps its overclouds.

Heat's ResourceGroup semantics that matter to scaling (heat/engine/resources/openstack/heat/
resource_group.py): member names are the first ``count`` integers not in the blacklist; a
``removal_policies`` entry adds names to the blacklist (``append`` mode, the THT default) or
replaces it (``update``), and a blacklisted member is removed.

>>> ResourceGroup(count=3, blacklist=[1]).names()
[0, 2, 3]
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lifecycle.lab.config import write_private


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Member:
    """One server of a role: index in the group, the Ironic node under it, Nova's server id."""

    index: int
    node: str  # Ironic node name
    node_uuid: str
    server_id: str  # the undercloud Nova server (Ironic's instance_uuid)
    hostname: str  # after HostnameMap, with CloudDomain: what Nova calls the hypervisor
    vcpus: int = 0
    memory_mb: int = 0


@dataclass
class ResourceGroup:
    count: int = 0
    blacklist: list[int] = field(default_factory=list)
    members: dict[int, Member] = field(default_factory=dict)
    hypervisor: bool = False  # the role runs nova-compute

    def names(self, count: int | None = None, blacklist: list[int] | None = None) -> list[int]:
        """Heat's ``_resource_names``: the first ``count`` indices not blacklisted."""
        want = self.count if count is None else count
        skip = set(self.blacklist if blacklist is None else blacklist)
        out: list[int] = []
        i = 0
        while len(out) < want:
            if i not in skip:
                out.append(i)
            i += 1
        return out


@dataclass
class StackState:
    name: str
    cloud: str = ""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "CREATE_COMPLETE"  # Heat's stack_status
    status_reason: str = "Stack CREATE completed successfully"
    deployment: str = "DEPLOY_SUCCESS"  # tripleoclient's deployment status
    created: str = field(default_factory=now)
    updated: str | None = None
    roles: dict[str, ResourceGroup] = field(default_factory=dict)
    parameter_defaults: dict[str, Any] = field(default_factory=dict)
    resource_registry: dict[str, Any] = field(default_factory=dict)
    deploys: int = 0  # `openstack overcloud deploy` runs that reached Heat

    def parameter(self, name: str, default: Any = None) -> Any:
        return self.parameter_defaults.get(name, default)

    def shown_parameters(self) -> dict[str, str]:
        """``openstack stack show``'s parameters: strings, JSON ones JSON-encoded, as Heat shows them."""
        names = ["HostnameMap"]
        for role in self.roles:
            names += [f"{role}Count", f"{role}RemovalPolicies", f"{role}HostnameFormat"]
        out = {"OS::stack_name": self.name, "OS::stack_id": self.id}
        for name in names:
            value = self.parameter(name)
            if name.endswith("Count"):
                value = self.roles[name[:-len("Count")]].count
            if value is None:
                value = {} if name == "HostnameMap" else [] if name.endswith("Policies") else ""
            out[name] = value if isinstance(value, str) else json.dumps(value)
        return out

    def show(self) -> dict[str, Any]:
        return {"id": self.id, "stack_name": self.name, "description": "Deploy an OpenStack environment.",
                "creation_time": self.created, "updated_time": self.updated,
                "stack_status": self.status, "stack_status_reason": self.status_reason,
                "parameters": self.shown_parameters(), "timeout_mins": 240, "disable_rollback": True}

    # -- persistence ---------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StackState:
        roles = {}
        for name, g in data.pop("roles", {}).items():
            members = {int(i): Member(**m) for i, m in g.pop("members", {}).items()}
            roles[name] = ResourceGroup(members=members, **g)
        return cls(roles=roles, **data)


class StackStore:
    """The stacks of one undercloud, one JSON file each under ``directory``; ``lock`` guards
    every read-modify-write (commands run in parallel threads)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.json"

    def get(self, name: str) -> StackState | None:
        with self.lock:
            path = self.path(name)
            if not path.exists():
                return None
            return StackState.from_dict(json.loads(path.read_text()))

    def save(self, stack: StackState) -> None:
        with self.lock:
            tmp = self.path(stack.name).with_suffix(".tmp")
            write_private(tmp, json.dumps(stack.as_dict(), indent=1, sort_keys=True))
            tmp.replace(self.path(stack.name))

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.json"))
