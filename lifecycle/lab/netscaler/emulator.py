"""The twin's NetScaler ADC: NITRO v1 over HTTPS, sessions, and load balancing that really happens.

Example (listens on a loopback port)::

    emu = NetScalerEmulator(tls=make_ca(tmp), password="secret", probe=lab_probe).start()
    requests.post(f"{emu.url}/nitro/v1/config/login", verify=str(tls.ca),
                  json={"login": {"username": "nsroot", "password": "secret"}})
    emu.serve("10.1.0.10", 80)          # Backend(group='sg-web', servername='10.2.0.5', ...) or None
    conn = emu.connect("10.1.0.10", 80); ...; emu.established(conn); emu.close(conn)
    emu.events                          # member/monitor/vserver transitions, timestamped

Authentication as NetScaler does it: ``POST /nitro/v1/config/login`` answers 201 with
``sessionid`` and ``Set-Cookie: NITRO_AUTH_TOKEN=<url-encoded id>; path=/nitro/v1``; the
session dies after ``timeout`` idle seconds (login's ``timeout``, else ``session_timeout``,
NetScaler's default 900); ``X-NITRO-USER``/``X-NITRO-PASS`` authenticate a single request.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from lifecycle.lab.base import (
    EmulatorServer,
    FaultPlan,
    HttpError,
    LatencyProfile,
    Request,
    Response,
    Router,
    TlsFiles,
)
from lifecycle.lab.netscaler import api
from lifecycle.lab.netscaler.errors import (
    BAD_CREDENTIALS,
    DONE,
    SESSION_EXPIRED,
    NitroError,
    as_nitro,
)
from lifecycle.lab.netscaler.monitor import MonitorEngine, Probe, refuse_all
from lifecycle.lab.netscaler.runtime import Backend, Connection, Runtime
from lifecycle.lab.netscaler.store import Store

LOGIN = "/nitro/v1/config/login"


@dataclass
class _Session:
    user: str
    timeout: float
    last_used: float


class _NitroServer(EmulatorServer):
    def __init__(self, emu: NetScalerEmulator, **kwargs: Any):
        super().__init__("netscaler", emu.router, component="netscaler", **kwargs)
        self.emu = emu
        self.fault_filter = lambda req: req.path.rstrip("/") != LOGIN

    def handle(self, req: Request) -> Response:
        try:
            if req.path.rstrip("/") != LOGIN:
                self.emu.authorize(req)
            return self.router.dispatch(req)
        except HttpError as err:
            raise as_nitro(err) from None


class NetScalerEmulator:
    """A NetScaler ADC (13.x/14.x NITRO v1 config API), in memory, with live health monitors."""

    def __init__(self, *, tls: TlsFiles, probe: Probe | None = None, username: str = "nsroot",
                 password: str | None = None, session_timeout: float = 900.0,
                 latency: LatencyProfile | None = None, faults: FaultPlan | None = None,
                 host: str = "127.0.0.1", port: int = 0):
        self.username = username
        self.password = password or secrets.token_urlsafe(12)
        self.session_timeout = session_timeout
        self.lock = threading.RLock()
        self.runtime = Runtime(Store())
        self.sessions: dict[str, _Session] = {}
        self.monitor = MonitorEngine(self.runtime, self.lock, probe or refuse_all)
        self.router = Router()
        self.router.add("POST", LOGIN, self._login)
        self.router.add("POST", r"/nitro/v1/config/logout", self._logout)
        api.register(self.router, self)
        self.server = _NitroServer(self, host=host, port=port, tls=tls,
                                   latency=latency or LatencyProfile("none"), faults=faults)

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> NetScalerEmulator:
        self.server.start()
        self.monitor.start()
        return self

    def stop(self) -> None:
        self.monitor.stop()
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def set_probe(self, probe: Probe) -> None:
        """The lab wires its world here once it knows it."""
        self.monitor.probe = probe
        self.monitor.kick()

    # --- auth ---------------------------------------------------------------------------------
    def _check(self, user: str | None, password: str | None) -> None:
        ok_user = secrets.compare_digest(str(user or ""), self.username)
        if not (ok_user and secrets.compare_digest(str(password or ""), self.password)):
            raise NitroError(BAD_CREDENTIALS)

    def authorize(self, req: Request) -> None:
        if req.header("X-NITRO-USER") is not None:
            self._check(req.header("X-NITRO-USER"), req.header("X-NITRO-PASS"))
            return
        token = _cookie(req.header("Cookie") or "", "NITRO_AUTH_TOKEN")
        now = time.monotonic()
        with self.lock:
            sess = self.sessions.get(token or "")
            if sess is None or now - sess.last_used > sess.timeout:
                self.sessions.pop(token or "", None)
                raise NitroError(SESSION_EXPIRED)
            sess.last_used = now

    def _login(self, req: Request) -> Any:
        body = req.json()
        login = body.get("login") if isinstance(body, dict) else None
        if not isinstance(login, dict):
            raise NitroError(BAD_CREDENTIALS)
        self._check(login.get("username"), login.get("password"))
        timeout = float(login.get("timeout") or self.session_timeout)
        token = "##" + secrets.token_hex(16).upper()
        with self.lock:
            self.sessions[token] = _Session(str(login["username"]), timeout, time.monotonic())
        cookie = f"NITRO_AUTH_TOKEN={quote(token, safe='')}; path=/nitro/v1; Secure; HttpOnly"
        return 201, {**DONE, "sessionid": token}, {"Set-Cookie": cookie}

    def _logout(self, req: Request) -> Any:
        token = _cookie(req.header("Cookie") or "", "NITRO_AUTH_TOKEN")
        with self.lock:
            self.sessions.pop(token or "", None)
        return 201, dict(DONE)

    def expire_sessions(self) -> None:
        """Kill every session, as ``kill system session -all`` would."""
        with self.lock:
            self.sessions.clear()

    # --- configuration changes ----------------------------------------------------------------
    def mutate(self, change: Callable[[], Any]) -> None:
        """Apply one change under the lock; states follow at once, monitors look again now."""
        with self.lock:
            change()
            self.runtime.refresh(time.monotonic())
        self.monitor.kick()

    # --- traffic (for the lab's workload probes) ----------------------------------------------
    def serve(self, vip: str, port: int) -> Backend | None:
        """Would a new request to ``vip:port`` be served now, and by which member."""
        with self.lock:
            m = self.runtime.pick(vip, port)
            return m.backend() if m else None

    def ready(self, vip: str, port: int) -> list[Backend]:
        """Every member a new request to ``vip:port`` may land on now (UP and enabled)."""
        with self.lock:
            return [m.backend() for m in self.runtime.ready(vip, port)]

    def connect(self, vip: str, port: int) -> Connection | None:
        """Open a client connection through the VIP (None: nobody serves it)."""
        with self.lock:
            return self.runtime.connect(vip, port)

    def established(self, conn: Connection) -> bool:
        """Still served: not cut by its member going OUT OF SERVICE or DOWN, or by an unbind."""
        with self.lock:
            return conn.cut_at is None and not conn.closed

    def cut_at(self, conn: Connection) -> float | None:
        """When the NetScaler cut ``conn`` (epoch seconds), None while it holds: a request in
        flight on it failed if that came before the request's end."""
        with self.lock:
            return conn.cut_at

    def close(self, conn: Connection) -> None:
        with self.lock:
            self.runtime.close(conn)

    @property
    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(e) for e in self.runtime.events]

    def member_states(self) -> dict[str, str]:
        with self.lock:
            return {self.runtime.label(m): m.svrstate for m in self.runtime.members.values()}


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return unquote(value)
    return None
