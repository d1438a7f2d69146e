"""The load balancer facade: observe one application environment's objects on its NetScaler,
diff them against the intent, apply the difference idempotently; member moves for the upgrade.

Observing costs five GETs (the vserver, its service group bindings, the service group, the
monitor, and the service group's bindings: members and monitors in one aggregate read), and one
more per layer the site declares above the vserver (the csvserver's policy bindings, the
gslbvserver's service bindings: :mod:`.layers`); the state after a change two (the vserver, the
service group's bindings). Applying twice changes nothing the second time. A csvserver or
gslbvserver the site names and the appliance lacks is added before its binding (:mod:`.layers`);
drift that i2 reports but does not change (a member's weight, a policy's priority) is a
:class:`Change` with ``op`` drift.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from lifecycle.loadbalancer import members as mem
from lifecycle.loadbalancer.client import Nitro
from lifecycle.loadbalancer.errors import Conflict, LbError, NitroError
from lifecycle.loadbalancer.intent import IMMUTABLE, LbIntent
from lifecycle.loadbalancer.layers import CS_BINDING, GSLB_BINDING, layers
from lifecycle.loadbalancer.members import MEMBER_BINDING, Member
from lifecycle.loadbalancer.poller import MemberPoller, SharedRead, read_all
from lifecycle.loadbalancer.writes import WriteCoalescer
from lifecycle.model.endpoints import Endpoints, SecretStore

VS_BINDING = "lbvserver_servicegroup_binding"
MON_BINDING = "servicegroup_lbmonitor_binding"
SG_BINDINGS = "servicegroup_binding"  # NITRO's aggregate: every binding of a service group
LIST_FIELDS = {"respcode"}
BULK_BINDINGS = {VS_BINDING: ("name", "servicegroupname"), MON_BINDING: ("servicegroupname", "monitor_name")}
STATE_ATTRS = ["name", "curstate", "effectivestate", "ipv46", "port"]


@dataclass
class Observed:
    """What the NetScaler has for one application environment (None: the object is absent)."""

    key: str
    vserver: dict[str, Any] | None = None
    vserver_groups: list[str] = field(default_factory=list)  # service groups bound to the vserver
    servicegroup: dict[str, Any] | None = None
    monitors: list[str] = field(default_factory=list)  # monitors bound to the service group
    monitor: dict[str, Any] | None = None
    members: list[Member] = field(default_factory=list)
    # the layers above (read only when the site declares them; see .layers): the csvserver's policy
    # bindings (None: no such csvserver), whether the policy exists (read only when not bound)
    cs_bound: list[dict[str, Any]] | None = None
    cspolicy: bool | None = None
    # the gslbvserver's service bindings (None: no such gslbvserver); the service (read when not bound)
    gslb_bound: list[dict[str, Any]] | None = None
    gslbservice: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "members": [m.as_dict() for m in self.members]}


@dataclass(frozen=True)
class Change:
    op: str  # add | update | bind | conflict | drift (reported, never applied)
    rtype: str
    name: str
    fields: dict[str, Any] = field(default_factory=dict)  # the payload (update: only what differs)
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.op} {self.rtype} {self.name}" + (f": {self.detail}" if self.detail else "")


def _norm(key: str, value: Any) -> Any:
    if key in LIST_FIELDS:
        return sorted(str(v) for v in (value if isinstance(value, list) else [value] if value else []))
    return None if value is None else str(value)


def differences(want: dict[str, Any], have: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields of ``want`` whose value on the appliance differs: field -> (wanted, found).

    >>> differences({"name": "vs", "port": 80, "respcode": ["200"]}, {"name": "vs", "port": "80",
    ...             "respcode": ["200"], "curstate": "UP"})
    {}
    """
    return {k: (v, have.get(k)) for k, v in want.items() if _norm(k, v) != _norm(k, have.get(k))}


def _object_changes(rtype: str, key: str, want: dict[str, Any], have: dict[str, Any] | None) -> list[Change]:
    name = str(want[key])
    if have is None:
        return [Change("add", rtype, name, want)]
    diff = differences(want, have)
    fixed = [f for f in IMMUTABLE.get(rtype, ()) if f in diff]
    if fixed:
        what = ", ".join(f"{f} {diff[f][1]} (site: {diff[f][0]})" for f in fixed)
        return [Change("conflict", rtype, name, {}, f"{what}: cannot be changed in place; re-create it")]
    if not diff:
        return []
    # NITRO's set lb monitor needs the type with the name
    ident = {key: name, **({"type": want["type"]} if rtype == "lbmonitor" else {})}
    detail = ", ".join(f"{f} {old!r} -> {new!r}" for f, (new, old) in diff.items())
    return [Change("update", rtype, name, {**ident, **{f: new for f, (new, _) in diff.items()}}, detail)]


def diff(intent: LbIntent, obs: Observed) -> list[Change]:
    """The changes that make ``obs`` what ``intent`` says, in the order they must be applied."""
    out = [*_object_changes("lbmonitor", "monitorname", intent.monitor, obs.monitor),
           *_object_changes("servicegroup", "servicegroupname", intent.servicegroup, obs.servicegroup),
           *_object_changes("lbvserver", "name", intent.vserver, obs.vserver)]
    if intent.monitorname not in obs.monitors:
        out.append(Change("bind", MON_BINDING, intent.sg, {"servicegroupname": intent.sg,
                                                           "monitor_name": intent.monitorname}))
    if intent.sg not in obs.vserver_groups:
        out.append(Change("bind", VS_BINDING, intent.name,
                          {"name": intent.name, "servicegroupname": intent.sg}))
    for layer in layers(intent, obs):  # after the vserver: a policy binding targets it
        out += [Change("add", rtype, str(fields["name"]), fields) for rtype, fields in layer.create]
        if layer.status in ("bind", "create"):
            out.append(Change("bind", layer.binding, layer.vserver, layer.bind or {}, layer.detail))
        elif layer.status in ("conflict", "drift"):
            out.append(Change(layer.status, layer.binding, layer.vserver, {}, layer.detail))
    return out + member_drift(intent, obs.members)


def member_drift(intent: LbIntent, members: list[Member]) -> list[Change]:
    """Members whose weight is not the one i2 binds them at (NetScaler's default, 1, as the site
    sets none): such a member takes another share of the clients than its peers, so a side bound
    by i2 would not take over what the other served. Reported, not changed (``op`` drift).

    >>> from lifecycle.loadbalancer.intent import LbIntent
    >>> i = LbIntent("a/prd", "ns1", {"name": "lb"}, {"servicegroupname": "sg"}, {}, 80, 5)
    >>> [str(c) for c in member_drift(i, [Member("10.0.0.1", 80, "ENABLED", "UP", weight=3),
    ...                                   Member("10.0.0.2", 80, "ENABLED", "UP", weight=1)])]
    ['drift servicegroup_servicegroupmember_binding sg: member 10.0.0.1:80 weight 3, i2 binds at 1']
    """
    return [Change("drift", MEMBER_BINDING, intent.sg, {}, f"member {m.ip}:{m.port} weight {m.weight}, "
                   f"i2 binds at {MEMBER_WEIGHT}")
            for m in members if m.weight is not None and m.weight != MEMBER_WEIGHT]


#: The weight i2 binds members at: NetScaler's default (the site sets none).
MEMBER_WEIGHT = 1


def actionable(changes: list[Change]) -> list[Change]:
    """The changes :meth:`LoadBalancer.apply` makes or refuses on (drift is only reported)."""
    return [c for c in changes if c.op != "drift"]


class LoadBalancer:
    """One NetScaler, through NITRO."""

    def __init__(self, nitro: Nitro):
        self.nitro = nitro
        # the in-service waits of every move on this appliance share one read per poll
        self.poller = MemberPoller(nitro)
        # and their binds, drains and unbinds share one bulk request per kind (see .writes)
        self.writes = WriteCoalescer(nitro)
        self._shared: dict[str, SharedRead] = {}

    @classmethod
    def connect(cls, endpoints: Endpoints, secrets: SecretStore, device: str) -> LoadBalancer:
        """The device's ``netscaler`` endpoint; nothing is sent until the first call."""
        ns = (getattr(endpoints, "netscaler", None) or {}).get(device)
        if ns is None:
            raise LbError(f"the endpoints file has no netscaler entry for device {device!r} "
                          "(url, username, password)")
        return cls(Nitro.from_endpoint(ns, secrets.get(ns.password), endpoints.base_dir))

    def close(self) -> None:
        self.nitro.close()

    # -- observe / diff / apply ------------------------------------------------------------------

    def _bindings(self, rtype: str, name: str, attr: str) -> list[str]:
        try:
            return sorted(str(b.get(attr)) for b in self.nitro.get(rtype, name))
        except NitroError as exc:
            if exc.absent:
                return []
            raise

    def group(self, sg: str) -> tuple[list[str], list[Member]] | None:
        """The service group's monitors and members in one read (``servicegroup_binding``);
        None when the group does not exist."""
        try:
            found = self.nitro.get(SG_BINDINGS, sg)
        except NitroError as exc:
            if exc.absent:
                return None
            raise
        read_at = time.time()
        agg = found[0] if found else {}
        monitors = sorted(str(b.get("monitor_name")) for b in agg.get(MON_BINDING) or [])
        return monitors, mem.parse_rows(agg.get(MEMBER_BINDING) or [], read_at)

    def observe(self, intent: LbIntent) -> Observed:
        n = self.nitro
        obs = Observed(intent.key, vserver=n.get_one("lbvserver", intent.name),
                       monitor=n.get_one("lbmonitor", intent.monitorname))
        if obs.vserver is not None:
            obs.vserver_groups = self._bindings(VS_BINDING, intent.name, "servicegroupname")
        obs.servicegroup = n.get_one("servicegroup", intent.sg)
        if obs.servicegroup is not None and (found := self.group(intent.sg)) is not None:
            obs.monitors, obs.members = found
        self._observe_layers(intent, obs)
        return obs

    def _rows(self, rtype: str, name: str) -> list[dict[str, Any]] | None:
        """The object's bindings of ``rtype`` (None: no such object, 258)."""
        try:
            return self.nitro.get(rtype, name)
        except NitroError as exc:
            if exc.absent:
                return None
            raise

    def _observe_layers(self, intent: LbIntent, obs: Observed, *, cs: bool = True, gslb: bool = True) -> None:
        """The content switching and GSLB bindings, one GET each (and one more for the policy
        or the service when it is not bound, or its vserver is missing: does it exist, where does
        it point)."""
        if intent.cs is not None and cs:
            obs.cs_bound = self._rows(CS_BINDING, str(intent.cs["name"]))
            pol = str(intent.cs["policyname"])
            if not any(str(r.get("policyname")) == pol for r in obs.cs_bound or []):
                obs.cspolicy = self.nitro.get_one("cspolicy", pol, attrs=["policyname"]) is not None
        if intent.gslb is not None and gslb:
            obs.gslb_bound = self._rows(GSLB_BINDING, str(intent.gslb["name"]))
            svc = str(intent.gslb["servicename"])
            if not any(str(r.get("servicename")) == svc for r in obs.gslb_bound or []):
                obs.gslbservice = self.nitro.get_one("gslbservice", svc)

    def shared(self, rtype: str) -> SharedRead:
        """A bulk read of ``rtype`` shared by the steps that read it at once: every object of a
        type (``GET <type>``), or every object's bindings (``bulkbindings=yes``) by parent name."""
        if rtype not in self._shared:
            key = {"lbvserver": "name", "lbmonitor": "monitorname", "servicegroup": "servicegroupname"}
            if rtype in key:
                def fetch() -> dict[str, Any]:
                    return {str(o.get(key[rtype])): o for o in self.nitro.get(rtype)}
                self._shared[rtype] = SharedRead(fetch, timeout=self.nitro.timeout, what=rtype)
            elif rtype in (CS_BINDING, GSLB_BINDING):  # parent name -> its binding rows
                def rows() -> dict[str, Any]:
                    out: dict[str, list[dict[str, Any]]] = {}
                    for b in self.nitro.get(rtype, bulk=True):
                        out.setdefault(str(b.get("name")), []).append(b)
                    return out
                self._shared[rtype] = SharedRead(rows, timeout=self.nitro.timeout, default=[], what=rtype)
            else:  # a binding type: parent name -> the names bound to it
                parent, target = BULK_BINDINGS[rtype]

                def bound() -> dict[str, Any]:
                    out: dict[str, list[str]] = {}
                    for b in self.nitro.get(rtype, bulk=True):
                        out.setdefault(str(b.get(parent)), []).append(str(b.get(target)))
                    return {k: sorted(v) for k, v in out.items()}
                self._shared[rtype] = SharedRead(bound, timeout=self.nitro.timeout, default=[], what=rtype)
        return self._shared[rtype]

    def observe_shared(self, intent: LbIntent) -> Observed:
        """What :meth:`observe` reads, each from a read started after this call and shared with
        the other steps observing this appliance at once (the upgrade's moves of a wave)."""
        # asked at once: the objects (and the layers' bindings: every csvserver's / gslbvserver's
        # at once), then the bindings of the objects that exist
        layer_reads = [(self.shared(CS_BINDING), str(intent.cs["name"]))] if intent.cs is not None else []
        if intent.gslb is not None:
            layer_reads.append((self.shared(GSLB_BINDING), str(intent.gslb["name"])))
        vs, mon, sg, *above = read_all([(self.shared("lbvserver"), intent.name),
                                        (self.shared("lbmonitor"), intent.monitorname),
                                        (self.shared("servicegroup"), intent.sg), *layer_reads])
        obs = Observed(intent.key, vserver=vs, monitor=mon, servicegroup=sg)
        if intent.cs is not None:
            obs.cs_bound = above.pop(0)
        if intent.gslb is not None:
            obs.gslb_bound = above.pop(0)
        bindings = ([(self.shared(VS_BINDING), intent.name)] if vs is not None else []) + (
            [(self.shared(MON_BINDING), intent.sg), (self.poller, intent.sg)] if sg is not None else [])
        found = iter(read_all(bindings))
        if vs is not None:
            obs.vserver_groups = next(found)
        if sg is not None:
            obs.monitors, obs.members = next(found), next(found)
        # a policy or service not among the bindings is read apart (a bulk read cannot tell
        # "no bindings" from "no object")
        cs_found = intent.cs is not None and any(
            str(r.get("policyname")) == str(intent.cs["policyname"]) for r in obs.cs_bound or [])
        gslb_found = intent.gslb is not None and any(
            str(r.get("servicename")) == str(intent.gslb["servicename"]) for r in obs.gslb_bound or [])
        self._observe_layers(intent, obs, cs=not cs_found, gslb=not gslb_found)
        return obs

    def state(self, intent: LbIntent, *, vserver: bool = True) -> Observed:
        """Who serves, in two GETs: the vserver (its state; skipped unless ``vserver``) and the
        service group's bindings (members, monitors)."""
        obs = Observed(intent.key)
        if vserver:
            obs.vserver = self.nitro.get_one("lbvserver", intent.name, attrs=STATE_ATTRS)
        obs.monitors, obs.members = self.group(intent.sg) or ([], [])
        return obs

    def snapshot(self, intent: LbIntent) -> Observed:
        """Who serves, in two GETs: the vserver (its state) and the service group's members."""
        return self.state(intent)

    def diff(self, intent: LbIntent, obs: Observed | None = None) -> list[Change]:
        return diff(intent, obs if obs is not None else self.observe(intent))

    def apply(self, intent: LbIntent, *, dry_run: bool = False, obs: Observed | None = None) -> list[Change]:
        """Make the vserver, service group, monitor and their bindings what ``intent`` says;
        the changes made (none when it already was). Members are left as they are. A
        :class:`Conflict` (an immutable field differs) stops it before anything changes.
        ``obs``: the caller's observation, just made (else observed here)."""
        changes = actionable(self.diff(intent, obs))
        conflicts = [c for c in changes if c.op == "conflict"]
        if conflicts and not dry_run:
            raise Conflict(f"{intent.key}: " + "; ".join(str(c) for c in conflicts))
        if dry_run:
            return changes
        done = []
        for c in changes:
            if c.op == "add" and not self.nitro.add(c.rtype, c.fields):
                done += self._existing(c)  # created meanwhile (273): what exists must match
                continue
            if c.op == "update":
                self.nitro.update(c.rtype, c.fields)
            elif c.op == "bind":
                self.nitro.bind(c.rtype, c.fields)
            done.append(c)
        return done

    def _existing(self, c: Change) -> list[Change]:
        key = {"servicegroup": "servicegroupname", "lbmonitor": "monitorname"}.get(c.rtype, "name")
        follow = _object_changes(c.rtype, key, c.fields, self.nitro.get_one(c.rtype, c.name))
        for f in follow:
            if f.op == "conflict":
                raise Conflict(str(f))
            self.nitro.update(f.rtype, f.fields)
        return follow

    # -- members ---------------------------------------------------------------------------------

    def members(self, sg: str) -> list[Member]:
        return mem.members(self.nitro, sg)

    def bind_members(self, sg: str, ips: Iterable[str], port: int, *,
                     current: list[Member] | None = None) -> list[str]:
        return mem.bind_members(self.nitro, sg, ips, port, current=current, writes=self.writes)

    def members_up(self, sg: str, ips: Iterable[str], port: int | None = None) -> bool:
        return mem.members_up(self.nitro, sg, ips, port)

    def drain(self, sg: str, ips: Iterable[str], delay: int, *, port: int | None = None,
              force: bool = False, current: list[Member] | None = None) -> list[Member]:
        return mem.drain(self.nitro, sg, ips, delay, port=port, force=force, current=current,
                         writes=self.writes)

    def enable(self, sg: str, ips: Iterable[str], *, port: int | None = None,
               current: list[Member] | None = None) -> list[Member]:
        return mem.enable(self.nitro, sg, ips, port=port, current=current, writes=self.writes)

    def unbind(self, sg: str, ips: Iterable[str], *, port: int | None = None,
               force: bool = False, current: list[Member] | None = None) -> list[Member]:
        return mem.unbind(self.nitro, sg, ips, port=port, force=force, current=current,
                          writes=self.writes)

    def who_serves(self, intent: LbIntent, obs: Observed | None = None) -> dict[str, Any]:
        return who_serves(intent, obs if obs is not None else self.observe(intent))


def who_serves(intent: LbIntent, obs: Observed) -> dict[str, Any]:
    """Which side serves: per side (by subnet) the serving, draining and down members."""
    sides: dict[str, dict[str, list[str]]] = {}
    for m in obs.members:
        side = intent.side_of(m.ip) or "other"
        bucket = "serving" if m.serving else "disabled" if m.state.upper() == "DISABLED" else "down"
        sides.setdefault(side, {"serving": [], "disabled": [], "down": []})[bucket].append(f"{m.ip}:{m.port}")
    serving = sorted(s for s, b in sides.items() if b["serving"])
    vip = f"{intent.vserver['ipv46']}:{intent.vserver['port']}"
    return {"app": intent.key, "vserver": intent.name, "vip": vip,
            "state": (obs.vserver or {}).get("curstate", "absent" if obs.vserver is None else "UNKNOWN"),
            "serving_sides": serving, "sides": sides}
