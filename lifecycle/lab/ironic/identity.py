"""An undercloud's Keystone: the lab's Keystone emulator with only what an undercloud registers.

The emulator (lifecycle.lab.openstack.keystone) belongs to an owner that gives it a lock, the
identity version of its release, TLS, a region and a catalog. An undercloud has no Nova or
Neutron of its own here, so this light owner carries just those: the catalog lists ``identity``,
``baremetal`` (the release gateway's Ironic) and, for Train, ``baremetal-introspection`` (the
gateway's inspector), set once the gateway listens. Admin user and project in Default, as the
undercloud install creates them; the password comes from the lab's secrets. Tokens live
``token_lifetime`` seconds (keystone.conf ``[token] expiration``; the lab's ``token_lifetime``).

Example (listens on a loopback HTTPS port)::

    ks = UndercloudIdentity("uc-new", "3.13", tls=tls, admin_password=pw).start()
    ks.set_catalog(baremetal=gw.url, introspection=gw.inspector_public_url)
    ks.clouds_yaml_entry()["auth"]["auth_url"]    # 'https://127.0.0.1:40100/v3'
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lifecycle.lab.base import FaultPlan, LatencyProfile, TlsFiles
from lifecycle.lab.config import write_private
from lifecycle.lab.openstack.keystone import DEFAULT_DOMAIN, Keystone


@dataclass(frozen=True)
class _Facts:
    keystone: str  # identity v3 minor, as the version document shows it


class UndercloudIdentity:
    """What :class:`Keystone` needs of its owner (the attributes an ``OpenStackCloud`` has)."""

    def __init__(self, name: str, identity_version: str, *, tls: TlsFiles, admin_password: str,
                 region: str = "regionOne", latency: LatencyProfile | None = None,
                 faults: FaultPlan | None = None, host: str = "127.0.0.1", timeout_seconds: float = 15.0,
                 token_lifetime: int = 3600):
        self.name = f"{name}-undercloud"
        self.facts = _Facts(identity_version)
        self.tls, self.region, self.host = tls, region, host
        self.latency = latency or LatencyProfile("none")
        self.faults = faults or FaultPlan()
        self.timeout_seconds = timeout_seconds
        self.admin_password = admin_password
        self.lock = threading.RLock()
        self._catalog: list[tuple[str, str, str]] = []
        self.keystone = Keystone(self)  # type: ignore[arg-type]  # duck-typed owner
        ks = self.keystone
        ks.token_ttl = dt.timedelta(seconds=token_lifetime)
        admin_role = ks.create_role("admin")
        ks.create_role("_member_" if identity_version == "3.7" else "member")
        admin = ks.create_project("admin", description="admin tenant")
        ks.create_project("service", description="Tenant for the openstack services")
        user = ks.create_user("admin", admin_password, default_project_id=admin["id"])
        ks.grant(admin_role["id"], user["id"], project_id=admin["id"])
        ks.grant(admin_role["id"], user["id"], domain_id=DEFAULT_DOMAIN)

    @property
    def url(self) -> str:
        return self.keystone.url

    @property
    def auth_url(self) -> str:
        return f"{self.keystone.url}/v3"

    def start(self) -> UndercloudIdentity:
        self.keystone.svc.server.start()
        return self

    def stop(self) -> None:
        self.keystone.svc.server.stop()

    def check(self, token: str | None) -> bool:
        """A valid token of this Keystone (the gateway's keystonemiddleware)."""
        return self.keystone.check(token) is not None

    def set_catalog(self, *, baremetal: str, introspection: str | None = None) -> None:
        entries = [("identity", "keystone", self.keystone.url), ("baremetal", "ironic", baremetal)]
        if introspection:
            entries.append(("baremetal-introspection", "ironic-inspector", introspection))
        self._catalog = entries

    def catalog(self) -> list[tuple[str, str, str]]:
        return list(self._catalog)

    def auth(self, password_ref: Any = None) -> dict[str, Any]:
        """Keystone v3 password auth as the undercloud's stackrc has it (``password_ref`` stands
        for the password where it must not be written out, e.g. ``{"secret": ...}``)."""
        return {"auth_url": self.auth_url, "username": "admin",
                "password": self.admin_password if password_ref is None else password_ref,
                "project_name": "admin", "user_domain_name": "Default", "project_domain_name": "Default"}

    def clouds_yaml_entry(self) -> dict[str, Any]:
        return {"auth": self.auth(), "region_name": self.region, "interface": "public",
                "identity_api_version": 3, "cacert": str(self.tls.ca)}

    def stackrc(self) -> str:
        """``~/stackrc`` as the Train undercloud install writes it, pointing at this Keystone."""
        return (
            "# Clear any old environment that may conflict.\n"
            "for key in $( set | awk '{FS=\"=\"}  /^OS_/ {print $1}' ); do unset $key ; done\n"
            "export OS_AUTH_TYPE=password\n"
            f"export OS_PASSWORD={self.admin_password}\n"
            f"export OS_AUTH_URL={self.auth_url}\n"
            "export OS_USERNAME=admin\nexport OS_PROJECT_NAME=admin\n"
            "export OS_PROJECT_DOMAIN_NAME=Default\nexport OS_USER_DOMAIN_NAME=Default\n"
            "export OS_IDENTITY_API_VERSION=3\n"
            f"export OS_CACERT={self.tls.ca}\n"
            f"export OS_REGION_NAME={self.region}\n"
            "export PS1=${PS1:-\"\"}\nexport PS1=\"(undercloud) $PS1\"\n"
        )


def write_undercloud_clouds(path: Path, identities: dict[str, UndercloudIdentity]) -> Path:
    """``clouds.yaml`` (0600) with one entry per undercloud, named like it, for the unmodified
    ``openstack`` CLI (``OS_CLIENT_CONFIG_FILE=... openstack --os-cloud uc-new baremetal ...``)."""
    clouds = {name: ident.clouds_yaml_entry() for name, ident in sorted(identities.items())}
    write_private(path, yaml.safe_dump({"clouds": clouds}, sort_keys=False))
    return path
