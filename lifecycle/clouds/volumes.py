"""Volumes of the clouds facade: attach and detach, and Cinder's manage/unmanage, which moves a
volume between clouds sharing a backend without copying it."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from lifecycle.clouds.base import CloudBase, backoff
from lifecycle.clouds.client import CloudError


class VolumesMixin(CloudBase):
    """Volumes of one cloud: attachments, Cinder manage/unmanage."""

    def volumes(self, *, project: str | None = None, names: Iterable[str] | None = None,
                after: float | None = None) -> list[Any]:
        """Volumes (all projects), optionally of one project and/or with these names; callers
        asking about one project at the same moment share one request, a poll one sent since
        ``after`` (see ``servers``)."""
        want = set(names) if names is not None else None
        if project is None or want is None:
            return self._list_volumes(project, want)
        found = self._shared.read(("volumes", project), want, lambda _: self._list_volumes(project, None),
                                  after=after)
        return [v for v in found if v.name in want]

    def _list_volumes(self, project: str | None, want: set[str] | None) -> list[Any]:
        query: dict[str, Any] = {"all_projects": True}
        if project is not None:
            p = self.project(project)
            if p is None:
                return []
            query["project_id"] = p.id
        with self.calling("list volumes"):
            found = list(self.conn.block_storage.volumes(details=True, **query))
        return [v for v in found if want is None or v.name in want]

    def volume(self, project: str, name: str, *, after: float | None = None) -> Any | None:
        found = self.volumes(project=project, names=[name], after=after)
        if len(found) > 1:
            raise CloudError(f"{self.name}: {len(found)} volumes named {name} in {project}", subject=name)
        return found[0] if found else None

    def attached_to(self, volume: Any) -> list[str]:
        return [a.get("server_id") for a in (volume.attachments or []) if a.get("server_id")]

    def detach(self, server: Any, volume: Any) -> bool:
        if server.id not in self.attached_to(volume):
            return False
        with self.calling(f"detach {volume.name} from {server.name}"):
            self.conn.compute.delete_volume_attachment(server, volume.id)
        return True

    def attach(self, server: Any, volume: Any) -> bool:
        if server.id in self.attached_to(volume):
            return False
        with self.calling(f"attach {volume.name} to {server.name}"):
            self.conn.compute.create_volume_attachment(server, volume_id=volume.id)
        return True

    def wait_volume(self, project: str, name: str, statuses: tuple[str, ...], *, timeout: float = 300,
                    settle: bool = False) -> Any:
        """Until the volume has one of ``statuses``. ``settle``: the caller has just asked for
        the change (Cinder makes it asynchronously): the first poll comes after the first
        interval, not at once (it would find the change under way)."""
        deadline = time.monotonic() + timeout
        waits = backoff(0.25)
        if settle:
            time.sleep(next(waits))
        polled = time.monotonic()  # polls shared with the project's other waits (see servers)
        while True:
            vol = self.volume(project, name, after=polled)
            polled = time.monotonic()
            if vol is not None and vol.status in statuses:
                return vol
            if vol is not None and vol.status.startswith("error"):
                raise CloudError(f"{self.name}: volume {name} is {vol.status}", subject=name)
            if time.monotonic() > deadline:
                raise CloudError(f"{self.name}: volume {name} not {'/'.join(statuses)} after "
                                 f"{timeout:.0f} s (is {vol.status if vol else 'missing'})", transient=True)
            time.sleep(next(waits))

    def wait_volume_gone(self, project: str, name: str, *, timeout: float = 300,
                         settle: bool = False) -> None:
        """Until Cinder no longer lists the volume (an unmanage or delete is asynchronous);
        ``settle`` as :meth:`wait_volume`."""
        deadline = time.monotonic() + timeout
        waits = backoff(0.25)
        if settle:
            time.sleep(next(waits))
        polled = time.monotonic()
        while (vol := self.volume(project, name, after=polled)) is not None:
            polled = time.monotonic()
            if vol.status.startswith("error"):
                raise CloudError(f"{self.name}: volume {name} is {vol.status}", subject=name)
            if time.monotonic() > deadline:
                raise CloudError(f"{self.name}: volume {name} still {vol.status} after {timeout:.0f} s",
                                 transient=True)
            time.sleep(next(waits))

    def unmanage(self, volume: Any) -> None:
        with self.calling(f"unmanage {volume.name}"):
            self.conn.block_storage.unmanage_volume(volume)

    # openstacksdk 4.22's manage_volume() always sends microversion 3.71 (a Train Cinder, max
    # 3.59, answers 406) and manageable_volumes() sends none (404 below 3.8): i2 calls both at
    # 3.8, where they exist since Ocata.
    MANAGE_MICROVERSION = "3.8"

    def _cinder(self, method: str, path: str, what: str, body: Any = None, conn: Any = None) -> Any:
        bs = (conn or self.conn).block_storage
        with self.calling(what):
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
        """The cinder-volume ``host@backend#pool`` string of a backend name (a backend's host
        does not move while i2 runs: looked up once per process)."""
        with self._lock:
            if ("backend", backend) in self._found:
                return str(self._found[("backend", backend)])
        with self.calling("list cinder pools"):
            pools = list(self.conn.block_storage.backend_pools())
        for p in pools:
            if p.name.split("@", 1)[-1].split("#", 1)[0] == backend:
                with self._lock:
                    self._found[("backend", backend)] = p.name
                return str(p.name)
        raise CloudError(f"{self.name}: no cinder backend {backend} (pools: "
                         f"{', '.join(p.name for p in pools) or 'none'})")


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

