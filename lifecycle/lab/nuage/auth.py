"""VSD authentication: ``X-Nuage-Organization`` plus ``Authorization: XREST|Basic base64(user:secret)``.

``GET /me`` with the password returns the user with its ``APIKey`` and ``APIKeyExpiry`` (epoch
ms); later requests send ``user:APIKey``. A wrong user, organisation or secret is 401; an expired
API key is 419, on which bambou starts its session again (``GET /me`` with the password) and
resends the request *with the header it had already built*, so a password login renews the
user's key in place (same key, new expiry) rather than issuing another one: that is what lets
bambou's retry succeed. The root user belongs to the organisation given at start (``csp``);
users created in an enterprise log in with that enterprise's name as organisation.

>>> accounts = Accounts("csproot", "secret", "csp", ttl=3600)
>>> a = accounts.authenticate("csp", basic("csproot", "secret"), login=True, store=None)
>>> a.username, len(a.api_key)
('csproot', 36)
>>> accounts.authenticate("csp", xrest("csproot", a.api_key), login=False, store=None).user_id == a.user_id
True
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lifecycle.lab.nuage.errors import VsdError
from lifecycle.lab.nuage.policy import password_matches

if TYPE_CHECKING:
    from lifecycle.lab.nuage.store import VsdStore


def xrest(user: str, secret: str) -> str:
    return "XREST " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


@dataclass
class Account:
    user_id: str
    username: str
    enterprise_id: str
    enterprise_name: str
    role: str
    api_key: str
    expiry: float  # epoch seconds
    password: str | None = None  # only for the root user (others' live in the store)


def _unauthorized(why: str) -> VsdError:
    return VsdError(401, why, None, title="Unauthorized")


class Accounts:
    """The root user and the API keys handed out (enterprise users' passwords are in the store)."""

    def __init__(self, username: str, password: str, organisation: str, *, ttl: float = 86400.0,
                 csp_id: str | None = None):
        self.ttl = ttl
        self.organisation = organisation
        self.lock = threading.Lock()
        self.root = Account(str(uuid.uuid4()), username, csp_id or str(uuid.uuid4()), organisation.upper(),
                            "CSPROOT", str(uuid.uuid4()), 0.0, password)
        self.accounts: dict[tuple[str, str], Account] = {(organisation.lower(), username): self.root}
        self.logins = 0

    def authenticate(self, organisation: str | None, header: str | None, *, login: bool,
                     store: VsdStore | None) -> Account:
        """The account a request acts as; ``login`` (GET /me) accepts the password and renews the key."""
        if not organisation or not header:
            raise _unauthorized("Authentication required: X-Nuage-Organization and Authorization headers.")
        scheme, _, token = header.partition(" ")
        try:
            user, sep, secret = base64.b64decode(token.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            sep = ""
        if scheme.upper() not in ("XREST", "BASIC") or not sep:
            raise _unauthorized("Malformed Authorization header.")
        with self.lock:
            account = self.accounts.get((organisation.lower(), user))
            if account is not None and account is not self.root and (
                    store is None or account.user_id not in store.docs):
                del self.accounts[(organisation.lower(), user)]  # the user was deleted
                account = None
            account = account or self._enterprise_user(organisation, user, store)
            if account is None:
                raise _unauthorized(f"Unknown user {user} in organization {organisation}.")
            now = time.time()
            if secret == account.api_key:
                if now >= account.expiry:
                    raise VsdError(419, "The API key has expired. Please authenticate again.", None)
                return account
            if not self._password_ok(account, secret, store):
                raise _unauthorized("Invalid credentials.")
            if login:
                account.expiry = now + self.ttl
                self.logins += 1
            return account

    def _password_ok(self, account: Account, secret: str, store: VsdStore | None) -> bool:
        if account.password is not None:
            return secret == account.password
        stored = store.secrets.get(account.user_id) if store is not None else None
        return stored is not None and password_matches(stored, secret)

    def _enterprise_user(self, organisation: str, user: str, store: VsdStore | None) -> Account | None:
        if store is None:
            return None
        with store.lock:
            for ent in store.by_kind.get("enterprise", {}).values():
                if (ent.get("name") or "").lower() != organisation.lower():
                    continue
                for uid in store.children.get(ent["ID"], ()):
                    doc = store.docs[uid]
                    if store.kinds[uid] == "user" and doc.get("userName") == user:
                        acct = Account(uid, user, ent["ID"], ent["name"], "USER", str(uuid.uuid4()), 0.0)
                        self.accounts[(organisation.lower(), user)] = acct
                        return acct
        return None

    def expire(self) -> None:
        """Expire every API key now (the next request with one answers 419)."""
        with self.lock:
            for account in self.accounts.values():
                account.expiry = 0.0
