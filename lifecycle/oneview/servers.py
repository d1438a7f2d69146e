"""The OneView facade: templates from hardware profiles, profiles on servers, identity checks.

Every operation is idempotent and safe to repeat after a crash: it reads OneView first and does
only what is missing. OneView's asynchronous tasks are waited for by hpOneView; a task that ends
in Error raises :class:`~lifecycle.oneview.client.OneViewError` with OneView's message.

Example (needs a reachable appliance)::

    ov = OneViewServers(connect(endpoints))
    ov.sync_template(site.hardware_profiles["dl360g9-compute"]).action      # 'created'
    ov.apply_profile(server, template_uri, power="off").action              # 'created'

Ironic's ports come from the MACs in a server-hardware's port map:

>>> port_macs({"portMap": {"deviceSlots": [{"location": "FlexibleLOM", "deviceNumber": 1,
...            "physicalPorts": [{"portNumber": 1, "mac": "94:40:C9:03:01:01"}]}]}})
{'FlexibleLOM 1:1': '94:40:c9:03:01:01'}
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lifecycle.model.hardware import HardwareProfile
from lifecycle.model.schema import Server
from lifecycle.oneview.client import OneViewError, errors
from lifecycle.oneview.templates import diff_template, template_body, template_name

_PORT = re.compile(r"^(?P<loc>.+?) (?P<dev>\d+):(?P<port>\d+)(-[a-d])?$")


class ServerMissing(OneViewError):
    pass


class IdentityMismatch(OneViewError):
    def __init__(self, server: str, reasons: list[str]):
        super().__init__(server, "; ".join(reasons))
        self.reasons = reasons


@dataclass
class TemplateChange:
    name: str
    action: str  # created | updated | unchanged
    uri: str | None
    changes: list[str] = field(default_factory=list)


@dataclass
class ProfileResult:
    server: str
    action: str  # created | updated | unchanged
    compliance: str
    powered_off: bool = False
    power: str | None = None


@dataclass
class IronicFacts:
    ilo: str
    macs: dict[str, str]  # NIC name -> MAC, lower-case
    serial: str
    model: str


def port_macs(hardware: dict[str, Any]) -> dict[str, str]:
    """``"FlexibleLOM 1:1"`` -> MAC (lower-case) from a server-hardware's ``portMap``."""
    out = {}
    for slot in (hardware.get("portMap") or {}).get("deviceSlots") or []:
        for port in slot.get("physicalPorts") or []:
            if port.get("mac"):
                out[f"{slot.get('location')} {slot.get('deviceNumber')}:{port.get('portNumber')}"] = \
                    str(port["mac"]).lower()
    return out


def _port_key(port_id: str) -> str:
    m = _PORT.match(port_id.strip())
    return f"{m.group('loc')} {int(m.group('dev'))}:{int(m.group('port'))}" if m else port_id


def version_of(text: str) -> tuple[int, ...]:
    """The first dotted number of a firmware string (ROMs carry their family before it):

    >>> version_of("P89 v2.40 (02/17/2017)"), version_of("2.80_10-16-2020"), version_of("2.55 Aug 16 2017")
    ((2, 40), (2, 80), (2, 55))
    """
    m = re.search(r"(\d+(?:\.\d+)+)", text)
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()


def ilo_addresses(hardware: dict[str, Any]) -> list[str]:
    return [a.get("address") for a in (hardware.get("mpHostInfo") or {}).get("mpIpAddresses") or []
            if a.get("address")]


class OneViewServers:
    """One OneView appliance, as the rack runbook drives it."""

    def __init__(self, client: Any, *, poll_interval: float = 1.0, graceful_timeout: float = 300.0):
        self.ov = client
        self.poll_interval = poll_interval
        # how long a server's OS gets to shut down after a momentary press, before press-and-hold
        self.graceful_timeout = graceful_timeout
        self._lock = threading.Lock()
        self._cache: dict[str, Any] = {}

    # -- references ------------------------------------------------------------------------

    def _cached(self, key: str, make: Any) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]

    def sht_uri(self, model: str) -> str:
        def find() -> str:
            sht = self.ov.server_hardware_types.get_by_name(model)
            if not sht:
                raise OneViewError(model, f"OneView has no server hardware type {model!r}")
            return str(sht.data["uri"])

        with errors(model):
            return str(self._cached(f"sht:{model}", find))

    def network_uris(self) -> dict[str, str]:
        with errors("ethernet networks"):
            return dict(self._cached("networks", lambda: {n["name"]: n["uri"]
                                                          for n in self.ov.ethernet_networks.get_all()}))

    def baseline_uri(self, baseline: str) -> str:
        def find() -> str:
            found = self.ov.firmware_drivers.get_by("name", baseline)
            if not found:
                raise OneViewError(baseline, f"OneView has no firmware baseline {baseline!r}")
            return str(found[0]["uri"])

        with errors(baseline):
            return str(self._cached(f"fw:{baseline}", find))

    def desired_template(self, profile: HardwareProfile) -> dict[str, Any]:
        baseline = (self.baseline_uri(profile.firmware.baseline)
                    if profile.firmware and profile.firmware.manage else None)
        try:
            return template_body(profile, name=template_name(profile),
                                 sht_uri=self.sht_uri(profile.server_model),
                                 network_uris=self.network_uris(), baseline_uri=baseline)
        except KeyError as exc:
            raise OneViewError(template_name(profile), str(exc.args[0])) from None

    # -- templates ---------------------------------------------------------------------------

    def observe_template(self, profile: HardwareProfile) -> TemplateChange:
        """What :meth:`sync_template` would do, without doing it."""
        name = template_name(profile)
        desired = self.desired_template(profile)
        with errors(name):
            current = self.ov.server_profile_templates.get_by_name(name)
        if current is None:
            return TemplateChange(name, "created", None, ["new template"])
        changes = diff_template(current.data, desired)
        return TemplateChange(name, "updated" if changes else "unchanged", current.data["uri"], changes)

    def sync_template(self, profile: HardwareProfile) -> TemplateChange:
        """Create the template, or update only what differs (eTag-aware: a concurrent change
        makes OneView answer 412; the template is re-read and the update retried once)."""
        from hpOneView.exceptions import HPOneViewException

        name = template_name(profile)
        desired = self.desired_template(profile)
        with errors(name):
            current = self.ov.server_profile_templates.get_by_name(name)
            if current is None:
                created = self.ov.server_profile_templates.create(desired)
                return TemplateChange(name, "created", created.data["uri"], ["new template"])
            for attempt in (1, 2):
                changes = diff_template(current.data, desired)
                if not changes:
                    return TemplateChange(name, "unchanged", current.data["uri"], [])
                try:
                    current.update({**desired, "eTag": current.data.get("eTag")})
                    return TemplateChange(name, "updated", current.data["uri"], changes)
                except HPOneViewException as exc:
                    code = (exc.oneview_response or {}).get("errorCode") if isinstance(
                        exc.oneview_response, dict) else None
                    if code != "ETAG_MISMATCH" or attempt == 2:
                        raise
                    current.refresh()
        raise AssertionError("unreachable")

    # -- servers -------------------------------------------------------------------------------

    def hardware(self, server: Server) -> dict[str, Any]:
        """The server-hardware whose serial is the server's (OneView names can be anything)."""
        with errors(server.name):
            found = self.ov.server_hardware.get_by("serialNumber", server.serial)
        if not found:
            raise ServerMissing(server.name, f"not found in OneView (serial {server.serial}); add it to "
                                             "OneView or correct the serial in the site")
        if len(found) > 1:
            raise OneViewError(server.name, f"{len(found)} server-hardware have serial {server.serial}")
        return dict(found[0])

    def identity_mismatches(self, server: Server, hardware: dict[str, Any],
                            profile: HardwareProfile) -> list[str]:
        out = []
        if hardware.get("serialNumber") != server.serial:
            out.append(f"{server.name}: serial in OneView {hardware.get('serialNumber')}, site says "
                       f"{server.serial}")
        if hardware.get("serverHardwareTypeUri") != self.sht_uri(profile.server_model):
            out.append(f"{server.name}: OneView model {hardware.get('model')} is not "
                       f"{profile.server_model} (hardware profile {profile.name})")
        ilos = ilo_addresses(hardware)
        if str(server.ilo) not in ilos:
            out.append(f"{server.name}: iLO address in OneView {', '.join(ilos) or 'none'}, site says "
                       f"{server.ilo}")
        macs = port_macs(hardware)
        ports = {n.name: _port_key(n.port_id) for n in profile.nics}
        for nic in server.nics:
            found = macs.get(ports.get(nic.name, ""))
            if found != nic.mac.lower():
                out.append(f"{server.name}: {nic.name} ({ports.get(nic.name)}) MAC in OneView "
                           f"{found or 'none'}, site says {nic.mac.lower()}")
        return out

    def ironic_facts(self, server: Server, profile: HardwareProfile) -> IronicFacts:
        """iLO address and MACs for Ironic, read from OneView and cross-checked with the site."""
        hw = self.hardware(server)
        bad = self.identity_mismatches(server, hw, profile)
        if bad:
            raise IdentityMismatch(server.name, bad)
        macs = port_macs(hw)
        ports = {n.name: _port_key(n.port_id) for n in profile.nics}
        return IronicFacts(ilo=str(server.ilo), macs={n.name: macs[ports[n.name]] for n in server.nics},
                           serial=str(hw.get("serialNumber")), model=str(hw.get("model")))

    # -- profiles ----------------------------------------------------------------------------

    def _profile(self, name: str) -> Any:
        with errors(name):
            return self.ov.server_profiles.get_by_name(name)

    def _settled_profile(self, name: str, timeout: float = 3600.0) -> Any:
        """The profile, after any task still running on it (a crashed run's create) ends."""
        deadline = time.monotonic() + timeout
        while True:
            prof = self._profile(name)
            if prof is None or not (prof.data.get("inProgress") or prof.data.get("taskUri")):
                return prof
            if time.monotonic() > deadline:
                raise OneViewError(name, f"profile still {prof.data.get('state')} after {timeout:.0f} s",
                                   transient=True)
            time.sleep(self.poll_interval)

    def observe_server(self, server: Server, template_uri: str | None) -> str:
        """``ok`` when the server has its profile from ``template_uri`` and is compliant; else
        what :meth:`apply_profile` would do or why it cannot."""
        try:
            hw = self.hardware(server)
        except ServerMissing as exc:
            return f"missing: {exc.message}"
        prof = self._profile(server.name)
        if prof is None:
            if hw.get("serverProfileUri"):
                drift = "".join(f"; drift: {d}" for d in self.firmware_drift(hw, template_uri))
                return f"mismatch: {self._foreign(hw['serverProfileUri'])}; left alone{drift}"
            return "no profile"
        data = prof.data
        if data.get("serverHardwareUri") != hw["uri"]:
            return f"mismatch: profile {server.name} is assigned to other hardware"
        if template_uri and data.get("serverProfileTemplateUri") != template_uri:
            return "profile from another template"
        if data.get("templateCompliance") != "Compliant":
            return f"profile {str(data.get('templateCompliance')).lower()}"
        if hw.get("powerState") in (None, "Unknown"):
            # OneView has lost the iLO: the profile cannot be vouched for, nor the power set
            return "iLO not answering (power state Unknown)"
        return "ok"

    def profile_name(self, hw: dict[str, Any]) -> str | None:
        """The name of the profile on a server (whoever made it), None without one."""
        uri = hw.get("serverProfileUri")
        if not uri:
            return None
        with errors(uri):
            return str(self.ov.server_profiles.get_by_uri(uri).data.get("name"))

    def _foreign(self, profile_uri: str) -> str:
        """What another team's profile on a server is: its name and template (i2's are ``i2-*``)."""
        with errors(profile_uri):
            data = self.ov.server_profiles.get_by_uri(profile_uri).data
            tpl_uri = data.get("serverProfileTemplateUri")
            tpl = self.ov.server_profile_templates.get_by_uri(tpl_uri).data.get("name") if tpl_uri else None
        origin = f"from template {tpl!r}" if tpl else "from no template"
        return f"foreign profile {data.get('name')!r} {origin} already on the server ({profile_uri})"

    def firmware_drift(self, hw: dict[str, Any], template_uri: str | None) -> list[str]:
        """System ROM and iLO versions below those of the baseline ``template_uri`` manages."""
        if not template_uri:
            return []
        with errors(str(hw.get("name", "server"))):
            fw = self.ov.server_profile_templates.get_by_uri(template_uri).data.get("firmware") or {}
            if not fw.get("manageFirmware") or not fw.get("firmwareBaselineUri"):
                return []
            baseline = self.ov.firmware_drivers.get_by_uri(fw["firmwareBaselineUri"]).data
        wanted = {k: c.get("componentVersion") for c in baseline.get("fwComponents") or []
                  for k in c.get("swKeyNameList") or []}
        out = []
        for key, have in (("System ROM", hw.get("romVersion")), ("iLO", hw.get("mpFirmwareVersion"))):
            want = wanted.get(key)
            if want and have and version_of(have) < version_of(want):
                out.append(f"{key} {have} below baseline {baseline.get('name')} ({want})")
        return out

    def ilo_drift(self, server: Server, profile: HardwareProfile) -> str:
        """``""``, or why the server's iLO is older than ``profile.ilo`` (lifecycle.oneview.ilo)."""
        from lifecycle.oneview.ilo import ilo_drift

        return ilo_drift(self.hardware(server), profile.ilo) if profile.ilo else ""

    def _power(self, hw: dict[str, Any], state: str, subject: str = "",
               log: Callable[[str], None] | None = None) -> None:
        """Power on, or off gracefully: a momentary press (the OS shuts down), then press-and-hold
        only when the server is still on ``graceful_timeout`` seconds later, said through ``log``."""
        name = subject or str(hw.get("name", "server"))
        with errors(name):
            sh = self.ov.server_hardware.get_by_uri(hw["uri"])
            if sh.data.get("powerState") == state:
                return
            sh.update_power_state({"powerState": state, "powerControl": "MomentaryPress"})
            if state != "Off":
                return
            say = log or (lambda _msg: None)
            say(f"{name}: momentary press sent; waiting up to {self.graceful_timeout:.0f} s for its OS "
                f"to power off before press-and-hold")
            deadline = time.monotonic() + self.graceful_timeout
            while self._power_state(hw, name) != "Off":
                if time.monotonic() >= deadline:
                    say(f"{name}: still on {self.graceful_timeout:.0f} s after the momentary press: "
                        f"press-and-hold")
                    self.ov.server_hardware.get_by_uri(hw["uri"]).update_power_state(
                        {"powerState": "Off", "powerControl": "PressAndHold"})
                    return
                time.sleep(self.poll_interval)

    def _power_state(self, hw: dict[str, Any], subject: str = "") -> str:
        with errors(subject or hw.get("name", "server")):
            return str(self.ov.server_hardware.get_by_uri(hw["uri"]).data.get("powerState"))

    def apply_profile(self, server: Server, template_uri: str, *, power: str = "keep",
                      log: Callable[[str], None] | None = None,
                      replace_foreign: bool = False) -> ProfileResult:
        """Give ``server`` its profile (named after the server) from the template.

        Powers the server off first only when OneView needs it (BIOS, storage, connections or
        firmware to apply, or an offline compliance update); ``power``: ``on``, ``off`` or
        ``keep`` (as it was before) afterwards. Powering off is graceful first (see :meth:`_power`).
        A profile not made by i2 on the server is refused, unless ``replace_foreign`` (the
        operator asked, e.g. a recommission that drained the server): then it is deleted first.
        """
        hw = self.hardware(server)
        before = self._power_state(hw, server.name)
        prof = self._settled_profile(server.name)
        action, powered_off = "unchanged", False
        with errors(server.name):
            if prof is None:
                if hw.get("serverProfileUri"):
                    if not replace_foreign:
                        raise OneViewError(server.name, f"the server already has another profile ("
                                           f"{hw['serverProfileUri']}); remove it in OneView first")
                    powered_off = self._remove_foreign(hw, server.name, log)
                    hw = self.hardware(server)
                tpl = self.ov.server_profile_templates.get_by_uri(template_uri)
                body = dict(tpl.get_new_profile(), name=server.name, serverHardwareUri=hw["uri"])
                if self._needs_offline(body) and before == "On":
                    self._power(hw, "Off", server.name, log)
                    powered_off = True
                prof = self.ov.server_profiles.create(body)
                action = "created"
            else:
                data = prof.data
                if data.get("serverHardwareUri") != hw["uri"]:
                    raise OneViewError(server.name, f"profile {server.name} is assigned to other hardware "
                                                    f"({data.get('serverHardwareUri')})")
                if data.get("serverProfileTemplateUri") != template_uri:
                    tpl = self.ov.server_profile_templates.get_by_uri(template_uri)
                    body = dict(tpl.get_new_profile(), name=server.name, serverHardwareUri=hw["uri"],
                                eTag=data.get("eTag"))
                    if self._needs_offline(body) and self._power_state(hw, server.name) == "On":
                        self._power(hw, "Off", server.name, log)
                        powered_off = True
                    prof.update(body)
                    action = "updated"
                elif data.get("templateCompliance") != "Compliant":
                    preview = prof.get_compliance_preview()
                    offline = not preview.get("isOnlineUpdate", False)
                    if offline and self._power_state(hw, server.name) == "On":
                        self._power(hw, "Off", server.name, log)
                        powered_off = True
                    prof.patch("replace", "/templateCompliance", "Compliant")
                    action = "updated"
            compliance = str((prof.data or {}).get("templateCompliance") or "Unknown")
        want = {"on": "On", "off": "Off", "keep": before}.get(power, before)
        if want in ("On", "Off") and self._power_state(hw, server.name) != want:
            self._power(hw, want, server.name, log)
        return ProfileResult(server.name, action, compliance, powered_off, want)

    def _remove_foreign(self, hw: dict[str, Any], subject: str, log: Callable[[str], None] | None) -> bool:
        """Delete the profile another team left on the server (powered off first when OneView
        needs it); True when it powered the server off."""
        old = self.ov.server_profiles.get_by_uri(hw["serverProfileUri"])
        off = self._needs_offline(old.data) and self._power_state(hw, subject) == "On"
        if off:
            self._power(hw, "Off", subject, log)
        (log or (lambda _msg: None))(f"{subject}: removing the foreign profile {old.data.get('name')!r} "
                                     f"(replace_foreign)")
        old.delete()
        return off

    @staticmethod
    def _needs_offline(body: dict[str, Any]) -> bool:
        """OneView applies BIOS, local storage, connections and firmware with the power off."""
        return bool((body.get("bios") or {}).get("manageBios")
                    or (body.get("localStorage") or {}).get("controllers")
                    or (body.get("connectionSettings") or {}).get("connections")
                    or (body.get("firmware") or {}).get("manageFirmware"))

    def compliance(self, server: Server) -> tuple[str, list[str]]:
        """(``Compliant`` | ``NonCompliant`` | ``Unknown``, the updates the template would make)."""
        prof = self._profile(server.name)
        if prof is None:
            return "Unknown", ["no profile"]
        state = str(prof.data.get("templateCompliance") or "Unknown")
        if state == "Compliant" or not prof.data.get("serverProfileTemplateUri"):
            return state, []
        with errors(server.name):
            preview = prof.get_compliance_preview()
        return state, [*preview.get("automaticUpdates", []), *preview.get("manualUpdates", [])]
