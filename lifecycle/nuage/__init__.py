"""Nuage VSD adapter (vspk): the enterprise both clouds share, its domains, zones, subnets and
ACL entries, as the immutable-cloud upgrade needs them.

- :mod:`lifecycle.nuage.policy`: the site's rules as the ACL entries VSD must hold (pure);
- :mod:`lifecycle.nuage.vsd`: :class:`Nuage`, the facade over a vspk session (idempotent);
- :mod:`lifecycle.nuage.client`: the session, TLS verified although bambou asks not to.

Example (needs a reachable VSD)::

    from lifecycle.nuage import Nuage
    vsd = Nuage.connect(endpoints, secrets)
    vsd.enterprise("IE1").name      # 'IE1'
"""

from lifecycle.nuage.client import NuageError
from lifecycle.nuage.policy import Entry, Ref, intended_entries, mirror_of, subnet_name
from lifecycle.nuage.vsd import Nuage

__all__ = ["Entry", "Nuage", "NuageError", "Ref", "intended_entries", "mirror_of", "subnet_name"]
