"""Hardware brownfield, as operators find it: what the platform team's years of OneView use left.

- ``profiles``: every server of an in-service rack (racked when the twin starts) carries a server
  profile applied long ago from the team's own template (``OSP10-<model>-Compute`` / ``-Controller``, not i2's
  ``i2-`` ones), with the team's naming (``osp10-<server>``), BIOS, boot and firmware choices and
  an older SPP as its baseline.
- ``old_firmware``: one of those servers runs firmware below every baseline (an older System ROM
  and iLO 4), as a server swapped in from spares and never updated.
- ``old_redfish``: another (:func:`old_redfish_server`, the first of the last in-service rack)
  has an iLO 4 2.40, whose Redfish 1.0.0 its BMC serves too
  (:class:`~lifecycle.lab.ironic.ilo4_front.Ilo4Front`): OneView says so (``mpModel`` iLO4,
  ``mpFirmwareVersion``), below the hardware profiles' iLO minimum.

Written straight into the emulator's state (no i2 code, no i2 naming). The servers' power is the
BMCs' (in-service servers are on, as their iLOs say). Idempotent: a second call adds nothing.
"""

from __future__ import annotations

from typing import Any

from lifecycle.lab.oneview.catalog import model_info, stable_id
from lifecycle.lab.oneview.compliance import profile_from_template
from lifecycle.lab.oneview.emulator import OneViewEmulator
from lifecycle.lab.oneview.resources.common import (
    PROFILE_DEFAULTS,
    TEMPLATE_DEFAULTS,
    compliance_of,
    make_doc,
)
from lifecycle.lab.oneview.resources.profiles import resolve_connections
from lifecycle.lab.oneview.state import Record
from lifecycle.lab.world import ServerSpec

TEAM_BASELINE = "SPP 2019.12.0"
LONG_AGO = "2019-03-14T09:21:07.000Z"
OLD_ROM, OLD_ILO = "P89 v2.40 (02/17/2017)", "2.55 Aug 16 2017"
# the iLO 4 firmware of the old-Redfish server, as its BMC and as OneView report it
OLD_REDFISH_ILO, OLD_REDFISH_MP = "2.40", "2.40 Dec 02 2015"


def old_redfish_server(servers: list[ServerSpec]) -> ServerSpec | None:
    """The first server (by name) of the last in-service rack (racked when the twin starts): not
    the old-firmware one (the last of the first rack), so each feature can be told apart."""
    racked = [s for s in servers if s.racked]
    if not racked:
        return None
    last = max(s.rack for s in racked)
    return min((s for s in racked if s.rack == last), key=lambda s: s.name)


def team_template_name(model: str, profile: str) -> str:
    """``("DL360 Gen9 1", "dl360g9-controller")`` -> ``OSP10-DL360Gen9-Controller``."""
    role = "Controller" if "controller" in profile else "Compute"
    return f"OSP10-{model_info(model).short.replace(' ', '')}-{role}"


def _team_template(emu: OneViewEmulator, model: str, profile: str, sht_uri: str, nics: list[str]) -> Record:
    name = team_template_name(model, profile)
    tid = stable_id("team-template", name)
    if tid in emu.templates:
        return emu.templates[tid]
    baseline = next(r.uri for r in emu.baselines.values() if r.name == TEAM_BASELINE)
    nets = [r.uri for r in emu.networks.values()]
    conns = (
        [
            {
                "id": i,
                "name": f"team-nic{i}",
                "functionType": "Ethernet",
                "portId": port,
                "networkUri": nets[0] if i == 1 else nets[min(1, len(nets) - 1)],
                "requestedMbps": "10000",
                "boot": {"priority": "Primary" if i == 1 else "NotBootable"},
            }
            for i, port in enumerate(nics, start=1)
        ]
        if nets
        else []
    )
    body: dict[str, Any] = {
        "name": name,
        "description": f"OSP 10 {name.rsplit('-', 1)[1].lower()} (platform team, 2019)",
        "serverProfileDescription": "OSP 10 node",
        "serverHardwareTypeUri": sht_uri,
        "bootMode": {"manageMode": True, "mode": "UEFI", "pxeBootPolicy": "IPv4"},
        "boot": {"manageBoot": True, "order": ["PXE", "HardDisk"]},
        "bios": {
            "manageBios": True,
            "overriddenSettings": [
                {"id": "WorkloadProfile", "value": "Virtualization-PowerEfficient"},
                {"id": "ProcVirtualization", "value": "Enabled"},
                {"id": "IntelProcVtd", "value": "Enabled"},
                {"id": "PowerRegulator", "value": "DynamicPowerSavings"},
            ],
        },
        "localStorage": {
            "controllers": [
                {
                    "deviceSlot": "Embedded",
                    "mode": "RAID",
                    "initialize": False,
                    "logicalDrives": [
                        {
                            "name": "os",
                            "raidLevel": "RAID1",
                            "bootable": True,
                            "numPhysicalDrives": 2,
                            "driveTechnology": "SataSsd",
                        }
                    ],
                }
            ]
        },
        "firmware": {
            "manageFirmware": True,
            "firmwareBaselineUri": baseline,
            "firmwareInstallType": "FirmwareOnlyOfflineMode",
            "forceInstallFirmware": False,
        },
        "connectionSettings": {"manageConnections": True, "connections": conns},
    }
    rec = Record(
        make_doc(body, f"/rest/server-profile-templates/{tid}", TEMPLATE_DEFAULTS),
        "server-profile-templates",
        created=LONG_AGO,
        modified=LONG_AGO,
    )
    emu.templates[tid] = rec
    return rec


def seed_hardware(
    emu: OneViewEmulator, *, profiles: bool = True, old_firmware: bool = True, old_redfish: bool = True
) -> dict[str, Any]:
    """Seed the brownfield; returns what it left: ``{"profiles": {server: profile},
    "templates": [...], "old_firmware": [server], "old_redfish": [server]}``."""
    out: dict[str, Any] = {"profiles": {}, "templates": [], "old_firmware": [], "old_redfish": []}
    with emu.lock:
        if not any(r.name == TEAM_BASELINE for r in emu.baselines.values()):
            emu.add_baseline(TEAM_BASELINE)
        in_service = list(emu.hardware.values())
        if profiles:
            for hw in sorted(in_service, key=lambda h: h.spec.name):
                tpl = _team_template(
                    emu, hw.spec.model, hw.spec.profile, hw.sht_uri, [n.port_id for n in hw.spec.nics]
                )
                if tpl.name not in out["templates"]:
                    out["templates"].append(tpl.name)
                name = f"osp10-{hw.spec.name}"
                pid = stable_id("team-profile", hw.spec.name)
                if hw.profile_uri is None and pid not in emu.profiles:
                    body = dict(profile_from_template(tpl.doc), name=name, serverHardwareUri=hw.uri)
                    doc = make_doc(body, f"/rest/server-profiles/{pid}", PROFILE_DEFAULTS)
                    resolve_connections(doc, hw)
                    doc.update(state="Normal", status="OK", inProgress=False, taskUri=None)
                    doc["templateCompliance"] = compliance_of(emu, doc)
                    emu.profiles[pid] = Record(doc, "server-profiles", created=LONG_AGO, modified=LONG_AGO)
                    hw.profile_uri, hw.state = doc["uri"], "ProfileApplied"
                    hw.touch()
                out["profiles"][hw.spec.name] = name
        if old_firmware and in_service:
            # the last server of the first in-service rack: swapped in from spares, never updated
            first_rack = sorted(in_service, key=lambda h: (h.spec.rack, h.spec.name))[0].spec.rack
            hw = sorted((h for h in in_service if h.spec.rack == first_rack), key=lambda h: h.spec.name)[-1]
            hw.rom, hw.mp_firmware = OLD_ROM, OLD_ILO
            hw.touch()
            out["old_firmware"].append(hw.spec.name)
        old = old_redfish_server([h.spec for h in in_service]) if old_redfish else None
        if old is not None:
            hw = next(h for h in in_service if h.spec.name == old.name)
            hw.mp_model, hw.mp_firmware = "iLO4", OLD_REDFISH_MP
            hw.touch()
            out["old_redfish"].append(old.name)
    return out
