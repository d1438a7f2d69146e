"""Connect openstacksdk to an undercloud's Ironic, as the endpoints file describes it, at the API
version that undercloud's release and its Ironic both serve.

Example (needs a reachable Ironic)::

    conn, api = open_ironic(load_endpoints("endpoints.yaml"), "uc-new")
    api.version, api.inspection       # ('1.58', 'inspector')
    [n.name for n in conn.baremetal.nodes()]      # ['c02-s01', 'c02-s02']

The version i2 sends is the lowest of the server's maximum, the release's and the operator's cap:

>>> negotiate("uc-new", "train", None, "1.1", "1.58")
'1.58'
>>> negotiate("uc-new", "current", "1.81", "1.1", "1.115")
'1.81'
>>> try:
...     negotiate("uc-new", "train", None, "1.1", "1.87")
... except BaremetalError as exc:
...     print(exc)
uc-new: the endpoints file says uc-new runs train (Ironic API up to 1.58)
but its Ironic offers up to 1.87 (bobcat): fix `release` under ironic.uc-new
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from lifecycle.baremetal.errors import BaremetalError
from lifecycle.baremetal.features import supports, unsupported
from lifecycle.baremetal.releases import newer, parse, release, release_for, serves
from lifecycle.model.endpoints import Endpoints, Ironic, SecretStore
from lifecycle.redact import add_secret

__all__ = ["Api", "BaremetalError", "connect", "ironic_endpoint", "negotiate", "open_ironic"]


def ironic_endpoint(endpoints: Endpoints, undercloud: str) -> Ironic:
    try:
        return endpoints.ironic[undercloud]
    except KeyError:
        known = ", ".join(sorted(endpoints.ironic)) or "none"
        raise BaremetalError(undercloud, f"no Ironic for undercloud {undercloud!r} in the endpoints "
                                         f"file (ironic: {known})") from None


@dataclass(frozen=True)
class Api:
    """What one undercloud's Ironic was found to serve and what i2 uses of it."""

    undercloud: str
    release: str | None  # as the endpoints file records it
    release_max: str | None
    server_min: str
    server_max: str
    cap: str | None
    version: str  # sent on every request
    auth: str
    inspector: str | None = None  # ironic-inspector's URL from the Keystone catalog

    @property
    def inspection(self) -> str:
        """``inspector`` (ironic-inspector in the catalog), ``agent`` (Ironic's own, API 1.84+),
        else ``none``."""
        if self.inspector:
            return "inspector"
        return "agent" if supports(self.version, "agent_inspection") else "none"

    def supports(self, feature: str) -> bool:
        return supports(self.version, feature)

    def require(self, feature: str, subject: str | None = None) -> None:
        """BaremetalError (permanent) naming the undercloud, release, feature and version needed."""
        if not self.supports(feature):
            capped = self.cap == self.version and self.version not in (self.server_max, self.release_max)
            raise BaremetalError(subject or self.undercloud, unsupported(
                self.undercloud, self.release, self.version, feature, capped=capped))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "inspection": self.inspection}


def negotiate(undercloud: str, release_name: str | None, cap: str | None, server_min: str,
              server_max: str) -> str:
    """The version to use: min(server max, release max, cap). Refused when the server's range is
    not the recorded release's (the record is wrong: fix it rather than guess) or when nothing
    fits between the server's minimum and the cap."""
    wanted = [server_max]
    if release_name is not None:
        rel = release(release_name)
        if not serves(rel, server_max):
            other = release_for(server_max)
            offers = f"up to {server_max} ({other.name if other else 'newer than ' + rel.name})"
            raise BaremetalError(undercloud, f"the endpoints file says {undercloud} runs {rel.name} "
                                 f"(Ironic API up to {rel.api_max}) but its Ironic offers {offers}: "
                                 f"fix `release` under ironic.{undercloud}")
        wanted.append(rel.api_max)
    if cap is not None:
        wanted.append(cap)
    version = min(wanted, key=parse)
    if newer(server_min, version):
        raise BaremetalError(undercloud, f"its Ironic serves API {server_min}-{server_max}; the "
                             f"cap api_version {cap} is below that: raise or remove it")
    return version


def _versions(body: Any, headers: Any) -> tuple[str, str]:
    """(min, max) from Ironic's root document (``default_version``/``versions``), else its
    ``X-OpenStack-Ironic-API-Minimum/Maximum-Version`` headers (sent on every answer)."""
    doc = body.get("default_version") if isinstance(body, dict) else None
    if not isinstance(doc, dict) and isinstance(body, dict) and body.get("versions"):
        doc = body["versions"][0]
    doc = doc if isinstance(doc, dict) else {}
    low = doc.get("min_version") or headers.get("X-OpenStack-Ironic-API-Minimum-Version")
    high = doc.get("version") or headers.get("X-OpenStack-Ironic-API-Maximum-Version")
    if not low or not high:
        raise ValueError("no API version range in its version document or headers")
    parse(low), parse(high)
    return str(low), str(high)


def _region(endpoints: Endpoints, undercloud: str, ep: Ironic) -> Any:
    """The openstacksdk CloudRegion: noauth, inline Keystone v3 password, or a clouds.yaml entry.
    TLS (certificate and hostname) verified against ``ca_file`` or the system store unless the
    endpoints file says ``verify: false`` (with ``insecure_acknowledged``); a clouds.yaml
    ``insecure: true`` cannot turn it off."""
    from openstack.config import OpenStackConfig

    kwargs: dict[str, Any] = {"baremetal_endpoint_override": ep.url, "verify": ep.verify,
                              "insecure": not ep.verify}
    if ep.ca_file:
        kwargs["cacert"] = str(endpoints.path(ep.ca_file))
    try:
        if ep.auth == "none":
            return OpenStackConfig(load_yaml_config=False, load_envvars=False).get_one(
                auth_type="none", **kwargs)
        if ep.keystone is not None:
            ks = ep.keystone
            auth = {"auth_url": ks.auth_url, "username": ks.username, "project_name": ks.project_name,
                    "user_domain_name": ks.user_domain_name,
                    "project_domain_name": ks.project_domain_name,
                    # resolved (and registered with the redactor) by the secrets mechanism
                    "password": SecretStore(endpoints).get(ks.password)}
            return OpenStackConfig(load_yaml_config=False, load_envvars=False).get_one(
                auth_type="password", auth=auth, identity_api_version="3",
                **({"region_name": ks.region_name} if ks.region_name else {}), **kwargs)
        files = [str(endpoints.path(ep.clouds_yaml))] if ep.clouds_yaml else None
        region = OpenStackConfig(config_files=files, load_envvars=False).get_one(cloud=ep.cloud, **kwargs)
    except BaremetalError:
        raise
    except Exception as exc:  # openstacksdk's config errors, a missing secret
        raise BaremetalError(undercloud, f"credentials for its Ironic: {exc}") from None
    add_secret((region.config.get("auth") or {}).get("password"))  # never in logs or records
    return region


def open_ironic(endpoints: Endpoints, undercloud: str) -> tuple[Any, Api]:
    """``(openstack.connection.Connection, Api)``: the connection sends :attr:`Api.version` on
    every Ironic request (``baremetal_api_version`` becomes keystoneauth's default microversion);
    Keystone tokens are kept and renewed by its session (keystoneauth)."""
    import openstack

    ep = ironic_endpoint(endpoints, undercloud)
    region = _region(endpoints, undercloud, ep)
    session = region.get_session()
    root = ep.url.rstrip("/").removesuffix("/v1") + "/"
    try:  # unauthenticated, as Ironic's keystonemiddleware leaves it
        resp = session.get(root, authenticated=False, raise_exc=False)
    except Exception as exc:
        raise BaremetalError(undercloud, f"Ironic at {ep.url} does not answer: {exc}",
                             transient=True) from None
    try:
        if resp.status_code >= 400:
            raise ValueError(f"HTTP {resp.status_code} for GET {root}")
        low, high = _versions(resp.json(), resp.headers)
    except ValueError as exc:
        raise BaremetalError(undercloud, f"Ironic at {ep.url}: {exc}",
                             transient=resp.status_code >= 500) from None
    version = negotiate(undercloud, ep.release, ep.cap, low, high)
    region.config["baremetal_api_version"] = version
    conn = openstack.connection.Connection(config=region)
    inspector = None
    if ep.auth == "keystone":
        try:
            inspector = conn.endpoint_for("baremetal-introspection")
        except Exception as exc:  # Keystone refused the credentials, or is unreachable
            status = getattr(exc, "http_status", None) or 500
            raise BaremetalError(undercloud, f"Keystone ({region.config['auth'].get('auth_url')}): "
                                 f"{exc}", transient=status >= 500) from None
    api = Api(undercloud, ep.release, release(ep.release).api_max if ep.release else None, low, high,
              ep.cap, version, ep.auth, inspector)
    return conn, api


def connect(endpoints: Endpoints, undercloud: str) -> Any:
    """The ``openstack.connection.Connection`` of :func:`open_ironic`."""
    return open_ironic(endpoints, undercloud)[0]
