"""What every runbook shares: adapter errors mapped to the engine's, observation that blocks
only its own part of a plan, and :class:`Services`, the one facade runbooks reach adapters by.

Services are built lazily from the run's stored params (site and endpoints paths), so a resumed
run in another process talks to the same systems. Clients are created once per process.

>>> from lifecycle.engine import TransientError
>>> try:
...     with adapter_errors("c02-s01"):
...         raise ConnectionResetError("peer reset")
... except TransientError as exc:
...     print(exc)
c02-s01: peer reset
>>> blocked, failed = [], []
>>> safe_observe(lambda: 1 / 0, blocked.append, failed.append) is None, blocked, failed
(True, [], ['error (ZeroDivisionError): division by zero'])
>>> def refused() -> None:
...     raise ConnectionRefusedError(111, "Connection refused")
>>> safe_observe(refused, blocked.append), blocked
(None, ['cannot observe: unreachable: [Errno 111] Connection refused'])
"""

from __future__ import annotations

import errno
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lifecycle.engine import PermanentError, TransientError
from lifecycle.model import Site, load_site
from lifecycle.model.endpoints import Endpoints, SecretStore, load_endpoints

if TYPE_CHECKING:  # adapters are imported when first used: an i2 command loads only its own
    import pyeapi.client

    from lifecycle.baremetal import Baremetal
    from lifecycle.clouds import Cloud
    from lifecycle.loadbalancer import LoadBalancer
    from lifecycle.nuage import Nuage
    from lifecycle.oneview import OneViewServers
    from lifecycle.vmaccess import WriterHooks

R = TypeVar("R")


@contextmanager
def adapter_errors(what: str) -> Iterator[None]:
    """Adapter errors -> engine errors (TransientError: retry; PermanentError: fail the step,
    quarantine its server or application), keeping the adapter's message, which names the device.
    """
    from lifecycle.baremetal import BaremetalError
    from lifecycle.loadbalancer import LbError

    try:
        yield
    except (TransientError, PermanentError):
        raise
    except BaremetalError as exc:
        raise (TransientError if exc.transient else PermanentError)(str(exc)) from None
    except LbError as exc:  # NITRO's errors say themselves whether a retry can help
        raise (TransientError if exc.transient else PermanentError)(f"{what}: {exc}") from None
    except Exception as exc:
        transient = getattr(exc, "transient", None)
        if transient is None:
            transient = isinstance(exc, (OSError, TimeoutError, ConnectionError))
        text = str(exc)
        # adapter errors already start with the device they are about
        message = text if getattr(exc, "subject", None) == what else f"{what}: {text}"
        raise (TransientError if transient else PermanentError)(message) from None


# errno values that mean "nobody answered" (no route, host down) rather than "answered: no".
_NO_ANSWER_ERRNOS = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what caused it (SDKs wrap socket errors: pyeapi, requests, urllib3)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        reason = getattr(e, "reason", None)  # urllib3's MaxRetryError keeps it here
        todo += [e.__cause__, e.__context__, reason if isinstance(reason, BaseException) else None]


def unreachable(exc: BaseException) -> bool:
    """True when the system did not answer (refused, reset, timed out, no route, name not found):
    worth waiting for. False when it answered with a refusal (authentication), the TLS handshake
    failed (wrong CA, name mismatch) or the error is a bug: waiting would never end those.

    >>> import ssl
    >>> unreachable(ConnectionRefusedError(111, "Connection refused"))
    True
    >>> unreachable(ssl.SSLCertVerificationError("certificate verify failed"))
    False
    >>> unreachable(KeyError("result"))
    False
    """
    chain = list(_chain(exc))
    if any(isinstance(e, (ssl.SSLEOFError, ssl.SSLZeroReturnError)) for e in chain):
        return True  # hung up mid-handshake (a switch rebooting), not a certificate refused
    no_answer = False
    for e in chain:
        if isinstance(e, ssl.SSLError) or "SSL" in type(e).__name__ or _status(e) in (401, 403):
            return False
        if isinstance(e, (ConnectionError, TimeoutError, socket.gaierror)) \
                or (isinstance(e, OSError) and e.errno in _NO_ANSWER_ERRNOS) \
                or _status(e) in (502, 503, 504) \
                or isinstance(e, json.JSONDecodeError):  # a proxy's page while the API starts
            no_answer = True
    return no_answer


def _status(exc: BaseException) -> int | None:
    for owner in (exc, getattr(exc, "response", None)):  # requests' HTTPError: on its response
        for attr in ("status_code", "http_status", "status"):
            value = getattr(owner, attr, None)
            if isinstance(value, int):
                return value
    # pyeapi raises its ConnectionError("Unauthorized. <page>") on HTTP 401, with no status
    return 401 if str(exc).startswith("Unauthorized") else None


def why_not(exc: BaseException) -> str:
    """The error for an operator: what kind of failure, then the SDK's own message.

    >>> why_not(ConnectionRefusedError(111, "Connection refused"))
    'unreachable: [Errno 111] Connection refused'
    """
    if isinstance(exc, (PermanentError, TransientError)):
        return str(exc)  # raised by i2 with its own words (e.g. from why_not)
    if unreachable(exc):
        return f"unreachable: {exc}"
    chain = list(_chain(exc))
    if any(isinstance(e, ssl.SSLError) or "SSL" in type(e).__name__ for e in chain):
        return f"TLS failed: {exc}"
    if any(_status(e) in (401, 403) for e in chain):
        return f"authentication failed: {exc}"
    return f"error ({type(exc).__name__}): {exc}"


def safe_observe(fn: Callable[[], R], blocked: Callable[[str], Any],
                 failed: Callable[[str], Any] | None = None) -> R | None:
    """``fn()``, or None after handing ``blocked`` the reason when the system is unreachable: that
    blocks its part of a plan or report only. Any other error (authentication, TLS, a bug) is not
    "blocked": it goes to ``failed`` with the real message, or is raised when there is none."""
    try:
        return fn()
    except Exception as exc:
        if unreachable(exc):
            blocked(f"cannot observe: {why_not(exc)}")
            return None
        if failed is None:
            raise
        failed(why_not(exc))
        return None


class Services:
    """The site, the endpoints and one client per system, for a runbook's actions.

    Example (against the twin's endpoints file)::

        svc = Services(site_dir="examples/ie1", endpoints_file="state/lab/endpoints.yaml")
        svc.baremetal("uc-new").node("c02-s01")
    """

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

    def oneview(self) -> OneViewServers:
        from lifecycle.oneview import OneViewServers, connect

        return self._client("oneview", lambda: OneViewServers(connect(self.endpoints)))

    def baremetal(self, undercloud: str) -> Baremetal:
        from lifecycle.baremetal import Baremetal

        return self._client(f"ironic:{undercloud}", lambda: Baremetal.connect(self.endpoints, undercloud))

    def nuage(self) -> Nuage:
        from lifecycle.nuage import Nuage

        return self._client("vsd", lambda: Nuage.connect(self.endpoints, self.secrets))

    def cloud(self, name: str) -> Cloud:
        from lifecycle.clouds import Cloud

        return self._client(f"cloud:{name}", lambda: Cloud.connect(self.endpoints, name))

    def lb(self, device: str) -> LoadBalancer:
        """The NetScaler ``device`` (``endpoints.netscaler``): one NITRO session per process,
        logged out when the process ends."""
        import atexit

        from lifecycle.loadbalancer import LoadBalancer

        def make() -> LoadBalancer:
            lb = LoadBalancer.connect(self.endpoints, self.secrets, device)
            atexit.register(lb.close)
            return lb

        return self._client(f"netscaler:{device}", make)

    def hooks(self) -> WriterHooks:
        """The applications' writer hooks, through the endpoints' ``vm_access``."""
        from lifecycle.vmaccess import WriterHooks

        return self._client("vm_access", lambda: WriterHooks(self.endpoints))

    def intended_configs(self) -> dict[str, str]:
        from lifecycle.fabric.intent import intended_configs

        return self._client("configs", lambda: intended_configs(self.site, self.endpoints, self.secrets))

    def switch(self, name: str, timeout: float = 15.0) -> pyeapi.client.Node:
        """A fresh pyeapi node (cheap; not shared between threads)."""
        from lifecycle.fabric.eapi import connect

        if name not in self.endpoints.fabric.devices:
            self.reload_endpoints()
        return connect(self.endpoints, self.secrets, name, timeout=timeout)
