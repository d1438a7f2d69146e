"""What every upgrade action shares: its move (from the step's typed params), the clouds of
each side, where the move lives in VSD, and the checks on the destination side.

Actions name the sides by role, not by letter: the *source* is the side the application
leaves (A, or B in a rollback), the *destination* the side it goes to.

>>> MoveParams(app="billing", env="prd").reverse
False
>>> MoveParams(app="billing", env="prd", sub="x")
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for MoveParams
sub
  Extra inputs are not permitted ...
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from typing import Any

from lifecycle.clouds.shared import GATHER, SharedReads
from lifecycle.engine import Action, PermanentError, RetryPolicy, StepOutputs, StepParams, StepView
from lifecycle.model.schema_lb import HttpHook, SshHook
from lifecycle.nuage.policy import Entry
from lifecycle.nuage.vsd import entry_clauses, select_entries
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.upgrade.model import Move, clouds, moves

#: How long the first guard of a busy domain waits for the others' (s): see :data:`POLICY`.
POLICY_GATHER = 0.15

#: Waiting on something another system finishes on its own (VSD resolving a VM, a vport going).
WAIT = RetryPolicy(max_attempts=60, base_delay=1.0, max_delay=3.0, jitter=0.2)

# What one attempt of a step has read (VSD subnets by name, the move's servers per cloud, what
# its observe found): each attempt runs in a thread of its own, and move() clears it when another
# step's attempt starts; so apply finds what observe read a few ms before (reading it again would
# check nothing more). The guards read afresh (guard() clears it).
_attempt = threading.local()

# VSD reads that the moves of a wave make at the same moments (a domain's subnets, ACL entries,
# VM interfaces): one request answers every move that asked before it was sent
SHARED = SharedReads(gather=GATHER)


#: A domain's subnets and the ACL entries naming them, read together (three requests) for every
#: guard of the domain asking at the same moment; a busy round waits a little longer for others
#: than single reads do, since it saves three requests per guard that joins it.
POLICY = SharedReads(gather=POLICY_GATHER)


def _policy(vsd: Any, dom: Any, names: frozenset[str]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The domain's subnets among ``names``, and its entries naming any of them by id or i2's
    mirrors for one of them (one read of subnets, then one per ACL template)."""
    found = vsd.subnets(dom, sorted(names))
    ids = {n: getattr(found.get(n), "id", None) for n in names}
    return found, vsd.acl_entries(dom, entry_clauses(ids))


def fresh() -> None:
    """Forget what this attempt has read: a guard decides on what it reads itself, now."""
    _attempt.subnets, _attempt.listed, _attempt.seen = {}, {}, {}


def now() -> float:
    return round(time.time(), 3)


class MoveParams(StepParams):
    """The application environment a step works on; ``reverse`` in a rollback's steps."""

    app: str
    env: str
    reverse: bool = False


class MoveAction(Action):
    """An action on one :class:`~lifecycle.runbooks.upgrade.model.Move`."""

    Params = MoveParams

    def __init__(self, svc: Services):
        self.svc = svc

    def move(self, step: StepView) -> Move:
        if getattr(_attempt, "step", None) != (step.key, step.attempt):
            _attempt.step = (step.key, step.attempt)
            _attempt.subnets, _attempt.listed, _attempt.seen = {}, {}, {}
        p = step.params
        found = [m for m in moves(self.svc.site, apps=[p.app], reverse=p.reverse) if m.env == p.env]
        if not found:
            raise PermanentError(f"{p.app}/{p.env}: not an application environment of the upgrade")
        return found[0]

    def clouds_of(self, m: Move) -> tuple[Any, Any]:
        """(source, destination) cloud models of the move (swapped in a rollback)."""
        old, new = clouds(self.svc.site)
        return (new, old) if m.reverse else (old, new)

    def src_of(self, m: Move) -> Any:
        """The source cloud's client."""
        return self.svc.cloud(self.clouds_of(m)[0].name)

    def dst_of(self, m: Move) -> Any:
        """The destination cloud's client."""
        return self.svc.cloud(self.clouds_of(m)[1].name)

    def vsd(self) -> Any:
        return self.svc.nuage()

    def where(self, m: Move) -> tuple[Any, Any, Any]:
        """(enterprise, domain, zone) of the move in VSD; missing ones are permanent errors."""
        assert self.svc.site.nuage is not None
        vsd = self.vsd()
        org = self.svc.site.nuage.organisation
        ent = vsd.enterprise(org)
        if ent is None:
            raise PermanentError(f"VSD has no enterprise {org}")
        dom = vsd.domain(ent, m.domain)
        if dom is None:
            raise PermanentError(f"VSD enterprise {org} has no domain {m.domain}")
        zone = vsd.zone(dom, m.zone)
        if zone is None:
            raise PermanentError(f"VSD domain {m.domain} has no zone {m.zone}")
        return ent, dom, zone

    def seen(self, key: Any, read: Callable[[], Any]) -> Any:
        """What this attempt read as ``key`` (its observe, a few ms before), else ``read()`` now."""
        memo: dict[Any, Any] = getattr(_attempt, "seen", None) or {}
        _attempt.seen = memo
        if key not in memo:
            memo[key] = read()
        return memo[key]

    def vsd_subnets(self, dom: Any, names: list[str]) -> dict[str, Any]:
        """Subnet name -> the VSD subnet (None: absent) in the domain, read once per attempt
        (in one request with the other moves asking at the same moment)."""
        memo: dict[tuple[str, str], Any] = getattr(_attempt, "subnets", None) or {}
        _attempt.subnets = memo
        missing = [n for n in names if (dom.id, n) not in memo]
        if missing:
            vsd = self.vsd()
            found = SHARED.read(("vsd-subnets", id(vsd), dom.id), missing,
                                lambda union: vsd.subnets(dom, sorted(union)))
            memo.update({(dom.id, n): found.get(n) for n in missing})
        return {n: memo[(dom.id, n)] for n in names}

    def subnet_id(self, m: Move, side: str) -> str | None:
        _, dom, _ = self.where(m)
        sub = self.vsd_subnets(dom, [m.subnet(side)])[m.subnet(side)]
        return sub.id if sub is not None else None

    def listed(self, cloud: Any, m: Move) -> dict[str, Any]:
        """The move's VMs in ``cloud`` as this attempt last listed them (its observe, its guard),
        else listed now."""
        found = getattr(_attempt, "listed", {}).get((cloud.name, m.key))
        return dict(found) if found is not None else self.servers(cloud, m)

    def servers(self, cloud: Any, m: Move) -> dict[str, Any]:
        """The move's VMs in ``cloud``, listed now (every check reads them fresh; the moves of
        a project asking at the same moment share the request)."""
        found = {s.name: s for s in cloud.servers(project=m.project, names=m.vms) if s.status != "DELETED"}
        if not hasattr(_attempt, "listed"):
            _attempt.listed = {}
        _attempt.listed[(cloud.name, m.key)] = found
        return found

    def ips(self, m: Move, side: str) -> dict[str, str]:
        """VM name -> its Neutron address on ``side``'s subnet, for the VMs of the move that
        side's cloud has (the source's cloud for ``m.src``, the destination's for ``m.dst``)."""
        cloud = self.src_of(m) if side == m.src else self.dst_of(m)
        net = ipaddress.ip_network(m.cidr(side))
        out: dict[str, str] = {}
        # addresses do not change while a VM lives: this attempt's listing, if it made one
        listed = getattr(_attempt, "listed", {}).get((cloud.name, m.key))
        for name, s in (listed if listed is not None else self.servers(cloud, m)).items():
            for addrs in (s.addresses or {}).values():
                for a in addrs:
                    if a.get("addr") and ipaddress.ip_address(a["addr"]) in net:
                        out[name] = a["addr"]
        return out

    def hook_of(self, m: Move) -> HttpHook | SshHook | None:
        """The writer hook the move quiesces and resumes writers with (``writer_stop: freeze``):
        HTTP through ``vm_access.http_proxy``, SSH through ``vm_access.ssh_jump``. None: the
        ``i2.writes`` metadata key does (an application without a hook)."""
        hook = m.app.writer_hook
        return hook if hook is not None and m.app.writer_stop == "freeze" else None

    def entries(self, m: Move, dom: Any, ids: dict[str, str | None] | None = None) -> list[Entry]:
        """The entries that matter to the move: naming A or B, and i2's mirrors for either, read
        now. ``ids``: both subnets' ids as a step of this run read them; else both subnets are
        read now with the entries, in one round for every move of the domain asking then (see
        :data:`POLICY`), and this attempt keeps the subnets read."""
        names = [m.subnet(side) for side in ("a", "b")]
        vsd = self.vsd()
        if ids is not None and all(ids.get(n) for n in names):
            subnets = {n: ids[n] for n in names}
            raw = SHARED.read(("vsd-entries", id(vsd), dom.id), entry_clauses(subnets),
                              lambda union: vsd.acl_entries(dom, union))
            return select_entries(raw, subnets)
        found, raw = POLICY.read(("vsd-policy", id(vsd), dom.id), names,
                                 lambda union: _policy(vsd, dom, union))
        memo: dict[tuple[str, str], Any] = getattr(_attempt, "subnets", None) or {}
        _attempt.subnets = memo
        memo.update({(dom.id, n): found.get(n) for n in names})
        return select_entries(raw, {n: getattr(found.get(n), "id", None) for n in names})

    def vsd_ips(self, m: Move) -> dict[str, str]:
        """IP of each VM interface VSD knows on the destination subnet, read now (with the
        other moves of the domain asking at the same moment)."""
        _, dom, _ = self.where(m)
        vsd, want = self.vsd(), (m.zone, m.subnet(m.dst))
        found = SHARED.read(("vsd-vmifs", id(vsd), dom.id), [want],
                            lambda union: vsd.vm_interfaces_on(dom, union))
        return {i.ip_address: i.name or "" for i in found.get(want, [])}

    def destination_state(self, m: Move) -> tuple[dict[str, Any], list[str]]:
        """The destination's servers and what is wrong with them (not ACTIVE, not resolved in
        VSD on the destination subnet)."""
        dst = self.dst_of(m)
        vms = self.servers(dst, m)
        problems = [f"{n}: missing in {dst.name}" for n in m.vms if n not in vms]
        ips = self.vsd_ips(m)
        for n, s in vms.items():
            if s.status != "ACTIVE":
                problems.append(f"{n}: {s.status}")
                continue
            mine = [a.get("addr") for net in (s.addresses or {}).values() for a in net]
            if not any(ip in ips for ip in mine):
                problems.append(f"{n}: no VSD interface on {m.subnet(m.dst)} "
                                f"(addresses {', '.join(mine) or 'none'})")
        return vms, problems


class VmsAt(StepOutputs):
    """Which of the move's VMs a step changed (or found changed), and when."""

    vms: list[str]
    at: float | None = None
