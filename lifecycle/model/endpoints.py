"""The endpoints file: where each system is and how to authenticate, never the secrets themselves.

The same site model points at production or at the twin by swapping this one file.  Secrets are
references: ``{env: VAR}``, ``{file: path}`` (relative to the endpoints file) or
``{secret: key}`` (a key of the ``secrets_file`` mapping).  An inline password is refused.

>>> ep = parse_endpoints({"oneview": {"url": "https://ov.example", "username": "admin",
...                       "password": {"env": "OV_PASS"}}}, "endpoints.yaml")
>>> ep.oneview.password.describe()
'env:OV_PASS'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PositiveInt, ValidationError, model_validator

from lifecycle.model.loader import Origin, validation_problems
from lifecycle.model.schema import Name, Strict
from lifecycle.model.yamlsrc import Problem, YamlError, load_file
from lifecycle.redact import add_secret


class SecretRef(Strict):
    """Where a secret is found. Exactly one of env, file, secret."""

    env: str | None = None
    file: str | None = None
    secret: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_inline(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(
                "inline secrets are not allowed: use {env: VAR}, {file: PATH} or {secret: KEY}"
            )
        return value

    @model_validator(mode="after")
    def _one(self) -> SecretRef:
        if sum(v is not None for v in (self.env, self.file, self.secret)) != 1:
            raise ValueError("a secret reference needs exactly one of env, file, secret")
        return self

    def describe(self) -> str:
        """A printable name for the reference (never the value)."""
        if self.env:
            return f"env:{self.env}"
        if self.file:
            return f"file:{self.file}"
        return f"secret:{self.secret}"


STEPS_AT_ONCE = "steps run at once on this endpoint (default: limits.<kind>, else the runbook's)"
# the engine's step systems an endpoint serves (lifecycle.model.limits)
Kind = Literal["oneview", "ironic", "undercloud", "fabric", "ztp", "vsd", "nova", "neutron", "cinder",
               "files", "probes"]


class Tls(Strict):
    """TLS to a system: certificate and hostname always verified (system CA store unless
    ``ca_file``). Turning that off takes two keys together, so it is never an accident:
    ``verify: false`` and ``insecure_acknowledged: "<why>"``; every run then warns."""

    verify: bool = Field(True, description="verify the server certificate and hostname (default on)")
    ca_file: str | None = Field(None, description="CA bundle for a private CA (default: system store)")
    insecure_acknowledged: str | None = Field(
        None, description="required with verify: false: why it is acceptable (recorded in every run)")

    @model_validator(mode="after")
    def _insecure_is_acknowledged(self) -> Tls:
        if not self.verify and len((self.insecure_acknowledged or "").strip()) < INSECURE_REASON_MIN:
            raise ValueError(
                "verify: false turns off TLS certificate and hostname checks; say why next to it "
                f"with insecure_acknowledged: \"<reason, {INSECURE_REASON_MIN}+ characters>\" "
                "or give ca_file for a private CA instead")
        return self


INSECURE_REASON_MIN = 10  # a reason, not "yes"/"ok"


class OneView(Tls):
    url: str
    api_version: int = 1800
    username: str
    password: SecretRef
    domain: str = "LOCAL"
    steps_at_once: int | None = Field(None, ge=1, description=STEPS_AT_ONCE)


class Eapi(Tls):
    host: str | None = None
    transport: str = Field("https", pattern="^(https?)$")
    port: int | None = None
    username: str | None = None
    password: SecretRef | None = None
    steps_at_once: int | None = Field(None, ge=1, description=STEPS_AT_ONCE)


class Fabric(Strict):
    defaults: Eapi = Eapi()
    devices: dict[Name, Eapi] = {}

    def device(self, name: str) -> Eapi:
        """Defaults overlaid with the device's own settings."""
        own = self.devices.get(name)
        merged = self.defaults.model_dump()
        if own is not None:
            merged.update(own.model_dump(exclude_unset=True))
        return Eapi.model_validate(merged)


class Ztp(Strict):
    url: str = Field(description="ztpserver base URL the switches are pointed at")
    data_root: str = Field(description="ztpserver data_root i2 writes definitions into")
    steps_at_once: int | None = Field(None, ge=1, description=STEPS_AT_ONCE)


class Vsd(Tls):
    url: str
    username: str
    password: SecretRef
    organisation: str = "csp"
    steps_at_once: int | None = Field(None, ge=1, description=STEPS_AT_ONCE)


class BmcDevice(Strict):
    address: str = Field(description="Redfish base URL of this server's BMC")
    system_id: str | None = None


class Bmc(Tls):
    """The servers' BMCs (iLO Redfish). By default a BMC is ``https://<iLO address>``."""

    username: str
    password: SecretRef
    scheme: str = Field("https", pattern="^(https?)$")
    system_id: str = "/redfish/v1/Systems/1"
    devices: dict[Name, BmcDevice] = Field({}, description="server name -> where its BMC is")

    def redfish(self, server: str, ilo: str) -> tuple[str, str]:
        """(redfish_address, redfish_system_id) for a server whose iLO is at ``ilo``."""
        own = self.devices.get(server)
        if own is not None:
            return own.address, own.system_id or self.system_id
        return f"{self.scheme}://{ilo}", self.system_id


class Ironic(Tls):
    url: str
    api_version: str = "1.81"
    auth: str = Field("none", pattern="^(none|keystone)$")
    cloud: str | None = Field(None, description="clouds.yaml entry when auth is keystone")
    deploy_iso: str | None = Field(
        None, description="IPA ramdisk ISO URL the BMCs boot for inspection (driver_info deploy_iso)")
    automated_clean: bool | None = Field(
        None, description="set on enrolled nodes; unset keeps Ironic's [conductor] default")
    steps_at_once: int | None = Field(None, ge=1, description=STEPS_AT_ONCE)
    requests_at_once: int = Field(8, ge=1, description="HTTP requests in flight to this Ironic "
                                  "at once, however many steps wait on it (docs/endpoints.md)")


class Undercloud(Strict):
    host: str
    port: int = 22
    username: str = "stack"
    key_file: SecretRef | None = None
    password: SecretRef | None = None
    known_hosts: str = Field(description="known_hosts file; host keys are always verified")
    steps_at_once: int | None = Field(None, ge=1, description=STEPS_AT_ONCE)


class CloudRef(Tls):
    """``verify``/``insecure_acknowledged`` here govern the clouds.yaml entry's own
    ``verify``/``insecure``; ``ca_file``, if given, overrides its ``cacert``."""

    cloud: str = Field(description="entry name in clouds.yaml")
    clouds_yaml: str | None = Field(None, description="path to clouds.yaml (default: standard)")


class Teams(Strict):
    clouds_yaml: str = Field(description="the teams' clouds.yaml (one entry per project) that "
                             "the upgrade switches to the new cloud; passwords stay in the "
                             "teams' secure.yaml, never in this file")


class Probes(Tls):
    url: str = Field(description="workload probe service: reachability per application over time")


class Pure(Tls):
    url: str
    api_token: SecretRef


class Endpoints(Strict):
    """Every system a site's runbooks may talk to. All sections are optional."""

    secrets_file: str | None = None
    oneview: OneView | None = None
    fabric: Fabric = Fabric()
    ztp: Ztp | None = None
    cvx: Eapi | None = None
    cvx_servers: list[str] = Field(
        [], description="addresses switches register with (`management cvx` / `server host`)")
    vsd: Vsd | None = None
    bmc: Bmc | None = None
    ironic: dict[Name, Ironic] = Field({}, description="undercloud name -> its Ironic")
    underclouds: dict[Name, Undercloud] = {}
    clouds: dict[Name, CloudRef] = Field({}, description="site cloud name -> clouds.yaml entry")
    pure: Pure | None = None
    teams: Teams | None = None
    probes: Probes | None = None
    limits: dict[Kind, PositiveInt] = Field(
        {}, description="steps at once per endpoint of a kind, over the runbook's defaults")
    base_dir: Path = Field(Path("."), exclude=True)

    def resolve(self, ref: SecretRef) -> str:
        """Read a secret's value. Raise :class:`SecretMissing` naming the reference."""
        return SecretStore(self).get(ref)

    def unverified_tls(self) -> dict[str, str]:
        """Every section that says ``verify: false``: its dotted name -> the acknowledged reason."""
        found: dict[str, str] = {}

        def walk(value: Any, where: str) -> None:
            if isinstance(value, Tls) and not value.verify:
                found[where] = value.insecure_acknowledged or ""
            if isinstance(value, Strict):
                for name in type(value).model_fields:
                    walk(getattr(value, name), f"{where}.{name}" if where else name)
            elif isinstance(value, dict):
                for key, item in value.items():
                    walk(item, f"{where}.{key}")

        walk(self, "")
        return found

    def path(self, rel: str) -> Path:
        p = Path(rel).expanduser()
        return p if p.is_absolute() else self.base_dir / p


class SecretMissing(Exception):
    """A secret reference points at nothing."""


class SecretStore:
    """Resolves :class:`SecretRef` values, remembers them and registers each with the process
    redactor (:func:`lifecycle.redact.add_secret`), so no record, event, log or report shows it."""

    def __init__(self, endpoints: Endpoints):
        self.endpoints = endpoints
        self.seen: set[str] = set()

    def get(self, ref: SecretRef) -> str:
        ep = self.endpoints
        if ref.env:
            value = os.environ.get(ref.env)
            if value is None:
                raise SecretMissing(f"environment variable {ref.env} is not set")
        elif ref.file:
            path = ep.path(ref.file)
            try:
                value = path.read_text().strip()
            except OSError as exc:
                raise SecretMissing(f"secret file {path}: {exc.strerror}") from None
        else:
            if not ep.secrets_file:
                raise SecretMissing(f"secret {ref.secret!r} needs secrets_file in the endpoints file")
            data = load_file(ep.path(ep.secrets_file))
            if not isinstance(data, dict) or ref.secret not in data:
                raise SecretMissing(f"secret {ref.secret!r} is not in {ep.secrets_file}")
            value = str(data[ref.secret])
        self.seen.add(value)
        # Whatever logs, records or reports later mentions it (an SDK's error, a log line, an
        # output under an innocent key) is masked: only keys that look secret are masked otherwise.
        add_secret(value)
        return value


class EndpointsInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def parse_endpoints(data: Any, label: str, base_dir: Path | None = None) -> Endpoints:
    """Validate an endpoints mapping; :class:`EndpointsInvalid` lists every problem."""
    try:
        ep = Endpoints.model_validate(data or {})
    except ValidationError as exc:
        raise EndpointsInvalid(validation_problems(exc, Origin(label, data, "endpoints"))) from None
    ep.base_dir = base_dir or Path(".")
    return ep


def load_endpoints(path: str | Path) -> Endpoints:
    """Load an endpoints file (YAML)."""
    p = Path(path)
    if not p.is_file():
        raise EndpointsInvalid([Problem(str(p), 0, "", "endpoints file does not exist", "missing")])
    try:
        data = load_file(p, str(p))
    except YamlError as exc:
        raise EndpointsInvalid([exc.problem]) from None
    return parse_endpoints(data, str(p), p.parent)
