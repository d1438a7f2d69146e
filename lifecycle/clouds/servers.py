"""Servers of the clouds facade: found by name (a resumed run boots nothing twice), booted,
waited for, stopped, started, deleted."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from lifecycle.clouds.base import CloudBase, backoff
from lifecycle.clouds.client import CloudError

#: Names one listing asks Nova for at most: its name filter is a regular expression in the URL,
#: which stays under 4 KB (uWSGI's default buffer; httpd allows 8 KB) with the wave's names.
NAMES_PER_LIST = 100


def _name_regex(names: list[str]) -> str:
    """Nova's ``name`` filter (a regular expression) for exactly these names (its metacharacters
    escaped; a name's dashes need not be, which keeps the URL short).

    >>> _name_regex(["web-1", "web-2"])
    '^(web-1|web-2)$'
    >>> import re; bool(re.search(_name_regex(["a.b"]), "axb"))
    False
    """
    return "^(" + "|".join(_META.sub(r"\\\g<0>", n) for n in names) + ")$"


_META = re.compile(r"[.^$*+?{}\[\]\\|()]")


class ServersMixin(CloudBase):
    """Servers of one cloud, across its projects."""

    def servers(self, *, project: str | None = None, names: Iterable[str] | None = None,
                after: float | None = None) -> list[Any]:
        """Servers (all projects), optionally of one project and/or with these names. Callers
        asking for names in any of the cloud's projects at the same moment share one request
        (the moves of a wave, whatever their project): none gets an answer sent before it asked,
        but a poll, one sent since ``after`` (see :class:`~lifecycle.clouds.shared.SharedReads`)."""
        want = set(names) if names is not None else None
        if want is not None and not want:
            return []
        if project is None or want is None:
            return self._list_servers(project, want)
        p = self.project(project)
        if p is None:
            return []
        found = self._shared.read("servers", {(p.id, n) for n in want}, self._list_named, after=after)
        return [s for s in found if s.name in want and s.project_id == p.id]

    def _list_named(self, wants: frozenset[tuple[str, str]]) -> list[Any]:
        """The servers named in ``wants`` ((project id, name) pairs), in as few requests as the
        URL's length allows: one project's by its id, several projects' across all projects."""
        projects = {pid for pid, _ in wants}
        names = sorted({n for _, n in wants})
        out: list[Any] = []
        for i in range(0, len(names), NAMES_PER_LIST):
            query: dict[str, Any] = {"all_projects": True, "name": _name_regex(names[i:i + NAMES_PER_LIST])}
            if len(projects) == 1:
                query["project_id"] = next(iter(projects))
            with self.calling("list servers"):
                out += [s for s in self.conn.compute.servers(details=True, **query)
                        if (s.project_id, s.name) in wants]
        return out

    def _list_servers(self, project: str | None, want: set[str] | frozenset[str] | None) -> list[Any]:
        query: dict[str, Any] = {"all_projects": True}
        if want is not None:
            # Nova's name filter is a regular expression: ask only for these (building SDK
            # resources for a whole project's servers is most of the client's CPU otherwise)
            query["name"] = _name_regex(sorted(want))
        if project is not None:
            p = self.project(project)
            if p is None:
                return []
            query["project_id"] = p.id
        with self.calling("list servers"):
            found = list(self.conn.compute.servers(details=True, **query))
        return [s for s in found if want is None or s.name in want]

    def server(self, project: str, name: str) -> Any | None:
        found = [s for s in self.servers(project=project, names=[name]) if s.status != "DELETED"]
        if len(found) > 1:
            raise CloudError(f"{self.name}: {len(found)} servers named {name} in {project}", subject=name)
        return found[0] if found else None

    def boot(self, project: str, name: str, *, flavor: str, image: str, network_id: str,
             metadata: dict[str, str], key_name: str | None = None, absent: bool = False
             ) -> tuple[Any, bool]:
        """Boot ``name`` unless it exists (found by name in the project). Returns (server, created).
        ``absent``: the caller has just listed the project's servers and ``name`` was not there."""
        found = None if absent else self.server(project, name)
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
        with self.calling(f"boot {name} in {project}"):
            return conn.compute.create_server(**kwargs), True

    def wait_servers(self, project: str, names: list[str], status: str = "ACTIVE", *,
                     timeout: float = 600, cancelled: Callable[[float], bool] | None = None,
                     first: float = 0.5, settle: bool = False) -> dict[str, Any]:
        """Wait until every named server has ``status``: one list call per poll, polls further
        apart as the wait goes on (:func:`~lifecycle.clouds.base.backoff`, from ``first`` s).
        ``settle``: the caller has just asked for the change (a boot, a stop), which Nova does
        asynchronously: the first poll comes after the first interval, not at once."""
        deadline = time.monotonic() + timeout
        waits = backoff(first)
        # the other moves' polls of this project read these too: a poll takes theirs when it
        # was sent since this one's previous poll (or since the wait began)
        polled = time.monotonic()
        with self._shared.waiting("servers", self._pairs(project, names)):
            if settle and _pause(next(waits), cancelled):
                raise CloudError(f"{self.name}: waiting for {', '.join(names)} cancelled", transient=True)
            while True:
                found = {s.name: s for s in self.servers(project=project, names=names, after=polled)}
                polled = time.monotonic()
                bad = [n for n, s in found.items() if s.status == "ERROR"]
                if bad:
                    s = found[bad[0]]
                    fault = (getattr(s, "fault", None) or {}).get("message", "")
                    raise CloudError(f"{self.name}: server {bad[0]} went to ERROR {fault}".rstrip(),
                                     subject=bad[0])
                if all(n in found and found[n].status == status for n in names):
                    return found
                if polled > deadline:
                    late = [n for n in names if n not in found or found[n].status != status]
                    raise CloudError(f"{self.name}: {', '.join(late)} not {status} after {timeout:.0f} s",
                                     transient=True)
                interval = next(waits)
                if cancelled is not None and cancelled(interval):
                    raise CloudError(f"{self.name}: waiting for {', '.join(names)} cancelled",
                                     transient=True)
                if cancelled is None:
                    time.sleep(interval)

    def _pairs(self, project: str, names: Iterable[str]) -> list[tuple[str, str]]:
        """(project id, name) of each name: what a poll of the shared listing waits on."""
        p = self.project(project)
        return [(p.id, n) for n in names] if p is not None else []

    def set_metadata(self, server: Any, **items: str) -> None:
        with self.calling(f"set metadata on {server.name}"):
            self.conn.compute.set_server_metadata(server, **items)

    def stop(self, server: Any) -> None:
        if server.status == "SHUTOFF":
            return
        with self.calling(f"stop {server.name}"):
            self.conn.compute.stop_server(server)

    def start(self, server: Any) -> None:
        with self.calling(f"start {server.name}"):
            self.conn.compute.start_server(server)

    def delete_server(self, server: Any) -> None:
        with self.calling(f"delete server {server.name}"):
            self.conn.compute.delete_server(server, ignore_missing=True)

    def wait_gone(self, project: str, names: list[str], *, timeout: float = 300,
                  settle: bool = False) -> None:
        """Until none of ``names`` is listed; ``settle``: the caller has just deleted them (Nova
        deletes asynchronously), the first poll comes after the first interval."""
        deadline = time.monotonic() + timeout
        waits = backoff()
        polled = time.monotonic()  # as wait_servers: polls shared with the project's other waits
        with self._shared.waiting("servers", self._pairs(project, names)):
            if settle:
                time.sleep(next(waits))
            while [s for s in self.servers(project=project, names=names, after=polled)
                   if s.status != "DELETED"]:
                polled = time.monotonic()
                if polled > deadline:
                    raise CloudError(f"{self.name}: {', '.join(names)} still there after {timeout:.0f} s",
                                     transient=True)
                time.sleep(next(waits))



def _pause(seconds: float, cancelled: Callable[[float], bool] | None) -> bool:
    """Wait ``seconds`` (through ``cancelled`` when given); True when cancelled meanwhile."""
    if cancelled is not None:
        return cancelled(seconds)
    time.sleep(seconds)
    return False
