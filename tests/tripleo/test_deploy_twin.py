"""`i2 overcloud deploy | scale | remove` on the twin, through the real CLI and SSH: the twin's
undercloud validates with the real THT and Heat, and deploys into its real Ironic.

One lab for the module; the tests run in file order, each starting from the stack the one before
left: ComputeNuage 0 -> 7 (killed and resumed) -> again (its connection cut) -> again -> 5 -> minus
c02-s02 -> 5 (fails on c02-s08, whose deploy the lab's fault injection breaks).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.runbooks.twin import ROOT, env, i2, i2_json, lab, wait_until
from tests.tripleo.conftest import require_tht
from tests.tripleo.deploy_twin import (
    C02,
    Relay,
    deploys,
    enroll_c02,
    history,
    hypervisors,
    nodes,
    stack,
    states,
    step_events,
)

pytestmark = pytest.mark.slow(320)  # started first by the suite (tests/conftest.py)

FAULTS = "undercloud.deploy_fail=c02-s08"
DEPLOY = "overcloud/ie1-new/deploy"
SCALE = ["overcloud", "scale", "ie1-new", "--role", "ComputeNuage", "--yes", "--count"]


def active(labdir: Path) -> list[str]:
    return [s for s, st in states(labdir).items() if st == "active"]


@pytest.fixture(scope="module")
def labdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    require_tht()
    with lab(tmp_path_factory.mktemp("deploy") / "lab", faults=FAULTS, rack=None) as d:
        enroll_c02(d)
        yield d


def secrets(labdir: Path) -> list[str]:
    return [str(v) for v in yaml.safe_load((labdir / "secrets.yaml").read_text()).values()]


def test_a_misspelt_parameter_is_refused_before_anything_is_uploaded(labdir: Path, tmp_path: Path) -> None:
    tuning = tmp_path / "tuning.yaml"
    tuning.write_text("parameter_defaults:\n  NovaReservedHostMemery: 4096\n")
    res = i2(labdir, "-o", "json", "overcloud", "deploy", "ie1-new", "--yes", "--env-file", str(tuning))
    assert res.returncode == 1, res.stdout + res.stderr
    report = json.loads(res.stdout)
    assert report["status"] == "aborted"  # refused: the target is free again
    validate = next(s for s in report["steps"] if s["step"].endswith("/validate"))
    assert "tuning.yaml: NovaReservedHostMemery" in validate["error"]
    assert "did you mean NovaReservedHostMemory" in validate["error"]
    seen = history(labdir)
    assert not [e for e in seen if e["event"] == "sftp.write"]  # nothing uploaded
    assert deploys(labdir) == []
    assert not (labdir / "underclouds" / "uc-new" / "fs" / "home" / "stack" / "i2").exists()


def test_an_unknown_or_changed_host_key_is_refused(labdir: Path, tmp_path: Path) -> None:
    from lifecycle.lab.undercloud.keys import ensure_key, write_known_hosts

    port = yaml.safe_load((labdir / "endpoints.yaml").read_text())["underclouds"]["uc-new"]["port"]
    ep = yaml.safe_load(Path(env(labdir)["I2_ENDPOINTS"]).read_text())
    ep["underclouds"]["uc-new"]["known_hosts"] = str(tmp_path / "known_hosts")
    (labdir / "endpoints-hostkey.yaml").write_text(yaml.safe_dump(ep))
    logins = len([e for e in history(labdir) if e["event"] == "auth"])
    for known in ([], [("127.0.0.1", port, ensure_key(tmp_path / "impostor"))]):
        write_known_hosts(tmp_path / "known_hosts", known)
        res = subprocess.run([sys.executable, "-m", "lifecycle.cli.main", "overcloud", "deploy", "ie1-new",
                              "--yes"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                             env={**env(labdir), "I2_ENDPOINTS": str(labdir / "endpoints-hostkey.yaml")})
        assert res.returncode == 1
        want = "host key mismatch" if known else "unknown host key"
        assert f"undercloud uc-new: {want} for 127.0.0.1:{port}" in res.stderr, res.stderr
    assert len([e for e in history(labdir) if e["event"] == "auth"]) == logins  # never logged in


def test_scale_out_killed_mid_deploy_resumes_without_deploying_twice(labdir: Path, tmp_path: Path) -> None:
    err = tmp_path / "stderr"
    with err.open("w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "lifecycle.cli.main", *SCALE, "7"], cwd=ROOT,
                                env=env(labdir), stdout=subprocess.DEVNULL, stderr=fh)
    run_id = ""

    def deploying() -> bool:
        nonlocal run_id
        runs = i2_json(labdir, "runs", "list", "--kind", "overcloud")
        run_id = runs[0]["id"] if runs else ""
        # the undercloud's own output, not i2's "deploy started" (which comes before any of it)
        return bool(run_id) and any(t == "log" and "Processing templates" in m
                                    for t, m in step_events(labdir, run_id, DEPLOY))

    wait_until(deploying, 300, "the undercloud's first deploy lines in the run")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = time.time()
    # the undercloud carries on; i2 was streaming its output until the kill
    assert "Processing templates in the directory /usr/share/openstack-tripleo-heat" in err.read_text()
    assert [d for d in deploys(labdir) if d["ts"] < killed_at]
    res = i2(labdir, "-o", "json", "runs", "resume", run_id)
    assert res.returncode == 0, res.stdout + res.stderr
    assert len(deploys(labdir)) == 1  # deployed once, by the killed run
    events = step_events(labdir, run_id, DEPLOY)
    assert ("observed", "effect already present") in events
    assert any("Processing templates" in m for t, m in events if t == "log")  # recorded before the kill
    assert states(labdir) == {**{s: "active" for s in C02[:7]}, "c02-s08": "available"}
    assert hypervisors(labdir) == {f"{s}.ie1.example.net" for s in C02[:7]}


def test_hazard9_deploy_survives_a_dropped_ssh_connection(labdir: Path, tmp_path: Path) -> None:
    """Every SSH connection of a running ``i2 overcloud deploy`` is cut mid-deploy (i2 stays
    up): the deploy carries on, detached on the undercloud; i2 reconnects, re-attaches to it and
    records its end. One deploy, run to its end once."""
    from lifecycle.lab.undercloud.keys import ensure_key, write_known_hosts

    port = yaml.safe_load((labdir / "endpoints.yaml").read_text())["underclouds"]["uc-new"]["port"]
    relay = Relay(port)
    host_key = ensure_key(labdir / "underclouds" / "uc-new" / "ssh_host_ed25519_key")
    write_known_hosts(tmp_path / "known_hosts", [("127.0.0.1", relay.port, host_key)])
    ep = yaml.safe_load(Path(env(labdir)["I2_ENDPOINTS"]).read_text())
    ep["underclouds"]["uc-new"].update(port=relay.port, known_hosts=str(tmp_path / "known_hosts"))
    (labdir / "endpoints-relay.yaml").write_text(yaml.safe_dump(ep))
    before, ran = len(deploys(labdir)), stack(labdir)["deploys"]
    first = i2_json(labdir, "runs", "list", "--kind", "overcloud")[0]["id"]
    err = tmp_path / "stderr"
    with err.open("w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "lifecycle.cli.main", "-o", "json", "overcloud",
                                 "deploy", "ie1-new", "--yes"], cwd=ROOT, stdout=subprocess.PIPE, stderr=fh,
                                env={**env(labdir), "I2_ENDPOINTS": str(labdir / "endpoints-relay.yaml")})
    try:
        run_id = ""

        def deploying() -> bool:
            nonlocal run_id
            runs = i2_json(labdir, "runs", "list", "--kind", "overcloud")
            run_id = runs[0]["id"] if runs and runs[0]["id"] != first else ""
            return bool(run_id) and any("Processing templates" in m
                                        for _, m in step_events(labdir, run_id, DEPLOY))

        wait_until(deploying, 300, "the undercloud's first deploy lines in the run")
        assert stack(labdir)["deployment"] == "DEPLOYING"  # cut mid-deploy
        relay.cut()
        out, _ = proc.communicate(timeout=600)
    finally:
        proc.kill()
        relay.close()
    assert proc.returncode == 0, out.decode() + err.read_text()
    assert json.loads(out)["status"] == "succeeded"
    assert len(deploys(labdir)) == before + 1  # started once
    now = stack(labdir)
    assert (now["deploys"], now["deployment"]) == (ran + 1, "DEPLOY_SUCCESS")  # ran to its end once
    events = step_events(labdir, run_id, DEPLOY)
    assert any(t == "log" and m.startswith("re-attached to deploy on uc-new") for t, m in events), events
    assert any(t == "log" and m == "Overcloud Deployed" for t, m in events)  # its end is in the run
    jobs = labdir / "underclouds" / "uc-new" / "fs" / "home" / "stack" / "i2" / "ie1-new" / "jobs"
    rc = [p.read_text() for p in jobs.glob(f"{run_id}-*/deploy.rc")]
    assert rc == ["0\n"]
    assert hypervisors(labdir) == {f"{s}.ie1.example.net" for s in C02[:7]}


def test_a_deploy_with_the_same_counts_streams_its_output_and_changes_nothing(labdir: Path) -> None:
    before = {n: v.instance_id for n, v in nodes(labdir).items()}
    res = i2(labdir, "overcloud", "deploy", "ie1-new", "--yes")
    assert res.returncode == 0, res.stdout + res.stderr
    assert " Stack overcloud UPDATE_COMPLETE " in res.stderr and "Overcloud Deployed" in res.stderr
    assert "CREATE_IN_PROGRESS" not in res.stderr and "DELETE_IN_PROGRESS" not in res.stderr
    assert {n: v.instance_id for n, v in nodes(labdir).items()} == before
    run = i2_json(labdir, "runs", "list", "--kind", "overcloud")[0]
    shown = i2_json(labdir, "runs", "show", run["id"], "--events", "1000")
    lines = [e["message"] for e in shown["events"] if e["type"] == "log" and e["step"].endswith("/deploy")]
    assert "Overcloud Deployed" in lines and any("[overcloud]: UPDATE_COMPLETE" in m for m in lines)
    journal = (labdir / "events" / f"{run['id']}.jsonl").read_text()
    text = res.stdout + res.stderr + json.dumps(shown) + journal
    assert not [s for s in secrets(labdir) if s in text]


def test_scale_down_by_two_then_remove_one_by_name(labdir: Path) -> None:
    res = i2_json(labdir, *SCALE, "5")
    assert res["status"] == "succeeded", res
    assert res["change"]["delete"] == ["c02-s06", "c02-s07"]  # the highest members, as Heat would
    assert active(labdir) == C02[:5]
    assert hypervisors(labdir) == {f"{s}.ie1.example.net" for s in C02[:5]}
    res = i2_json(labdir, "overcloud", "remove", "ie1-new", "c02-s02", "--yes")
    assert res["status"] == "succeeded" and res["change"]["delete"] == ["c02-s02"], res
    assert active(labdir) == ["c02-s01", "c02-s03", "c02-s04", "c02-s05"]
    assert "c02-s02.ie1.example.net" not in hypervisors(labdir)
    plan = i2_json(labdir, "overcloud", "deploy", "ie1-new", "--dry-run")
    assert plan["change"]["counts"]["ComputeNuage"] == 4
    assert plan["change"]["removed"]["ComputeNuage"] == [1, 5, 6]


def test_a_failed_deploy_fails_its_step_with_the_undercloud_s_message(labdir: Path) -> None:
    res = i2(labdir, "-o", "json", *SCALE, "5")  # member 7 joins: c02-s08
    assert res.returncode == 1, res.stdout + res.stderr
    report = json.loads(res.stdout)
    assert report["status"] == "partial"  # resumable once the cause is fixed
    deploy = next(s for s in report["steps"] if s["step"].endswith("/deploy"))
    assert deploy["status"] == "failed"
    assert "undercloud uc-new: openstack overcloud deploy failed (exit 1)" in deploy["error"]
    assert "c02-s08" in deploy["error"] and "undercloud.deploy_fail" in deploy["error"]
    assert states(labdir)["c02-s08"] == "available"
