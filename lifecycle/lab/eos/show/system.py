"""System shows: version, hostname, inventory, modules, environment, uptime, clock, NTP, ZTP, eAPI."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from lifecycle.lab.eos.names import default_interfaces
from lifecycle.lab.eos.show.registry import Ctx, command, duration, table, text_only


@dataclass(frozen=True)
class Hardware:
    description: str
    revision: str
    optimization: str
    mem_total: int
    psus: tuple[str, int]  # model, count
    fans: tuple[str, int]
    cards: tuple[tuple[str, str, str, str], ...] = ()  # (slot, show module id, model, description)


def _chassis(slots: int, fabrics: int) -> tuple[tuple[str, str, str, str], ...]:
    cards = [
        ("Supervisor1", "1", "DCS-7500-SUP2", "Supervisor module"),
        ("Supervisor2", "2", "DCS-7500-SUP2", "Supervisor module"),
    ]
    cards += [
        (f"Linecard{n}", str(n), "7500R3-36CQ-LC", "36-port 100GbE QSFP100 Linecard")
        for n in range(3, 3 + slots)
    ]
    cards += [
        (f"Fabric{n}", f"Fabric{n}", f"75{'04' if slots == 4 else '08'}R3-FM", "Fabric module")
        for n in range(1, fabrics + 1)
    ]
    return tuple(cards)


HARDWARE = {
    "DCS-7050SX3-48YC8": Hardware(
        "48x25GbE SFP & 8x100GbE QSFP switch",
        "11.01",
        "Strata-4GB",
        8099732,
        ("PWR-500AC-F", 2),
        ("FAN-7000-F", 4),
    ),
    "DCS-7050SX3-48YC12": Hardware(
        "48x25GbE SFP & 12x100GbE QSFP switch",
        "11.01",
        "Strata-4GB",
        8099732,
        ("PWR-500AC-F", 2),
        ("FAN-7000-F", 4),
    ),
    "DCS-7050CX3-32S": Hardware(
        "32x100GbE QSFP & 2xSFP switch", "11.02", "Strata-4GB", 8099732, ("PWR-500AC-F", 2), ("FAN-7000-F", 4)
    ),
    "DCS-7504R3": Hardware(
        "DCS-7504 Chassis",
        "02.00",
        "Sand-4GB",
        32488084,
        ("PWR-3KT-AC-RED", 4),
        ("FAN-7504-F", 6),
        _chassis(4, 6),
    ),
    "DCS-7508R3": Hardware(
        "DCS-7508 Chassis",
        "02.00",
        "Sand-4GB",
        32488084,
        ("PWR-3KT-AC-RED", 6),
        ("FAN-7508-F", 6),
        _chassis(8, 6),
    ),
}
VIRTUAL = Hardware("vEOS", "", "None", 4011208, ("", 0), ("", 0))


def hardware(model: str) -> Hardware:
    return HARDWARE.get(model, VIRTUAL)


def _hex_mac(mac: str) -> str:
    digits = mac.replace(":", "")
    return ".".join(digits[i : i + 4] for i in range(0, 12, 4))


# -- show version ------------------------------------------------------------------------------


def _version_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    up = int(d["uptime"])
    weeks, rem = divmod(up, 7 * 86400)
    days, rem = divmod(rem, 86400)
    hours, rem = divmod(rem, 3600)
    return (
        f"Arista {d['modelName']}\nHardware version: {d['hardwareRevision']}\n"
        f"Serial number: {d['serialNumber']}\nHardware MAC address: {_hex_mac(d['systemMacAddress'])}\n"
        f"System MAC address: {_hex_mac(d['systemMacAddress'])}\n\n"
        f"Software image version: {d['version']}\nArchitecture: {d['architecture']}\n"
        f"Internal build version: {d['internalVersion']}\nInternal build ID: {d['internalBuildId']}\n"
        f"Image format version: {d['imageFormatVersion']}\n"
        f"Image optimization: {d['imageOptimization']}\n\n"
        f"Uptime: {weeks} weeks, {days} days, {hours} hours and {rem // 60} minutes\n"
        f"Total memory: {d['memTotal']} kB\nFree memory: {d['memFree']} kB\n\n"
    )


@command("show version [(detail):detail]", text=_version_text)
def show_version(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    sw = ctx.switch
    hw = hardware(sw.model)
    out: dict[str, Any] = {
        "mfgName": "Arista",
        "modelName": sw.model,
        "hardwareRevision": hw.revision,
        "serialNumber": sw.serial,
        "systemMacAddress": sw.system_mac,
        "hwMacAddress": sw.system_mac,
        "configMacAddress": "00:00:00:00:00:00",
        "version": sw.version,
        "architecture": "x86_64",
        "internalVersion": f"{sw.version}-{int(sw.build_id[:7], 16):08d}.{sw.version.replace('.', '')}",
        "internalBuildId": sw.build_id,
        "imageFormatVersion": "3.0",
        "imageOptimization": hw.optimization,
        "bootupTimestamp": sw.boot_time,
        "uptime": round(sw.uptime, 2),
        "memTotal": hw.mem_total,
        "memFree": int(hw.mem_total * 0.62),
        "isIntlVersion": False,
    }
    if values.get("detail"):
        out["details"] = {
            "deviations": [],
            "switchType": "modular" if hw.cards else "fixedSystem",
            "components": [{"name": "Aboot", "version": "Aboot-norcal6-6.1.7-14653807"}],
            "packages": {"TerminAttr-core": {"version": "v1.19.5", "release": "1"}},
        }
    return out


# -- hostname, inventory, modules ----------------------------------------------------------------


@command("show hostname", text=lambda c, v, d: f"Hostname: {d['hostname']}\nFQDN:     {d['fqdn']}\n")
def show_hostname(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {"hostname": ctx.view.hostname, "fqdn": ctx.view.fqdn}


def _serial(ctx: Ctx, what: str) -> str:
    digest = hashlib.sha256(f"{ctx.switch.serial}:{what}".encode()).hexdigest()
    return f"{ctx.switch.serial[:3]}{int(digest[:8], 16) % 10**8:08d}"


def _xcvr_slots(ctx: Ctx) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    for name in default_interfaces(ctx.switch.model):
        if not name.startswith("Ethernet"):
            continue
        num = name[8:]
        slot = (
            num.rsplit("/", 1)[0]
            if num.count("/") == 1 and not ctx.switch.model.startswith("DCS-75")
            else num
        )
        io = ctx.oper.intfs.get(name)
        if io is not None and io.far is not None:
            qsfp = "/" in name
            slots[slot] = {
                "mfgName": "Arista Networks",
                "modelName": "QSFP-100G-SR4" if qsfp else "SFP-25G-SR",
                "serialNum": _serial(ctx, name),
                "hardwareRev": "21",
            }
        else:
            slots[slot] = {"mfgName": "Not Present", "modelName": "", "serialNum": "", "hardwareRev": ""}
    return slots


def _inventory_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    si = d["systemInformation"]
    out = [
        f"System information\n  Model                 Description\n  --------------------- ---------------\n"
        f"  {si['name']:<21} {si['description']}\n\n  HW Version  Serial Number  Mfg Date\n"
        f"  ----------- -------------- ----------\n  {si['hardwareRev']:<11} {si['serialNum']:<14} "
        f"{si['mfgDate']}\n\n"
    ]
    out.append(f"System has {len(d['powerSupplySlots'])} power supply slots\n")
    out.append(
        table(
            ["Slot", "Model", "Serial Number"],
            [[k, v["name"], v["serialNum"]] for k, v in d["powerSupplySlots"].items()],
        )
    )
    out.append(f"\nSystem has {len(d['fanTraySlots'])} fan modules\n")
    out.append(
        table(
            ["Module", "Number of Fans", "Model", "Serial Number"],
            [[k, v["numFans"], v["name"], v["serialNum"]] for k, v in d["fanTraySlots"].items()],
        )
    )
    if d["cardSlots"]:
        out.append(f"\nSystem has {len(d['cardSlots'])} card slots\n")
        out.append(
            table(
                ["Module", "Model", "HW Version", "Serial Number"],
                [[k, v["modelName"], v["hardwareRev"], v["serialNum"]] for k, v in d["cardSlots"].items()],
            )
        )
    out.append(f"\nSystem has {len(d['xcvrSlots'])} ports\n")
    out.append(
        table(
            ["Port", "Manufacturer", "Model", "Serial Number", "Rev"],
            [
                [k, v["mfgName"], v["modelName"], v["serialNum"], v["hardwareRev"]]
                for k, v in d["xcvrSlots"].items()
            ],
        )
    )
    return "".join(out)


@command("show inventory", text=_inventory_text)
def show_inventory(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    sw = ctx.switch
    hw = hardware(sw.model)
    ports = [n for n in default_interfaces(sw.model) if n.startswith("Ethernet")]
    return {
        "systemInformation": {
            "name": sw.model,
            "description": hw.description,
            "hardwareRev": hw.revision,
            "serialNum": sw.serial,
            "mfgDate": "2021-03-15",
            "hwEpoch": "01.00",
        },
        "powerSupplySlots": {
            str(i): {"name": hw.psus[0], "serialNum": _serial(ctx, f"psu{i}")}
            for i in range(1, hw.psus[1] + 1)
        },
        "fanTraySlots": {
            str(i): {"numFans": 1, "name": hw.fans[0], "serialNum": _serial(ctx, f"fan{i}")}
            for i in range(1, hw.fans[1] + 1)
        },
        "portCount": len(ports) + 1,
        "switchedPortCount": len(ports),
        "managementPortCount": 1,
        "internalPortCount": 0,
        "switchedBootstrapPortCount": 0,
        "switchedFortyGOnlyPortCount": 0,
        "dataLinkPortCount": 0,
        "emmcFlashDevices": {},
        "xcvrSlots": _xcvr_slots(ctx),
        "cardSlots": {
            slot: {"modelName": model, "hardwareRev": "02.00", "serialNum": _serial(ctx, slot)}
            for slot, _, model, _ in hw.cards
        },
        "storageDevices": {},
    }


def _modules(ctx: Ctx) -> dict[str, Any]:
    sw = ctx.switch
    hw = hardware(sw.model)
    if not hw.cards:
        return {
            "1": {
                "modelName": sw.model,
                "typeDescription": hw.description,
                "status": "ok",
                "portCount": len(default_interfaces(sw.model)),
                "serialNumber": sw.serial,
                "hardwareRevision": hw.revision,
                "softwareVersion": sw.version,
                "minSoftwareVersion": "",
                "uptime": sw.uptime,
            }
        }
    mods = {}
    for slot, mod_id, model, desc in hw.cards:
        status = "ok"
        if slot.startswith("Supervisor"):
            status = "active" if mod_id == "1" else "standby"
        mods[mod_id] = {
            "modelName": model,
            "typeDescription": desc,
            "status": status,
            "portCount": 36 if slot.startswith("Linecard") else (2 if mod_id in "12" else 0),
            "serialNumber": _serial(ctx, slot),
            "hardwareRevision": "02.00",
            "softwareVersion": sw.version if slot.startswith("Supervisor") else "",
            "minSoftwareVersion": "",
            "uptime": sw.uptime,
        }
    return mods


def _module_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    return table(
        ["Module", "Ports", "Card Type", "Model", "Serial No."],
        [
            [k, v["portCount"], v["typeDescription"], v["modelName"], v["serialNumber"]]
            for k, v in d["modules"].items()
        ],
    )


@command("show module", text=_module_text)
def show_module(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {"modules": _modules(ctx)}


@command("show module power")
def show_module_power(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {"modules": {k: {"risers": {"1": {"powerGood": True}}} for k in _modules(ctx)}}


# -- environment (always healthy: the twin has no failing hardware) ------------------------------


def _temperature(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    hw = hardware(ctx.switch.model)

    def sensor(i: int, desc: str, temp: float) -> dict[str, Any]:
        return {
            "name": f"TempSensor{i}",
            "description": desc,
            "currentTemperature": temp,
            "maxTemperature": temp + 4,
            "maxTemperatureLastChange": ctx.switch.boot_time,
            "overheatThreshold": 95.0,
            "criticalThreshold": 105.0,
            "targetTemperature": 85.0,
            "hwStatus": "ok",
            "alertCount": 0,
            "inAlertState": False,
            "isPsuSensor": False,
            "pidDriverCount": 0,
            "alertRaisedCount": 0,
        }

    return {
        "systemStatus": "temperatureOk",
        "shutdownOnOverheat": True,
        "powercycleOnOverheat": False,
        "recoveryModeOnOverheat": "recoveryModeNA",
        "ambientThreshold": 45,
        "tempSensors": [
            sensor(1, "Cpu temp sensor", 44.0),
            sensor(2, "Switch chip sensor", 52.0),
            sensor(3, "Front-panel temp sensor", 26.0),
        ],
        "powerSupplySlots": [
            {
                "relPos": str(i),
                "entPhysicalClass": "PowerSupply",
                "tempSensors": [
                    {
                        **sensor(i, "Power supply sensor", 31.0),
                        "name": f"TempSensorP{i}/1",
                        "isPsuSensor": True,
                    }
                ],
            }
            for i in range(1, hw.psus[1] + 1)
        ],
        "cardSlots": [
            {
                "relPos": slot,
                "entPhysicalClass": "Card",
                "tempSensors": [{**sensor(1, "Card sensor", 40.0), "name": f"TempSensor{slot}/1"}],
            }
            for slot, _, _, _ in hw.cards
        ],
    }


def _temp_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    rows = [
        [
            s["name"],
            s["description"],
            s["currentTemperature"],
            s["overheatThreshold"],
            s["criticalThreshold"],
            s["hwStatus"],
        ]
        for s in d["tempSensors"]
    ]
    return "System temperature status is: Ok\n\n" + table(
        ["Sensor", "Description", "Temp(C)", "Overheat(C)", "Critical(C)", "Status"], rows
    )


command("show system environment temperature", text=_temp_text)(_temperature)
command("show environment temperature", text=_temp_text)(_temperature)


@command("show system environment temperature transceiver")
def show_xcvr_temperature(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    sensors = []
    for name, slot in ((n, s) for n, s in _xcvr_slots(ctx).items() if s["mfgName"] != "Not Present"):
        sensors.append(
            {
                "name": f"DomTemperatureSensor{name}",
                "description": f"Xcvr{name} temp sensor",
                "currentTemperature": 33.5,
                "maxTemperature": 35.0,
                "overheatThreshold": 70.0,
                "criticalThreshold": 75.0,
                "targetTemperature": 60.0,
                "hwStatus": "ok",
                "alertCount": 0,
                "inAlertState": False,
                "relPos": name,
                "model": slot["modelName"],
            }
        )
    return {"tempSensors": sensors}


def _cooling(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    hw = hardware(ctx.switch.model)
    now = time.time()

    def fan(label: str) -> dict[str, Any]:
        return {
            "label": label,
            "status": "ok",
            "configuredSpeed": 35,
            "actualSpeed": 34,
            "speedHwOverride": False,
            "speedStable": True,
            "maxSpeed": 23000,
            "lastSpeedStableChangeTime": now - 60,
            "uptime": ctx.switch.uptime,
        }

    return {
        "systemStatus": "coolingOk",
        "ambientTemperature": 24.5,
        "airflowDirection": "frontToBackAirflow",
        "shutdownOnInsufficientFans": True,
        "overrideFanSpeed": 0,
        "minFanSpeed": 0,
        "currentZones": 1,
        "configuredZones": 0,
        "defaultZones": False,
        "numCoolingZones": [],
        "powerSupplySlots": [
            {"label": f"PowerSupply{i}", "status": "ok", "speed": 35, "fans": [fan(f"PowerSupply{i}/1")]}
            for i in range(1, hw.psus[1] + 1)
        ],
        "fanTraySlots": [
            {"label": str(i), "status": "ok", "numberOfFans": 1, "speed": 35, "fans": [fan(f"{i}/1")]}
            for i in range(1, hw.fans[1] + 1)
        ],
    }


def _cooling_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    rows = [
        [f["label"], f["status"], f"{f['configuredSpeed']}%", f"{f['actualSpeed']}%"]
        for slot in [*d["powerSupplySlots"], *d["fanTraySlots"]]
        for f in slot["fans"]
    ]
    return (
        f"System cooling status is: Ok\nAmbient temperature: {d['ambientTemperature']:.0f}C\n"
        f"Airflow: front-to-back\n\n" + table(["Fan", "Status", "Config Speed", "Actual Speed"], rows)
    )


command("show system environment cooling", text=_cooling_text)(_cooling)
command("show environment cooling", text=_cooling_text)(_cooling)


def _power(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    hw = hardware(ctx.switch.model)
    cap = 3000.0 if "3K" in hw.psus[0] else 500.0
    return {
        "powerSupplies": {
            str(i): {
                "modelName": hw.psus[0],
                "capacity": cap,
                "dominant": False,
                "inputCurrent": 0.52,
                "outputCurrent": 9.1,
                "inputVoltage": 229.5,
                "outputVoltage": 12.0,
                "outputPower": 109.0,
                "state": "ok",
                "uptime": ctx.switch.uptime,
                "fans": {},
                "tempSensors": {},
                "managed": True,
            }
            for i in range(1, hw.psus[1] + 1)
        }
    }


def _power_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    rows = [
        [
            k,
            v["modelName"],
            f"{v['capacity']:.0f}W",
            f"{v['inputCurrent']:.2f}A",
            f"{v['outputPower']:.0f}W",
            "Ok",
        ]
        for k, v in d["powerSupplies"].items()
    ]
    return table(["PSU", "Model", "Capacity", "Input Current", "Output Power", "Status"], rows)


command("show system environment power", text=_power_text)(_power)
command("show environment power", text=_power_text)(_power)


# -- reload cause, uptime, clock, NTP, coredump ------------------------------------------------------


def _reload_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    if not d["resetCauses"]:
        return "No reboot cause information available.\n"
    c = d["resetCauses"][0]
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(c["timestamp"]))
    return (
        f"Reload Cause 1:\n-------------------\n{when} {c['description']}\n\nRecommended Action:\n"
        f"-------------------\n{c['recommendedAction']}\n"
    )


@command("show reload cause [full]", text=_reload_text)
def show_reload_cause(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {"resetCauses": list(ctx.switch.reset_causes), "full": False}


@command(
    "show uptime",
    text=lambda c, v, d: (
        f" {time.strftime('%H:%M:%S')} up {duration(d['upTime'])},  1 user,  load average: 0.31, 0.28, 0.25\n"
    ),
)
def show_uptime(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {
        "currentTime": time.time(),
        "upTime": round(ctx.switch.uptime, 2),
        "users": 1,
        "loadAvg": [0.31, 0.28, 0.25],
    }


@command(
    "show clock",
    text=lambda c, v, d: (
        time.strftime("%a %b %d %H:%M:%S %Y\n", time.gmtime(d["utcTime"]))
        + f"Timezone: {d['timezone']}\n"
        + f"Clock source: {'NTP server' if d['clockSource'].get('ntp') else 'local'}\n"
    ),
)
def show_clock(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    now = time.time()
    tm = time.gmtime(now)
    tz = ctx.switch.running.root.line("clock timezone")
    return {
        "utcTime": now,
        "timezone": tz.split()[2] if tz else "UTC",
        "localTime": {
            "year": tm.tm_year,
            "month": tm.tm_mon,
            "dayOfMonth": tm.tm_mday,
            "hour": tm.tm_hour,
            "min": tm.tm_min,
            "sec": tm.tm_sec,
            "dayOfWeek": tm.tm_wday,
            "dayOfYear": tm.tm_yday,
            "daylightSavingsAdjust": 0,
        },
        "clockSource": {"local": not ctx.view.ntp_servers, "ntp": bool(ctx.view.ntp_servers)},
    }


@text_only("show ntp status")
def show_ntp_status(ctx: Ctx, values: dict[str, str], data: Any) -> str:
    servers = ctx.view.ntp_servers
    if not servers:
        return "NTP is disabled.\n"
    # The twin has no NTP servers to reach, but a configured switch is treated as synchronised.
    return (
        f"synchronised to NTP server ({servers[0]}) at stratum 3\n"
        "   time correct to within 12 ms\n   polling server every 1024 s\n"
    )


@command("show ntp associations")
def show_ntp_associations(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {
        "peers": {
            s: {
                "peerIpAddr": s,
                "condition": "sys.peer" if i == 0 else "candidate",
                "stratumLevel": 2,
                "peerType": "unicast",
                "lastReceived": time.time() - 20,
                "pollInterval": 1024,
                "reachabilityHistory": [True] * 8,
                "delay": 0.5,
                "offset": 0.1,
                "jitter": 0.05,
            }
            for i, s in enumerate(ctx.view.ntp_servers)
        }
    }


@command("show system coredump")
def show_coredump(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {"mode": "compressedDeferred", "coreFiles": []}


# -- ZTP, eAPI status ----------------------------------------------------------------------------


@command("show zerotouch", text=lambda c, v, d: f"ZeroTouch Mode: {d['mode'].capitalize()}\n")
def show_zerotouch(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    return {"mode": ctx.switch.ztp_mode}


def _api_text(ctx: Ctx, values: dict[str, str], d: dict[str, Any]) -> str:
    def srv(s: dict[str, Any], extra: str = "") -> str:
        state = "running" if s["running"] else "shutdown"
        port = f", set to use port {s['port']}" if "port" in s else ""
        return f"{state}{extra}{port}"

    lines = [
        f"Enabled:            {'Yes' if d['enabled'] else 'No'}",
        f"HTTPS server:       {srv(d['httpsServer'])}",
        f"HTTP server:        {srv(d['httpServer'])}",
        f"Local HTTP server:  {srv(d['localHttpServer'], ', no authentication')}",
        f"Unix Socket server: {srv(d['unixSocketServer'], ', no authentication')}",
        "VRFs:               default",
        f"Hits:               {d['hitCount']}",
        f"Last hit:           {int(time.time() - d['lastHitTime'])} seconds ago"
        if d["hitCount"]
        else "Last hit:           never",
        f"Requests:           {d['requestCount']}",
        f"Commands:           {d['commandCount']}",
        "SSL profile:        none",
        "FIPS Mode:          No",
        "QoS DSCP:           0",
        "Log Level:          none",
        "CSP Frame Ancestor: None",
        "TLS Protocols:      1.2",
        "",
    ]
    if d["urls"]:
        lines += ["   URLs", "-" * 40, *[f"Management1 : {u}" for u in d["urls"]]]
    return "\n".join(lines) + "\n"


@command("show management api http-commands", text=_api_text)
def show_api(ctx: Ctx, values: dict[str, str]) -> dict[str, Any]:
    api = ctx.view.api
    stats = ctx.switch.api_stats
    mgmt = ctx.switch.mgmt_ip
    urls = []
    if api.enabled and mgmt:
        if api.https:
            urls.append(f"https://{mgmt}:{api.https_port}")
        if api.http:
            urls.append(f"http://{mgmt}:{api.http_port}")
    return {
        "enabled": api.enabled,
        "httpsServer": {
            "configured": api.https,
            "running": api.enabled and api.https,
            "port": api.https_port,
        },
        "httpServer": {"configured": api.http, "running": api.enabled and api.http, "port": api.http_port},
        "localHttpServer": {"configured": False, "running": False, "port": 8080},
        "unixSocketServer": {"configured": api.unix, "running": api.enabled and api.unix},
        "sslProfile": {"name": "", "configured": False, "state": "valid"},
        "tlsProtocol": ["1.2"],
        "vrfs": {
            "default": {
                "servers": [p for p, on in (("HTTPS", api.https), ("HTTP", api.http)) if on],
                "accessList": "",
                "ipv6AccessList": "",
            }
        }
        if api.enabled
        else {},
        "corsOrigins": [],
        "urls": urls,
        "hitCount": stats["requests"],
        "lastHitTime": stats["last"],
        "requestCount": stats["requests"],
        "commandCount": stats["commands"],
        "bytesIn": 0,
        "bytesOut": 0,
        "executionTime": 0.0,
        "fipsEnabled": False,
        "dscp": 0,
        "syslogLevel": "none",
        "frameAncestors": "",
    }
