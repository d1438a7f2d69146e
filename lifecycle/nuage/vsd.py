"""The Nuage adapter's facade: what i2 reads and changes in one VSD enterprise, through vspk.

Every change is idempotent (it looks for its object by name, or by the externalID i2 gave it,
before creating) so an interrupted run that repeats it creates nothing twice.

Example (needs a reachable VSD)::

    vsd = Nuage.connect(endpoints, secrets)
    ent = vsd.enterprise("IE1")
    zone = vsd.zone(vsd.domain(ent, "ie1-prd"), "billing")
    subnet, created = vsd.ensure_subnet(zone, "billing-prd-b", "10.20.4.64/26")
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from lifecycle.model.endpoints import Endpoints, SecretStore
from lifecycle.nuage.client import NuageError, connect, wrap
from lifecycle.nuage.policy import MIRROR_PREFIX, Entry, PriorityError, Ref, mirror_priority

PAGE = 500  # VSD's page size cap; i2 pages through every list


def quote(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


class Nuage:
    """One VSD session. Objects returned are vspk's own (``NUEnterprise``, ``NUSubnet``...)."""

    def __init__(self, session: Any):
        self.session = session
        # enterprises, domains and zones do not move during a run: looked up once per process
        self._found: dict[tuple[str, str, str], Any] = {}

    @classmethod
    def connect(cls, endpoints: Endpoints, secrets: SecretStore) -> Nuage:
        return cls(connect(endpoints, secrets))

    @property
    def me(self) -> Any:
        return self.session.user

    # -- reading ------------------------------------------------------------------------------

    @contextmanager
    def _call(self, what: str) -> Iterator[None]:
        try:
            yield
        except NuageError:
            raise
        except Exception as exc:
            raise wrap(exc, what) from None

    def all(self, fetcher: Any, filter: str | None = None) -> list[Any]:
        """Every object of a fetcher (``get()`` does not page by itself)."""
        out: list[Any] = []
        page = 0
        with self._call(f"list {fetcher.managed_class().rest_name}"):
            while True:
                got = fetcher.get(filter=filter, page=page, page_size=PAGE) or []
                out += got
                if len(got) < PAGE:
                    return out
                page += 1

    def first(self, fetcher: Any, filter: str) -> Any | None:
        with self._call(f"find {fetcher.managed_class().rest_name} {filter}"):
            return fetcher.get_first(filter=filter)

    def _once(self, kind: str, parent: Any, name: str) -> Any | None:
        key = (kind, getattr(parent, "id", "") or "", name)
        if key not in self._found:
            found = self.first(getattr(parent, kind), f"name == {quote(name)}")
            if found is None:
                return None
            self._found[key] = found
        return self._found[key]

    def enterprise(self, name: str) -> Any | None:
        return self._once("enterprises", self.me, name)

    def domain(self, enterprise: Any, name: str) -> Any | None:
        return self._once("domains", enterprise, name)

    def zone(self, domain: Any, name: str) -> Any | None:
        """A zone of the domain; the domain's zones are read together, once per process (each
        application has its own: one read per domain, not one per application)."""
        key = ("zones", getattr(domain, "id", "") or "", name)
        if key not in self._found:
            for z in self.all(domain.zones):
                self._found.setdefault(("zones", key[1], z.name), z)
        return self._found.get(key)

    def subnet(self, parent: Any, name: str) -> Any | None:
        """A subnet by name under a zone or a domain."""
        return self.first(parent.subnets, f"name == {quote(name)}")

    def subnets(self, parent: Any, names: list[str]) -> dict[str, Any]:
        """The subnets among ``names`` under a zone or a domain, by name: one filtered read."""
        if not names:
            return {}
        found = self.all(parent.subnets, " or ".join(f"name == {quote(n)}" for n in names))
        return {s.name: s for s in found if s.name in names}

    def vm_interfaces(self, subnet: Any) -> list[Any]:
        return self.all(subnet.vm_interfaces)

    def vports(self, subnet: Any) -> list[Any]:
        return self.all(subnet.vports)

    def remove_vport(self, subnet: Any, vport: Any) -> list[str]:
        """Delete a vport with what sits on it: the VM interface on it, and its VM when that was
        the VM's last interface (the VSD refuses to delete a vport a VM uses). Returns what was
        deleted, by kind and name."""
        gone: list[str] = []
        ifaces = [i for i in self.vm_interfaces(subnet) if i.vport_id == vport.id]
        for iface in ifaces:
            vm = self.first(self.me.vms, f"UUID == {quote(iface.vmuuid)}") if iface.vmuuid else None
            others = [] if vm is None else [o for o in self.all(vm.vm_interfaces) if o.id != iface.id]
            if vm is not None and not others:
                if self.delete(vm, f"VM {vm.name}"):
                    gone.append(f"vm {vm.name}")
            elif self.delete(iface, f"VM interface {iface.name}"):
                gone.append(f"vminterface {iface.name}")
        if self.delete(vport, f"vport {vport.name}"):
            gone.append(f"vport {vport.name}")
        return gone

    def names(self, domain: Any, enterprise: Any) -> dict[str, Ref]:
        """VSD id -> :class:`Ref` for every zone, subnet, policy group of the domain and
        network macro of the enterprise, so entries read back speak the site's names."""
        out: dict[str, Ref] = {}
        for z in self.all(domain.zones):
            out[z.id] = Ref("ZONE", z.name)
        for s in self.all(domain.subnets):
            out[s.id] = Ref("SUBNET", s.name)
        for pg in self.all(domain.policy_groups):
            out[pg.id] = Ref("POLICYGROUP", pg.name)
        for m in self.all(enterprise.enterprise_networks):
            out[m.id] = Ref("ENTERPRISE_NETWORK", m.name)
        return out

    def entries(self, domain: Any, enterprise: Any) -> list[Entry]:
        """Every ingress and egress ACL entry of the domain, with names resolved."""
        names = self.names(domain, enterprise)
        out: list[Entry] = []
        for direction, tpl_fetcher, entry_attr in (
            ("ingress", domain.ingress_acl_templates, "ingress_acl_entry_templates"),
            ("egress", domain.egress_acl_templates, "egress_acl_entry_templates"),
        ):
            for tpl in self.all(tpl_fetcher):
                for e in self.all(getattr(tpl, entry_attr)):
                    out.append(_entry(direction, e, names))
        return out

    def templates(self, domain: Any, direction: str) -> list[Any]:
        """The domain's ingress or egress ACL templates (from its domain template; they do not
        change during a run, so they are listed once per process)."""
        key = (f"{direction}-templates", domain.id, "")
        if key not in self._found:
            fetcher = domain.ingress_acl_templates if direction == "ingress" else domain.egress_acl_templates
            found = sorted(self.all(fetcher), key=lambda t: t.priority or 0)
            if not found:
                return []
            self._found[key] = found
        return list(self._found[key])

    def entries_for(self, domain: Any, subnets: dict[str, str | None]) -> list[Entry]:
        """The domain's entries that name one of ``subnets`` (name -> id, None when absent) or
        are i2's mirrors for one of them: selected by VSD's filter, so a domain with thousands
        of entries is not read whole for one application. The other side of an entry keeps its
        VSD id as its name."""
        return select_entries(self.acl_entries(domain, entry_clauses(subnets)), subnets)

    def acl_entries(self, domain: Any, clauses: Iterable[str]) -> list[tuple[str, Any]]:
        """(direction, vspk entry) for the domain's entries matching any of ``clauses`` (see
        :func:`entry_clauses`): one read per ACL template, whatever the number of clauses, so
        the moves of a wave can ask together."""
        text = " or ".join(sorted(set(clauses)))
        out: list[tuple[str, Any]] = []
        for direction, entry_attr in (("ingress", "ingress_acl_entry_templates"),
                                      ("egress", "egress_acl_entry_templates")):
            for tpl in self.templates(domain, direction):
                out += [(direction, e) for e in self.all(getattr(tpl, entry_attr), filter=text)]
        return out

    def vm_interfaces_on(self, domain: Any, subnets: Iterable[tuple[str, str]]
                         ) -> dict[tuple[str, str], list[Any]]:
        """(zone, subnet) name -> the VM interfaces VSD has on that subnet of the domain: one
        filtered read of the domain's interfaces for any number of subnets (a subnet's name is
        unique in its zone), without looking the subnets up first."""
        want = set(subnets)
        if not want:
            return {}
        text = " or ".join(f"(zoneName == {quote(z)} and networkName == {quote(n)})" for z, n in sorted(want))
        out: dict[tuple[str, str], list[Any]] = {w: [] for w in want}
        for i in self.all(domain.vm_interfaces, filter=text):
            if (i.zone_name, i.network_name) in out:
                out[(i.zone_name, i.network_name)].append(i)
        return out

    # -- changing -----------------------------------------------------------------------------

    def ensure_subnet(self, zone: Any, name: str, cidr: str, *, description: str = "",
                      external_id: str | None = None, absent: bool = False) -> tuple[Any, bool]:
        """Subnet ``name`` with ``cidr`` (gateway: its first address) in ``zone``.

        Returns (subnet, created). An existing subnet of that name with another CIDR is an
        error naming both, never silently reused. ``absent``: the caller has just found none."""
        from vspk.v6 import NUSubnet

        net = ipaddress.ip_network(cidr)
        found = None if absent else self.subnet(zone, name)
        if found is not None:
            have = f"{found.address}/{ipaddress.ip_network(f'0.0.0.0/{found.netmask}').prefixlen}"
            if have != str(net):
                raise NuageError(f"VSD subnet {name} exists with {have}, not {net}")
            return found, False
        sub = NUSubnet(name=name, address=str(net.network_address), netmask=str(net.netmask),
                       gateway=str(net.network_address + 1), description=description or None,
                       external_id=external_id)
        with self._call(f"create VSD subnet {name} ({net}) in zone {zone.name}"):
            zone.create_child(sub)
        return sub, True

    def acl_template(self, domain: Any, direction: str) -> Any:
        """The domain's (first) ingress or egress ACL template; the domain's template gave it."""
        tpls = self.templates(domain, direction)
        if not tpls:
            raise NuageError(f"domain {domain.name} has no {direction} ACL template")
        return tpls[0]

    def create_entry(self, domain: Any, entry: Entry) -> Entry:
        """Create ``entry`` (ids already resolved) unless one with its externalID exists.

        An entry with an ``anchor`` (a mirror) gets its priority from what the template holds
        (:func:`~lifecycle.nuage.policy.mirror_priority`), read just before the create; if
        someone takes that priority meanwhile (VSD answers 409), it is read and chosen again."""
        tpl = self.acl_template(domain, entry.direction)
        attr = "ingress_acl_entry_templates" if entry.direction == "ingress" else "egress_acl_entry_templates"
        for attempt in range(3):
            if entry.external_id:
                found = self.first(getattr(tpl, attr), f"externalID == {quote(entry.external_id)}")
                if found is not None:  # made before (a resumed step): found, never moved
                    return replace(entry, id=found.id, priority=int(found.priority or 0))
            prio = entry.priority
            if entry.anchor:
                everything = [_entry(entry.direction, x, {}) for x in self.all(getattr(tpl, attr))]
                held = {e.priority: e for e in everything}
                try:
                    prio = mirror_priority(entry, held)
                except PriorityError as exc:
                    raise NuageError(f"{entry.direction} ACL template of {domain.name}: {exc}") from None
            try:
                return self._create_entry(domain, tpl, replace(entry, priority=prio))
            except NuageError as exc:
                if not (entry.anchor and exc.status == 409 and attempt < 2):
                    raise
        raise AssertionError("unreachable")

    def _create_entry(self, domain: Any, tpl: Any, entry: Entry) -> Entry:
        from vspk.v6 import NUEgressACLEntryTemplate, NUIngressACLEntryTemplate

        cls = NUIngressACLEntryTemplate if entry.direction == "ingress" else NUEgressACLEntryTemplate
        obj = cls(description=entry.description or entry.rule, action=entry.action,
                  location_type=entry.location.type, location_id=entry.location_id or None,
                  network_type=entry.network.type, network_id=entry.network_id or None,
                  protocol=entry.protocol, ether_type="0x0800", dscp="*",
                  stateful=entry.stateful if entry.protocol in ("6", "17") else False,
                  priority=entry.priority or None, external_id=entry.external_id or None,
                  **({"source_port": "*", "destination_port": entry.port}
                     if entry.protocol in ("6", "17") else {}))
        with self._call(f"create {entry.direction} ACL entry {entry.rule} (priority {entry.priority}) "
                        f"in {domain.name}"):
            tpl.create_child(obj)
        return replace(entry, id=obj.id, priority=int(obj.priority or entry.priority))

    def create(self, parent: Any, obj: Any, what: str) -> Any:
        """Create ``obj`` under ``parent`` (a vspk object, or :attr:`me` for the root); errors
        name ``what`` (the VSD bootstrap's enterprises, templates, users, groups, CMSs...)."""
        with self._call(f"create {what}"):
            parent.create_child(obj)
        return obj

    def save(self, obj: Any, what: str) -> None:
        """PUT ``obj`` as it is now (vspk sends every attribute)."""
        with self._call(f"update {what}"):
            obj.save()

    def assign(self, parent: Any, members: list[Any], cls: type, what: str) -> None:
        """Make ``members`` the parent's members of ``cls`` (the whole list: VSD replaces it),
        e.g. a group's users."""
        with self._call(f"assign {what}"):
            parent.assign(members, cls)

    def delete(self, obj: Any, what: str) -> bool:
        """Delete a vspk object; False if it was already gone (a resumed run repeats this)."""
        from bambou.exceptions import BambouHTTPError

        try:
            obj.delete()
            return True
        except BambouHTTPError as exc:
            if getattr(exc.connection.response, "status_code", None) == 404:
                return False
            raise wrap(exc, f"delete {what}") from None
        except Exception as exc:
            raise wrap(exc, f"delete {what}") from None

    def delete_entry(self, domain: Any, entry: Entry) -> bool:
        from vspk.v6 import NUEgressACLEntryTemplate, NUIngressACLEntryTemplate

        cls = NUIngressACLEntryTemplate if entry.direction == "ingress" else NUEgressACLEntryTemplate
        return self.delete(cls(id=entry.id), f"{entry.direction} ACL entry {entry.rule} in {domain.name}")

    def mirrors(self, entries: list[Entry]) -> list[Entry]:
        return [e for e in entries if e.external_id.startswith(MIRROR_PREFIX)]


def entry_clauses(subnets: dict[str, str | None]) -> list[str]:
    """VSD filter clauses for the entries naming one of ``subnets`` (name -> id, None when
    absent) by id, or i2's mirrors for one of them (by the name their externalID ends with)."""
    clauses = []
    for name, sid in subnets.items():
        if sid:
            clauses += [f"locationID == {quote(sid)}", f"networkID == {quote(sid)}"]
        clauses.append(f"externalID ENDSWITH {quote(':' + name)}")
    return clauses


def select_entries(found: Iterable[tuple[str, Any]], subnets: dict[str, str | None]) -> list[Entry]:
    """The entries among ``found`` that :func:`entry_clauses` of ``subnets`` selects, as
    :class:`Entry`, the subnets by name and any other side by its VSD id (so what one caller
    sees does not depend on who else asked in the same read).

    >>> class E:
    ...     def __init__(self, **kw): self.__dict__.update(dict.fromkeys(
    ...         ("description", "location_type", "location_id", "network_type", "network_id", "protocol",
    ...          "destination_port", "action", "stateful", "priority", "external_id")), **kw)
    >>> found = [("ingress", E(id="1", location_type="SUBNET", location_id="s-a")),
    ...          ("ingress", E(id="2", location_type="SUBNET", location_id="s-x")),
    ...          ("egress", E(id="3", external_id="i2-mirror:r:web-b"))]
    >>> picked = select_entries(found, {"web-a": "s-a", "web-b": None})
    >>> [(e.id, e.location.name or e.location.type) for e in picked]
    [('1', 'web-a'), ('3', 'ANY')]
    """
    ids = {sid: name for name, sid in subnets.items() if sid}
    names = {sid: Ref("SUBNET", name) for sid, name in ids.items()}
    ends = tuple(":" + name for name in subnets)
    return [_entry(direction, e, names) for direction, e in found
            if (e.location_id or "") in ids or (e.network_id or "") in ids
            or (e.external_id or "").endswith(ends)]


def _entry(direction: str, e: Any, names: dict[str, Ref]) -> Entry:
    def ref(kind: str | None, id: str | None) -> Ref:
        if not kind or kind == "ANY":
            return Ref("ANY")
        return names.get(id or "", Ref(kind, id or "?"))

    return Entry(direction=direction, rule=e.description or e.id, id=e.id,
                 location=ref(e.location_type, e.location_id),
                 network=ref(e.network_type, e.network_id),
                 location_id=e.location_id or "", network_id=e.network_id or "",
                 protocol=str(e.protocol or "ANY"), port=str(e.destination_port or "*"),
                 action=e.action or "FORWARD", stateful=bool(e.stateful),
                 priority=int(e.priority or 0), description=e.description or "",
                 external_id=e.external_id or "")


def resolve(entry: Entry, ids: Callable[[Ref], str]) -> Entry:
    """``entry`` with location_id/network_id filled from names (ANY needs none)."""
    return replace(entry,
                   location_id="" if entry.location.type == "ANY" else ids(entry.location),
                   network_id="" if entry.network.type == "ANY" else ids(entry.network))
