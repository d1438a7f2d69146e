"""Keystone tokens as the services see them: who (user, roles) and where (project or domain),
until when; and the project a service call acts for.

A token lives :data:`TOKEN_TTL` (keystone.conf ``[token] expiration``, 3600 s by default) unless
its Keystone is given another lifetime (``Keystone.token_ttl``; the lab's ``token_lifetime`` for
the underclouds'). Expired, it is no token: Keystone's own validation says 404 and every service
behind keystonemiddleware 401. A token got with the ``token`` method (rescoping) keeps the
expiry of the one it came from, as Keystone's token plugin does.

>>> tok = Token("t1", {"id": "u1", "name": "admin"}, [{"id": "r1", "name": "admin"}],
...             project={"id": "p1", "name": "admin"})
>>> "admin" in tok, tok.user_id, tok.project_id, tok.role_names
(True, 'u1', 'p1', ['admin'])
>>> from lifecycle.lab.openstack.api import Ctx
>>> project_of(Ctx(tok))
'p1'
>>> project_of(Ctx(None))
Traceback (most recent call last):
HttpError: 401
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lifecycle.lab.openstack.api import keystone_fault, now

if TYPE_CHECKING:
    from lifecycle.lab.openstack.api import Ctx

TOKEN_TTL = dt.timedelta(seconds=3600)


@dataclass
class Token:
    id: str
    user: dict[str, Any]
    roles: list[dict[str, str]]
    project: dict[str, Any] | None = None
    domain: dict[str, Any] | None = None
    methods: list[str] = field(default_factory=lambda: ["password"])
    issued: dt.datetime = field(default_factory=now)
    expires: dt.datetime = field(default_factory=lambda: now() + TOKEN_TTL)
    audit_id: str = field(
        default_factory=lambda: base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")
    )

    @property
    def user_id(self) -> str:
        return str(self.user["id"])

    @property
    def project_id(self) -> str | None:
        return self.project["id"] if self.project else None

    @property
    def role_names(self) -> list[str]:
        return [r["name"] for r in self.roles]

    def __contains__(self, role: str) -> bool:  # "admin" in token.roles reads naturally
        return role in self.role_names


def project_of(ctx: Ctx) -> str:
    """The caller's project (services need a project-scoped token for most calls)."""
    if not ctx.project_id:
        raise keystone_fault(401, "The request you have made requires authentication.")
    return ctx.project_id
