"""Deploying and scaling a Train overcloud through its undercloud: what the stack has, what the
next deploy must say, and whether the stack already says it.

Train semantics i2 relies on (tripleo-common 11 and THT 11.6.0):

- Each role is a Heat ResourceGroup: its members are the first ``<Role>Count`` indices not
  blacklisted; ``<Role>SchedulerHints`` put member N on the Ironic node tagged
  ``node:<role>-N`` (the rack runbook tags them), so members are read from Ironic.
- Scale out: raise ``<Role>Count`` and deploy again with the same files.
- Scale down: ``openstack overcloud node delete --stack S <server uuid>...`` (the undercloud
  Nova servers, Ironic's ``instance_uuid``) runs the scale-down tasks (the compute service is
  deleted), lowers the count and blacklists the indices. It sets ``<Role>RemovalPolicies`` to the
  latest removal only, while Heat keeps the whole blacklist (``RemovalPoliciesMode: append``), so
  i2 renders the union it knows (the stack's value and its own last ``node-info.yaml`` on the
  undercloud) and the lower count: a later deploy neither re-creates nor reuses those indices.
  No deploy is needed after the node delete.

Members are handed in as :class:`Node` per role and index (the overcloud runbook reads them from
the undercloud's Ironic); the stack is read over SSH::

    stack = observe_stack(uc, "overcloud", ["Controller", "ComputeNuage"])

Scaling ComputeNuage from 8 to 6 deletes its two highest members, as Heat would:

>>> from pathlib import Path
>>> import lifecycle
>>> from lifecycle.model import load_site
>>> cloud = load_site(Path(lifecycle.__file__).parents[1] / "examples" / "ie1").cloud("ie1-new")
>>> members = {"ComputeNuage": {i: Node(f"c02-s{i + 1:02d}", f"uuid-{i}", "ComputeNuage", i, "active",
...                                     f"server-{i}", None) for i in range(8)}}
>>> stack = StackView("overcloud", "UPDATE_COMPLETE", "DEPLOY_SUCCESS", {"Controller": 3, "ComputeNuage": 8})
>>> target = plan_target(stack, cloud, members, counts={"ComputeNuage": 6})
>>> target.delete, target.counts["ComputeNuage"], target.removed["ComputeNuage"]
(['c02-s07', 'c02-s08'], 6, [6, 7])

A build-out's first deploy whose server tagged ``computenuage-2`` was quarantined (never
provided) deploys the three others, index 2 a hole Heat skips:

>>> ready = {"ComputeNuage": {i: Node(f"c02-s{i + 1:02d}", f"uuid-{i}", "ComputeNuage", i, "available",
...                                   None, None) for i in (0, 1, 3)}}
>>> first = plan_target(None, cloud, ready, scale_out=[f"c02-s0{i}" for i in range(1, 5)], first_deploy=True)
>>> first.counts["ComputeNuage"], first.removed["ComputeNuage"], first.members("ComputeNuage")
(3, [2], [0, 1, 3])
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lifecycle.model.schema import Cloud
from lifecycle.tripleo.render import MANIFEST, group_members
from lifecycle.tripleo.undercloud import Undercloud, UndercloudError

STATE_ENV = "I2_STATE_DIR"
BUSY = ("DEPLOYING",)
# Lines of a failed deploy that carry the reason (Heat's status_reason, tripleoclient's ERROR).
_REASON = re.compile(r"(ERROR|Error|FAILED|failed|No valid host|InvalidConfiguration)")


def state_dir() -> Path:
    """Where i2 keeps run files: ``$I2_STATE_DIR``, else beside ``$I2_EVENTS_DIR``, else
    ``~/.local/state/i2``."""
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    if os.environ.get("I2_EVENTS_DIR"):
        return Path(os.environ["I2_EVENTS_DIR"]).parent
    return Path.home() / ".local" / "state" / "i2"


# --- what the undercloud says ------------------------------------------------------------------


@dataclass
class StackView:
    """``openstack stack show`` and ``openstack overcloud status`` of one stack."""

    name: str
    status: str
    deployment: str
    counts: dict[str, int] = field(default_factory=dict)
    removed: dict[str, list[int]] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        return self.status.endswith("IN_PROGRESS") or self.deployment in BUSY


def _json(uc: Undercloud, argv: list[str], *, redact: bool = True) -> tuple[int, Any]:
    status, text = uc.output(argv, redact=redact)
    if status != 0:
        return status, text
    try:
        return 0, json.loads(text)
    except ValueError:
        raise UndercloudError(uc.name, f"{' '.join(argv[:3])} printed no JSON: {text[-200:]}") from None


def _policies(value: Any) -> list[int]:
    """Indices in a ``<Role>RemovalPolicies`` value (Heat shows JSON parameters as strings)."""
    if isinstance(value, str):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            return []
    out: list[int] = []
    for p in value if isinstance(value, list) else []:
        for item in (p.get("resource_list") or []) if isinstance(p, dict) else []:
            if str(item).isdigit():
                out.append(int(item))
    return sorted(set(out))


def observe_stack(uc: Undercloud, stack: str, roles: Iterable[str]) -> StackView | None:
    """The stack's status and per-role count and removed indices; None if there is no stack."""
    status, data = _json(uc, ["openstack", "stack", "show", stack, "-f", "json"])
    if status != 0:
        if "could not be found" in str(data):
            return None
        raise UndercloudError(uc.name, f"openstack stack show {stack} failed (exit {status}): {data}")
    params = data.get("parameters") or {}
    view = StackView(stack, str(data.get("stack_status") or ""), deployment_status(uc, stack))
    for role in roles:
        if f"{role}Count" in params:
            view.counts[role] = int(params[f"{role}Count"])
        view.removed[role] = _policies(params.get(f"{role}RemovalPolicies"))
    return view


def deployment_status(uc: Undercloud, stack: str) -> str:
    """tripleoclient's deployment status (DEPLOY_SUCCESS, DEPLOYING, DEPLOY_FAILED), "" if none."""
    status, data = _json(uc, ["openstack", "overcloud", "status", "--plan", stack, "-f", "json"])
    if status != 0 or not data:
        return ""
    return str(data[0].get("Deployment Status") or "")


def stack_environment(uc: Undercloud, stack: str) -> dict[str, Any] | None:
    """The stack's merged environment, secrets included: compare it, never show it."""
    status, data = _json(uc, ["openstack", "stack", "environment", "show", stack, "-f", "json"],
                         redact=False)
    if status != 0:
        if "could not be found" in str(data):
            return None
        raise UndercloudError(uc.name, f"openstack stack environment show {stack} failed (exit {status})")
    return data


def wait_idle(uc: Undercloud, stack: str, *, cancelled: Any = None, timeout: float = 4 * 3600,
              interval: float = 5.0, progress: Callable[[str], None] | None = None) -> StackView | None:
    """Wait while a deployment (or node delete) of ``stack`` is running, e.g. the one a killed
    i2 started: the undercloud carries on without it."""
    t0 = time.monotonic()
    while True:
        view = observe_stack(uc, stack, [])
        if view is None or not view.busy:
            return view
        if time.monotonic() - t0 > timeout:
            raise UndercloudError(uc.name, f"stack {stack} still {view.status or view.deployment} after "
                                  f"{timeout:.0f} s", transient=True)
        if progress is not None:
            progress(f"stack {stack} is {view.status or view.deployment}: waiting for it to finish")
        if cancelled is not None and cancelled.wait(interval):
            raise UndercloudError(uc.name, f"stopped waiting for stack {stack}", transient=True)
        if cancelled is None:
            time.sleep(interval)


def remote_removed(uc: Undercloud, remote_dir: str) -> dict[str, list[int]]:
    """The RemovalPolicies i2 last rendered (its node-info.yaml on the undercloud), per role."""
    try:
        with uc.sftp().open(f"{remote_dir}/node-info.yaml", "rb") as fh:
            data = yaml.safe_load(fh.read()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    pd = data.get("parameter_defaults") or {} if isinstance(data, dict) else {}
    return {k[:-len("RemovalPolicies")]: _policies(v) for k, v in pd.items() if k.endswith("RemovalPolicies")}


# --- what Ironic says (read by the runbook, handed in) ---------------------------------------------


@dataclass
class Node:
    """An Ironic node tagged ``node:<role>-<index>``."""

    name: str
    uuid: str
    role: str
    index: int
    state: str
    instance: str | None
    hostname: str | None  # instance_info display_name, once deployed

    @property
    def deployed(self) -> bool:
        return self.state == "active" and bool(self.instance)


# --- the next deploy -----------------------------------------------------------------------------


class ScaleError(Exception):
    """The change asked for cannot be made (unknown node, count below zero, ...)."""


@dataclass
class Target:
    """What the next deploy says: counts and removed indices per role; which nodes are deleted
    first (``openstack overcloud node delete``) and which are expected to join."""

    before: dict[str, int]
    counts: dict[str, int]
    removed: dict[str, list[int]]
    delete: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def members(self, role: str) -> list[int]:
        return group_members(self.counts.get(role, 0), self.removed.get(role, []))


def plan_target(stack: StackView | None, cloud: Cloud, nodes: Mapping[str, Mapping[int, Node]], *,
                counts: Mapping[str, int] | None = None, remove: Sequence[str] = (),
                scale_out: Sequence[str] = (), removed: Mapping[str, Sequence[int]] | None = None,
                first_deploy: bool = False) -> Target:
    """From what the stack has (or the site's counts for a new stack), apply one change:
    ``counts`` (``scale``: lower counts delete the highest members), ``remove`` (those nodes) or
    ``scale_out`` (raise each role's count by those of these nodes that are not deployed yet).
    ``removed``: indices already removed beyond what the stack shows (i2's last files).

    ``first_deploy`` (a build-out's deploys, the first and each late one): with no stack yet,
    every role starts from 0 instead of the site's count, and ``scale_out`` adds exactly those
    of its nodes that are provided (``available``): a quarantined server is left out instead of
    failing the whole cloud's deploy. Indices are fixed when the run is planned, so a server
    left out may sit in the middle of its role's indices: each index below a joining one that
    no member or joiner holds becomes a hole (``<Role>RemovalPolicies``: Heat's ResourceGroup
    skips it, for good), the count being the members. A server that joins later needs an index
    above every used and removed one (:func:`join_index`); its old index is never reused.
"""
    roles = [r.name for r in cloud.roles]
    before = {r.name: (stack.counts.get(r.name, r.count) if stack else 0 if first_deploy else r.count)
              for r in cloud.roles}
    shown = stack.removed if stack else {}
    gone = {r: sorted({*shown.get(r, []), *(removed or {}).get(r, [])}) for r in roles}
    target = Target(before=dict(before), counts=dict(before), removed=gone)
    by_name = {n.name: n for role in nodes.values() for n in role.values()}
    for role, want in (counts or {}).items():
        if role not in before:
            raise ScaleError(f"cloud {cloud.name} has no role {role} (roles: {', '.join(roles)})")
        if want < 0:
            raise ScaleError(f"{role}: a count cannot be negative")
        if want >= before[role]:
            target.counts[role] = want
            continue
        # Heat would drop the highest members: delete exactly those, by name.
        for i in target.members(role)[want:]:
            node = nodes.get(role, {}).get(i)
            if node is None or not node.deployed:
                what = f"{node.name} is {node.state}" if node else \
                    f"no Ironic node is tagged {role.lower()}-{i}"
                raise ScaleError(f"{role} member {i} cannot be deleted: {what} (deploy first, or remove "
                                 "nodes by name)")
            remove = [*remove, node.name]
    for name in dict.fromkeys(remove):
        node = by_name.get(name)
        if node is None or node.index not in target.members(node.role) or not node.deployed:
            raise ScaleError(f"{name} is not a deployed member of {cloud.name} (no active Ironic node "
                             "tagged node:<role>-N within the stack's members)")
        target.counts[node.role] -= 1
        target.removed[node.role] = sorted({*target.removed[node.role], node.index})
        target.delete.append(name)
    joining: dict[str, list[Node]] = {}
    for name in dict.fromkeys(scale_out):
        node = by_name.get(name)
        if node is not None and not node.deployed and (not first_deploy or node.state == "available"):
            joining.setdefault(node.role, []).append(node)
            target.added.append(name)
    for role, new in joining.items():
        if not first_deploy:
            target.counts[role] += len(new)
            continue
        members = target.members(role)
        for node in new:
            if node.index in target.removed[role] or node.index in members:
                what = "removed (Heat never reuses it)" if node.index in target.removed[role] else \
                    "a member's already"
                raise ScaleError(f"{node.name} is tagged node:{role.lower()}-{node.index}, an index "
                                 f"{what}: tag it again with an index above every used one")
        want = sorted({*members, *(n.index for n in new)})
        target.counts[role] = len(want)
        target.removed[role] = sorted({*target.removed[role], *holes(want, target.removed[role])})
    return target


def holes(members: Sequence[int], removed: Sequence[int] = ()) -> list[int]:
    """The indices a ResourceGroup of exactly ``members`` must skip: every lower index no
    member holds and not removed already.

    >>> holes([0, 1, 3, 6], removed=[4])
    [2, 5]
    """
    top = max(members, default=-1)
    return [i for i in range(top) if i not in set(members) | set(removed)]


def join_index(planned: int, tagged: Mapping[int, Node], removed: Iterable[int] = ()) -> int:
    """The index a server takes when it is tagged: the one planned for it, unless Heat already
    skips that index (``removed``, or below a deployed member while no node holds it: a hole the
    first deploy left); then one above every used and removed index, never a removed one.

    >>> def node(i: int, state: str = "active") -> Node:
    ...     return Node(f"s{i}", f"u{i}", "ComputeNuage", i, state, "x" if state == "active" else None, None)
    >>> deployed = {i: node(i) for i in (0, 1, 3, 4)}  # the first deploy left 2 out: a hole
    >>> join_index(2, deployed), join_index(5, deployed), join_index(5, deployed, removed=[5, 7])
    (5, 5, 8)
    >>> join_index(1, {0: node(0, "available")})  # nothing deployed yet: the plan holds
    1
    """
    gone = set(removed)
    top = max((i for i, n in tagged.items() if n.deployed), default=-1)
    if planned not in gone and (planned > top or planned in tagged):
        return planned
    return max({*tagged, *gone, planned}) + 1


def placement_findings(target: Target, nodes: Mapping[str, Mapping[int, Node]]) -> list[str]:
    """Each member after the change must be an Ironic node tagged for its index and deployable
    (available) or deployed already; a node being deleted must not be a member."""
    out = []
    for role, count in target.counts.items():
        for i in target.members(role):
            node = nodes.get(role, {}).get(i)
            if node is None:
                out.append(f"{role} member {i} ({role}Count {count}): no Ironic node is tagged "
                           f"node:{role.lower()}-{i}")
            elif node.name in target.delete:
                out.append(f"{role} member {i}: {node.name} is being deleted")
            elif node.state not in ("available", "active"):
                out.append(f"{role} member {i}: {node.name} is {node.state}, not available")
    return out


# --- is it deployed already? ---------------------------------------------------------------------


def operator_defaults(out_dir: Path) -> dict[str, Any]:
    """The parameter_defaults of i2's own environment files (merged in deploy order)."""
    manifest = json.loads((Path(out_dir) / MANIFEST).read_text())
    remote = manifest["remote_dir"].rstrip("/") + "/"
    merged: dict[str, Any] = {}
    for env in manifest["environments"]:
        path = env.get("path", "")
        name = env.get("file") or (path[len(remote):] if path.startswith(remote) else None)
        if not name:
            continue
        data = yaml.safe_load((Path(out_dir) / name).read_text()) or {}
        merged.update((data.get("parameter_defaults") or {}) if isinstance(data, dict) else {})
    return merged


MASKS = ("******", "***")  # a Heat that hides hidden parameters' values: nothing to compare


def _contains(have: Any, want: Any) -> bool:
    """``want`` is in ``have``: mappings key by key (THT's files may add keys), else equal."""
    if isinstance(have, str) and have in MASKS:
        return True
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and _contains(have[k], v) for k, v in want.items())
    return bool(have == want)


def environment_differs(out_dir: Path, environment: Mapping[str, Any] | None) -> list[str]:
    """i2's parameters whose value the stack's environment does not have (all of them when
    there is no stack). Values are compared, never shown."""
    have = (environment or {}).get("parameter_defaults") or {}
    return sorted(k for k, v in operator_defaults(out_dir).items()
                  if k not in have or not _contains(have[k], v))


def failure_reason(tail: Sequence[str], limit: int = 6) -> str:
    """The lines of a failed command that say why (Heat's status_reason, ERROR lines)."""
    hits = [line.strip() for line in tail if _REASON.search(line) and line.strip()]
    picked = list(dict.fromkeys(hits))[-limit:] or [line.strip() for line in tail if line.strip()][-3:]
    return " | ".join(picked)
