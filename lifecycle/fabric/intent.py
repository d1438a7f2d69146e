"""The configs i2 intends for the fabric, with the secrets the endpoints file points at.

Example (reads the fabric password from the secret store)::

    configs = intended_configs(site, endpoints)
    configs["c02-leaf1"].splitlines()[0]      # 'hostname c02-leaf1'
"""

from __future__ import annotations

from collections.abc import Callable

from lifecycle.fabric.eapi import switch_hashes
from lifecycle.fabric.render import render_switches
from lifecycle.model.endpoints import Endpoints, SecretStore
from lifecycle.model.schema import Site


class FabricConfigError(Exception):
    pass


def fabric_secret_hash(site: Site, endpoints: Endpoints,
                       secrets: SecretStore | None = None) -> Callable[[str], str]:
    """Switch name -> the sha512-crypt of the fabric password i2 renders into its config (each
    switch its own salt, so one cracked table does not open them all)."""
    ep = endpoints.fabric.defaults
    if ep.password is None:
        raise FabricConfigError("the endpoints file has no fabric.defaults.password")
    return switch_hashes((secrets or SecretStore(endpoints)).get(ep.password), site.site.name)


def intended_configs(site: Site, endpoints: Endpoints, secrets: SecretStore | None = None) -> dict[str, str]:
    """Every switch's rendered config, keyed by switch name."""
    return render_switches(site, username=endpoints.fabric.defaults.username or "i2",
                           secret_hash=fabric_secret_hash(site, endpoints, secrets),
                           cvx_hosts=tuple(endpoints.cvx_servers))
