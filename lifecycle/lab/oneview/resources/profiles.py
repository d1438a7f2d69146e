"""``/rest/server-profiles``: create (assign to a server), update (eTag), update from template
(PATCH ``/templateCompliance``), compliance preview, delete (frees the server).

Rules the appliance enforces in the task (so hpOneView raises ``HPOneViewTaskError``): one profile
per server (``ProfileAlreadyExistsInServer``), and a profile that manages connections, BIOS, local
storage or firmware is not applied to, changed on, or removed from a powered-on server
(``ServerNotOffWithCause``, ``ServerNotOffWithCauseForNoServerChange``). Meanwhile the server shows
``ApplyingProfile``/``RemovingProfile`` and the profile ``Creating``/``Updating``/``Deleting``; a
failed task leaves both as they were.
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, Router
from lifecycle.lab.oneview.catalog import installed_by, model_info, version_key
from lifecycle.lab.oneview.compliance import (
    apply_template,
    compliance_preview,
    offline_changes,
    offline_sections,
)
from lifecycle.lab.oneview.errors import bad_request
from lifecycle.lab.oneview.resources.common import (
    PROFILE_DEFAULTS,
    already_assigned,
    apply_failed,
    check_name,
    check_references,
    compliance_of,
    make_doc,
    powered_on,
    read_routes,
)
from lifecycle.lab.oneview.resources.hardware import port_mac
from lifecycle.lab.oneview.resources.templates import busy
from lifecycle.lab.oneview.state import Hardware, Record
from lifecycle.lab.oneview.tasks import Task

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lifecycle.lab.oneview.emulator import OneViewEmulator

PREFIX = "/rest/server-profiles"
CATEGORY = "server-profiles"
_ID = r"(?P<id>[^/]+)"


def resolve_connections(doc: dict[str, Any], hw: Hardware | None) -> None:
    """Deployed connections carry the MAC of the port they landed on (macType Physical)."""
    conns = (doc.get("connectionSettings") or {}).get("connections") or []
    taken = {c.get("portId") for c in conns}
    free = [n.port_id for n in (hw.spec.nics if hw else []) if n.port_id not in taken]
    for c in conns:
        if (c.get("portId") or "Auto") == "Auto" and free and hw:
            c["portId"] = free.pop(0)
        requested = c.setdefault("requestedMbps", "2500")
        c.setdefault("boot", {"priority": "NotBootable"})
        c.setdefault("name", None)
        c.update({"mac": port_mac(hw, c["portId"]) if hw else None, "macType": "Physical",
                  "wwnn": None, "wwpn": None, "wwpnType": "Physical", "interconnectUri": None,
                  "allocatedMbps": int(requested) if str(requested).isdigit() else 2500,
                  "maximumMbps": 25000, "state": "Deployed" if hw else "Reserved", "status": "OK"})


def flash(hw: Hardware, doc: dict[str, Any], baselines: dict[str, Record]) -> None:
    """A profile managing firmware installs its baseline: older System ROM and iLO are upgraded,
    newer ones kept unless ``forceInstallFirmware`` (as OneView's firmware install does)."""
    fw = doc.get("firmware") or {}
    uri = fw.get("firmwareBaselineUri")
    if not fw.get("manageFirmware") or not uri:
        return
    rec = baselines.get(uri.rstrip("/").rsplit("/", 1)[-1])
    target = installed_by(rec.name) if rec else None
    if target is None:
        return
    rom_now, ilo_now = hw.rom or model_info(hw.spec.model).rom, hw.mp_firmware
    force = bool(fw.get("forceInstallFirmware"))
    if force or version_key(rom_now) < version_key(target[0]):
        hw.rom = target[0]
    if force or version_key(ilo_now) < version_key(target[1]):
        hw.mp_firmware = target[1]


def register(router: Router, emu: OneViewEmulator) -> None:
    table = emu.profiles

    def render(rec: Record, api: int) -> dict[str, Any]:
        out = rec.render(api)
        hw = emu.hardware_at(rec.doc.get("serverHardwareUri"))
        out["serialNumber"] = hw.spec.serial if hw else None
        out["uuid"] = hw.id if hw else None
        return out

    def target(body: dict[str, Any]) -> tuple[Hardware | None, str]:
        """The server (if any) and server hardware type the profile is for."""
        sh_uri = body.get("serverHardwareUri")
        hw = emu.hardware_at(sh_uri)
        if sh_uri and hw is None:
            raise bad_request("INVALID_SERVER_HARDWARE_URI", f"The server hardware {sh_uri!r} could not be "
                              "found.", source=sh_uri)
        sht_uri = body.get("serverHardwareTypeUri") or (hw.sht_uri if hw else None)
        if hw and sht_uri != hw.sht_uri:
            raise bad_request("SERVER_HARDWARE_TYPE_MISMATCH", f"The server hardware {hw.spec.oneview_name} "
                              f"is not of the server hardware type {sht_uri}.", source=sh_uri)
        tpl = body.get("serverProfileTemplateUri")
        if tpl and emu.by_uri(emu.templates, tpl) is None:
            raise bad_request("INVALID_SERVER_PROFILE_TEMPLATE_URI", f"The server profile template {tpl!r} "
                              "could not be found.", source=tpl)
        return hw, str(sht_uri or "")

    def finish(rec: Record, doc: dict[str, Any], hw: Hardware | None) -> None:
        """Commit ``doc`` as the profile's applied configuration (lock held)."""
        resolve_connections(doc, hw)
        if hw is not None:
            flash(hw, doc, emu.baselines)
        doc.update(state="Normal", status="OK", inProgress=False, taskUri=None)
        doc["templateCompliance"] = compliance_of(emu, doc)
        rec.doc = doc
        rec.task_uri = None
        rec.touch()

    read_routes(router, emu, PREFIX, table, CATEGORY, render)

    @router.route("GET", rf"{PREFIX}/{_ID}/compliance-preview")
    def preview(req: Request) -> dict[str, Any]:
        with emu.lock:
            rec = emu.record(table, req.params["id"], PREFIX)
            template = emu.by_uri(emu.templates, rec.doc.get("serverProfileTemplateUri"))
            if template is None:
                raise bad_request("PROFILE_NOT_ASSOCIATED_WITH_TEMPLATE", f"The server profile {rec.name} "
                                  "is not associated with a server profile template.", source=rec.uri)
            return compliance_preview(template.doc, rec.doc)

    @router.route("POST", PREFIX)
    def create(req: Request) -> Response:
        api = emu.api(req)
        body = emu.body(req)
        emu.check_type(body, CATEGORY, api)
        with emu.lock:
            name = check_name(emu, CATEGORY, table, body)
            hw, sht_uri = target(body)
            check_references(emu, body, sht_uri)
            pid = str(uuid.uuid4())
            doc = make_doc(body, f"{PREFIX}/{pid}", PROFILE_DEFAULTS, drop=("serialNumber", "uuid"))
            doc["serverHardwareTypeUri"] = sht_uri
            task = emu.new_task("Create", uri=doc["uri"], resource_name=name, category=CATEGORY,
                                kind="oneview.profile_apply" if hw else "oneview.default")
            rec = Record(dict(doc, state="Creating", status="Unknown", inProgress=True, taskUri=task.uri,
                              templateCompliance=compliance_of(emu, doc)), CATEGORY, task_uri=task.uri)
            table[pid] = rec  # visible (state Creating) while the task runs, as on the appliance

        def work(task: Task) -> Iterator[float]:
            try:
                yield 0.1
                if hw is not None:
                    with emu.lock:
                        if hw.profile_uri not in (None, rec.uri):
                            raise already_assigned(hw, name)
                        hw.profile_uri, hw.state = rec.uri, "ApplyingProfile"
                        hw.touch()
                        task.note(f"Applying the server profile to {hw.spec.oneview_name}.")
                    offline = offline_sections(doc)
                    if offline and emu.read_power(hw) == "On":
                        raise powered_on(hw, offline, name, edit=False)
                yield 0.85
                with emu.lock:
                    task.check_fault()
                    if hw is not None and emu.failing(hw):
                        raise apply_failed(hw, name)
                    finish(rec, doc, hw)
                    if hw is not None:
                        hw.state = "ProfileApplied"
                        hw.touch()
                    task.note(f"Created server profile {name}.")
            except Exception:
                with emu.lock:
                    table.pop(pid, None)
                    if hw is not None and hw.profile_uri == rec.uri:
                        hw.profile_uri, hw.state = None, "NoProfileApplied"
                        hw.touch()
                raise

        emu.runner.start(task, work)
        return emu.accepted(task, api)

    def change(rec: Record, new_doc: dict[str, Any], hw_new: Hardware | None, api: int) -> Response:
        """Run an update of ``rec`` to ``new_doc`` (lock held by the caller)."""
        old_doc = copy.deepcopy(rec.doc)
        hw_old = emu.hardware_at(old_doc.get("serverHardwareUri"))
        name = str(new_doc.get("name") or rec.name)
        task = emu.new_task("Update", uri=rec.uri, resource_name=name, category=CATEGORY,
                            kind="oneview.profile_apply" if (hw_old or hw_new) else "oneview.default")
        rec.task_uri = task.uri
        rec.doc.update(state="Updating", inProgress=True, taskUri=task.uri)
        saved = {hw.id: (hw.state, hw.profile_uri) for hw in (hw_old, hw_new) if hw is not None}

        def work(task: Task) -> Iterator[float]:
            try:
                yield 0.1
                if hw_new is not hw_old:  # (re)assignment: both servers are touched
                    if hw_new is not None:
                        with emu.lock:
                            if hw_new.profile_uri not in (None, rec.uri):
                                raise already_assigned(hw_new, name)
                        offline = offline_sections(new_doc)
                        if offline and emu.read_power(hw_new) == "On":
                            raise powered_on(hw_new, offline, name, edit=False)
                    if hw_old is not None:
                        offline = offline_sections(old_doc)
                        if offline and emu.read_power(hw_old) == "On":
                            raise powered_on(hw_old, offline, name, edit=True)
                elif hw_new is not None:
                    changed = offline_changes(old_doc, new_doc)
                    if changed and emu.read_power(hw_new) == "On":
                        raise powered_on(hw_new, changed, name, edit=True)
                with emu.lock:
                    if hw_old is not None and hw_old is not hw_new:
                        hw_old.state = "RemovingProfile"
                    if hw_new is not None:
                        hw_new.profile_uri, hw_new.state = rec.uri, "ApplyingProfile"
                    for hw in (hw_old, hw_new):
                        if hw is not None:
                            hw.touch()
                    task.note(f"Updating server profile {name}.")
                yield 0.85
                with emu.lock:
                    task.check_fault()
                    if hw_new is not None and emu.failing(hw_new):
                        raise apply_failed(hw_new, name)
                    if hw_old is not None and hw_old is not hw_new:
                        hw_old.profile_uri, hw_old.state = None, "NoProfileApplied"
                        hw_old.touch()
                    if hw_new is not None:
                        hw_new.state = "ProfileApplied"
                        hw_new.touch()
                    finish(rec, new_doc, hw_new)
                    task.note(f"Updated server profile {name}.")
            except Exception:
                with emu.lock:
                    for hw in (hw_old, hw_new):
                        if hw is not None:
                            hw.state, hw.profile_uri = saved[hw.id]
                            hw.touch()
                    rec.doc, rec.task_uri = old_doc, None
                raise

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
            check_name(emu, CATEGORY, table, body, exclude=rec.uri)
            hw_new, sht_uri = target(body)
            check_references(emu, body, sht_uri)
            new_doc = make_doc(body, rec.uri, PROFILE_DEFAULTS, drop=("serialNumber", "uuid"))
            new_doc["serverHardwareTypeUri"] = sht_uri
            return change(rec, new_doc, hw_new, api)

    @router.route("PATCH", rf"{PREFIX}/{_ID}")
    def patch(req: Request) -> Response:
        api = emu.api(req)
        ops = req.json()
        supported = [{"op": "replace", "path": "/templateCompliance", "value": "Compliant"}]
        if not isinstance(ops, list) or not ops or any(
                not isinstance(op, dict) or {k: op.get(k) for k in ("op", "path", "value")} not in supported
                for op in ops):
            raise bad_request("INVALID_PATCH_OPERATION", "The patch request is not supported.",
                              'Supported: [{"op": "replace", "path": "/templateCompliance", '
                              '"value": "Compliant"}] (update from template).')
        with emu.lock:
            rec = emu.record(table, req.params["id"], PREFIX)
            if req.header("If-Match"):
                emu.check_etag(req, rec.etag, None, rec.uri)
            if rec.task_uri:
                raise busy(rec)
            template = emu.by_uri(emu.templates, rec.doc.get("serverProfileTemplateUri"))
            if template is None:
                raise bad_request("PROFILE_NOT_ASSOCIATED_WITH_TEMPLATE", f"The server profile {rec.name} "
                                  "is not associated with a server profile template.", source=rec.uri)
            new_doc = apply_template(template.doc, rec.doc)
            return change(rec, new_doc, emu.hardware_at(rec.doc.get("serverHardwareUri")), api)

    @router.route("DELETE", rf"{PREFIX}/{_ID}")
    def delete(req: Request) -> Response:
        api = emu.api(req)
        force = (req.arg("force") or "").lower() == "true"
        with emu.lock:
            rec = emu.record(table, req.params["id"], PREFIX)
            emu.check_etag(req, rec.etag, None, rec.uri)
            if rec.task_uri:
                raise busy(rec)
            hw = emu.hardware_at(rec.doc.get("serverHardwareUri"))
            task = emu.new_task("Delete", uri=rec.uri, resource_name=rec.name, category=CATEGORY,
                                kind="oneview.profile_apply" if hw else "oneview.default")
            old_doc = copy.deepcopy(rec.doc)
            rec.task_uri = task.uri
            rec.doc.update(state="Deleting", inProgress=True, taskUri=task.uri)
            saved = (hw.state, hw.profile_uri) if hw else None

        def work(task: Task) -> Iterator[float]:
            try:
                yield 0.1
                if hw is not None:
                    offline = offline_sections(old_doc)
                    if offline and not force and emu.read_power(hw) == "On":
                        raise powered_on(hw, offline, rec.name, edit=True)
                    with emu.lock:
                        hw.state = "RemovingProfile"
                        hw.touch()
                        task.note(f"Removing the server profile from {hw.spec.oneview_name}.")
                yield 0.85
                with emu.lock:
                    task.check_fault()
                    table.pop(req.params["id"], None)
                    if hw is not None and hw.profile_uri == rec.uri:
                        hw.profile_uri, hw.state = None, "NoProfileApplied"
                        hw.touch()
            except Exception:
                with emu.lock:
                    if hw is not None and saved is not None:
                        hw.state, hw.profile_uri = saved
                        hw.touch()
                    rec.doc, rec.task_uri = old_doc, None
                raise

        emu.runner.start(task, work)
        return emu.accepted(task, api)
