"""The clouds adapter's facade: one OpenStack cloud as the upgrade sees it, through openstacksdk.

Reads are plain SDK calls; every change first looks for its object by name in the project
(and i2's metadata on servers), so a resumed run repeats nothing. The Nuage extensions
(net-partitions, ``net_partition``/``nuagenet`` on subnets) have no SDK resource: they go
through the SDK's own network proxy as REST calls, as the Nuage OSC plugin does.

>>> cloud = Cloud.connect(endpoints, "ie1-new")                        # doctest: +SKIP
>>> np, created = cloud.ensure_net_partition("IE1")                    # doctest: +SKIP
>>> net, _ = cloud.ensure_network("finance-prd", "billing-prd-b")      # doctest: +SKIP
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from lifecycle.clouds.client import CloudError, connect, transient
from lifecycle.model.endpoints import Endpoints

IN_SERVICE = "i2.in_service"  # server metadata: "true" while the VM takes traffic
WRITES = "i2.writes"  # server metadata on stateful VMs: "frozen" while its volumes move
STEP = "i2.step"  # server metadata: the run step that booted it (what a resume looks for)


class Cloud:
    """One cloud, with an admin connection and a project-scoped one per team project."""

    def __init__(self, name: str, conn: Any):
        self.name = name
        self.conn = conn
        self._projects: dict[str, Any] = {}
        self._scoped: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, endpoints: Endpoints, name: str) -> Cloud:
        return cls(name, connect(endpoints, name))

    @contextmanager
    def _call(self, what: str) -> Iterator[None]:
        try:
            yield
        except CloudError:
            raise
        except Exception as exc:
            raise CloudError(f"{self.name}: {what}: {_text(exc)}", transient=transient(exc)) from None

    # -- projects and readiness ---------------------------------------------------------------

    def project(self, name: str) -> Any | None:
        with self._lock:
            if name in self._projects:
                return self._projects[name]
        with self._call(f"find project {name}"):
            found = self.conn.identity.find_project(name, ignore_missing=True)
        if found is not None:
            with self._lock:
                self._projects[name] = found
        return found

    def scoped(self, project: str) -> Any:
        """A connection scoped to the team's project (i2's user holds a role there)."""
        with self._lock:
            if project in self._scoped:
                return self._scoped[project]
        if self.project(project) is None:
            raise CloudError(f"{self.name}: no project {project}", subject=project)
        with self._call(f"scope to project {project}"):
            conn = self.conn.connect_as_project(project)
        with self._lock:
            return self._scoped.setdefault(project, conn)

    def flavor(self, name: str) -> Any | None:
        with self._call(f"find flavor {name}"):
            return self.conn.compute.find_flavor(name, ignore_missing=True)

    def image(self, name: str) -> Any | None:
        with self._call(f"find image {name}"):
            return self.conn.image.find_image(name, ignore_missing=True)

    def keypair(self, name: str) -> Any | None:
        with self._call(f"find keypair {name}"):
            return self.conn.compute.find_keypair(name, ignore_missing=True)

    def quota(self, project: str) -> dict[str, int]:
        """Compute quota limits of a project (instances, cores, ram); -1 is unlimited."""
        p = self.project(project)
        if p is None:
            raise CloudError(f"{self.name}: no project {project}", subject=project)
        with self._call(f"quota of {project}"):
            q = self.conn.compute.get_quota_set(p.id, usage=True)
        out: dict[str, int] = {}
        for key in ("instances", "cores", "ram"):
            limit = getattr(q, key, None)
            used = (getattr(q, "usage", None) or {}).get(key, 0)
            out[key] = -1 if limit in (None, -1) else int(limit) - int(used or 0)
        return out

    def hypervisors(self) -> list[Any]:
        with self._call("list hypervisors"):
            return list(self.conn.compute.hypervisors(details=True))

    def capacity(self, exclude: Iterable[str] = ()) -> dict[str, int]:
        """Free vCPUs and memory on enabled, up hypervisors (minus ``exclude`` hostnames)."""
        skip = set(exclude)
        disabled = {s.host for s in self.compute_services() if s.status == "disabled"}
        free = {"vcpus": 0, "memory_mb": 0, "hosts": 0}
        for h in self.hypervisors():
            host = h.name.split(".")[0]
            if host in skip or host in disabled or h.state not in (None, "up"):
                continue
            free["hosts"] += 1
            free["vcpus"] += int(h.vcpus or 0) - int(h.vcpus_used or 0)
            free["memory_mb"] += int(h.memory_size or 0) - int(h.memory_used or 0)
        return free

    def compute_services(self) -> list[Any]:
        with self._call("list compute services"):
            return [s for s in self.conn.compute.services() if s.binary == "nova-compute"]

    def disable_compute(self, host: str, reason: str) -> bool:
        """Disable a host's nova-compute; False when it already was."""
        svc = next((s for s in self.compute_services() if s.host == host), None)
        if svc is None:
            raise CloudError(f"{self.name}: no nova-compute service on {host}", subject=host)
        if svc.status == "disabled":
            return False
        with self._call(f"disable nova-compute on {host}"):
            self.conn.compute.disable_service(svc, host, "nova-compute", disabled_reason=reason)
        return True

    # -- Nuage: net-partitions and VSD-managed subnets -----------------------------------------

    def _rest(self, method: str, path: str, what: str, body: Any = None, conn: Any = None) -> Any:
        """A Neutron REST call through the SDK's network proxy (auth, TLS, retries its own)."""
        net = (conn or self.conn).network
        with self._call(what):
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
        p = self.project(project)
        with self._call(f"find network {name}"):
            return next(iter(self.conn.network.networks(name=name, project_id=p.id if p else None)), None)

    def port_exists(self, port_id: str) -> bool:
        from openstack import exceptions as osx

        with self._call(f"get port {port_id}"):
            try:
                self.conn.network.get_port(port_id)
            except osx.NotFoundException:
                return False
        return True

    def ensure_network(self, project: str, name: str) -> tuple[Any, bool]:
        found = self.network(project, name)
        if found is not None:
            return found, False
        conn = self.scoped(project)
        with self._call(f"create network {name} in {project}"):
            return conn.network.create_network(name=name), True

    def subnet(self, network_id: str, name: str) -> dict[str, Any] | None:
        got = self._rest("GET", f"/subnets?network_id={network_id}&name={name}", f"find subnet {name}")
        return next(iter(got["subnets"]), None)

    def ensure_vsd_subnet(self, project: str, network_id: str, name: str, cidr: str, gateway: str,
                          net_partition: str, nuagenet: str) -> tuple[dict[str, Any], bool]:
        """A VSD-managed subnet: Neutron checks the VSD subnet against the net-partition."""
        found = self.subnet(network_id, name)
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
        with self._call(f"delete {what}"):
            resp = self.conn.network.request(f"/{kind}/{id}", "DELETE", raise_exc=False)
        if resp.status_code == 404:
            return False
        if resp.status_code >= 400:
            raise CloudError(f"{self.name}: delete {what}: HTTP {resp.status_code} {_neutron_error(resp)}",
                             transient=resp.status_code >= 500)
        return True

    # -- servers --------------------------------------------------------------------------------

    def servers(self, *, project: str | None = None, names: Iterable[str] | None = None) -> list[Any]:
        """Servers (all projects), optionally of one project and/or with these names."""
        want = set(names) if names is not None else None
        query: dict[str, Any] = {"all_projects": True}
        if want is not None:
            if not want:
                return []
            # Nova's name filter is a regular expression: ask only for these (building SDK
            # resources for a whole project's servers is most of the client's CPU otherwise)
            query["name"] = "^(" + "|".join(re.escape(n) for n in sorted(want)) + ")$"
        if project is not None:
            p = self.project(project)
            if p is None:
                return []
            query["project_id"] = p.id
        with self._call("list servers"):
            found = list(self.conn.compute.servers(details=True, **query))
        return [s for s in found if want is None or s.name in want]

    def server(self, project: str, name: str) -> Any | None:
        found = [s for s in self.servers(project=project, names=[name]) if s.status != "DELETED"]
        if len(found) > 1:
            raise CloudError(f"{self.name}: {len(found)} servers named {name} in {project}", subject=name)
        return found[0] if found else None

    def boot(self, project: str, name: str, *, flavor: str, image: str, network_id: str,
             metadata: dict[str, str], key_name: str | None = None) -> tuple[Any, bool]:
        """Boot ``name`` unless it exists (found by name in the project). Returns (server, created)."""
        found = self.server(project, name)
        if found is not None:
            return found, False
        fl, im = self.flavor(flavor), self.image(image)
        if fl is None or im is None:
            raise CloudError(f"{self.name}: no {'flavor ' + flavor if fl is None else 'image ' + image}",
                             subject=name)
        conn = self.scoped(project)
        kwargs: dict[str, Any] = {"name": name, "flavor_id": fl.id, "image_id": im.id,
                                  "networks": [{"uuid": network_id}], "metadata": metadata}
        if key_name:
            kwargs["key_name"] = key_name
        with self._call(f"boot {name} in {project}"):
            return conn.compute.create_server(**kwargs), True

    def wait_servers(self, project: str, names: list[str], status: str = "ACTIVE", *,
                     timeout: float = 600, interval: float = 0.5,
                     cancelled: Callable[[float], bool] | None = None) -> dict[str, Any]:
        """Wait until every named server has ``status`` (one list call per interval)."""
        deadline = time.monotonic() + timeout
        while True:
            found = {s.name: s for s in self.servers(project=project, names=names)}
            bad = [n for n, s in found.items() if s.status == "ERROR"]
            if bad:
                s = found[bad[0]]
                fault = (getattr(s, "fault", None) or {}).get("message", "")
                raise CloudError(f"{self.name}: server {bad[0]} went to ERROR {fault}".rstrip(),
                                 subject=bad[0])
            if all(n in found and found[n].status == status for n in names):
                return found
            if time.monotonic() > deadline:
                late = [n for n in names if n not in found or found[n].status != status]
                raise CloudError(f"{self.name}: {', '.join(late)} not {status} after {timeout:.0f} s",
                                 transient=True)
            if cancelled is not None and cancelled(interval):
                raise CloudError(f"{self.name}: waiting for {', '.join(names)} cancelled", transient=True)
            if cancelled is None:
                time.sleep(interval)

    def set_metadata(self, server: Any, **items: str) -> None:
        with self._call(f"set metadata on {server.name}"):
            self.conn.compute.set_server_metadata(server, **items)

    def stop(self, server: Any) -> None:
        if server.status == "SHUTOFF":
            return
        with self._call(f"stop {server.name}"):
            self.conn.compute.stop_server(server)

    def start(self, server: Any) -> None:
        with self._call(f"start {server.name}"):
            self.conn.compute.start_server(server)

    def delete_server(self, server: Any) -> None:
        with self._call(f"delete server {server.name}"):
            self.conn.compute.delete_server(server, ignore_missing=True)

    def wait_gone(self, project: str, names: list[str], *, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while [s for s in self.servers(project=project, names=names) if s.status != "DELETED"]:
            if time.monotonic() > deadline:
                raise CloudError(f"{self.name}: {', '.join(names)} still there after {timeout:.0f} s",
                                 transient=True)
            time.sleep(0.5)

    # -- volumes --------------------------------------------------------------------------------

    def volumes(self, *, project: str | None = None, names: Iterable[str] | None = None) -> list[Any]:
        want = set(names) if names is not None else None
        query: dict[str, Any] = {"all_projects": True}
        if project is not None:
            p = self.project(project)
            if p is None:
                return []
            query["project_id"] = p.id
        with self._call("list volumes"):
            found = list(self.conn.block_storage.volumes(details=True, **query))
        return [v for v in found if want is None or v.name in want]

    def volume(self, project: str, name: str) -> Any | None:
        found = self.volumes(project=project, names=[name])
        if len(found) > 1:
            raise CloudError(f"{self.name}: {len(found)} volumes named {name} in {project}", subject=name)
        return found[0] if found else None

    def attached_to(self, volume: Any) -> list[str]:
        return [a.get("server_id") for a in (volume.attachments or []) if a.get("server_id")]

    def detach(self, server: Any, volume: Any) -> bool:
        if server.id not in self.attached_to(volume):
            return False
        with self._call(f"detach {volume.name} from {server.name}"):
            self.conn.compute.delete_volume_attachment(server, volume.id)
        return True

    def attach(self, server: Any, volume: Any) -> bool:
        if server.id in self.attached_to(volume):
            return False
        with self._call(f"attach {volume.name} to {server.name}"):
            self.conn.compute.create_volume_attachment(server, volume_id=volume.id)
        return True

    def wait_volume(self, project: str, name: str, statuses: tuple[str, ...], *, timeout: float = 300
                    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            vol = self.volume(project, name)
            if vol is not None and vol.status in statuses:
                return vol
            if vol is not None and vol.status.startswith("error"):
                raise CloudError(f"{self.name}: volume {name} is {vol.status}", subject=name)
            if time.monotonic() > deadline:
                raise CloudError(f"{self.name}: volume {name} not {'/'.join(statuses)} after "
                                 f"{timeout:.0f} s (is {vol.status if vol else 'missing'})", transient=True)
            time.sleep(0.25)

    def wait_volume_gone(self, project: str, name: str, *, timeout: float = 300) -> None:
        """Until Cinder no longer lists the volume (an unmanage or delete is asynchronous)."""
        deadline = time.monotonic() + timeout
        while (vol := self.volume(project, name)) is not None:
            if vol.status.startswith("error"):
                raise CloudError(f"{self.name}: volume {name} is {vol.status}", subject=name)
            if time.monotonic() > deadline:
                raise CloudError(f"{self.name}: volume {name} still {vol.status} after {timeout:.0f} s",
                                 transient=True)
            time.sleep(0.25)

    def unmanage(self, volume: Any) -> None:
        with self._call(f"unmanage {volume.name}"):
            self.conn.block_storage.unmanage_volume(volume)

    # openstacksdk 4.22's manage_volume() always sends microversion 3.71 (a Train Cinder, max
    # 3.59, answers 406) and manageable_volumes() sends none (404 below 3.8): i2 calls both at
    # 3.8, where they exist since Ocata.
    MANAGE_MICROVERSION = "3.8"

    def _cinder(self, method: str, path: str, what: str, body: Any = None, conn: Any = None) -> Any:
        bs = (conn or self.conn).block_storage
        with self._call(what):
            resp = bs.request(path, method, json=body, microversion=self.MANAGE_MICROVERSION,
                              raise_exc=False)
        if resp.status_code >= 400:
            raise CloudError(f"{self.name}: {what}: HTTP {resp.status_code} {_cinder_error(resp)}",
                             transient=resp.status_code >= 500 or resp.status_code in (408, 429))
        return resp.json() if resp.content else None

    def manageable(self, host: str) -> list[dict[str, Any]]:
        """Volumes on a backend that Cinder does not manage (safe_to_manage says if it may)."""
        got = self._cinder("GET", f"/manageable_volumes/detail?host={host}",
                           f"list manageable volumes on {host}")
        return list(got.get("manageable-volumes", []))

    def manage(self, project: str, *, host: str, ref: str, name: str,
               metadata: dict[str, str] | None = None) -> Any:
        """Adopt the backend's volume ``ref`` into the project as ``name`` (no copy)."""
        body = {"volume": {"host": host, "ref": {"name": ref}, "name": name,
                           "metadata": metadata or {}}}
        got = self._cinder("POST", "/manageable_volumes", f"manage {ref} as {name} in {project}", body,
                           conn=self.scoped(project))
        return got["volume"]

    def backend_host(self, backend: str) -> str:
        """The cinder-volume ``host@backend#pool`` string of a backend name."""
        with self._call("list cinder pools"):
            pools = list(self.conn.block_storage.backend_pools())
        for p in pools:
            if p.name.split("@", 1)[-1].split("#", 1)[0] == backend:
                return str(p.name)
        raise CloudError(f"{self.name}: no cinder backend {backend} (pools: "
                         f"{', '.join(p.name for p in pools) or 'none'})")


def _text(exc: BaseException) -> str:
    msg = getattr(exc, "details", None) or str(exc)
    return " ".join(str(msg).split())[:400]


def _cinder_error(resp: Any) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    if isinstance(body, dict) and body:
        inner = next(iter(body.values()))
        if isinstance(inner, dict) and "message" in inner:
            return str(inner["message"])
    return str(body)[:300]


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
