"""The VSD object model, read at run time from vspk's own class metadata.

For every class in ``vspk.v6.__all__`` that has a REST name: its ``rest_name``/``resource_name``,
the attributes an instance exposes (``_attributes``: remote name, type, choices, required,
unique) and the relations its fetchers declare (``_fetchers_registry``: child, member, root).
What vspk does not carry (where the VSD lets an object be created, the VSD's default values for
a few required attributes) comes from two small tables below, taken from the VSD API
specification; everything else is derived.

>>> s = schema()
>>> s.by_resource["subnets"].rest, s.kind("subnet").attrs["address"].type
('subnet', <class 'str'>)
>>> s.kind("domain").relation("zone"), sorted(s.creation_parents("subnet"))
('child', ['zone'])
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

# Attributes the VSD fills itself; a client may send them back (vspk's save() sends everything)
# but never sets them.
AUDITED = ("ID", "parentID", "parentType", "creationDate", "lastUpdatedDate", "lastUpdatedBy", "owner")

# Where an object may be created (POST), for kinds whose listings also appear under parents that do
# not own them (GET /domains/{id}/subnets lists subnets, but they are created under zones). From the
# VSD API specification's "create" flag per child relation; other kinds may be created under any
# parent whose vspk class has a child (or root) fetcher for them.
CREATE_PARENTS: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "enterprise": ("me",),
    "cms": ("me",),
    "vm": ("me",),
    "user": ("me", "enterprise"),
    "group": ("enterprise",),
    "domaintemplate": ("enterprise",),
    "l2domaintemplate": ("enterprise",),
    "domain": ("enterprise",),
    "l2domain": ("enterprise",),
    "zonetemplate": ("domaintemplate",),
    "subnettemplate": ("zonetemplate",),
    "zone": ("domain",),
    "subnet": ("zone",),
    "vport": ("subnet", "l2domain"),
    "vminterface": ("vm",),
    "ingressacltemplate": ("domain", "domaintemplate", "l2domain", "l2domaintemplate"),
    "egressacltemplate": ("domain", "domaintemplate", "l2domain", "l2domaintemplate"),
    "ingressaclentrytemplate": ("ingressacltemplate",),
    "egressaclentrytemplate": ("egressacltemplate",),
    "policygroup": ("domain", "l2domain"),
    "enterprisenetwork": ("me", "enterprise"),
    "networkmacrogroup": ("me", "enterprise"),
    "floatingip": ("domain",),
    "redirectiontarget": ("domain", "l2domain"),
}.items()}

# The VSD's default_value for attributes the specification marks required (vspk sends null for
# them when a caller leaves them unset and the VSD fills them), plus defaults the upgrade reads.
DEFAULTS: dict[str, dict[str, Any]] = {
    "domain": {"IPv4IBGPMaxPaths": 1, "IPv6IBGPMaxPaths": 1, "DPI": "DISABLED", "encryption": "DISABLED",
               "PATEnabled": "DISABLED", "underlayEnabled": "DISABLED", "statefulMode": "STATEFUL",
               "flowCollectionEnabled": "INHERITED", "threatIntelligenceEnabled": "INHERITED"},
    "domaintemplate": {"DPI": "DISABLED"},
    "enterprise": {"dictionaryVersion": 2, "enterpriseType": "NORMAL", "flowCollectionEnabled": "DISABLED"},
    "zone": {"DPI": "INHERITED", "encryption": "INHERITED", "IPType": "IPV4"},
    "subnet": {"DPI": "INHERITED", "PATEnabled": "INHERITED", "encryption": "INHERITED",
               "l2EncapType": "VXLAN", "resourceType": "STANDARD", "underlayEnabled": "INHERITED",
               "useGlobalMAC": "ENTERPRISE_DEFAULT", "enableDHCPv4": True, "enableDHCPv6": False,
               "IPType": "IPV4", "advertise": True, "EVPNEnabled": True},
    "subnettemplate": {"IPType": "IPV4", "DPI": "INHERITED", "encryption": "INHERITED"},
    "vport": {"DPI": "INHERITED", "flowLimitEnabled": "INHERITED", "flowSetupRateLimitEnabled": "INHERITED",
              "subType": "NONE", "autoCreated": False, "accessRestrictionEnabled": False},
    "ingressacltemplate": {"defaultAllowNonIP": True},
    "egressacltemplate": {"defaultAllowNonIP": True},
    "enterprisenetwork": {"IPType": "IPV4", "address": "0.0.0.0", "netmask": "0.0.0.0"},
    "captiveportalprofile": {"portalType": "CLICK_THROUGH"},
    "natmapentry": {"type": "ONE_TO_ONE_NAT"},
    "virtualfirewallrule": {"action": "FORWARD", "type": "L4"},
}


@dataclass(frozen=True)
class Attr:
    remote: str
    local: str
    type: type
    required: bool
    choices: tuple[str, ...] | None
    unique: bool


@dataclass
class Kind:
    """One vspk class: ``rest`` (singular, ``subnet``), ``resource`` (URL segment, ``subnets``)."""

    rest: str
    resource: str
    cls: type
    attrs: dict[str, Attr]  # by remote name
    relations: dict[str, str]  # child rest name -> "child" | "member" | "root"
    by_lower: dict[str, str] = field(default_factory=dict)  # lower-cased remote name -> remote name

    def relation(self, child_rest: str) -> str | None:
        return self.relations.get(child_rest)

    def attr(self, name: str) -> Attr | None:
        """An attribute by remote name, case-insensitively (filters say ``id`` for ``ID``)."""
        if name in self.attrs:
            return self.attrs[name]
        remote = self.by_lower.get(name.lower())
        return self.attrs[remote] if remote else None

    def blank(self) -> dict[str, Any]:
        """Every attribute at null, as the VSD shows an object that has none of them set."""
        return dict.fromkeys(self.attrs)


@dataclass
class Schema:
    kinds: dict[str, Kind]
    by_resource: dict[str, Kind]
    parents: dict[str, set[str]]  # child rest -> parent rests with a child/root relation

    def kind(self, rest: str) -> Kind:
        return self.kinds[rest]

    def creation_parents(self, rest: str) -> frozenset[str]:
        """Parent kinds under which ``rest`` objects may be created."""
        fixed = CREATE_PARENTS.get(rest)
        if fixed is not None:
            return fixed
        return frozenset(self.parents.get(rest, ()))

    def may_create(self, parent_rest: str, child_rest: str) -> bool:
        rel = self.kinds[parent_rest].relation(child_rest)
        return rel in ("child", "root") and parent_rest in self.creation_parents(child_rest)

    def owns(self, parent_rest: str, child_rest: str) -> bool:
        """True when ``parent_rest`` objects are the direct parents of their ``child_rest`` listing."""
        return parent_rest in self.creation_parents(child_rest)


def _kind(cls: type) -> Kind | None:
    rest = getattr(cls, "rest_name", None)
    if not isinstance(rest, str) or rest == "None":
        return None  # vspk's embedded value types (no REST endpoint)
    obj = cls()
    attrs: dict[str, Attr] = {}
    for local, a in obj._attributes.items():
        choices = tuple(a.choices) if a.choices else None
        attrs[a.remote_name] = Attr(a.remote_name, local, a.attribute_type, bool(a.is_required), choices,
                                    bool(a.is_unique))
    relations = {rest_name: f.relationship for rest_name, f in obj._fetchers_registry.items()}
    return Kind(rest, cls.resource_name, cls, attrs, relations, {k.lower(): k for k in attrs})


@functools.lru_cache(maxsize=1)
def schema() -> Schema:
    """The model of vspk.v6 (built once per process: ~0.1 s after vspk is imported)."""
    import vspk.v6 as v6

    kinds: dict[str, Kind] = {}
    for name in v6.__all__:
        cls = getattr(v6, name)
        if isinstance(cls, type) and hasattr(cls, "_compute_args"):
            k = _kind(cls)
            if k is not None:
                kinds[k.rest] = k
    parents: dict[str, set[str]] = {}
    for k in kinds.values():
        for child, rel in k.relations.items():
            if rel in ("child", "root"):
                parents.setdefault(child, set()).add(k.rest)
    return Schema(kinds, {k.resource: k for k in kinds.values()}, parents)
