"""`i2 rack apply c02` on the twin, end to end, through the real CLI: real ztpserver and bootstrap
for the leaves, OneView emulator, real sushy-tools BMCs and real Ironic with in-band inspection,
then the scale-out through the twin undercloud (real THT/Heat validation, Redfish deploys in
Ironic) and the new cloud's Nova.

Checks what the issues name: 8 servers matched, tagged and deployed as hypervisors of ie1-new,
cabling proven from both sides; a second apply changes nothing; a miswire, a dead BMC and a
kill -9 halfway are confined and resumed without doubling anything in OneView or Ironic.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.runbooks.twin import ROOT, env, i2, i2_json, lab, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="ZTP's mount namespaces need root")

C02 = [f"c02-s{i:02d}" for i in range(1, 9)]


def oneview_profiles(labdir: Path) -> Counter[str]:
    """Server profiles in the OneView emulator, counted by name (a double shows as 2)."""
    from hpOneView.oneview_client import OneViewClient

    from lifecycle.model.endpoints import SecretStore, load_endpoints

    ep = load_endpoints(labdir / "endpoints.yaml")
    ov = ep.oneview
    client = OneViewClient({"ip": ov.url.split("://", 1)[1], "api_version": ov.api_version,
                            "ssl_certificate": str(ep.path(ov.ca_file)),
                            "credentials": {"userName": ov.username,
                                            "password": SecretStore(ep).get(ov.password)}})
    return Counter(p["name"] for p in client.server_profiles.get_all())


def ironic_nodes(labdir: Path) -> list[dict]:
    return i2_json(labdir, "baremetal", "list", "c02", ok=(0, 1))


def hypervisors(labdir: Path) -> set[str]:
    """ie1-new's hypervisors, as its Nova lists them (openstacksdk on the lab's clouds.yaml)."""
    from lifecycle.clouds import Cloud
    from lifecycle.model.endpoints import load_endpoints

    return {h.name for h in Cloud.connect(load_endpoints(labdir / "endpoints.yaml"), "ie1-new").hypervisors()}


def test_rack_c02_end_to_end_then_nothing_to_do(tmp_path: Path) -> None:
    with lab(tmp_path / "lab") as labdir:
        plan = i2_json(labdir, "rack", "plan", "c02")
        actions = Counter((c["system"], c["action"]) for c in plan["changes"])
        assert actions[("ironic", "create")] == 8 and actions[("fabric", "wait")] == 2, plan
        assert actions[("oneview", "create")] == 10, plan  # 2 templates + 8 profiles
        scale = next(c for c in plan["changes"] if c["system"] == "tripleo")
        assert scale["object"] == "ie1-new" and "ComputeNuage 0 -> 8" in scale["detail"], plan

        report = i2_json(labdir, "rack", "apply", "c02", "--yes")
        devices = {d["device"]: d for d in report["devices"]}
        assert {d: devices[d]["state"] for d in devices} == {
            **{s: "hypervisor" for s in C02}, "c02-leaf1": "verified", "c02-leaf2": "verified",
            "ie1-new": "deployed"}, report
        assert "ComputeNuage 0 -> 8" in devices["ie1-new"]["evidence"]
        assert "(ComputeNuage 2, proof: nova)" in devices["c02-s03"]["evidence"]
        assert hypervisors(labdir) >= {f"{s}.ie1.example.net" for s in C02}
        # cabling proven from the server side (LLDP seen by inspection) ...
        assert "nic1=c02-leaf1:Ethernet3, nic2=c02-leaf2:Ethernet3" in devices["c02-s03"]["evidence"]
        # ... and from the switch side (the leaf's LLDP on uplinks and peer link)
        assert devices["c02-leaf1"]["evidence"].split(" ")[0].split("/")[0] == \
            devices["c02-leaf1"]["evidence"].split(" ")[0].split("/")[1]

        nodes = {n["server"]: n for n in ironic_nodes(labdir)}
        assert {n["state"] for n in nodes.values()} == {"active"}  # deployed: the overcloud's computes
        assert sorted(n["node"] for n in nodes.values()) == sorted(f"computenuage-{i}" for i in range(8))
        assert {n["profile"] for n in nodes.values()} == {"compute"}
        assert i2(labdir, "baremetal", "check", "c02").returncode == 0

        again = i2_json(labdir, "rack", "apply", "c02", "--yes")
        assert {d["state"] for d in again["devices"]} <= {"hypervisor", "verified", "deployed"}
        runs = i2_json(labdir, "runs", "list")
        second = runs[0]["id"]
        db = sqlite3.connect(labdir / "runs.db")
        ended = dict(db.execute("select step_key, type from events where run_id=? and type in "
                                "('observed', 'done')", (second,)).fetchall())
        tags = [json.loads(o) for (o,) in db.execute(
            "select outputs from steps where run_id=? and key like '%/tag'", (second,))]
        db.close()
        # every step that changes something found its effect present (the upload its files, the
        # deploy its stack); the read-only checks, renders and proofs ran
        changers = {k: v for k, v in ended.items() if k.rsplit("/", 1)[-1] not in
                    ("identify", "verify", "check", "tag", "render", "validate", "hypervisor")}
        assert changers and set(changers.values()) == {"observed"}, ended
        assert [t["changes"] for t in tags] == [[]] * 8
        assert oneview_profiles(labdir) == Counter({s: 1 for s in C02})
        assert len(ironic_nodes(labdir)) == 8


def test_faults_are_confined_and_kill_9_resumes(tmp_path: Path) -> None:
    faults = "cable.miswire=c02-s03:nic1~c02-s04:nic1,bmc.dead=c02-s05"
    with lab(tmp_path / "lab", faults=faults) as labdir:
        proc = subprocess.Popen([sys.executable, "-m", "lifecycle.cli.main", "-o", "json", "rack", "apply",
                                 "c02", "--yes", "--max-fail-percent", "60"], cwd=ROOT, env=env(labdir),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def some_enrolled() -> bool:
            try:
                db = sqlite3.connect(labdir / "runs.db")
                n = db.execute("select count(*) from steps where key like '%/enroll' and status='done'"
                               ).fetchone()[0]
                db.close()
                return n >= 3
            except sqlite3.Error:
                return False

        wait_until(some_enrolled, 600, "three servers enrolled")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        run_id = i2_json(labdir, "runs", "list")[0]["id"]
        res = i2(labdir, "-o", "json", "runs", "resume", run_id, "--max-fail-percent", "60")
        assert res.returncode == 1, res.stdout + res.stderr  # partial: three servers quarantined
        report = i2_json(labdir, "rack", "report", run_id, ok=(1,))
        devices = {d["device"]: d for d in report["devices"]}
        assert devices["c02-s03"]["state"] == "check failed"
        assert ("c02-s03 nic1 (94:40:c9:03:03:01): LLDP sees c02-leaf1 Ethernet4, the cabling plan says "
                "c02-leaf1 Ethernet3") in devices["c02-s03"]["error"]
        assert devices["c02-s04"]["state"] == "check failed"
        assert "LLDP sees c02-leaf1 Ethernet3" in devices["c02-s04"]["error"]
        # OneView cannot power a server whose iLO is dead: that server stops at its profile
        assert devices["c02-s05"]["state"] == "profile failed", devices["c02-s05"]
        assert "c02-s05: OneView task failed (ILO_UNREACHABLE): Unable to communicate with the iLO" in \
            devices["c02-s05"]["error"]
        ok = [s for s in C02 if s not in ("c02-s03", "c02-s04", "c02-s05")]
        # provided, but the rack scales its cloud out as a whole: once every server is provided
        assert all(devices[s]["state"] == "hypervisor skipped" for s in ok), report
        assert devices["ie1-new"]["state"] == "render skipped"
        # nothing doubled by the kill: one profile and one node per server (none for the dead iLO)
        profiles = oneview_profiles(labdir)
        assert max(profiles.values()) == 1 and set(profiles) >= set(C02) - {"c02-s05"}, profiles
        names = Counter(n["server"] for n in ironic_nodes(labdir) if n["state"] != "not enrolled")
        assert names == Counter({s: 1 for s in C02 if s != "c02-s05"})
        states = {n["server"]: n["state"] for n in ironic_nodes(labdir)}
        assert states["c02-s03"] == "manageable"  # quarantined: never provided
        assert {states[s] for s in ok} == {"available"}


def test_a_leaf_whose_ztp_fails_is_named_and_its_servers_wait(tmp_path: Path) -> None:
    with lab(tmp_path / "lab", faults="ztp.fail=c02-leaf2") as labdir:
        res = i2(labdir, "-o", "json", "rack", "apply", "c02", "--yes", "--server", "c02-s01",
                 "--ztp-timeout", "45", "--max-fail-percent", "100")
        assert res.returncode == 1, res.stdout + res.stderr
        devices = {d["device"]: d for d in json.loads(res.stdout)["devices"]}
        # its MLAG peer sees an unprovisioned switch on the peer link: named port by port
        assert devices["c02-leaf1"]["state"] == "verify failed"
        assert "lldp Ethernet55/1: expected c02-leaf2:Ethernet55/1" in devices["c02-leaf1"]["error"]
        assert devices["c02-leaf2"]["state"] == "ztp failed"
        assert "c02-leaf2: not provisioned after 45 s of ZTP" in devices["c02-leaf2"]["error"]
        # its server went as far as it can without proof of cabling: enrolled and managed
        assert devices["c02-s01"]["state"] == "inspect skipped", devices["c02-s01"]
        nodes = {n["server"]: n for n in ironic_nodes(labdir)}
        assert nodes["c02-s01"]["state"] == "manageable"
