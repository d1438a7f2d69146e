"""Hazards 10 and 11 (issue 12) on one twin, after `i2 rack plan` and `i2 rack apply` (c02-leaf2's
ZTP fails, so errors are recorded too).

First, that apply itself: a leaf whose ZTP fails is named and its servers wait (enrolled and
managed, not inspected without proof of cabling).

10: a leaf that refuses i2's password is an error row of `i2 rack plan`, not "wait"/"blocked".
11: no secret of the lab is in the run store, the events journal, a log or a report; the ZTP
data_root is private and every leaf's password hash has its own salt.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.runbooks.twin import endpoints, i2, ironic_nodes, lab
from tests.secret_scan import db_texts, files, lab_secrets, leaks

pytestmark = [pytest.mark.needs_root("ZTP's mount namespaces need root"),
              pytest.mark.slow(130)]
Outputs = list[tuple[str, subprocess.CompletedProcess[str]]]


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Outputs]]:
    """The lab after a plan and an apply of one server; the CLI's outputs (its reports) so far."""
    with lab(tmp_path_factory.mktemp("hazards") / "lab", faults="ztp.fail=c02-leaf2") as labdir:
        outputs = [("i2 rack plan", i2(labdir, "-o", "json", "rack", "plan", "c02"))]
        apply = i2(labdir, "-o", "json", "rack", "apply", "c02", "--yes", "--server", "c02-s01",
                   "--ztp-timeout", "45", "--max-fail-percent", "100")
        assert apply.returncode == 1, apply.stdout + apply.stderr  # c02-leaf2's ZTP fails
        outputs.append(("i2 rack apply", apply))
        yield labdir, outputs


def test_a_leaf_whose_ztp_fails_is_named_and_its_servers_wait(applied: tuple[Path, Outputs]) -> None:
    labdir, outputs = applied
    devices = {d["device"]: d for d in json.loads(outputs[1][1].stdout)["devices"]}
    # its MLAG peer sees an unprovisioned switch on the peer link: named port by port
    assert devices["c02-leaf1"]["state"] == "verify failed"
    assert "lldp Ethernet55/1: expected c02-leaf2:Ethernet55/1" in devices["c02-leaf1"]["error"]
    assert devices["c02-leaf2"]["state"] == "ztp failed"
    assert "c02-leaf2: not provisioned after 45 s of ZTP" in devices["c02-leaf2"]["error"]
    # its server went as far as it can without proof of cabling: enrolled and managed
    assert devices["c02-s01"]["state"] == "inspect skipped", devices["c02-s01"]
    nodes = {n["server"]: n for n in ironic_nodes(labdir)}
    assert nodes["c02-s01"]["state"] == "manageable"


def test_hazard10_rack_plan_names_a_refused_switch_password(applied: tuple[Path, Outputs]) -> None:
    labdir, outputs = applied
    data = yaml.safe_load(endpoints(labdir).read_text())
    (labdir / "wrong-eapi.pass").write_text("not-the-fabric-password\n")
    data["fabric"]["defaults"]["password"] = {"file": "wrong-eapi.pass"}
    wrong = labdir / "endpoints-wrong-eapi.yaml"
    wrong.write_text(yaml.safe_dump(data, sort_keys=False))
    res = i2(labdir, "--endpoints", str(wrong), "-o", "json", "rack", "plan", "c02")
    outputs.append(("i2 rack plan (wrong eAPI password)", res))
    assert res.returncode == 1, res.stdout + res.stderr
    rows = {c["object"]: c for c in json.loads(res.stdout)["changes"] if c["system"] == "fabric"}
    # c02-leaf1 is up and refuses the password; c02-leaf2 never left ZTP: still a wait
    assert rows["c02-leaf1"]["action"] == "error", rows
    assert rows["c02-leaf1"]["detail"].startswith("c02-leaf1: authentication failed: Unauthorized"), rows
    assert rows["c02-leaf2"]["action"] == "wait", rows


def test_hazard11_no_lab_secret_in_runs_events_logs_or_reports(applied: tuple[Path, Outputs]) -> None:
    labdir, outputs = applied
    report = json.loads(outputs[1][1].stdout)
    run, devices = report["run"], {d["device"]: d for d in report["devices"]}
    # leaf1 went through ZTP (its MLAG peer did not): waiting still works, errors are real
    assert devices["c02-leaf1"]["state"] == "verify failed", devices["c02-leaf1"]
    assert "not provisioned after 45 s of ZTP" in devices["c02-leaf2"]["error"], devices["c02-leaf2"]
    outputs.append(("i2 runs show", i2(labdir, "-o", "json", "runs", "show", run, "--events", "100000")))
    outputs.append(("i2 runs show (table)", i2(labdir, "runs", "show", run, "--events", "100000")))

    ep_file = endpoints(labdir)
    secrets = lab_secrets(ep_file)
    assert len(secrets) >= 8, "the lab's secrets were not found: the scan would prove nothing"
    texts = [*db_texts(labdir / "runs.db"), *files(labdir / "events"),
             *files(labdir, pattern="*.log"), *files(labdir / "reports"),
             *((f"{what} {stream}", getattr(res, stream)) for what, res in outputs
               for stream in ("stdout", "stderr"))]
    assert any(w.startswith("events.") for w, _ in texts) and any("events/" in w for w, _ in texts)
    assert list((labdir / "reports").glob("*.md")) and list((labdir / "reports").glob("*.html"))
    assert leaks(secrets, texts) == []

    # the data_root holds the admin password hash: i2's eyes only, one salt per switch
    data_root = Path(yaml.safe_load(ep_file.read_text())["ztp"]["data_root"])
    # (the twin's ztpserver made bootstrap/, actions/, definitions/ before i2 ran: they stay
    # its own; files/configs/ is i2's)
    written = [data_root / "neighbordb", *(p for d in ("bootstrap", "actions", "definitions",
                                                       "files/configs")
                                           for p in (data_root / d).iterdir())]
    loose = [f"{p}: {oct(stat.S_IMODE(p.stat().st_mode))}" for p in written
             if stat.S_IMODE(p.stat().st_mode) != 0o600]
    assert len(written) > 8 and loose == [], loose
    assert stat.S_IMODE((data_root / "files" / "configs").stat().st_mode) == 0o700
    configs = data_root / "files" / "configs"
    salts = {leaf: re.search(r"secret sha512 \$6\$([^$]+)\$", (configs / leaf).read_text()).group(1)
             for leaf in ("c02-leaf1", "c02-leaf2")}
    assert len(set(salts.values())) == 2, salts
