"""``/rest/server-profile-templates``: create, read, update (eTag), delete, new-profile.

Writes answer 202 with a task; a created template exists from the task's completion on (the task's
``associatedResource.resourceUri`` names it from the start, which is what hpOneView GETs at the end).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, Router
from lifecycle.lab.oneview.catalog import resource_type
from lifecycle.lab.oneview.compliance import profile_from_template
from lifecycle.lab.oneview.errors import OneViewError, bad_request
from lifecycle.lab.oneview.resources.common import (
    TEMPLATE_DEFAULTS,
    check_name,
    check_references,
    make_doc,
    read_routes,
    refresh_compliance,
)
from lifecycle.lab.oneview.state import Record
from lifecycle.lab.oneview.tasks import Task

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lifecycle.lab.oneview.emulator import OneViewEmulator

PREFIX = "/rest/server-profile-templates"
CATEGORY = "server-profile-templates"
_ID = r"(?P<id>[^/]+)"


def busy(rec: Record) -> OneViewError:
    return OneViewError(409, "RESOURCE_BUSY", f"{rec.name} is being changed by another task.",
                        f"Task {rec.task_uri} is still running.",
                        actions=["Wait for the task to finish and retry."], source=rec.uri)


def register(router: Router, emu: OneViewEmulator) -> None:
    table = emu.templates

    def render(rec: Record, api: int) -> dict[str, Any]:
        out = rec.render(api)
        out.setdefault("status", "OK")
        out.setdefault("state", None)
        return out

    read_routes(router, emu, PREFIX, table, CATEGORY, render)

    @router.route("GET", rf"{PREFIX}/{_ID}/new-profile")
    def new_profile(req: Request) -> dict[str, Any]:
        api = emu.api(req)
        with emu.lock:
            rec = emu.record(table, req.params["id"], PREFIX)
            body = profile_from_template(rec.doc)
        body["type"] = resource_type("server-profiles", api)
        return body

    @router.route("POST", PREFIX)
    def create(req: Request) -> Response:
        api = emu.api(req)
        body = emu.body(req)
        emu.check_type(body, CATEGORY, api)
        with emu.lock:
            name = check_name(emu, CATEGORY, table, body)
            check_references(emu, body, body.get("serverHardwareTypeUri"))
            tid = str(uuid.uuid4())
            rec = Record(make_doc(body, f"{PREFIX}/{tid}", TEMPLATE_DEFAULTS), CATEGORY)
            task = emu.new_task("Create", uri=rec.uri, resource_name=name, category=CATEGORY,
                                kind="oneview.template")
            emu.pending_names[CATEGORY].add(name)

        def work(task: Task) -> Iterator[float]:
            yield 0.95
            with emu.lock:
                emu.pending_names[CATEGORY].discard(name)
                task.check_fault()
                table[tid] = rec
                task.note(f"Created server profile template {name}.")

        emu.runner.start(task, work)
        return emu.accepted(task, api)

    @router.route("PUT", rf"{PREFIX}/{_ID}")
    def update(req: Request) -> Response:
        api = emu.api(req)
        body = emu.body(req)
        emu.check_type(body, CATEGORY, api)
        with emu.lock:
            rec = emu.record(table, req.params["id"], PREFIX)
            emu.check_etag(req, rec.etag, body, rec.uri)
            if rec.task_uri:
                raise busy(rec)
            name = check_name(emu, CATEGORY, table, body, exclude=rec.uri)
            check_references(emu, body, body.get("serverHardwareTypeUri"))
            new_doc = make_doc(body, rec.uri, TEMPLATE_DEFAULTS)
            task = emu.new_task("Update", uri=rec.uri, resource_name=name, category=CATEGORY,
                                kind="oneview.template")
            rec.task_uri = task.uri

        def work(task: Task) -> Iterator[float]:
            yield 0.95
            with emu.lock:
                rec.task_uri = None
                task.check_fault()
                rec.doc = new_doc
                rec.touch()
                refresh_compliance(emu, rec.uri)
                task.note(f"Updated server profile template {name}.")

        emu.runner.start(task, work)
        return emu.accepted(task, api)

    @router.route("DELETE", rf"{PREFIX}/{_ID}")
    def delete(req: Request) -> Response:
        api = emu.api(req)
        with emu.lock:
            rec = emu.record(table, req.params["id"], PREFIX)
            emu.check_etag(req, rec.etag, None, rec.uri)
            if rec.task_uri:
                raise busy(rec)
            users = [p.name for p in emu.profiles.values()
                     if p.doc.get("serverProfileTemplateUri") == rec.uri]
            if users:
                raise bad_request("TEMPLATE_IN_USE", f"The server profile template {rec.name} cannot be "
                                  "deleted while server profiles are associated with it.",
                                  f"Associated server profiles: {', '.join(sorted(users))}.", source=rec.uri)
            task = emu.new_task("Delete", uri=rec.uri, resource_name=rec.name, category=CATEGORY,
                                kind="oneview.template")
            rec.task_uri = task.uri

        def work(task: Task) -> Iterator[float]:
            yield 0.95
            with emu.lock:
                rec.task_uri = None
                task.check_fault()
                table.pop(req.params["id"], None)

        emu.runner.start(task, work)
        return emu.accepted(task, api)
