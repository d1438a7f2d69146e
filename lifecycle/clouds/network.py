"""Networks of the clouds facade: the Nuage net-partitions and VSD-managed subnets, which have no
SDK resource and go through the SDK's own network proxy as REST calls (as the Nuage OSC plugin
does), and plain Neutron networks."""

from __future__ import annotations

import re
from typing import Any

from lifecycle.clouds.base import CloudBase
from lifecycle.clouds.client import CloudError


class NetworkMixin(CloudBase):
    """Nuage net-partitions, networks and VSD-managed subnets of one cloud."""

    def _rest(self, method: str, path: str, what: str, body: Any = None, conn: Any = None) -> Any:
        """A Neutron REST call through the SDK's network proxy (auth, TLS, retries its own)."""
        net = (conn or self.conn).network
        with self.calling(what):
            resp = net.request(path, method, json=body, raise_exc=False)
        if resp.status_code >= 400:
            msg = _neutron_error(resp)
            raise CloudError(f"{self.name}: {what}: HTTP {resp.status_code} {msg}",
                             transient=resp.status_code >= 500 or resp.status_code in (408, 429)
                             or vsd_busy(msg))
        return resp.json() if resp.content else None

    def net_partitions(self) -> list[dict[str, Any]]:
        return self._rest("GET", "/net-partitions", "list net-partitions")["net_partitions"]

    def ensure_net_partition(self, name: str) -> tuple[dict[str, Any], bool]:
        """The net-partition ``name``; creating it links the existing VSD enterprise."""
        found = next((p for p in self.net_partitions() if p["name"] == name), None)
        if found is not None:
            return found, False
        body = self._rest("POST", "/net-partitions", f"create net-partition {name}",
                          {"net_partition": {"name": name}})
        return body["net_partition"], True

    def network(self, project: str, name: str) -> Any | None:
        """The network ``name`` of the project, read now: the moves asking at the same moment,
        in any project, share one request (Neutron ORs a repeated filter)."""
        p = self.project(project)
        if p is None:
            with self.calling(f"find network {name}"):
                return next(iter(self.conn.network.networks(name=name)), None)
        found = self._shared.read("networks", [(p.id, name)], self._list_networks)
        return next((n for n in found if n.name == name and n.project_id == p.id), None)

    def _list_networks(self, wants: frozenset[tuple[str, str]]) -> list[Any]:
        """The networks named in ``wants`` ((project id, name) pairs): one request."""
        names, projects = sorted({n for _, n in wants}), sorted({p for p, _ in wants})
        with self.calling(f"find network{'s' if len(names) > 1 else ''} {', '.join(names)}"):
            return [n for n in self.conn.network.networks(name=names, project_id=projects)
                    if (n.project_id, n.name) in wants]

    def port_exists(self, port_id: str) -> bool:
        from openstack import exceptions as osx

        with self.calling(f"get port {port_id}"):
            try:
                self.conn.network.get_port(port_id)
            except osx.NotFoundException:
                return False
        return True

    def ensure_network(self, project: str, name: str, *, absent: bool = False) -> tuple[Any, bool]:
        """The network ``name`` of the project. ``absent``: the caller has just found none."""
        found = None if absent else self.network(project, name)
        if found is not None:
            return found, False
        conn = self.scoped(project)
        with self.calling(f"create network {name} in {project}"):
            return conn.network.create_network(name=name), True

    def subnet(self, network_id: str, name: str) -> dict[str, Any] | None:
        got = self._rest("GET", f"/subnets?network_id={network_id}&name={name}", f"find subnet {name}")
        return next(iter(got["subnets"]), None)

    def ensure_vsd_subnet(self, project: str, network_id: str, name: str, cidr: str, gateway: str,
                          net_partition: str, nuagenet: str, *, absent: bool = False
                          ) -> tuple[dict[str, Any], bool]:
        """A VSD-managed subnet: Neutron checks the VSD subnet against the net-partition.
        ``absent``: the caller has just found none on the network (or just created it)."""
        found = None if absent else self.subnet(network_id, name)
        if found is not None:
            if found.get("nuagenet") not in (None, nuagenet) and found.get("vsd_id") != nuagenet:
                raise CloudError(f"{self.name}: subnet {name} exists on another VSD subnet "
                                 f"({found.get('vsd_id')}), not {nuagenet}", subject=name)
            return found, False
        body = {"subnet": {"name": name, "network_id": network_id, "ip_version": 4, "cidr": cidr,
                           "gateway_ip": gateway, "net_partition": net_partition,
                           "nuagenet": nuagenet}}
        got = self._rest("POST", "/subnets", f"create VSD-managed subnet {name} ({cidr})", body,
                         conn=self.scoped(project))
        return got["subnet"], True

    def delete_subnet(self, subnet_id: str, what: str) -> bool:
        return self._delete("subnets", subnet_id, what)

    def delete_network(self, network_id: str, what: str) -> bool:
        return self._delete("networks", network_id, what)

    def _delete(self, kind: str, id: str, what: str) -> bool:
        with self.calling(f"delete {what}"):
            resp = self.conn.network.request(f"/{kind}/{id}", "DELETE", raise_exc=False)
        if resp.status_code == 404:
            return False
        if resp.status_code >= 400:
            raise CloudError(f"{self.name}: delete {what}: HTTP {resp.status_code} {_neutron_error(resp)}",
                             transient=resp.status_code >= 500)
        return True


_VSD_BUSY = re.compile(r"temporarily unavailable|retry later|try again|timed? ?out|\b50[234]\b", re.I)


def vsd_busy(msg: str) -> bool:
    """True for the Nuage plugin's 400 that relays a VSD outage rather than a refusal: its
    handle_nuage_api_errorcode turns every VSD error into "Bad request: Error in REST call to
    VSD: ...", and the plugin rolled the Neutron side back, so asking again is safe.

    >>> vsd_busy("Bad request: Error in REST call to VSD: The VSD is temporarily unavailable")
    True
    >>> vsd_busy("Bad request: Error in REST call to VSD: Subnet overlaps with 10.0.0.0/24")
    False
    """
    return "Error in REST call to VSD" in msg and bool(_VSD_BUSY.search(msg.split("VSD", 1)[1]))


def _neutron_error(resp: Any) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    err = body.get("NeutronError") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return str(err.get("message", ""))
    return str(body)[:300]
