"""The Cinder service of one cloud: its state (volumes, attachments, types, services, quotas,
messages), its version documents, and what Nova asks of it in-process. Each resource's routes
are in their own module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, json_response
from lifecycle.lab.openstack.api import Ctx, Microversions, Service, new_id
from lifecycle.lab.openstack.cinder import (
    actions,
    attachments,
    backend,
    manage,
    quotas,
    volume_types,
    volumes,
)
from lifecycle.lab.openstack.releases import fmt

if TYPE_CHECKING:
    from lifecycle.lab.openstack.cloud import OpenStackCloud


class Cinder:
    def __init__(self, cloud: OpenStackCloud):
        self.cloud = cloud
        self.lock = cloud.lock
        f = cloud.facts
        self.svc = Service(
            cloud,
            "cinder",
            open_paths=(r"/?", r"/v[23]/?"),
            microversions=Microversions("volume", f.cinder_min, f.cinder_max),
        )
        self.backend = cloud.model.pure.backend_name if cloud.model.pure else "pure"
        self.protocol = cloud.model.pure.protocol if cloud.model.pure else "iSCSI"
        self.service_host = f"hostgroup@{self.backend}"
        self.pool = f"{self.service_host}#{self.backend}"
        self.volumes: dict[str, dict[str, Any]] = {}
        self.attachments: dict[str, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []
        self.quotas: dict[str, dict[str, int]] = {}
        tid = new_id()
        self.types: dict[str, dict[str, Any]] = {
            tid: {
                "id": tid,
                "name": self.backend,
                "description": None,
                "is_public": True,
                "qos_specs_id": None,
                "extra_specs": {"volume_backend_name": self.backend},
            }
        }
        self.services = [
            {
                "binary": "cinder-scheduler",
                "host": "hostgroup",
                "zone": "nova",
                "status": "enabled",
                "disabled_reason": None,
            },
            {
                "binary": "cinder-volume",
                "host": self.service_host,
                "zone": "nova",
                "status": "enabled",
                "disabled_reason": None,
            },
        ]
        self._routes()
        volumes.register(self)
        actions.register(self)
        attachments.register(self)
        manage.register(self)
        volume_types.register(self)
        backend.register(self)
        quotas.register(self)

    @property
    def array(self) -> Any:
        return self.cloud.array

    # --- attach, as Nova drives it (in-process) ---------------------------------------------------
    def check_attachable(self, vid: str) -> None:
        attachments.check_attachable(self, vid)

    def attach_for_server(
        self, vid: str, server: dict[str, Any], host: str | None, device: str | None = None
    ) -> dict[str, Any]:
        return attachments.attach_for_server(self, vid, server, host, device)

    def detach_for_server(self, vid: str, server: dict[str, Any], host: str | None) -> None:
        attachments.detach_for_server(self, vid, server, host)

    # --- versions ---------------------------------------------------------------------------------
    def _versions(self) -> list[dict[str, Any]]:
        f = self.cloud.facts
        media = [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]
        docs = [
            {
                "id": "v2.0",
                "status": "DEPRECATED" if f.name != "newton" else "SUPPORTED",
                "version": "",
                "min_version": "",
                "updated": "2017-02-25T12:00:00Z",
                "media-types": media,
                "links": [{"rel": "self", "href": f"{self.svc.url}/v2/"}],
            },
            {
                "id": "v3.0",
                "status": "CURRENT",
                "version": fmt(f.cinder_max),
                "min_version": fmt(f.cinder_min),
                "updated": "2016-02-08T12:20:21Z",
                "media-types": media,
                "links": [
                    {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
                    {"rel": "self", "href": f"{self.svc.url}/v3/"},
                ],
            },
        ]
        return docs

    def _routes(self) -> None:
        route = self.svc.route

        @route("GET", r"/?")
        def root(req: Request, ctx: Ctx) -> Response:
            return json_response({"versions": self._versions()}, 300)

        @route("GET", r"/v(?P<major>[23])/?")
        def version(req: Request, ctx: Ctx) -> dict[str, Any]:
            want = f"v{req.params['major']}.0"
            return {"versions": [v for v in self._versions() if v["id"] == want]}
