"""`i2 rack apply c02` on the twin, end to end, through the real CLI: real ztpserver and bootstrap
for the leaves, OneView emulator, real sushy-tools BMCs, the Train undercloud (uc-new: real
Ironic behind the release gateway at 1.58, real ironic-inspector, Keystone), then the scale-out
through the twin undercloud (real THT/Heat validation, Redfish deploys in Ironic) and the new
cloud's Nova.

Checks what the issues name: 8 servers matched, inspected through ironic-inspector, tagged and
deployed as hypervisors of ie1-new, cabling proven from both sides, no request above the release;
a second apply changes nothing; the unmodified `openstack baremetal` CLIs see the result. One lab
for the module; the tests run in file order.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from lifecycle.baremetal.releases import newer
from lifecycle.lab.ironic.releases import fmt, ironic_release
from tests.runbooks.twin import (
    C02,
    c02_outcome,
    hypervisors,
    i2,
    i2_json,
    ironic_nodes,
    lab,
    oneview_profiles,
    rack_outcome,
)

pytestmark = [pytest.mark.needs_root("ZTP's mount namespaces need root"),
              pytest.mark.slow(240)]

TRAIN = ironic_release("train")


@pytest.fixture(scope="module")
def labdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with lab(tmp_path_factory.mktemp("rack") / "lab") as d:
        yield d


def asked(labdir: Path) -> list[dict[str, object]]:
    """Every request uc-new's release gateway logged, in order."""
    path = labdir / "ironic" / "uc-new" / "api-versions.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_rack_c02_end_to_end_then_nothing_to_do(labdir: Path) -> None:
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
    profiles = oneview_profiles(labdir)
    assert Counter({n: c for n, c in profiles.items() if n in C02}) == Counter({s: 1 for s in C02})
    # the in-service servers' profiles from the platform team's templates (brownfield) left alone
    foreign = {n: c for n, c in profiles.items() if n not in C02}
    assert foreign and all(n.startswith("osp10-") and c == 1 for n, c in foreign.items()), foreign
    assert len(ironic_nodes(labdir)) == 8


def first_rack_run(labdir: Path) -> str:
    return i2_json(labdir, "runs", "list", "--kind", "rack")[-1]["id"]


def test_every_server_was_provided_with_its_profile_s_figures_and_capabilities(labdir: Path) -> None:
    assert rack_outcome(labdir, first_rack_run(labdir)) == c02_outcome()


# Requests that need no token (version documents, the ramdisk's and inspector's callbacks).
PUBLIC = re.compile(r"/(v1/?)?|/v1/(lookup|heartbeat/.*|continue_inspection|continue)")


def test_inspection_went_through_inspector_and_no_request_exceeded_train(labdir: Path) -> None:
    log = asked(labdir)
    uuids = {n["uuid"] for n in ironic_nodes(labdir)}
    assert len(uuids) == 8
    inspector = [r for r in log if r["service"] == "inspector"]
    started = {str(r["path"]).rsplit("/", 1)[1] for r in inspector if r["method"] == "POST"
               and re.fullmatch(r"/v1/introspection/[0-9a-f-]{36}", str(r["path"])) and r["status"] == 202}
    read = {str(r["path"]).split("/")[3] for r in inspector if r["method"] == "GET"
            and str(r["path"]).endswith("/data") and r["status"] == 200}
    assert started == uuids and read == uuids, (started, read)
    # Train inspects through inspector only: Ironic never got an `inspect` provision verb
    targets = Counter(r.get("target") for r in log if str(r["path"]).endswith("/states/provision"))
    assert targets["manage"] >= 8 and targets["provide"] >= 8 and not targets["inspect"], targets
    for service, top in (("ironic", fmt(TRAIN.api_max)), ("inspector", fmt(TRAIN.inspector_max or (0, 0)))):
        versions = {str(r["version"]) for r in log if r["service"] == service and r["version"] is not None}
        assert versions and not [v for v in versions if newer(v, top)], (service, versions)
    assert not [r for r in log if r["status"] == 406]
    # one token for the run, renewed before it expires: no 401 once i2 first got through
    first = next(i for i, r in enumerate(log) if not PUBLIC.fullmatch(str(r["path"]))
                 and int(str(r["status"])) < 400)
    assert not [r for r in log[first:] if r["status"] == 401]


def openstack_cli(labdir: Path, *args: str) -> list[dict[str, str]]:
    """The unmodified ``openstack`` CLI (with the introspection plugin) on the twin's
    credentials for the underclouds, nothing else from this environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["OS_CLIENT_CONFIG_FILE"] = str(labdir / "undercloud-clouds.yaml")
    cli = str(Path(sys.executable).with_name("openstack"))
    res = subprocess.run([cli, "--os-cloud", "uc-new", *args, "-f", "json"], env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, f"openstack {' '.join(args)}: {res.stdout}{res.stderr}"
    return json.loads(res.stdout)


def test_the_unmodified_openstack_cli_lists_the_nodes_and_their_introspections(labdir: Path) -> None:
    # ironicclient 6 names the JSON fields as the API does (uuid, name, provision_state, ...);
    # uc-new also holds the new cloud's controllers, deployed when the lab came up
    nodes = [n for n in openstack_cli(labdir, "baremetal", "node", "list") if n.get("name") in C02]
    assert {n["name"]: n.get("provision_state") for n in nodes} == {s: "active" for s in C02}, nodes
    intro = {i.get("UUID"): i for i in openstack_cli(labdir, "baremetal", "introspection", "list")}
    mine = [intro.get(n["uuid"]) for n in nodes]
    assert all(i and i["Finished at"] and i["Error"] is None for i in mine), intro
