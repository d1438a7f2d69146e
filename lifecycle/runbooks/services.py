"""Connections a runbook's actions share: the site, the endpoints and one client per system.

Built lazily from the run's stored params (site and endpoints paths), so a resumed run in
another process talks to the same systems. Clients are created once per process.

>>> svc = Services(site_dir="examples/ie1", endpoints_file="state/lab/endpoints.yaml")  # doctest: +SKIP
>>> svc.baremetal("uc-new").node("c02-s01")                                             # doctest: +SKIP
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import Any

from lifecycle.model import Site, load_site
from lifecycle.model.endpoints import Endpoints, SecretStore, load_endpoints


class Services:
    def __init__(self, *, site_dir: str | Path, endpoints_file: str | Path,
                 site: Site | None = None, endpoints: Endpoints | None = None):
        self.site_dir = Path(site_dir)
        self.endpoints_file = Path(endpoints_file)
        self._site = site
        self._endpoints = endpoints
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    @property
    def site(self) -> Site:
        if self._site is None:
            self._site = load_site(self.site_dir)
        return self._site

    def override_site(self, site: Site) -> Services:
        """Use ``site`` (a view of the loaded one, e.g. after recommissioning) from now on."""
        self._site = site
        self._clients.pop("configs", None)
        return self

    @property
    def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            self._endpoints = load_endpoints(self.endpoints_file)
        return self._endpoints

    def reload_endpoints(self) -> Endpoints:
        """Re-read the endpoints file (a switch's address may appear once it is racked)."""
        self._endpoints = load_endpoints(self.endpoints_file)
        return self._endpoints

    @cached_property
    def secrets(self) -> SecretStore:
        return SecretStore(self.endpoints)

    def _client(self, key: str, make: Any) -> Any:
        with self._lock:
            if key not in self._clients:
                self._clients[key] = make()
            return self._clients[key]

    def oneview(self) -> Any:
        from lifecycle.oneview import OneViewServers, connect

        return self._client("oneview", lambda: OneViewServers(connect(self.endpoints)))

    def baremetal(self, undercloud: str) -> Any:
        from lifecycle.baremetal import Baremetal

        return self._client(f"ironic:{undercloud}", lambda: Baremetal.connect(self.endpoints, undercloud))

    def nuage(self) -> Any:
        from lifecycle.nuage import Nuage

        return self._client("vsd", lambda: Nuage.connect(self.endpoints, self.secrets))

    def cloud(self, name: str) -> Any:
        from lifecycle.clouds import Cloud

        return self._client(f"cloud:{name}", lambda: Cloud.connect(self.endpoints, name))

    def intended_configs(self) -> dict[str, str]:
        from lifecycle.fabric.intent import intended_configs

        return self._client("configs", lambda: intended_configs(self.site, self.endpoints, self.secrets))

    def switch(self, name: str, timeout: float = 15.0) -> Any:
        """A fresh pyeapi node (cheap; not shared between threads)."""
        from lifecycle.fabric.eapi import connect

        if name not in self.endpoints.fabric.devices:
            self.reload_endpoints()
        return connect(self.endpoints, self.secrets, name, timeout=timeout)
