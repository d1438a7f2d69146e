"""The Nuage VSD emulator: the VSD's REST API on HTTPS (twin CA), for unmodified vspk/bambou.

Example (listens on a loopback port)::

    vsd = VsdEmulator(password="secret", tls=make_ca(tmp)).start()
    session = NUVSDSession(username="csproot", password="secret", enterprise="csp",
                           api_url=vsd.url)
    session.start().user.enterprises.get()      # []
"""

from __future__ import annotations

import re
import secrets
import threading
from typing import Any

from lifecycle.lab.base import (
    EmulatorServer,
    FaultPlan,
    HttpError,
    LatencyProfile,
    Request,
    Response,
    TlsFiles,
)
from lifecycle.lab.nuage.api import PREFIX, VsdApi
from lifecycle.lab.nuage.auth import Accounts
from lifecycle.lab.nuage.errors import VsdError, as_vsd
from lifecycle.lab.nuage.store import VsdStore

# bambou does not retry a failed login (session.start() raises), so injected faults there would only
# test the harness; every call after it is fair game.
_FAULT_EXEMPT = re.compile(rf"^{PREFIX}/me/?$")


class _VsdServer(EmulatorServer):
    def __init__(self, api: VsdApi, **kwargs: Any):
        super().__init__("vsd", component="vsd", **kwargs)
        self.api = api
        self._local = threading.local()
        self.fault_filter = lambda req: not _FAULT_EXEMPT.match(req.path)

    def pick_fault(self, req: Request) -> str | None:
        kind = super().pick_fault(req)
        if kind == "http5xx":  # answered in handle(), with the VSD's error body
            self._local.http5xx = True
            return None
        return kind

    def handle(self, req: Request) -> Response:
        try:
            if getattr(self._local, "http5xx", False):
                self._local.http5xx = False
                raise VsdError(503, "The VSD is temporarily unavailable (injected fault). Retry later.")
            return self.api.handle(req)
        except HttpError as err:
            raise as_vsd(err) from None


class VsdEmulator:
    """A Nuage VSD (API v6) in memory.

    ``url`` is what ``NUVSDSession(api_url=...)`` takes (https://127.0.0.1:PORT); ``store`` is the
    thread-safe object store (with ``store.reachable(...)``); ``accounts`` the root user and the
    API keys. Faults use component ``vsd`` (``vsd.http5xx``, ``vsd.reset``, ``vsd.timeout``),
    latency the profile's ``vsd`` request delay; ``timeout_seconds`` is how long a request hit by
    ``vsd.timeout`` hangs before its connection is closed unanswered; ``push_timeout`` how long
    a push channel's poll waits for an event before answering an empty list.
    """

    def __init__(self, *, tls: TlsFiles, username: str = "csproot", password: str | None = None,
                 organisation: str = "csp", latency: LatencyProfile | None = None,
                 faults: FaultPlan | None = None, host: str = "127.0.0.1", port: int = 0,
                 api_key_ttl: float = 86400.0, store: VsdStore | None = None, timeout_seconds: float = 15.0,
                 push_timeout: float = 30.0):
        self.username = username
        self.password = password or secrets.token_urlsafe(12)
        self.organisation = organisation
        self.latency = latency or LatencyProfile("none")
        self.faults = faults or FaultPlan()
        self.store = store or VsdStore()
        self.accounts = Accounts(username, self.password, organisation, ttl=api_key_ttl,
                                 csp_id=self.store.csp_id)
        self.api = VsdApi(self.store, self.accounts, push_timeout=push_timeout)
        self.server = _VsdServer(self.api, host=host, port=port, tls=tls, latency=self.latency,
                                 faults=self.faults, timeout_seconds=timeout_seconds)

    def start(self) -> VsdEmulator:
        self.server.start()
        return self

    def stop(self) -> None:
        self.store.journal.close()  # release the push channels' long polls
        self.server.stop()

    def __enter__(self) -> VsdEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api_url(self) -> str:
        """The versioned base the API lives under (what bambou builds from ``url``)."""
        return f"{self.server.url}{PREFIX}"

    @property
    def requests(self) -> int:
        return self.server.requests

    def expire_api_keys(self) -> None:
        """Expire every API key: the next call with one answers 419 and bambou logs in again."""
        self.accounts.expire()
