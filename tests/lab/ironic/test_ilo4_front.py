"""Contract: in-service servers' BMCs start powered on; one answers as an iLO 4 2.40 (Redfish 1.0.0)
in front of the same sushy-tools, and the unmodified sushy client (the one Ironic's redfish driver
uses, from .venv-ironic) still works against it, and fails where it fails on a real iLO 4."""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lifecycle.lab.base import make_ca
from lifecycle.lab.ironic import RedfishPower, SushyService, ironic_venv
from tests.lab.ironic.conftest import require_venv, server

# Run by .venv-ironic's python: the real sushy against one BMC; prints what it saw as JSON.
SUSHY_SCRIPT = r"""
import json, sys
import sushy
from sushy import exceptions
url, system_id, user, password, ca, image = sys.argv[1:7]
conn = sushy.Sushy(url, username=user, password=password, verify=ca)
out = {"redfish_version": conn.redfish_version}
system = conn.get_system(system_id)
out["power"] = str(system.power_state)
out["boot_mode"] = None if system.boot.mode is None else str(system.boot.mode)
system.set_system_boot_options(target=sushy.BootSource.PXE,
                               enabled=sushy.BootSourceOverrideEnabled.ONCE)
system.refresh()
out["boot_target"] = str(system.boot.target)
try:
    system.set_system_boot_options(mode=sushy.BootSourceOverrideMode.UEFI)
    out["set_mode"] = "ok"
except exceptions.HTTPError as exc:
    out["set_mode"] = f"{exc.status_code} {exc}"
manager = system.managers[0]
vmedia = manager.virtual_media.get_members()
out["vmedia"] = [v.path for v in vmedia]
try:
    vmedia[0].insert_media(image)
    out["insert"] = "ok"
except exceptions.HTTPError as exc:
    out["insert"] = f"{exc.status_code} {exc}"
print(json.dumps(out))
"""


def real_sushy(sushy: SushyService, spec: Any, image: str) -> dict[str, Any]:
    assert sushy.tls is not None
    res = subprocess.run([str(ironic_venv() / "bin" / "python"), "-c", SUSHY_SCRIPT, sushy.bmc_url(spec),
                          sushy.system_path(spec), sushy.username, sushy.password, str(sushy.tls.ca), image],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def at(sushy: SushyService, spec: Any, path: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    """A plain HTTPS request (lab CA, basic auth) to ``spec``'s own BMC address, as curl would."""
    assert sushy.tls is not None
    req = urllib.request.Request(sushy.bmc_url(spec) + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    token = base64.b64encode(f"{sushy.username}:{sushy.password}".encode()).decode()
    req.add_header("Authorization", f"Basic {token}")
    ctx = ssl.create_default_context(cafile=str(sushy.tls.ca))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=ctx))
    try:
        with opener.open(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, None


@contextmanager
def images(root: Path) -> Iterator[str]:
    """An HTTP server for boot images (sushy-tools fetches what is inserted); its base URL."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "ipa.iso").write_bytes(b"\0" * 2048)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_in_service_on_later_off_and_an_ilo4_that_sushy_still_drives(tmp_path: Path) -> None:
    require_venv()
    with images(tmp_path / "www") as www:
        drive(tmp_path, f"{www}/ipa.iso")


def drive(tmp_path: Path, iso: str) -> None:
    old, new, later = server(21), server(22), server(23, racked=False)
    sushy = SushyService(tmp_path / "sushy", [old, new, later], tls=make_ca(tmp_path / "tls"),
                         username="ilo", password="pw", powered_on=True, old_ilo={old.name: "2.40"})
    try:
        sushy.start()
        power = RedfishPower(sushy, timeout=5.0)
        assert (power.get(old), power.get(new)) == ("On", "On")  # serving: on from the start
        later.racked = True
        assert sushy.sync() is True
        assert power.get(later) == "Off"  # racked later: off, as a new server arrives
        assert power.get(new) == "On"  # kept across the restart

        # the old iLO: its own address, the older service root and system
        assert sushy.bmc_url(old) != sushy.url and sushy.bmc_url(new) == sushy.url
        status, root = at(sushy, old, "/redfish/v1/")
        assert status == 200 and root["RedfishVersion"] == "1.0.0" and "Hpe" not in root.get("Oem", {})
        mgr = root["Oem"]["Hp"]["Manager"][0]
        assert (mgr["ManagerType"], mgr["ManagerFirmwareVersion"]) == ("iLO 4", "2.40")
        assert at(sushy, new, "/redfish/v1/")[1]["RedfishVersion"] != "1.0.0"
        status, members = at(sushy, old, "/redfish/v1/Systems")
        assert [m["@odata.id"] for m in members["Members"]] == [sushy.system_path(old)]
        system = at(sushy, old, sushy.system_path(old))[1]
        assert "BootSourceOverrideMode" not in system["Boot"] and "VirtualMedia" not in system
        assert "Pxe" in system["Boot"]["BootSourceOverrideSupported"]
        assert "BootSourceOverrideTarget@Redfish.AllowableValues" not in system["Boot"]
        assert system["PowerState"] == "On"

        # the real sushy: reads and sets the boot device; the boot mode is unknown and cannot be
        # set; media insertion by PATCH with Inserted is refused, as on a real iLO 4
        seen = real_sushy(sushy, old, iso)
        assert seen["redfish_version"] == "1.0.0" and seen["power"].lower().endswith("on")
        assert seen["boot_mode"] is None and seen["boot_target"].lower().endswith("pxe")
        assert seen["set_mode"].startswith("400") and "PropertyUnknown" in seen["set_mode"]
        assert seen["vmedia"] and all("/Managers/" in p for p in seen["vmedia"])
        assert seen["insert"].startswith("400") and "Inserted" in seen["insert"]
        current = real_sushy(sushy, new, iso)  # the same client on a current Redfish
        assert current["boot_mode"] is not None and current["set_mode"] == "ok" and current["insert"] == "ok"

        # what does insert media on an iLO 4: the OEM action (or a PATCH of Image alone)
        dev = seen["vmedia"][0]
        oem = at(sushy, old, dev)[1]["Oem"]["Hp"]["Actions"]["#HpiLOVirtualMedia.InsertVirtualMedia"]
        assert at(sushy, old, oem["target"], "POST", {"Image": iso})[0] == 200
        media = at(sushy, old, dev)[1]
        assert media["Image"] == iso and media["Inserted"] is True
        assert at(sushy, old, dev, "PATCH", {"Image": None})[0] == 200
        assert at(sushy, old, dev)[1]["Inserted"] is False
    finally:
        sushy.stop()


def test_off_by_default(tmp_path: Path) -> None:
    require_venv()
    a = server(31)
    sushy = SushyService(tmp_path / "sushy", [a], tls=make_ca(tmp_path / "tls"), username="ilo",
                         password="pw")
    try:
        sushy.start()
        assert RedfishPower(sushy, timeout=5.0).get(a) == "Off"
        assert sushy.bmc_url(a) == sushy.url
    finally:
        sushy.stop()
