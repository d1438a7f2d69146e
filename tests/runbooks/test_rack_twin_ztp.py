"""`i2 rack apply c02` on the twin when a leaf's ZTP fails: the leaf is named, its servers wait."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.runbooks.twin import i2, ironic_nodes, lab

pytestmark = [pytest.mark.needs_root("ZTP's mount namespaces need root"),
              pytest.mark.slow(100)]


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
