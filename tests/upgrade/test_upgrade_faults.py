"""Transient API faults during an upgrade are retried: with 5 % of VSD, Nova, Neutron and Cinder
requests answering 503 (and some reset), a stateful application still moves, with nothing
doubled and no downtime, and the run's journal shows the retries."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from tests.runbooks.twin import lab
from tests.upgrade.test_upgrade_twin import NEW, OLD, Estate, estate_site

pytestmark = [pytest.mark.needs_root("the twin's ZTP mount namespaces need root"),
              pytest.mark.slow(120)]

FAULTS = ("vsd.http5xx=0.05,nova.http5xx=0.05,neutron.http5xx=0.05,cinder.http5xx=0.05,"
          "nova.reset=0.02,vsd.reset=0.02")


def test_transient_faults_are_retried_and_the_move_completes(tmp_path: Path) -> None:
    site = estate_site(tmp_path)
    with lab(tmp_path / "lab", rack=None, site=site, faults=FAULTS) as labdir:
        estate = Estate(labdir, site)
        # the new cloud holds brownfield volumes of its own (digital-prd's): counted before
        had = Counter(v["owner"] for v in estate.array() if v["name"].startswith("volume-"))
        res = estate.i2("-o", "json", "upgrade", "apply", "--app", "billing", "--yes")
        assert res.returncode == 0, res.stdout + res.stderr
        rows = {a["app"]: a for a in json.loads(res.stdout)["applications"]}
        assert rows["billing/prd"]["state"] == rows["billing/qa"]["state"] == "moved", rows
        db = sqlite3.connect(labdir / "runs.db")
        retries = db.execute("select count(*) from events where type = 'retry'").fetchone()[0]
        assert retries > 0  # the faults hit, and were retried
        assert estate.servers(NEW)["billing-prd-1"] == 1 and estate.servers(OLD)["billing-prd-1"] == 0
        owners = Counter(v["owner"] for v in estate.array() if v["name"].startswith("volume-"))
        # billing's two moved; orders' two stayed
        assert owners[NEW] == had[NEW] + 2 and owners[OLD] == had[OLD] - 2 == 2, (had, owners)
        estate.check_nothing_doubled()
        estate.check_no_downtime("billing")
