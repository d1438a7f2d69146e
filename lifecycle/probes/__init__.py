"""Workload probes adapter: what a synthetic-check service says about applications' reachability.

The upgrade reads it to put a number on each application's downtime during its move. The API
is small JSON over HTTPS (the twin serves it; a production estate points the endpoints file's
``probes.url`` at its own synthetic checks with the same shape):

- ``GET /v1/status``   ``{"probes": [{"app", "env", "consumer", "ok", "since", "detail"}]}``
- ``GET /v1/downtime?since=EPOCH&until=EPOCH``
  ``{"apps": {"<app>/<env>": {"downtime_ms", "write_freeze_ms", "samples", "windows": [...]}}}``

Example (needs a reachable probe service)::

    Probes.connect(endpoints).downtime(since=t0, until=t1)["billing/prd"]["downtime_ms"]      # 0
"""

from __future__ import annotations

from typing import Any

import requests

from lifecycle.model.endpoints import Endpoints


class ProbesError(Exception):
    transient = True


class Probes:
    def __init__(self, url: str, verify: bool | str = True):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.verify = verify  # per request: REQUESTS_CA_BUNDLE would override session.verify

    @classmethod
    def connect(cls, endpoints: Endpoints) -> Probes | None:
        """None when the endpoints file names no probe service."""
        p = endpoints.probes
        if p is None:
            return None
        verify: bool | str = str(endpoints.path(p.ca_file)) if p.ca_file else p.verify
        return cls(p.url, verify=verify if p.verify else False)

    def _get(self, path: str, **params: Any) -> Any:
        try:
            resp = self.session.get(f"{self.url}{path}", params=params, timeout=10, verify=self.verify)
        except requests.RequestException as exc:
            raise ProbesError(f"probe service {self.url}: {exc}") from None
        if resp.status_code != 200:
            raise ProbesError(f"probe service {self.url}{path}: HTTP {resp.status_code} {resp.text[:200]}")
        return resp.json()

    def status(self) -> list[dict[str, Any]]:
        return list(self._get("/v1/status").get("probes", []))

    def downtime(self, *, since: float, until: float | None = None) -> dict[str, dict[str, Any]]:
        params: dict[str, Any] = {"since": since}
        if until is not None:
            params["until"] = until
        return dict(self._get("/v1/downtime", **params).get("apps", {}))
