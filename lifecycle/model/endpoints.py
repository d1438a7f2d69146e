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
from typing import Any

from pydantic import Field, ValidationError, model_validator

from lifecycle.model.loader import Origin, validation_problems
from lifecycle.model.schema import Name, Strict
from lifecycle.model.yamlsrc import Problem, YamlError, load_file


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


class Tls(Strict):
    verify: bool = Field(True, description="verify the server certificate (default on)")
    ca_file: str | None = Field(None, description="CA bundle for a private CA")


class OneView(Tls):
    url: str
    api_version: int = 1800
    username: str
    password: SecretRef
    domain: str = "LOCAL"


class Eapi(Tls):
    host: str | None = None
    transport: str = Field("https", pattern="^(https?)$")
    port: int | None = None
    username: str | None = None
    password: SecretRef | None = None


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


class Vsd(Tls):
    url: str
    username: str
    password: SecretRef
    organisation: str = "csp"


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


class Undercloud(Strict):
    host: str
    port: int = 22
    username: str = "stack"
    key_file: SecretRef | None = None
    password: SecretRef | None = None
    known_hosts: str = Field(description="known_hosts file; host keys are always verified")


class CloudRef(Strict):
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
    base_dir: Path = Field(Path("."), exclude=True)

    def resolve(self, ref: SecretRef) -> str:
        """Read a secret's value. Raise :class:`SecretMissing` naming the reference."""
        return SecretStore(self).get(ref)

    def path(self, rel: str) -> Path:
        p = Path(rel).expanduser()
        return p if p.is_absolute() else self.base_dir / p


class SecretMissing(Exception):
    """A secret reference points at nothing."""


class SecretStore:
    """Resolves :class:`SecretRef` values and remembers them, so they can be redacted."""

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
