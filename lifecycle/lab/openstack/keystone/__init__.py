"""Keystone v3: password authentication (unscoped, project- and domain-scoped tokens in
``X-Subject-Token``), token validation, the catalog, domains, projects, users, roles and role
assignments, with Keystone's version documents and its 401s.

Example (one cloud's identity service, so it needs an ``OpenStackCloud``)::

    ks = Keystone(cloud)
    ks.create_project("digital-prd")["id"]      # '9c0e...'
"""

from lifecycle.lab.openstack.keystone.common import DEFAULT_DOMAIN
from lifecycle.lab.openstack.keystone.service import Keystone
from lifecycle.lab.openstack.keystone.tokens import TOKEN_TTL, Token, project_of

__all__ = ["DEFAULT_DOMAIN", "TOKEN_TTL", "Keystone", "Token", "project_of"]
