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

from pydantic import Field, PositiveInt, ValidationError, ValidationInfo, field_validator, model_validator

from lifecycle.model.endpoint_base import (  # noqa: F401 (re-exported)
    INSECURE_REASON_MIN,
    STEPS_AT_ONCE,
    Kind,
    SecretRef,
    Tls,
)
from lifecycle.model.endpoints_lb import NetScaler
from lifecycle.model.endpoints_vm import VmAccess
from lifecycle.model.loader import Origin, validation_problems
from lifecycle.model.schema import Name, Strict
from lifecycle.model.yamlsrc import Problem, YamlError, load_file
from lifecycle.redact import add_secret


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


class VsdPlugin(Strict):
    """One cloud's Nuage plugin account: a VSD user of its own in the cloud's net-partition
    (made by the VSD bootstrap, :mod:`lifecycle.nuage.bootstrap`, in its CMS group and nothing
    more). The rendered overcloud carries this user, never i2's own VSD account."""

    username: str = Field(min_length=1, description="the plugin's VSD user name")
    password: SecretRef = Field(description="the plugin user's password (set by the bootstrap)")
    metadata_secret: SecretRef = Field(
        description="Nova metadata proxy shared secret of the cloud (NuageMetadataProxySharedSecret)")


class Vsd(Tls):
    url: str
    username: str
    password: SecretRef
    organisation: str = "csp"
    steps_at_once: int | None = Field(None, ge=1, description=STEPS_AT_ONCE)
    plugins: dict[Name, VsdPlugin] = Field(
        {}, description="site cloud name -> its Nuage plugin's own VSD user (docs/endpoints.md)")

    @field_validator("plugins")
    @classmethod
    def _not_i2s_account(cls, value: dict[str, VsdPlugin], info: ValidationInfo) -> dict[str, VsdPlugin]:
        # a plugin given i2's own account is what this section exists to end
        mine = info.data.get("username")
        for cloud, plugin in value.items():
            if plugin.username == mine:
                raise ValueError(f"{cloud}: username {plugin.username} is i2's own VSD account; "
                                 "each cloud's plugin needs a user of its own")
        return value


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


class KeystoneAuth(Strict):
    """Keystone v3 password credentials, as an undercloud's ``stackrc`` holds them."""

    auth_url: str = Field(description="identity v3 URL, e.g. https://uc-new:13000/v3")
    username: str
    password: SecretRef
    project_name: str
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"
    region_name: str | None = None


class Ironic(Tls):
    """One undercloud's Ironic. ``auth: keystone`` takes either ``cloud`` (a clouds.yaml entry,
    ``clouds_yaml`` its file) or an inline ``keystone`` block; ``auth: none`` is a standalone
    Ironic configured without authentication."""

    url: str
    release: str | None = Field(
        None, description="OpenStack release of the undercloud (train, newton, ...): bounds the API "
        "versions i2 uses (lifecycle/baremetal/releases.py)")
    api_version: str | None = Field(
        None, pattern=r"^(1\.\d+|latest)$",
        description="optional cap on the negotiated Bare Metal API version (default: negotiate)")
    auth: Literal["none", "keystone"] = "none"
    cloud: str | None = Field(None, description="clouds.yaml entry when auth is keystone")
    clouds_yaml: str | None = Field(None, description="path to that clouds.yaml (default: standard)")
    keystone: KeystoneAuth | None = Field(None, description="inline credentials when auth is keystone")
    deploy_iso: str | None = Field(
        None, description="IPA ramdisk ISO URL the BMCs boot for inspection (driver_info deploy_iso)")
    automated_clean: bool | None = Field(
        None, description="set on enrolled nodes; unset keeps Ironic's [conductor] default")
    steps_at_once: int | None = Field(None, ge=1, description=STEPS_AT_ONCE)
    requests_at_once: int = Field(8, ge=1, description="HTTP requests in flight to this Ironic "
                                  "at once, however many steps wait on it (docs/endpoints.md)")

    @field_validator("release")
    @classmethod
    def _known_release(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # the product's own table; imported here, when the file is read, not when the model loads
        from lifecycle.baremetal.releases import release

        try:
            release(value)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        return value.strip().lower()

    @model_validator(mode="after")
    def _credentials(self) -> Ironic:
        if self.auth == "keystone" and (self.cloud is None) == (self.keystone is None):
            raise ValueError("auth: keystone needs exactly one of cloud (a clouds.yaml entry) or "
                             "keystone (auth_url, username, password, project_name, ...)")
        if self.auth == "none" and (self.cloud or self.keystone):
            raise ValueError("auth: none takes no cloud or keystone credentials (say auth: keystone)")
        if self.clouds_yaml and not self.cloud:
            raise ValueError("clouds_yaml needs cloud (the entry to use)")
        return self

    @property
    def cap(self) -> str | None:
        """The operator's cap on the API version (None: negotiate freely)."""
        return None if self.api_version in (None, "latest") else self.api_version


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
    netscaler: dict[Name, NetScaler] = Field({}, description="load balancer device -> its NITRO endpoint")
    vm_access: VmAccess | None = Field(None, description="how i2 reaches VMs' writer hooks")
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
