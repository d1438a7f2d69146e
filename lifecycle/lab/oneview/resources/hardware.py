"""``/rest/server-hardware``: the racked servers, their power, adding (by iLO address) and removing them.

MACs and the UUID are formatted as the appliance formats them (upper-case), whatever case the site
model uses: clients must compare them case-insensitively. The serial number is the world's.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from lifecycle.lab.base import Request, Response, Router
from lifecycle.lab.oneview.catalog import adapter_name, model_info, parse_port_id, processors, resource_type
from lifecycle.lab.oneview.errors import OneViewError, bad_request, not_found
from lifecycle.lab.oneview.state import Hardware
from lifecycle.lab.oneview.tasks import Task, TaskFailed

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lifecycle.lab.oneview.emulator import OneViewEmulator

PREFIX = "/rest/server-hardware"
_ID = r"(?P<id>[^/]+)"

# powerState -> allowed powerControl; the task's name; what the server shows meanwhile.
_CONTROLS = {"Off": ("MomentaryPress", "PressAndHold"), "On": ("MomentaryPress", "ColdBoot", "Reset")}
_TASK_NAMES = {("Off", "MomentaryPress"): "Power off", ("Off", "PressAndHold"): "Power off",
               ("On", "MomentaryPress"): "Power on", ("On", "ColdBoot"): "Cold boot",
               ("On", "Reset"): "Reset"}
_PENDING = {"Off": "PoweringOff", "On": "PoweringOn"}


def port_map(hw: Hardware) -> dict[str, Any]:
    """``portMap.deviceSlots``: one slot per adapter, ``"FlexibleLOM 1:2"`` at location FlexibleLOM,
    deviceNumber 1, physical port 2, so ``f"{location} {deviceNumber}:{portNumber}"`` gives the port id."""
    slots: dict[tuple[str, int], dict[int, str]] = defaultdict(dict)
    for nic in hw.spec.nics:
        ref = parse_port_id(nic.port_id)
        if ref:
            slots[(ref.location, ref.device)][ref.port] = nic.mac.upper()
    device_slots = []
    for (loc, dev), ports in sorted(slots.items()):
        n = max(2, *ports)
        device_slots.append({
            "deviceName": adapter_name(loc), "deviceNumber": dev, "slotNumber": dev, "location": loc,
            "oaSlotNumber": dev,
            "physicalPorts": [{"portNumber": p, "type": "Ethernet", "mac": ports.get(p), "wwn": None,
                               "physicalInterconnectUri": None, "interconnectPort": 0,
                               "virtualPorts": []} for p in range(1, n + 1)],
        })
    return {"deviceSlots": device_slots}


def port_mac(hw: Hardware, port_id: str) -> str | None:
    ref = parse_port_id(port_id)
    for nic in hw.spec.nics:
        nref = parse_port_id(nic.port_id)
        if ref and nref and (nref.location, nref.device, nref.port) == (ref.location, ref.device, ref.port):
            return nic.mac.upper()
    return None


def render(hw: Hardware, api: int) -> dict[str, Any]:
    spec = hw.spec
    info = model_info(spec.model)
    return {
        "type": resource_type("server-hardware", api),
        "category": "server-hardware",
        "uri": hw.uri,
        "uuid": hw.id,
        "name": spec.oneview_name,
        "serverName": None,
        "description": None,
        "serialNumber": spec.serial,
        "virtualSerialNumber": None,
        "virtualUuid": None,
        "model": info.full,
        "shortModel": info.short,
        "partNumber": info.part_number,
        "formFactor": info.form_factor,
        "serverHardwareTypeUri": hw.sht_uri,
        "serverGroupUri": None,
        "locationUri": None,
        "position": None,
        "powerState": hw.power_pending or hw.power,
        "powerLock": False,
        "state": hw.state,
        "stateReason": "NotApplicable",
        "status": "OK",
        "refreshState": hw.refresh,
        "uidState": hw.uid,
        "serverProfileUri": hw.profile_uri,
        "licensingIntent": "OneView",
        "mpModel": hw.mp_model,
        "mpFirmwareVersion": hw.mp_firmware,
        "mpState": "OK",
        "mpHostInfo": {"mpHostName": f"ILO{spec.serial}",
                       "mpIpAddresses": [{"address": spec.ilo, "type": "DHCP"}]},
        "memoryMb": spec.memory_mb or 262144,
        **processors(spec),
        "romVersion": hw.rom or info.rom,
        "intelligentProvisioningVersion": "2.70.0",
        "assetTag": "[Unknown]",
        "portMap": port_map(hw),
        "scopesUri": f"/rest/scopes/resources{hw.uri}",
        "eTag": hw.etag,
        "created": hw.created,
        "modified": hw.modified,
    }


def register(router: Router, emu: OneViewEmulator) -> None:
    def find(hid: str) -> Hardware:
        hw = emu.hardware.get(hid)
        if hw is None:
            raise not_found(f"{PREFIX}/{hid}")
        return hw

    @router.route("GET", PREFIX)
    def get_all(req: Request) -> dict[str, Any]:
        api = emu.api(req)
        with emu.lock:  # collections show the last known power, as the appliance's cache does
            members = [render(hw, api) for hw in emu.hardware.values()]
        return emu.collection(req, "server-hardware", members)

    @router.route("GET", rf"{PREFIX}/{_ID}")
    def get_one(req: Request) -> dict[str, Any]:
        api = emu.api(req)
        with emu.lock:
            hw = find(req.params["id"])
            pending = hw.power_pending
        if not pending:
            emu.read_power(hw)
        with emu.lock:
            return render(hw, api)

    @router.route("PUT", rf"{PREFIX}/{_ID}/powerState")
    def set_power(req: Request) -> Response:
        api = emu.api(req)
        body = emu.body(req)
        state, control = body.get("powerState"), body.get("powerControl", "MomentaryPress")
        if state not in _CONTROLS:
            raise bad_request("INVALID_POWER_STATE", f"The power state {state!r} is not valid.",
                              "powerState must be On or Off.")
        if control not in _CONTROLS[state]:
            raise bad_request("INVALID_POWER_CONTROL", f"The power control {control!r} cannot be used to "
                              f"turn the power {state}.", f"Valid: {', '.join(_CONTROLS[state])}.")
        with emu.lock:
            hw = find(req.params["id"])
            if hw.power_pending:
                raise OneViewError(409, "POWER_OPERATION_IN_PROGRESS", f"A power operation on "
                                   f"{hw.spec.oneview_name} is already in progress.",
                                   actions=["Wait for the running task to finish and retry."],
                                   source=hw.uri)
            task = emu.new_task(_TASK_NAMES[(state, control)], uri=hw.uri,
                                resource_name=hw.spec.oneview_name, category="server-hardware",
                                kind="oneview.power")
            hw.power_pending = "Resetting" if control in ("ColdBoot", "Reset") else _PENDING[state]

        def work(task: Task) -> Iterator[float]:
            yield 0.9
            if state == "Off" and control == "MomentaryPress" and hw.ignores_button:
                with emu.lock:  # the press reached the OS, which did not shut down
                    hw.power_pending = None
                    task.note(f"Momentary press sent to {hw.spec.oneview_name}.")
                return
            try:
                task.check_fault()
                try:
                    emu.power.set(hw.spec, state)  # outside the lock: the provider may be a remote BMC
                except OSError as exc:
                    raise TaskFailed(
                        "ILO_UNREACHABLE", f"Unable to communicate with the iLO of {hw.spec.oneview_name}.",
                        f"{type(exc).__name__}: {exc}",
                        ["Check the iLO's network connectivity and state, then retry."]) from None
            except Exception:  # a failed provider too: the server must not stay "PoweringOff"
                with emu.lock:
                    hw.power_pending = None
                raise
            with emu.lock:
                hw.power, hw.power_pending = state, None
                hw.touch()
                task.note(f"{task.name} of {hw.spec.oneview_name} completed.")

        emu.runner.start(task, work)
        return emu.accepted(task, api)

    @router.route("POST", PREFIX)
    def add(req: Request) -> Response:
        api = emu.api(req)
        body = emu.body(req)
        missing = [k for k in ("hostname", "username", "password") if not body.get(k)]
        if missing:
            raise bad_request("INVALID_PARAMETER", f"The {missing[0]} is required to add a rack server.")
        intent = body.get("licensingIntent", "OneView")
        if intent not in ("OneView", "OneViewNoiLO", "OneViewStandard"):
            raise bad_request("INVALID_LICENSING_INTENT", f"The licensing intent {intent!r} is not valid.")
        address = str(body["hostname"])
        spec = next((s for s in emu.specs if s.ilo == address), None)
        with emu.lock:
            task = emu.new_task(
                "Add",
                uri=f"{PREFIX}/{spec.uuid.upper()}" if spec else None,
                resource_name=address,
                category="server-hardware",
                kind="oneview.power",
            )

        def work(task: Task) -> Iterator[float]:
            yield 0.5
            if spec is None or emu.reachable(spec) is False:
                raise TaskFailed(
                    "ILO_UNREACHABLE",
                    f"Unable to establish a connection with the iLO at {address}.",
                    "The address does not answer on HTTPS (443).",
                    ["Verify the iLO's address and network connectivity, then retry."],
                    status=f"Unable to add server: {address}.",
                )
            with emu.lock:
                if spec.uuid.upper() in emu.hardware:
                    raise TaskFailed(
                        "SERVER_ALREADY_MANAGED",
                        f"The server at {address} is already managed by this appliance.",
                        actions=["No action is required."],
                        status=f"Unable to add server: {address}.",
                    )
            yield 0.45
            task.check_fault()
            emu.rack([spec.name])
            with emu.lock:
                task.note(f"Added {spec.oneview_name}.")

        emu.runner.start(task, work)
        return emu.accepted(task, api)

    @router.route("DELETE", rf"{PREFIX}/{_ID}")
    def remove(req: Request) -> Response:
        api, hw = emu.api(req), find(req.params["id"])
        with emu.lock:
            if hw.profile_uri:
                raise bad_request(
                    "SERVER_HAS_PROFILE",
                    f"{hw.spec.oneview_name} cannot be removed while a server profile is assigned to it.",
                    "Unassign or delete its profile first.",
                    source=hw.uri,
                )

            task = emu.new_task("Remove", uri=hw.uri, resource_name=hw.spec.oneview_name,
                                category="server-hardware", kind="oneview.default")

        def work(task: Task) -> Iterator[float]:
            yield 0.9
            with emu.lock:
                task.check_fault()
                emu.hardware.pop(hw.id, None)
                hw.spec.racked = False  # back to unmanaged: adding it again finds it

        emu.runner.start(task, work)
        return emu.accepted(task, api)
