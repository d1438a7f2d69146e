"""openstacksdk connections to the site's clouds, from the clouds.yaml entries the endpoints file
names (``clouds: {ie1-new: {cloud: ie1-new-admin, clouds_yaml: clouds.yaml}}``).

Example (needs a reachable cloud)::

    conn = connect(endpoints, "ie1-new")
    [h.name for h in conn.compute.hypervisors()]

A cloud the endpoints file has no entry for is an error before any connection:

>>> from lifecycle.model.endpoints import parse_endpoints
>>> cloud_ref(parse_endpoints({}, "endpoints.yaml"), "ie1-new")
Traceback (most recent call last):
    ...
lifecycle.clouds.client.CloudError: no clouds.yaml entry for cloud 'ie1-new' in the endpoints file ...
"""

from __future__ import annotations

from typing import Any

from lifecycle.model.endpoints import CloudRef, Endpoints


class CloudError(Exception):
    """A cloud call failed; ``transient`` says whether a retry may help; ``subject`` names
    the object it is about (the engine prefixes errors with it once)."""

    def __init__(self, message: str, *, transient: bool = False, subject: str | None = None):
        super().__init__(message)
        self.transient = transient
        self.subject = subject


def cloud_ref(endpoints: Endpoints, cloud: str) -> CloudRef:
    try:
        return endpoints.clouds[cloud]
    except KeyError:
        known = ", ".join(sorted(endpoints.clouds)) or "none"
        raise CloudError(f"no clouds.yaml entry for cloud {cloud!r} in the endpoints file "
                         f"(clouds: {known})") from None


def connect(endpoints: Endpoints, cloud: str) -> Any:
    """An ``openstack.connection.Connection`` for the cloud's clouds.yaml entry. TLS (certificate
    and hostname) is verified against the endpoints' ``ca_file``, else the entry's ``cacert``, else
    the system store. An entry that turns verification off (``verify: false``/``insecure: true``)
    is refused unless the endpoints file acknowledges it (``verify: false`` +
    ``insecure_acknowledged``)."""
    import openstack
    from openstack.config import OpenStackConfig

    ref = cloud_ref(endpoints, cloud)
    files = [str(endpoints.path(ref.clouds_yaml))] if ref.clouds_yaml else None
    try:
        config = OpenStackConfig(config_files=files, load_envvars=False)
        region = config.get_one(cloud=ref.cloud)
    except Exception as exc:  # openstacksdk raises its own config errors
        raise CloudError(f"cloud {cloud}: clouds.yaml entry {ref.cloud!r}: {exc}") from None
    if ref.ca_file:
        region.config["cacert"] = str(endpoints.path(ref.ca_file))
    if not ref.verify:
        region.config["insecure"] = True
    elif region.get_requests_verify_args()[0] is False:
        raise CloudError(f"cloud {cloud}: clouds.yaml entry {ref.cloud!r} turns TLS verification off "
                         "(verify: false or insecure: true); i2 refuses unless the endpoints file says "
                         f"so under clouds.{cloud}: verify: false with insecure_acknowledged: <reason>")
    # A 503 (or 429) is retried by keystoneauth itself, a few times with backoff, unless the
    # clouds.yaml entry says otherwise: one busy API must not fail a step of forty calls.
    region.config.setdefault("status_code_retries", STATUS_CODE_RETRIES)
    conn = openstack.connection.Connection(config=region)
    _retry_reads(conn)
    return conn


STATUS_CODE_RETRIES = 4


def _retry_reads(conn: Any) -> None:
    """A connection dropped before the answer (a reset) is retried for idempotent requests
    (GET, PUT, DELETE...: urllib3's default), never for a POST, which may have been done; one
    that could not connect at all is retried for any method (nothing was sent)."""
    from keystoneauth1.session import TCPKeepAliveAdapter
    from urllib3.util.retry import Retry

    retry = Retry(total=3, connect=3, read=2, status=0, backoff_factor=0.2, raise_on_status=False)
    rs = conn.session.session  # the requests.Session under keystoneauth's (its keep-alive adapter)
    for scheme in ("https://", "http://"):
        rs.mount(scheme, TCPKeepAliveAdapter(max_retries=retry))


def transient(exc: BaseException) -> bool:
    """Worth a retry: connection trouble, timeouts, 5xx, 408/409 races, 429."""
    from keystoneauth1 import exceptions as ks
    from openstack import exceptions as osx

    if isinstance(exc, (ks.ConnectFailure, ks.ConnectTimeout, ks.RetriableConnectionFailure,
                        ConnectionError, TimeoutError)):
        return True
    status = getattr(exc, "status_code", None)
    if isinstance(exc, osx.HttpException) and status is not None:
        return status >= 500 or status in (408, 429)
    return False
