"""The base of the clouds facade: a cloud's connections, its projects, flavors, quotas and
compute capacity, and the one way every call turns an SDK error into a :class:`CloudError`."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Self

from lifecycle.clouds.client import CloudError, connect, transient
from lifecycle.clouds.shared import GATHER, SharedReads
from lifecycle.model.endpoints import Endpoints


class CloudBase:
    """One cloud, with an admin connection and a project-scoped one per team project."""

    def __init__(self, name: str, conn: Any):
        self.name = name
        self.conn = conn
        self._projects: dict[str, Any] = {}
        self._scoped: dict[str, Any] = {}
        # flavors and images found by name: immutable objects, looked up once per process (a
        # deleted one fails the boot that names its id, it is never silently replaced)
        self._found: dict[tuple[str, str], Any] = {}
        self._looking: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self._listing, self._listed = threading.Lock(), False  # every project listed once
        # the moves of a wave list a project's servers (volumes) at the same moments: one request
        # answers the callers that asked before it went
        self._shared = SharedReads(gather=GATHER)

    @classmethod
    def connect(cls, endpoints: Endpoints, name: str) -> Self:
        return cls(name, connect(endpoints, name))

    @contextmanager
    def calling(self, what: str) -> Iterator[None]:
        """Any SDK error inside becomes a :class:`CloudError` naming the cloud and ``what``."""
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
        self._list_projects()  # the cloud's projects, listed once: the moves' many projects
        with self._lock:
            if name in self._projects:
                return self._projects[name]
        with self.calling(f"find project {name}"):
            # by name first: one request (find_project tries GET /projects/{name} as an id first)
            named = list(self.conn.identity.projects(name=name))
            if len(named) > 1:
                raise CloudError(f"{self.name}: {len(named)} projects named {name} (one per domain?)",
                                 subject=name)
            found = named[0] if named else self.conn.identity.find_project(name, ignore_missing=True)
        if found is not None:
            with self._lock:
                self._projects[name] = found
        return found

    def _list_projects(self) -> None:
        """List every project once per process and keep those whose name is unique (one request
        for the moves' many projects; a project named twice, made since, or when listing is not
        allowed, is looked up by name)."""
        with self._listing:  # the others wait for the first caller's listing
            if self._listed:
                return
            self._listed = True
            try:
                with self.calling("list projects"):
                    every = list(self.conn.identity.projects())
            except CloudError:
                return  # not allowed (a domain admin): looked up by name, one by one
            by_name: dict[str, list[Any]] = {}
            for p in every:
                by_name.setdefault(p.name, []).append(p)
            with self._lock:
                for n, found in by_name.items():
                    if len(found) == 1:
                        self._projects.setdefault(n, found[0])

    def scoped(self, project: str) -> Any:
        """A connection scoped to the team's project (i2's user holds a role there)."""
        with self._lock:
            if project in self._scoped:
                return self._scoped[project]
        if self.project(project) is None:
            raise CloudError(f"{self.name}: no project {project}", subject=project)
        with self.calling(f"scope to project {project}"):
            conn = self.conn.connect_as_project(project)
        with self._lock:
            return self._scoped.setdefault(project, conn)

    def _once(self, kind: str, name: str, find: Any) -> Any | None:
        with self._lock:
            if (kind, name) in self._found:
                return self._found[(kind, name)]
            # the boots of a wave ask at once: the first looks, the others wait for its answer
            looking = self._looking.setdefault((kind, name), threading.Lock())
        with looking:
            with self._lock:
                if (kind, name) in self._found:
                    return self._found[(kind, name)]
            with self.calling(f"find {kind} {name}"):
                found = find(name, ignore_missing=True)
            if found is not None:  # a missing one is looked for again next time
                with self._lock:
                    self._found[(kind, name)] = found
        return found

    def flavor(self, name: str) -> Any | None:
        return self._once("flavor", name, self.conn.compute.find_flavor)

    def image(self, name: str) -> Any | None:
        return self._once("image", name, self.conn.image.find_image)

    def keypair(self, name: str) -> Any | None:
        with self.calling(f"find keypair {name}"):
            return self.conn.compute.find_keypair(name, ignore_missing=True)

    def quota(self, project: str) -> dict[str, int]:
        """Compute quota limits of a project (instances, cores, ram); -1 is unlimited."""
        p = self.project(project)
        if p is None:
            raise CloudError(f"{self.name}: no project {project}", subject=project)
        with self.calling(f"quota of {project}"):
            q = self.conn.compute.get_quota_set(p.id, usage=True)
        out: dict[str, int] = {}
        for key in ("instances", "cores", "ram"):
            limit = getattr(q, key, None)
            used = (getattr(q, "usage", None) or {}).get(key, 0)
            out[key] = -1 if limit in (None, -1) else int(limit) - int(used or 0)
        return out

    def hypervisors(self) -> list[Any]:
        with self.calling("list hypervisors"):
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
        with self.calling("list compute services"):
            return [s for s in self.conn.compute.services() if s.binary == "nova-compute"]

    def disable_compute(self, host: str, reason: str) -> bool:
        """Disable a host's nova-compute; False when it already was."""
        svc = next((s for s in self.compute_services() if s.host == host), None)
        if svc is None:
            raise CloudError(f"{self.name}: no nova-compute service on {host}", subject=host)
        if svc.status == "disabled":
            return False
        with self.calling(f"disable nova-compute on {host}"):
            self.conn.compute.disable_service(svc, host, "nova-compute", disabled_reason=reason)
        return True


def backoff(first: float = 0.5, factor: float = 1.5, most: float = 5.0) -> Iterator[float]:
    """Seconds between polls of something that takes a while: quick at first (the twin, a warm
    cloud), then at most ``most`` (a boot or a volume on a busy cloud takes tens of seconds).

    >>> import itertools
    >>> [round(x, 2) for x in itertools.islice(backoff(), 7)]
    [0.5, 0.75, 1.12, 1.69, 2.53, 3.8, 5.0]
    """
    wait = first
    while True:
        yield wait
        wait = min(most, wait * factor)


def _text(exc: BaseException) -> str:
    msg = getattr(exc, "details", None) or str(exc)
    return " ".join(str(msg).split())[:400]
