"""State shared by every command: global options, lazily opened store and site."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from lifecycle.model import Site, SiteInvalid, load_site
from lifecycle.model.endpoints import Endpoints, EndpointsInvalid, load_endpoints


@dataclass
class Ctx:
    site_dir: Path | None
    endpoints_file: Path | None
    db_url: str | None
    output: str
    verbose: int = 0
    _cache: dict[str, Any] = field(default_factory=dict)

    def require_site_dir(self) -> Path:
        if self.site_dir is None:
            raise click.UsageError("no site: pass --site DIR or set I2_SITE")
        return self.site_dir

    def site(self) -> Site:
        if "site" not in self._cache:
            root = self.require_site_dir()
            try:
                self._cache["site"] = load_site(root)
            except SiteInvalid as exc:
                raise click.ClickException(
                    f"site {root} is not valid ({len(exc.problems)} problem(s)); "
                    f"run `i2 site validate {root}`. First: {exc.problems[0]}"
                ) from None
        return self._cache["site"]

    def endpoints(self) -> Endpoints:
        if "endpoints" not in self._cache:
            if self.endpoints_file is None:
                raise click.UsageError("no endpoints file: pass --endpoints FILE or set I2_ENDPOINTS")
            try:
                self._cache["endpoints"] = load_endpoints(self.endpoints_file)
            except EndpointsInvalid as exc:
                raise click.ClickException(f"endpoints file is not valid: {exc}") from None
        return self._cache["endpoints"]

    def events_dir(self) -> Path:
        """Where runs append their JSON-lines journal ($I2_EVENTS_DIR, else beside the state)."""
        env = os.environ.get("I2_EVENTS_DIR")
        return Path(env) if env else Path.home() / ".local/state/i2/events"

    def store(self) -> Any:
        if "store" not in self._cache:
            from lifecycle.engine import Store

            self._cache["store"] = Store.open(self.db_url)
        return self._cache["store"]


pass_ctx = click.make_pass_decorator(Ctx)
