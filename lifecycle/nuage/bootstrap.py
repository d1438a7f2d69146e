"""The VSD bootstrap of a build-out: what a site's clouds need in an empty VSD, made idempotently.

From the site model and the endpoints file (:func:`intent`, pure):

- the enterprise (the net-partition both clouds share) and any other net-partition a cloud names;
- the L3 domain template with its implicit drop: one ingress and one egress ACL template with
  ``defaultAllowIP``, ``defaultAllowNonIP``, ``allowAddressSpoof`` and
  ``defaultInstallACLImplicitRules`` off, so nothing passes unless an entry says so (see
  :data:`REPORTED` for what is only reported on templates found otherwise);
- a domain per environment, instantiated from that template (its ACL templates checked the same way);
- the network macros, and the site's common ACL entries in every domain, as
  :func:`lifecycle.nuage.policy.intended_entries` places them (the upgrade's own priorities);
- each cloud's CMS registration (``POST /cms {name}``, as the Nuage plugin's ``generate_cms_id`` does);
- each cloud's Nuage plugin user (``vsd.plugins`` of the endpoints file) in its net-partition, a
  member of the enterprise's CMS group (``NUGroup role=CMS``) and of nothing else, its password
  from the secret store (sent SHA-1 hashed, as bambou does; never logged).

:func:`plan` reads and says what :func:`apply` would do; :func:`apply` does it. Both walk the same
path (:func:`_walk`), so what the plan says is what the apply does. What exists is reported and
kept; objects the site does not name (other teams' macros, entries, CMSs) are listed as foreign
and never changed; a second apply changes nothing.

Example (needs a reachable VSD)::

    vsd = Nuage.connect(endpoints, secrets)
    want = intent(site, endpoints)
    print("\\n".join(plan(vsd, want, endpoints, secrets).lines()))
    done = apply(vsd, want, endpoints, secrets)      # done.changes: what was made or fixed
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from typing import Any

from lifecycle.model.endpoints import Endpoints, SecretRef, SecretStore
from lifecycle.model.schema import Site
from lifecycle.nuage.client import NuageError, connect
from lifecycle.nuage.policy import Entry, Ref, intended_entries
from lifecycle.nuage.vsd import Nuage, quote, resolve
from lifecycle.redact import add_secret

CMS_GROUP = "CMS Group"  # the name i2 gives the CMS group when the enterprise has none
COMMON_PREFIX = "i2-common:"  # externalID of the common entries i2 makes (how it finds them again)
# The ACL templates' switches that make the implicit drop, all off on what i2 makes. On a template
# found on, the first three are switched off (what the site says); the implicit intra-domain allow
# (vspk's default is on) is only reported: turning it off on a live domain changes what its VMs
# reach, a decision for the network team.
DROP = {"default_allow_ip": False, "default_allow_non_ip": False}
DROP_INGRESS = {**DROP, "allow_address_spoof": False}
DROP_EGRESS = {**DROP, "default_install_acl_implicit_rules": False}
REPORTED = ("default_install_acl_implicit_rules",)


class BootstrapError(ValueError):
    """The site or endpoints file cannot say what the VSD needs (names what is missing)."""


@dataclass(frozen=True)
class PluginUser:
    """One cloud's Nuage plugin account, as the endpoints file names it."""

    cloud: str
    enterprise: str  # the cloud's net-partition: where the user lives and logs in
    username: str
    password: SecretRef


@dataclass(frozen=True)
class Intent:
    """What the site needs in the VSD (names only; no ids, no secrets' values)."""

    organisation: str
    enterprises: tuple[str, ...]
    template: str
    domains: tuple[tuple[str, str], ...]  # (domain, environment)
    macros: tuple[tuple[str, str], ...]  # (name, cidr)
    entries: dict[str, tuple[Entry, ...]]  # domain -> the common entries it holds
    cms: tuple[str, ...]
    plugins: tuple[PluginUser, ...]


@dataclass(frozen=True)
class Item:
    """One object: ``action`` is exists | create | update | differs (reported, left alone) |
    blocked (cannot be made: ``detail`` says why)."""

    kind: str
    name: str
    action: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.action:8} {self.kind:12} {self.name}" + (f": {self.detail}" if self.detail else "")


@dataclass
class Plan:
    items: list[Item] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # what the site does not name, left alone
    applied: bool = False

    @property
    def changes(self) -> list[Item]:
        return [i for i in self.items if i.action in ("create", "update")]

    @property
    def blocked(self) -> list[Item]:
        return [i for i in self.items if i.action == "blocked"]

    def lines(self) -> list[str]:
        return [str(i) for i in self.items] + [f"foreign  {f}: left alone" for f in self.foreign]


def intent(site: Site, endpoints: Endpoints) -> Intent:
    """The VSD objects ``site`` needs; a Nuage cloud without its plugin user in the endpoints
    file (``vsd.plugins.<cloud>``) is an error, never a fallback to i2's own account."""
    if site.nuage is None:
        raise BootstrapError("the site has no nuage section: nothing to bootstrap in a VSD")
    nu = site.nuage
    clouds = [c for c in site.clouds if c.nuage is not None]
    vsd = endpoints.vsd
    if vsd is None:
        raise BootstrapError("the endpoints file has no vsd section (url, username, password)")
    missing = [c.name for c in clouds if c.name not in vsd.plugins]
    if missing:
        raise BootstrapError(f"the endpoints file's vsd.plugins names no plugin user for "
                             f"{', '.join(missing)} (username, password, metadata_secret): each "
                             "cloud's plugin gets a VSD user of its own")
    common = {r.name for r in nu.acl.common}
    entries = {d.name: tuple(e for e in intended_entries(site, d.environment) if e.rule in common)
               for d in nu.domains}
    parts = [c.nuage.net_partition for c in clouds if c.nuage is not None]
    return Intent(
        organisation=nu.organisation,
        enterprises=tuple(dict.fromkeys([nu.organisation, *parts])),
        template=nu.domain_template,
        domains=tuple((d.name, d.environment) for d in nu.domains),
        macros=tuple((m.name, str(m.cidr)) for m in nu.network_macros),
        entries=entries,
        cms=tuple(c.nuage.cms_name for c in clouds if c.nuage is not None),
        plugins=tuple(PluginUser(c.name, c.nuage.net_partition, vsd.plugins[c.name].username,
                                 vsd.plugins[c.name].password) for c in clouds if c.nuage is not None))


def plan(vsd: Nuage, want: Intent, endpoints: Endpoints, secrets: SecretStore) -> Plan:
    """What :func:`apply` would do (reads only; the plugin users' passwords are checked by logging
    in as them)."""
    return _walk(vsd, want, endpoints, secrets, write=False)


def apply(vsd: Nuage, want: Intent, endpoints: Endpoints, secrets: SecretStore) -> Plan:
    """Make what is missing and fix what drifted; returns what was found and done."""
    out = _walk(vsd, want, endpoints, secrets, write=True)
    out.applied = True
    return out


# -- the walk -----------------------------------------------------------------------------------


class _Walk:
    def __init__(self, vsd: Nuage, endpoints: Endpoints, secrets: SecretStore, write: bool):
        self.vsd, self.endpoints, self.secrets, self.write = vsd, endpoints, secrets, write
        self.out = Plan()
        self.groups: dict[str, Any | None] = {}  # enterprise -> its CMS group (None: planned)

    def note(self, kind: str, name: str, action: str, detail: str = "") -> None:
        self.out.items.append(Item(kind, name, action, detail))

    def make(self, parent: Any, obj: Any, kind: str, name: str, detail: str = "") -> Any | None:
        """Create ``obj`` under ``parent`` (when writing); None in a plan (it does not exist yet)."""
        self.note(kind, name, "create", detail)
        if not self.write:
            return None
        return self.vsd.create(parent, obj, f"{kind} {name}")

    def save(self, obj: Any, kind: str, name: str, detail: str) -> None:
        self.note(kind, name, "update", detail)
        if self.write:
            self.vsd.save(obj, f"{kind} {name}")


def _walk(vsd: Nuage, want: Intent, endpoints: Endpoints, secrets: SecretStore, *, write: bool) -> Plan:
    from vspk.v6 import NUDomain, NUDomainTemplate, NUEnterprise

    w = _Walk(vsd, endpoints, secrets, write)
    ents: dict[str, Any | None] = {}
    for name in want.enterprises:
        ent = vsd.enterprise(name)
        if ent is None:
            ent = w.make(vsd.me, NUEnterprise(name=name, description="net-partition (i2 bootstrap)"),
                         "enterprise", name)
        else:
            w.note("enterprise", name, "exists")
        ents[name] = ent
    org = want.organisation
    ent = ents[org]
    macros = _macros(w, ent, org, want.macros)
    tpl = vsd.first(ent.domain_templates, f"name == {quote(want.template)}") if ent is not None else None
    if tpl is None:
        tpl = w.make(ent, NUDomainTemplate(name=want.template, description="L3, implicit drop"),
                     "template", f"{org}/{want.template}")
    else:
        w.note("template", f"{org}/{want.template}", "exists")
    _drop(w, tpl, f"{org}/{want.template}", planned_domain=False)
    for name, env in want.domains:
        dom = vsd.domain(ent, name) if ent is not None else None
        where = f"{org}/{name}"
        if dom is None:
            dom = w.make(ent, NUDomain(name=name, template_id=getattr(tpl, "id", None),
                                       description=f"{env} workloads (i2 bootstrap)"), "domain", where)
        elif tpl is not None and dom.template_id != tpl.id:
            w.note("domain", where, "differs", f"instantiated from another template ({dom.template_id}), "
                                               f"not {want.template}: left as it is")
        else:
            w.note("domain", where, "exists")
        _drop(w, dom, where, planned_domain=True)
        _entries(w, ent, dom, where, want.entries.get(name, ()), macros)
    _cms(w, want.cms)
    for p in want.plugins:
        _plugin(w, ents.get(p.enterprise), p)
    return w.out


def _macros(w: _Walk, ent: Any | None, org: str, wanted: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    from vspk.v6 import NUEnterpriseNetwork

    have = {m.name: m for m in w.vsd.all(ent.enterprise_networks)} if ent is not None else {}
    out: dict[str, Any] = {}
    for name, cidr in wanted:
        net, mask = _split(cidr)
        m = have.get(name)
        if m is None:
            made = w.make(ent, NUEnterpriseNetwork(name=name, address=net, netmask=mask), "macro",
                          f"{org}/{name}", cidr)
            if made is not None:
                out[name] = made
        elif (m.address, m.netmask) != (net, mask):
            w.note("macro", f"{org}/{name}", "differs", f"is {m.address}/{m.netmask}, the site says {cidr}: "
                                                      "left alone (entries naming it use VSD's)")
            out[name] = m
        else:
            w.note("macro", f"{org}/{name}", "exists", cidr)
            out[name] = m
    names = {n for n, _ in wanted}
    w.out.foreign += [f"macro {org}/{n} ({m.address}/{m.netmask})" for n, m in sorted(have.items())
                      if n not in names]
    return out


def _split(cidr: str) -> tuple[str, str]:
    net = ipaddress.ip_network(cidr)
    return str(net.network_address), str(net.netmask)


def _drop(w: _Walk, parent: Any | None, where: str, *, planned_domain: bool) -> None:
    """One ingress and one egress ACL template with the implicit drop, under a domain template or
    a domain: made when there is none, switched back to drop when one allows by default. A domain
    still to be made gets its template's (VSD copies them when it instantiates the domain)."""
    from vspk.v6 import NUEgressACLTemplate, NUIngressACLTemplate

    if parent is None and planned_domain:
        return
    for direction, cls, switches in (("ingress", NUIngressACLTemplate, DROP_INGRESS),
                                     ("egress", NUEgressACLTemplate, DROP_EGRESS)):
        kind = f"{direction}-acl"
        found = [] if parent is None else w.vsd.all(getattr(parent, f"{direction}_acl_templates"))
        if not found:
            name = f"{where.rsplit('/', 1)[-1]} {direction}"
            w.make(parent, cls(name=name, active=True, priority_type="NONE", **switches), kind,
                   f"{where}/{direction}", "implicit drop")
            continue
        for tpl in found:
            on = sorted(k for k in switches if getattr(tpl, k) is True)  # unset is the VSD's off
            fix = [k for k in on if k not in REPORTED]
            name = f"{where}/{tpl.name}"
            if fix:
                for k in fix:
                    setattr(tpl, k, False)
                kept = "".join(f"; {k} is on: left as it is" for k in on if k in REPORTED)
                switched = ", ".join(f"{k} True -> False" for k in fix)
                w.save(tpl, kind, name, f"implicit drop: {switched}{kept}")
            if on and not fix:
                w.note(kind, name, "differs", ", ".join(f"{k} is on" for k in on) + ": left as it is")
            elif not on:
                w.note(kind, name, "exists", "implicit drop")


def _same(a: Entry, b: Entry) -> bool:
    """Two entries doing the same (ports and ANY protocol compared as VSD stores them)."""
    return (a.direction, a.location, a.network, a.protocol, a.action) == \
        (b.direction, b.location, b.network, b.protocol, b.action) and (
            a.protocol not in ("6", "17") or a.port == b.port)


def _entries(w: _Walk, ent: Any | None, dom: Any | None, where: str, wanted: tuple[Entry, ...],
             macros: dict[str, Any]) -> None:
    """The common entries of one domain: found by what they do (ours or someone's), else made at
    the priority the upgrade gives them; a priority someone else holds blocks, never moves."""
    if dom is None or ent is None:
        for e in wanted:
            w.note("acl-entry", f"{where}/{e.key}", "create", f"priority {e.priority}")
        return
    have = w.vsd.entries(dom, ent)
    ids = {Ref("ENTERPRISE_NETWORK", n): m.id for n, m in macros.items()}
    ids |= {ref: id for id, ref in w.vsd.names(dom, ent).items()}
    for e in wanted:
        name = f"{where}/{e.key}"
        if any(_same(e, h) for h in have):
            w.note("acl-entry", name, "exists", f"priority {e.priority}")
            continue
        gone = [str(r) for r in (e.location, e.network) if r.type != "ANY" and r not in ids]
        if gone:
            w.note("acl-entry", name, "blocked", f"names {', '.join(gone)}, which {where} does not hold")
            continue
        taken = [h for h in have if h.direction == e.direction and h.priority == e.priority]
        if taken:
            w.note("acl-entry", name, "blocked", f"priority {e.priority} is held by {taken[0].rule} "
                                                 f"({taken[0].id}): left alone; free it or move that entry")
            continue
        w.note("acl-entry", name, "create", f"priority {e.priority}")
        if w.write:
            made = resolve(replace(e, external_id=COMMON_PREFIX + e.key, description=e.rule), ids.__getitem__)
            w.vsd.create_entry(dom, made)
    ours = [h for h in have if not any(_same(e, h) for e in wanted)]
    if ours:
        w.out.foreign.append(f"{len(ours)} other ACL entries in {where} (applications', other teams')")


def _cms(w: _Walk, names: tuple[str, ...]) -> None:
    from vspk.v6 import NUCloudMgmtSystem

    have = {c.name: c for c in w.vsd.all(w.vsd.me.cloud_mgmt_systems)}
    for name in names:
        if name in have:
            w.note("cms", name, "exists", f"id {have[name].id}")
        else:
            w.make(w.vsd.me, NUCloudMgmtSystem(name=name), "cms", name)
    w.out.foreign += [f"CMS {n} ({c.id})" for n, c in sorted(have.items()) if n not in names]


def _plugin(w: _Walk, ent: Any | None, p: PluginUser) -> None:
    """The plugin's user in its enterprise's CMS group, nothing more, with the password the
    secret store holds (checked by logging in as the user; reset when that fails)."""
    from vspk.v6 import NUGroup, NUUser

    where = f"{p.enterprise}/{p.username}"
    if p.enterprise in w.groups:  # another cloud's plugin in the same enterprise saw it
        group = w.groups[p.enterprise]
    else:
        group = w.vsd.first(ent.groups, 'role == "CMS"') if ent is not None else None
        if group is None:
            group = w.make(ent, NUGroup(name=CMS_GROUP, role="CMS", description="CMS users (Nuage plugins)"),
                           "group", f"{p.enterprise}/{CMS_GROUP}", "role CMS")
        else:
            w.note("group", f"{p.enterprise}/{group.name}", "exists", "role CMS")
        w.groups[p.enterprise] = group
    user = w.vsd.first(ent.users, f"userName == {quote(p.username)}") if ent is not None else None
    if user is None:
        password = _hashed(w, p) if w.write else ""
        user = w.make(ent, NUUser(user_name=p.username, password=password, first_name=p.cloud,
                                  last_name="Nuage plugin", email=f"{p.username}@{p.cloud}.invalid"),
                      "user", where, f"{p.cloud}'s Nuage plugin, password {p.password.describe()}")
    else:
        w.note("user", where, "exists")
        if not _logs_in(w, p):
            user.password = _hashed(w, p)
            w.save(user, "user", where, f"password is not {p.password.describe()}: set again")
    _membership(w, group, user, p, where)


def _hashed(w: _Walk, p: PluginUser) -> str:
    """The password as VSD takes it: SHA-1 hex, as bambou sends a password change (never shown
    back). The hash is masked like the password in whatever logs a request body."""
    from bambou.utils import Sha1

    digest = Sha1.encrypt(w.secrets.get(p.password))
    add_secret(digest)
    return str(digest)


def _logs_in(w: _Walk, p: PluginUser) -> bool:
    """True when the user logs in with the password the secret store holds (GET /me)."""
    from bambou import NURESTSession

    vsd = w.endpoints.vsd
    assert vsd is not None
    as_plugin = w.endpoints.model_copy(update={"vsd": vsd.model_copy(
        update={"username": p.username, "password": p.password, "organisation": p.enterprise})})
    # bambou keeps one current session per process: starting the plugin's would make every later
    # call of i2's session go out as the plugin user; i2's is put back whatever happens
    mine = NURESTSession.current_session
    try:
        connect(as_plugin, w.secrets)
    except NuageError as exc:
        if exc.status == 401:
            return False
        raise
    finally:
        NURESTSession.current_session = mine
    return True


def _membership(w: _Walk, group: Any | None, user: Any | None, p: PluginUser, where: str) -> None:
    from vspk.v6 import NUUser

    if group is None or user is None or user.id is None:
        w.note("membership", f"{where} in {CMS_GROUP}", "create")
        return
    members = w.vsd.all(group.users)
    if any(m.id == user.id for m in members):
        w.note("membership", f"{where} in {group.name}", "exists")
    else:
        w.note("membership", f"{where} in {group.name}", "create")
        if w.write:
            w.vsd.assign(group, [*members, user], NUUser, f"{p.username} to {group.name}")
    for other in w.vsd.all(user.groups):
        if other.id == group.id or other.role == "USER":
            continue  # every user of an enterprise is in its USER group (Everybody): not a grant
        # the plugin's user is i2's: it is in the CMS group and nothing more
        w.note("membership", f"{where} in {other.name}", "update", "removed: the plugin user is in the "
                                                                   "CMS group only")
        if w.write:
            rest = [m for m in w.vsd.all(other.users) if m.id != user.id]
            w.vsd.assign(other, rest, NUUser, f"{other.name} without {p.username}")


def cms_ids(vsd: Nuage, site: Site) -> dict[str, str]:
    """Each Nuage cloud's CMS id (the ``NeutronNuageCMSId`` its overcloud is rendered with), for
    the clouds whose CMS is registered."""
    have = {c.name: c.id for c in vsd.all(vsd.me.cloud_mgmt_systems)}
    return {c.name: have[c.nuage.cms_name] for c in site.clouds
            if c.nuage is not None and c.nuage.cms_name in have}
