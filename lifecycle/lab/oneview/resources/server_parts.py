"""A server hardware's sub-resources (utilization, BIOS, console and SSO URLs, firmware, local
storage, environmental configuration, refresh, UID, iLO firmware).

What they report follows from the world and from what was applied: the BIOS shows the settings of
the profile applied (else the type's defaults), local storage the server's disks and the profile's
logical drives, utilization idles when the server is off. Sample values are deterministic per
server and time. ROM and iLO strings and the storage controller model are plausible Gen9 values.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, Router
from lifecycle.lab.oneview.catalog import BIOS_SETTINGS, model_info
from lifecycle.lab.oneview.errors import OneViewError, bad_request, not_found
from lifecycle.lab.oneview.state import Hardware
from lifecycle.lab.oneview.tasks import Task

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lifecycle.lab.oneview.emulator import OneViewEmulator

PREFIX = "/rest/server-hardware"
_ID = r"(?P<id>[^/]+)"
METRICS = ("AmbientTemperature", "CpuAverageFreq", "CpuUtilization", "AveragePower", "PeakPower", "PowerCap")
VIEWS = {"native": 300, "hour": 3600, "day": 86400}
_MAX_SAMPLES = 288  # one segment; the client asks again with endDate=sliceStartTime for more


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse_time(raw: str) -> datetime:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise bad_request("INVALID_FILTER", f"The date {raw!r} is not in ISO 8601 format.") from None


def _noise(hw: Hardware, metric: str, at: int) -> float:
    digest = hashlib.sha256(f"{hw.id}:{metric}:{at}".encode()).digest()
    return digest[0] / 255.0


def _sample(hw: Hardware, metric: str, at: int, on: bool) -> int:
    n = _noise(hw, metric, at)
    if metric == "AmbientTemperature":
        return 21 + round(3 * n)
    if metric == "CpuAverageFreq":
        return round(1200 + 1200 * n) if on else 0
    if metric == "CpuUtilization":
        return round(5 + 40 * n) if on else 0
    if metric in ("AveragePower", "PeakPower"):
        watts = round(180 + 120 * n) if on else 12
        return watts + (40 if metric == "PeakPower" and on else 0)
    return hw.power_cap or 0  # PowerCap: none unless set


def utilization(hw: Hardware, req: Request, refresh_task: str | None) -> dict[str, Any]:
    fields = [f for f in (req.arg("fields") or "").split(",") if f] or list(METRICS)
    bad = [f for f in fields if f not in METRICS]
    if bad:
        raise bad_request(
            "INVALID_METRIC_NAME",
            f"The metric {bad[0]!r} is not supported by this resource.",
            f"Supported metrics: {', '.join(METRICS)}.",
        )
    view = req.arg("view") or "native"
    if view not in VIEWS:
        raise bad_request("INVALID_VIEW", f"The view {view!r} is not supported.", "native, hour or day.")
    step = VIEWS[view]
    bounds: dict[str, str] = {}
    for f in req.query.get("filter", []):
        for part in f.strip("\"'").split(","):
            key, _, value = part.partition("=")
            bounds[key.strip()] = value.strip()
    now = datetime.now(UTC)
    end = _parse_time(bounds["endDate"]) if "endDate" in bounds else now
    start = _parse_time(bounds["startDate"]) if "startDate" in bounds else end - timedelta(hours=24)
    last = int(min(end, now).timestamp()) // step * step
    first = max(int(start.timestamp()), last - step * (_MAX_SAMPLES - 1))
    times = list(range(last, first - 1, -step))  # newest first, as the appliance lists them
    on = hw.power == "On"
    return {
        "isFresh": True,
        "resolution": step * 1000,
        "sliceStartTime": _iso(datetime.fromtimestamp(times[-1] if times else last, UTC)),
        "sliceEndTime": _iso(datetime.fromtimestamp(last, UTC)),
        "oldestSampleTime": _iso(datetime.fromtimestamp(last - 365 * 86400, UTC)),
        "newestSampleTime": _iso(datetime.fromtimestamp(last, UTC)),
        "refreshTaskUri": refresh_task,
        "uri": f"{hw.uri}/utilization",
        "metricList": [
            {
                "metricName": m,
                "metricCapacity": 500 if m in ("AveragePower", "PeakPower") else None,
                "metricSamples": [[t * 1000, _sample(hw, m, t, on)] for t in times],
            }
            for m in fields
        ],
    }


def bios(emu: OneViewEmulator, hw: Hardware) -> dict[str, Any]:
    current = {sid: default for sid, (_, _, _, default) in BIOS_SETTINGS.items()}
    profile = emu.by_uri(emu.profiles, hw.profile_uri)
    section = (profile.doc.get("bios") or {}) if profile else {}
    if section.get("manageBios"):
        current.update({s["id"]: s["value"] for s in section.get("overriddenSettings") or []})
    return {
        "uri": f"{hw.uri}/bios",
        "category": "server-hardware",
        "type": "ServerHardwareBios",
        "serverHardwareUri": hw.uri,
        "romVersion": hw.rom or model_info(hw.spec.model).rom,
        "biosSettings": [
            {"id": k, "name": BIOS_SETTINGS[k][0] if k in BIOS_SETTINGS else k, "value": v}
            for k, v in current.items()
        ],
    }


def firmware(hw: Hardware) -> dict[str, Any]:
    info = model_info(hw.spec.model)
    parts = [
        ("System ROM", hw.rom or info.rom, "System Board"),
        ("iLO", hw.mp_firmware, "System Board"),
        ("Intelligent Provisioning", "2.70.0", "System Board"),
        ("Smart Array P440ar Controller", "7.00", "Embedded RAID"),
        ("Power Management Controller Firmware", "1.0.9", "System Board"),
    ]
    return {
        "uri": f"{hw.uri}/firmware",
        "category": "server-hardware",
        "type": "server-hardware-firmware-1",
        "serverHardwareUri": hw.uri,
        "serverHardwareName": hw.spec.oneview_name,
        "serverModel": info.full,
        "state": "Supported",
        "eTag": hw.etag,
        "created": hw.created,
        "modified": hw.modified,
        "components": [
            {
                "componentName": n,
                "componentVersion": v,
                "componentLocation": loc,
                "componentKey": n.replace(" ", "").upper(),
            }
            for n, v, loc in parts
        ],
    }


def local_storage(emu: OneViewEmulator, hw: Hardware) -> dict[str, Any]:
    ssd = [
        {
            "location": f"Port 1I Box 1 Bay {i + 1}",
            "capacityInGB": gb,
            "interfaceType": "SATA",
            "mediaType": "SSD",
            "model": "MK000480GWCEV",
            "status": "OK",
            "serialNumber": f"{hw.spec.serial}D{i}",
        }
        for i, gb in enumerate(hw.spec.disks_gb * 2 if len(hw.spec.disks_gb) == 1 else hw.spec.disks_gb)
    ]
    profile = emu.by_uri(emu.profiles, hw.profile_uri)
    controllers = ((profile.doc.get("localStorage") or {}).get("controllers") or []) if profile else []
    drives = [
        {
            "name": d.get("name"),
            "raidLevel": d.get("raidLevel"),
            "bootable": d.get("bootable", False),
            "status": "OK",
            "numPhysicalDrives": d.get("numPhysicalDrives"),
        }
        for c in controllers
        for d in c.get("logicalDrives") or []
    ]
    mode = next((c.get("mode") for c in controllers if c.get("deviceSlot") == "Embedded"), "RAID")
    return {
        "collectionState": "Collected",
        "lastRefreshTime": hw.modified,
        "uri": f"{hw.uri}/localStorageV2",
        "data": [
            {
                "adapterType": "SmartArray",
                "model": "Smart Array P440ar Controller",
                "location": "Embedded",
                "mode": mode,
                "status": "OK",
                "firmwareVersion": "7.00",
                "physicalDrives": ssd,
                "logicalDrives": drives,
            }
        ],
    }


def _console(hw: Hardware, kind: str, ip: str | None) -> dict[str, str]:
    addr, key = ip or hw.spec.ilo, secrets.token_hex(16)
    urls = {
        "remoteConsoleUrl": f"hplocons://addr={addr}&sessionkey={key}",
        "iloSsoUrl": f"https://{addr}/index.html?sessionkey={key}",
        "javaRemoteConsoleUrl": f"https://{addr}/html/java_irc.html?sessionKey={key}",
    }
    return {kind: urls[kind]}


def register(router: Router, emu: OneViewEmulator) -> None:
    def find(hid: str) -> Hardware:
        with emu.lock:
            hw = emu.hardware.get(hid)
        if hw is None:
            raise not_found(f"{PREFIX}/{hid}")
        return hw

    def quick_task(name: str, hw: Hardware, api: int, done: Any) -> Response:
        """A short task on the server, ``done(task)`` run at its end under the lock."""
        with emu.lock:
            task = emu.new_task(
                name,
                uri=hw.uri,
                resource_name=hw.spec.oneview_name,
                category="server-hardware",
                kind="oneview.default",
            )

        def work(task: Task) -> Iterator[float]:
            yield 0.9
            with emu.lock:
                task.check_fault()
                done(task)
                hw.touch()

        emu.runner.start(task, work)
        return emu.accepted(task, api)

    @router.route("GET", rf"{PREFIX}/{_ID}/utilization")
    def get_utilization(req: Request) -> dict[str, Any]:
        hw = find(req.params["id"])
        task = None
        if (req.arg("refresh") or "").lower() == "true":
            with emu.lock:
                t = emu.new_task(
                    "Refresh utilization",
                    uri=hw.uri,
                    resource_name=hw.spec.oneview_name,
                    category="server-hardware",
                    kind="oneview.default",
                )
            emu.runner.start(t, lambda task: iter([1.0]))
            task = t.uri
        with emu.lock:
            return utilization(hw, req, task)

    @router.route("GET", rf"{PREFIX}/{_ID}/bios")
    def get_bios(req: Request) -> dict[str, Any]:
        hw = find(req.params["id"])
        with emu.lock:
            return bios(emu, hw)

    for kind in ("remoteConsoleUrl", "iloSsoUrl", "javaRemoteConsoleUrl"):
        router.add(
            "GET",
            rf"{PREFIX}/{_ID}/{kind}",
            lambda req, kind=kind: _console(find(req.params["id"]), kind, req.arg("ip")),
        )

    @router.route("GET", rf"{PREFIX}/{_ID}/firmware")
    def get_firmware(req: Request) -> dict[str, Any]:
        if req.params["id"] == "*":  # get_all_firmwares: every server's inventory, as a collection
            with emu.lock:
                members = [firmware(hw) for hw in emu.hardware.values()]
            return emu.collection(
                req, "server-hardware", members, list_type="server-hardware-firmware-list-1"
            )
        hw = find(req.params["id"])
        with emu.lock:
            return firmware(hw)

    for path in ("localStorage", "localStorageV2"):
        router.add("GET", rf"{PREFIX}/{_ID}/{path}", lambda req: local_storage(emu, find(req.params["id"])))

    @router.route("GET", rf"{PREFIX}/{_ID}/physicalServerHardware")
    def physical(req: Request) -> dict[str, Any]:
        hw = find(req.params["id"])
        raise bad_request(
            "PHYSICAL_SERVER_HARDWARE_NOT_SUPPORTED",
            f"{hw.spec.oneview_name} is a rack server: "
            "physical server hardware is only available for Synergy compute modules.",
            source=hw.uri,
        )

    @router.route("GET", rf"{PREFIX}/{_ID}/environmentalConfiguration")
    def get_env(req: Request) -> dict[str, Any]:
        hw = find(req.params["id"])
        return env_config(hw)

    def env_config(hw: Hardware) -> dict[str, Any]:
        return {
            "uri": f"{hw.uri}/environmentalConfiguration",
            "calibratedMaxPower": hw.power_cap or 500,
            "capHistorySupported": True,
            "historyBufferSize": 864,
            "historySampleIntervalSeconds": 300,
            "idleMaxPower": 180,
            "licenseRequired": True,
            "powerCapType": "PowerCapping",
            "psuList": [{"psuId": 1, "inputVoltage": 230}, {"psuId": 2, "inputVoltage": 230}],
            "rackName": hw.spec.rack,
            "height": int(model_info(hw.spec.model).form_factor[0]),
        }

    @router.route("PUT", rf"{PREFIX}/{_ID}/environmentalConfiguration")
    def put_env(req: Request) -> dict[str, Any]:
        hw = find(req.params["id"])
        cap = emu.body(req).get("calibratedMaxPower")
        if isinstance(cap, bool) or not isinstance(cap, int) or not 180 <= cap <= 1500:
            raise bad_request(
                "INVALID_CALIBRATED_MAX_POWER",
                f"The calibrated maximum power {cap!r} is not valid.",
                "Give watts between the server's idle and rated power (180..1500).",
            )
        with emu.lock:
            hw.power_cap = cap
            hw.touch()
            return env_config(hw)

    @router.route("PUT", rf"{PREFIX}/{_ID}/refreshState")
    def refresh(req: Request) -> Response:
        api, hw = emu.api(req), find(req.params["id"])
        wanted = emu.body(req).get("refreshState")
        if wanted != "RefreshPending":
            raise bad_request(
                "INVALID_REFRESH_STATE",
                f"The refresh state {wanted!r} is not valid.",
                'Send {"refreshState": "RefreshPending"}.',
            )
        with emu.lock:
            if hw.refresh != "NotRefreshing":
                raise OneViewError(
                    409,
                    "REFRESH_IN_PROGRESS",
                    f"{hw.spec.oneview_name} is already refreshing.",
                    actions=["Wait for the refresh to finish."],
                    source=hw.uri,
                )
            hw.refresh = "Refreshing"

        def done(task: Task) -> None:
            hw.refresh = "NotRefreshing"

        return quick_task("Refresh", hw, api, done)

    @router.route("PATCH", rf"{PREFIX}/{_ID}")
    def patch(req: Request) -> Response:
        api, hw = emu.api(req), find(req.params["id"])
        ops = req.json()
        ok = (
            isinstance(ops, list)
            and ops
            and all(
                isinstance(o, dict)
                and o.get("op") == "replace"
                and o.get("path") == "/uidState"
                and o.get("value") in ("On", "Off")
                for o in ops
            )
        )
        if not ok:
            raise bad_request(
                "INVALID_PATCH_OPERATION",
                "The patch request is not supported.",
                'Supported on rack servers: [{"op": "replace", "path": "/uidState", "value": "On" | "Off"}].',
                source=hw.uri,
            )

        def done(task: Task) -> None:
            hw.uid = ops[-1]["value"]

        return quick_task("Update", hw, api, done)

    @router.route("PUT", rf"{PREFIX}/{_ID}/mpFirmwareVersion")
    def mp_firmware(req: Request) -> Response:
        api, hw = emu.api(req), find(req.params["id"])
        return quick_task(
            "Update iLO firmware",
            hw,
            api,
            lambda task: task.note(
                f"The iLO firmware of {hw.spec.oneview_name} is already at the appliance's version."
            ),
        )
