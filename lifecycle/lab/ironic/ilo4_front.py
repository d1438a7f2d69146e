"""An iLO 4 (Gen9, firmware 2.x) in front of sushy-tools: the older Redfish some servers still speak.

sushy-tools answers as a current Redfish service (``RedfishVersion`` 1.5.0, ``Boot`` with
``BootSourceOverrideMode`` and ``...@Redfish.AllowableValues``, ``#VirtualMedia.InsertMedia``
under the system). A ProLiant Gen9's iLO 4 (Redfish conformant from firmware 2.30; HPE's
"Adapting from iLO 4" guide, HewlettPackard/ilo-rest-api-docs) differs where clients notice:

- service root: ``RedfishVersion`` 1.0.0 next to the pre-Redfish ``ServiceVersion``, old-style
  ``@odata.type`` (``#ServiceRoot.1.0.0.ServiceRoot``), ``Oem.Hp`` (not ``Oem.Hpe``) with
  ``Manager[0].ManagerType`` ``iLO 4`` and ``ManagerFirmwareVersion``;
- system: no ``BootSourceOverrideMode`` (Ironic's redfish driver: "HPE Gen9 do not support
  getting or setting the boot mode"), boot targets as ``BootSourceOverrideSupported`` instead of
  ``@Redfish.AllowableValues``, the BIOS link under ``Oem.Hp``, no ``VirtualMedia`` link;
- virtual media only under the manager, inserted by PATCHing ``Image`` or by the OEM action
  ``#HpiLOVirtualMedia.InsertVirtualMedia``; no standard ``#VirtualMedia.InsertMedia``; a PATCH
  naming ``Inserted`` or ``WriteProtected`` is refused ``Base.0.10.PropertyUnknown``
  (ansible-collections/community.general#4595), as is ``BootSourceOverrideMode``.

Everything else (power, boot device, media state) is sushy-tools' own, reached through this
front: one BMC state, whichever client asks. Each front serves the systems it was given.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lifecycle.lab.base.tls import TlsFiles

# What iLO 4 2.x lists as BootSourceOverrideSupported on a Gen9 (no SDCard/UefiHttp: Gen10 only)
BOOT_TARGETS = ["None", "Cd", "Hdd", "Usb", "Utilities", "Diags", "BiosSetup", "Pxe", "UefiShell",
                "UefiTarget"]
_VMEDIA = re.compile(r"^/redfish/v1/Managers/(?P<id>[^/]+)/VirtualMedia(?P<rest>/.*)?$")


def ilo4_error(message_id: str, *args: str) -> dict[str, Any]:
    """iLO 4's error body (without the OData-Version header: pre-Redfish ``Messages`` too)."""
    info = [{"MessageID": f"Base.0.10.{message_id}", "MessageArgs": list(args)}]
    return {"Messages": info, "Type": "ExtendedError.1.0.0",
            "error": {"@Message.ExtendedInfo": info, "code": "iLO.0.10.ExtendedInfo",
                      "message": "See @Message.ExtendedInfo for more information."}}


class Ilo4Front:
    """An HTTPS iLO 4 on ``host``:``port`` for ``uuids``, backed by sushy-tools at ``upstream``."""

    def __init__(self, upstream: str, uuids: list[str], *, firmware: str = "2.40",
                 tls: TlsFiles | None = None, host: str = "127.0.0.1", port: int = 0):
        self.upstream = upstream.rstrip("/")
        self.uuids = list(uuids)
        self.firmware = firmware
        self.tls = tls
        self.host, self.port = host, port
        self._server: ThreadingHTTPServer | None = None
        ctx = ssl.create_default_context(cafile=str(tls.ca)) if tls else None
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                   urllib.request.HTTPSHandler(context=ctx))

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    # -- the wire ---------------------------------------------------------------------------

    def upstream_call(self, method: str, path: str, body: bytes | None,
                      auth: str | None) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = auth
        req = urllib.request.Request(self.upstream + path, method=method, data=body, headers=headers)
        try:
            with self._opener.open(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def handle(self, method: str, path: str, body: bytes | None,
               auth: str | None) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        """(status, JSON body, extra headers) for one request, as this iLO 4 answers it."""
        path = path.split("?", 1)[0].rstrip("/") or "/"
        if path.startswith("/redfish/v1/Systems/") and "/VirtualMedia" in path:
            return 404, ilo4_error("ResourceMissingAtURI", path), {}
        vm = _VMEDIA.match(path)
        if vm:
            if vm.group("id") not in self.uuids:
                return 404, ilo4_error("ResourceMissingAtURI", path), {}
            return self._vmedia(method, vm.group("id"), vm.group("rest") or "", body, auth)
        if method == "PATCH" and path.startswith("/redfish/v1/Systems/"):
            boot = (json.loads(body or b"{}").get("Boot") or {})
            if "BootSourceOverrideMode" in boot:
                return 400, ilo4_error("PropertyUnknown", "BootSourceOverrideMode"), {}
        status, _, raw = self.upstream_call(method, path, body, auth)
        doc = json.loads(raw) if raw.strip() else None
        if method == "GET" and status == 200 and isinstance(doc, dict):
            doc = self.rewrite(path, doc)
        return status, doc, {}

    def _vmedia(self, method: str, uuid: str, rest: str, body: bytes | None,
                auth: str | None) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        mine, theirs = f"/redfish/v1/Managers/{uuid}/VirtualMedia", f"/redfish/v1/Systems/{uuid}/VirtualMedia"
        allow = {"Allow": "GET, HEAD, PATCH"} if rest else {"Allow": "GET, HEAD"}
        oem = re.match(r"^/(?P<dev>[^/]+)/Actions/Oem/Hp/HpiLOVirtualMedia\.(?P<verb>\w+)$", rest)
        if method == "GET":
            status, _, raw = self.upstream_call("GET", theirs + rest, None, auth)
            doc = json.loads(raw.decode().replace(theirs, mine)) if raw.strip() else None
            if status == 200 and isinstance(doc, dict) and rest:
                doc.pop("Actions", None)
                doc.pop("TransferMethod", None)
                doc.pop("TransferProtocolType", None)
                base = f"{mine}{rest}/Actions/Oem/Hp/HpiLOVirtualMedia"
                doc["@odata.type"] = "#VirtualMedia.1.0.0.VirtualMedia"
                doc["Oem"] = {"Hp": {"@odata.type": "#HpiLOVirtualMedia.1.0.0.HpiLOVirtualMedia",
                                     "BootOnNextServerReset": False,
                                     "Actions": {
                                         "#HpiLOVirtualMedia.InsertVirtualMedia": {
                                             "target": f"{base}.InsertVirtualMedia"},
                                         "#HpiLOVirtualMedia.EjectVirtualMedia": {
                                             "target": f"{base}.EjectVirtualMedia"}}}}
            return status, doc, allow if status == 200 else {}
        if method == "PATCH" and rest and "/" not in rest[1:]:
            data = json.loads(body or b"{}")
            for prop in ("Inserted", "WriteProtected", "TransferMethod", "TransferProtocolType"):
                if prop in data:  # VirtualMedia 1.0.0: read-only or unknown on iLO 4
                    return 400, ilo4_error("PropertyUnknown", prop), {}
            if "Image" not in data:
                return 400, ilo4_error("PropertyMissing", "Image"), {}
            return self._media(uuid, rest, data["Image"], auth)
        if method == "POST" and oem:
            data = json.loads(body or b"{}")
            image = data.get("Image") if oem.group("verb") == "InsertVirtualMedia" else None
            if oem.group("verb") == "InsertVirtualMedia" and not image:
                return 400, ilo4_error("ActionParameterMissing", "Image"), {}
            for prop in data:
                if prop != "Image":
                    return 400, ilo4_error("ActionParameterUnknown", prop), {}
            return self._media(uuid, "/" + oem.group("dev"), image, auth)
        return 405, ilo4_error("OperationNotAllowed"), {}

    def _media(self, uuid: str, rest: str, image: str | None,
               auth: str | None) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        """Insert (``image``) or eject (None) through sushy-tools' standard actions."""
        path = f"/redfish/v1/Systems/{uuid}/VirtualMedia{rest}/Actions/VirtualMedia."
        if image:
            status, _, raw = self.upstream_call("POST", path + "InsertMedia",
                                                json.dumps({"Image": image}).encode(), auth)
        else:
            status, _, raw = self.upstream_call("POST", path + "EjectMedia", b"{}", auth)
        if status >= 400:
            return status, json.loads(raw) if raw.strip() else None, {}
        return 200, {"Messages": [{"MessageID": "Base.0.10.Success"}]}, {}

    # -- what an iLO 4 shows ---------------------------------------------------------------

    def rewrite(self, path: str, doc: dict[str, Any]) -> dict[str, Any]:
        if path in ("/redfish/v1", "/redfish"):
            if path == "/redfish":
                return doc
            doc.update({"@odata.type": "#ServiceRoot.1.0.0.ServiceRoot", "RedfishVersion": "1.0.0",
                        "ServiceVersion": "1.0.0", "Name": "HP RESTful Root Service"})
            doc["Oem"] = {"Hp": {"@odata.type": "#HpiLOServiceExt.1.0.0.HpiLOServiceExt",
                                 "Manager": [{"ManagerType": "iLO 4",
                                              "ManagerFirmwareVersion": self.firmware,
                                              "Languages": [{"Language": "en"}]}]}}
            return doc
        if path in ("/redfish/v1/Systems", "/redfish/v1/Managers"):
            kind = path.rsplit("/", 1)[1]
            members = [m for m in doc.get("Members") or []
                       if m.get("@odata.id", "").rstrip("/").rsplit("/", 1)[-1] in self.uuids]
            doc.update({"Members": members, "Members@odata.count": len(members)})
            doc["@odata.type"] = f"#{'ComputerSystem' if kind == 'Systems' else 'Manager'}Collection." \
                                 f"{'ComputerSystem' if kind == 'Systems' else 'Manager'}Collection"
            return doc
        parts = path.split("/")
        if len(parts) == 5 and parts[3] == "Systems":
            boot = doc.get("Boot") or {}
            boot.pop("BootSourceOverrideMode", None)
            boot.pop("BootSourceOverrideTarget@Redfish.AllowableValues", None)
            boot.pop("HttpBootUri", None)
            boot["BootSourceOverrideSupported"] = list(BOOT_TARGETS)
            boot.setdefault("UefiTargetBootSourceOverride", "None")
            doc["Boot"] = boot
            doc.pop("VirtualMedia", None)
            bios = doc.pop("Bios", None)
            doc["@odata.type"] = "#ComputerSystem.1.0.1.ComputerSystem"
            doc["Oem"] = {"Hp": {"@odata.type": "#HpComputerSystemExt.1.1.2.HpComputerSystemExt",
                                 **({"Links": {"BIOS": bios}} if bios else {})}}
            return doc
        if len(parts) == 5 and parts[3] == "Managers":
            doc.update({"@odata.type": "#Manager.1.0.0.Manager", "Model": "iLO 4",
                        "FirmwareVersion": f"iLO 4 v{self.firmware}",
                        "VirtualMedia": {"@odata.id": f"{path}/VirtualMedia"}})
            doc["Oem"] = {"Hp": {"@odata.type": "#HpiLO.1.0.0.HpiLO",
                                 "Firmware": {"Current": {"MajorVersion": int(self.firmware.split(".")[0]),
                                                          "MinorVersion": int(self.firmware.split(".")[1]),
                                                          "VersionString": f"iLO 4 v{self.firmware}"}}}}
            return doc
        return doc

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Ilo4Front:
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # iLO 4 answers with Content-Length, never chunked

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                try:
                    status, doc, extra = front.handle(self.command, self.path, body,
                                                      self.headers.get("Authorization"))
                except (OSError, ValueError) as exc:
                    status, doc, extra = 500, ilo4_error("InternalError", str(exc)), {}
                raw = json.dumps(doc).encode() if doc is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="iLO"')
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(raw)

            do_GET = do_POST = do_PATCH = do_DELETE = do_HEAD = _any

            def log_message(self, *args: object) -> None:  # the lab logs elsewhere
                return

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(self.tls.cert), str(self.tls.key))
            self._server.socket = ctx.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name=f"ilo4-front-{self.port}",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
