"""Connect openstacksdk to an undercloud's Ironic, as the endpoints file describes it.

Example (needs a reachable Ironic)::

    conn = connect(load_endpoints("endpoints.yaml"), "uc-new")
    [n.name for n in conn.baremetal.nodes()]      # ['c02-s01', 'c02-s02']
"""

from __future__ import annotations

from typing import Any

from lifecycle.model.endpoints import Endpoints, Ironic


class BaremetalError(Exception):
    """A bare-metal operation failed for one node; ``transient`` says whether a retry may help."""

    def __init__(self, node: str, message: str, *, transient: bool = False):
        super().__init__(f"{node}: {message}")
        self.node = node
        self.message = message
        self.transient = transient


def ironic_endpoint(endpoints: Endpoints, undercloud: str) -> Ironic:
    try:
        return endpoints.ironic[undercloud]
    except KeyError:
        known = ", ".join(sorted(endpoints.ironic)) or "none"
        raise BaremetalError(undercloud, f"no Ironic for undercloud {undercloud!r} in the endpoints "
                                         f"file (ironic: {known})") from None


def connect(endpoints: Endpoints, undercloud: str) -> Any:
    """An ``openstack.connection.Connection`` whose baremetal proxy talks to that Ironic.

    ``auth: none`` is a standalone Ironic (noauth); ``auth: keystone`` reads credentials from the
    named clouds.yaml entry. TLS (certificate and hostname) is verified against ``ca_file`` or the
    system store unless the endpoints file says ``verify: false`` (with ``insecure_acknowledged``);
    a clouds.yaml ``insecure: true`` cannot turn it off.
    """
    import openstack

    ep = ironic_endpoint(endpoints, undercloud)
    kwargs: dict[str, Any] = {"baremetal_api_version": ep.api_version, "verify": ep.verify,
                              "insecure": not ep.verify}
    if ep.ca_file:
        kwargs["cacert"] = str(endpoints.path(ep.ca_file))
    if ep.auth == "none":
        return openstack.connect(auth_type="none", baremetal_endpoint_override=ep.url,
                                 load_yaml_config=False, load_envvars=False, **kwargs)
    return openstack.connect(cloud=ep.cloud, baremetal_endpoint_override=ep.url, **kwargs)
