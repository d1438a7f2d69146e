"""The HPE OneView emulator: the appliance's REST API, HTTPS only, for unmodified hpOneView.

Example (listens on a loopback port)::

    tls = make_ca(tmp)
    emu = OneViewEmulator(servers, tls=tls, password="secret").start()
    emu.url, emu.address      # ('https://127.0.0.1:40123', '127.0.0.1:40123')
    OneViewClient({"ip": emu.address, "api_version": 1800, "ssl_certificate": str(tls.ca),
                   "credentials": {"userName": "administrator", "password": "secret"}})

hpOneView 5.3.0 has no port setting: it hands ``ip`` to ``http.client.HTTPSConnection``, which
splits ``host:port``. With ``ssl_certificate`` set it verifies the chain against that CA bundle
(CERT_REQUIRED; it never checks the host name), so the twin CA is all it needs.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterable
from typing import Any

from lifecycle.lab.base import (
    EmulatorServer,
    FaultPlan,
    HttpError,
    LatencyProfile,
    Request,
    Response,
    Router,
    TlsFiles,
    json_response,
)
from lifecycle.lab.oneview import collections as coll
from lifecycle.lab.oneview.catalog import (
    adapters_of,
    baseline_components,
    resource_type,
    sht_document,
    stable_id,
)
from lifecycle.lab.oneview.catalog import list_type as list_type_of
from lifecycle.lab.oneview.errors import OneViewError, as_oneview, not_found
from lifecycle.lab.oneview.power import InMemoryPower, PowerProvider
from lifecycle.lab.oneview.state import Hardware, Record
from lifecycle.lab.oneview.tasks import Task, TaskFailed, TaskRunner, now_iso
from lifecycle.lab.world import ServerSpec

# Requests that never see injected request faults: hpOneView does not retry a failed login (a 5xx
# makes OneViewClient() itself fail), so faults there would only test the harness; every call after
# login, task polling included, is fair game.
_FAULT_EXEMPT = re.compile(r"^/rest/(version|login-sessions)/?$")

# Injected task failures, by task kind: what a flaky iLO or appliance plausibly reports.
_TASK_FAULTS = {
    "oneview.power": ("PowerStateChangeFailed",
                      "Unable to change the power state of {name}: the iLO did not respond in time."),
    "oneview.profile_apply": ("ServerProfileApplyFailed",
                              "Unable to apply the server profile {name}: communication with the iLO "
                              "was lost while configuring the server."),
    "oneview.template": ("InternalError", "The operation on {name} could not be completed because of an "
                         "internal error on the appliance."),
    "oneview.default": ("InternalError", "The operation on {name} could not be completed because of an "
                        "internal error on the appliance."),
}


class _ApplianceServer(EmulatorServer):
    """The shared HTTP server, with the appliance's checks in front of every route."""

    def __init__(self, emu: OneViewEmulator, **kwargs: Any):
        super().__init__("oneview", emu.router, component="oneview", **kwargs)
        self.emu = emu
        self._local = threading.local()
        self.fault_filter = lambda req: not _FAULT_EXEMPT.match(req.path)

    def pick_fault(self, req: Request) -> str | None:
        kind = super().pick_fault(req)
        if kind == "http5xx":  # answered in handle(), with the appliance's error body
            self._local.http5xx = True
            return None
        return kind

    def handle(self, req: Request) -> Response:
        try:
            if getattr(self._local, "http5xx", False):
                self._local.http5xx = False
                raise OneViewError(503, "SERVICE_UNAVAILABLE", "The appliance is temporarily unable to "
                                   "service the request.", actions=["Retry the request later."])
            self.emu.authorize(req)
            return self.router.dispatch(req)
        except HttpError as err:
            raise as_oneview(err) from None


class OneViewEmulator:
    """An HPE OneView appliance managing rack servers (ProLiant DL Gen9), in memory.

    Servers with ``racked=False`` are not in server-hardware until :meth:`rack`. Power lives in
    ``power`` (see :mod:`lifecycle.lab.oneview.power`); task durations come from ``latency``;
    ``faults`` adds request faults (component ``oneview``), ``oneview.task_error`` (a mutating
    task ends in Error) and ``oneview.fail=<server>`` (applying a profile to that server fails).
    """

    def __init__(self, servers: Iterable[ServerSpec], *, tls: TlsFiles,
                 latency: LatencyProfile | None = None, faults: FaultPlan | None = None,
                 username: str = "administrator", password: str | None = None,
                 api_versions: tuple[int, int] = (120, 2000),
                 networks: Iterable[str] = ("provisioning", "tenant-trunk", "control-trunk"),
                 baselines: Iterable[str] = ("SPP 2022.09.0",), power: PowerProvider | None = None,
                 host: str = "127.0.0.1", port: int = 0, page_size: int = 64):
        self.specs = list(servers)
        self.latency = latency or LatencyProfile("none")
        self.faults = faults or FaultPlan()
        self.username = username
        self.password = password or secrets.token_urlsafe(12)
        self.min_api, self.max_api = api_versions
        self.power: PowerProvider = power or InMemoryPower()
        self.page_size = page_size
        self.lock = threading.RLock()
        self.started = now_iso()
        self.sessions: dict[str, str] = {}
        self.hardware: dict[str, Hardware] = {}
        self.shts: dict[str, Record] = {}
        self.templates: dict[str, Record] = {}
        self.profiles: dict[str, Record] = {}
        self.networks: dict[str, Record] = {}
        self.baselines: dict[str, Record] = {}
        self.enclosure_groups: dict[str, Record] = {}  # rack servers only: stays empty
        self.runner = TaskRunner(self.lock)
        # Names of templates/profiles whose create task is still running (names are unique).
        self.pending_names: dict[str, set[str]] = {"server-profile-templates": set(),
                                                   "server-profiles": set()}
        for i, name in enumerate(networks):
            self.add_network(name, vlan=100 + i)
        for name in baselines:
            self.add_baseline(name)
        self.router = Router()
        from lifecycle.lab.oneview.resources import register_all

        register_all(self.router, self)
        self.server = _ApplianceServer(self, host=host, port=port, tls=tls, latency=self.latency,
                                       faults=self.faults)
        self.rack([s.name for s in self.specs if s.racked])

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> OneViewEmulator:
        self.server.start()
        return self

    def stop(self) -> None:
        self.runner.stop()
        self.server.stop()

    def __enter__(self) -> OneViewEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def address(self) -> str:
        """What hpOneView's ``ip`` takes: ``host:port`` (http.client splits the port off)."""
        return f"{self.server.host}:{self.server.port}"

    # --- the world ------------------------------------------------------------------------------
    def rack(self, names: Iterable[str]) -> list[str]:
        """Make servers appear in server-hardware, as when a rack is cabled and its iLOs discovered.

        ``names`` may be site names, OneView names or rack names. Returns the servers added.
        """
        wanted = set(names)
        added = []
        for spec in self.specs:
            if not wanted & {spec.name, spec.oneview_name, spec.rack}:
                continue
            hw_id = spec.uuid.upper()
            with self.lock:
                if hw_id in self.hardware:
                    continue
                spec.racked = True
                sht = self._sht_for(spec.model)
            try:  # outside the lock: the provider may be a remote BMC
                state = self.power.get(spec)
            except OSError:  # discovered, but its iLO does not answer
                state = "Unknown"
            with self.lock:
                self.hardware[hw_id] = Hardware(spec, hw_id, sht.uri, state)
            added.append(spec.name)
        return added

    def reachable(self, spec: ServerSpec) -> bool:
        """Whether the server's iLO answers (what adding a rack server first checks)."""
        try:
            self.power.get(spec)
        except OSError:
            return False
        return True

    def ignore_power_button(self, name: str, ignore: bool = True) -> None:
        """Make the server's OS ignore (or honour) a graceful MomentaryPress power-off."""
        with self.lock:
            for hw in self.hardware.values():
                if name in (hw.spec.name, hw.spec.oneview_name, hw.spec.uuid, hw.id):
                    hw.ignores_button = ignore

    def power_changed(self, name: str, state: str | None = None) -> None:
        """Refresh the appliance's view of a server's power (e.g. from a BMC notification)."""
        for hw in list(self.hardware.values()):
            if name in (hw.spec.name, hw.spec.oneview_name, hw.spec.uuid, hw.id):
                self.read_power(hw) if state is None else self._set_power(hw, state)

    def _sht_for(self, model: str) -> Record:
        """The server hardware type of ``model``, created with the first server of it (as discovery does)."""
        sid = stable_id("sht", model)
        if sid not in self.shts:
            doc = sht_document(model, adapters_of([s for s in self.specs if s.model == model]))
            doc["uri"] = f"/rest/server-hardware-types/{sid}"
            self.shts[sid] = Record(doc, "server-hardware-types")
        return self.shts[sid]

    def add_network(self, name: str, vlan: int) -> None:
        nid = stable_id("ethernet-network", name)
        doc = {"uri": f"/rest/ethernet-networks/{nid}", "name": name, "description": None, "vlanId": vlan,
               "purpose": "General", "smartLink": True, "privateNetwork": False,
               "ethernetNetworkType": "Tagged", "connectionTemplateUri": None, "fabricUri": None,
               "subnetUri": None, "ipv6SubnetUri": None, "status": "OK", "state": "Active",
               "scopesUri": f"/rest/scopes/resources/rest/ethernet-networks/{nid}"}
        self.networks[nid] = Record(doc, "ethernet-networks")

    def add_baseline(self, name: str) -> None:
        bid = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
        version = name.split()[-1] if " " in name else name
        doc = {"uri": f"/rest/firmware-drivers/{bid}", "name": name, "baselineShortName": name,
               "description": f"{name} firmware bundle", "version": version, "bundleType": "SPP",
               "isoFileName": f"{bid}.iso", "releaseDate": None, "state": "Created",
               "resourceState": "Created", "status": "OK", "fwComponents": baseline_components(name),
               "hpsumVersion": "8.9.0",
               "bundleSize": 10_000_000_000, "supportedLanguages": "en", "supportedOSList": [],
               "uuid": stable_id("firmware-driver", name), "locations": {"1": "Appliance"}}
        self.baselines[bid] = Record(doc, "firmware-drivers")

    # --- request plumbing -------------------------------------------------------------------------
    def authorize(self, req: Request) -> None:
        """The X-API-Version and session checks the appliance makes before any route."""
        if req.path.rstrip("/") in ("/rest/version", "/rest/logindetails"):  # the login page reads both
            return
        self.api(req)
        if req.path.rstrip("/") == "/rest/login-sessions" and req.method in ("POST", "PUT"):
            return
        token = req.header("auth") or req.header("Session-Id")
        with self.lock:
            if token and token in self.sessions:
                return
        raise OneViewError(401, "AUTHORIZATION", "Authorization error: the session is not valid or has "
                           "expired.", actions=["Log in again and retry the request."])

    def api(self, req: Request) -> int:
        """The request's X-API-Version (the appliance takes 1..currentVersion; 412 otherwise)."""
        raw = req.header("X-API-Version")
        if raw is None:
            return self.min_api
        try:
            version = int(raw)
        except ValueError:
            version = -1
        if not 1 <= version <= self.max_api:
            raise OneViewError(412, "INVALID_API_VERSION", "The specified API version is not valid.",
                               f"The request contained an invalid X-API-Version header of {raw}.  Only "
                               f"values 1 through {self.max_api} are accepted.",
                               actions=["Check the value of the X-API-Version header, then resend the "
                                        "request."])
        return version

    def body(self, req: Request) -> dict[str, Any]:
        data = req.json()
        if not isinstance(data, dict):
            raise OneViewError(400, "INVALID_JSON", "The request body must be a JSON object.")
        return data

    def check_type(self, body: dict[str, Any], category: str, api: int) -> None:
        """The appliance refuses a ``type`` from another API version (hpOneView sends one by default)."""
        sent = body.get("type")
        want = resource_type(category, api)
        if sent is not None and sent != want:
            raise OneViewError(400, "INVALID_TYPE", f'The "type" field content, "{sent}", included in this '
                               "request is invalid.", f"Expected {want} for X-API-Version {api}.")

    def check_etag(self, req: Request, record_etag: str, body: dict[str, Any] | None, uri: str) -> None:
        """Optimistic concurrency: If-Match (``*`` forces) or the eTag in the body must be current."""
        sent = req.header("If-Match")
        if sent == "*":
            return
        if sent is None and body is not None:
            sent = body.get("eTag")
        if sent not in (None, "") and sent.strip('"') != record_etag:
            raise OneViewError(412, "ETAG_MISMATCH", f"The resource {uri} has been modified since it was "
                               "read (its eTag does not match).",
                               f"Sent eTag {sent}, current eTag {record_etag}.",
                               actions=["Get the resource again, reapply your changes and retry."],
                               source=uri)

    def collection(self, req: Request, category: str, members: list[dict[str, Any]],
                   list_type: str | None = None) -> dict[str, Any]:
        api = self.api(req)
        return coll.page(req, members, list_type=list_type or list_type_of(category, api), category=category,
                         page_size=self.page_size)

    def new_task(self, name: str, *, uri: str | None, resource_name: str, category: str, kind: str,
                 owner: str | None = None) -> Task:
        task = Task(name, owner or self.username, uri, resource_name, category,
                    self.latency.task_duration(kind))
        if self.faults.roll("oneview", "task_error"):
            code, message = _TASK_FAULTS.get(kind, _TASK_FAULTS["oneview.default"])
            task.fault = TaskFailed(code, message.format(name=resource_name),
                                    actions=["Retry the operation. If the problem persists, contact "
                                             "your authorized support representative."])
        return task

    def accepted(self, task: Task, api: int) -> Response:
        with self.lock:  # the task's thread may already be changing it
            return json_response(task.to_json(api), 202, {"Location": task.uri})

    # --- lookups (call with the lock held) ----------------------------------------------------------
    def record(self, table: dict[str, Record], rid: str, prefix: str) -> Record:
        rec = table.get(rid)
        if rec is None:
            raise not_found(f"{prefix}/{rid}")
        return rec

    def hardware_at(self, uri: str | None) -> Hardware | None:
        if not uri:
            return None
        return self.hardware.get(uri.rstrip("/").rsplit("/", 1)[-1])

    def by_uri(self, table: dict[str, Record], uri: str | None) -> Record | None:
        if not uri:
            return None
        return table.get(uri.rstrip("/").rsplit("/", 1)[-1])

    def name_taken(self, category: str, table: dict[str, Record], name: str,
                   exclude: str | None = None) -> bool:
        lowered = name.lower()
        return lowered in {n.lower() for n in self.pending_names[category]} or any(
            r.name.lower() == lowered and r.uri != exclude for r in table.values())

    def failing(self, hw: Hardware) -> bool:
        """``oneview.fail=<server>``: every profile applied to that server fails."""
        return any(self.faults.has("oneview", "fail", n) for n in (hw.spec.name, hw.spec.oneview_name))

    # --- power ----------------------------------------------------------------------------------------
    def read_power(self, hw: Hardware) -> str:
        """Ask the provider (outside the lock), remember the answer. An iLO that does not answer
        leaves the last known state (OneView shows a stale power state, not an error)."""
        try:
            state = self.power.get(hw.spec)
        except OSError:  # timeouts and refused connections: a hung or unplugged iLO
            return hw.power
        with self.lock:
            if hw.power != state:
                hw.power = state
                hw.touch()
        return state

    def _set_power(self, hw: Hardware, state: str) -> None:
        with self.lock:
            hw.power = state
            hw.touch()
