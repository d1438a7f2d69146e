"""`i2 rack apply c02` against an undercloud playing a current release: uc-new is the real Ironic 39
at its own API range, without ironic-inspector, so i2 takes the agent inspection path (Ironic's
own in-band inspection, the IPA ISO). The rack ends as it does on Train (test_rack_twin.py): the
same devices' states, the same inspection figures, LLDP neighbours and capabilities."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.runbooks.twin import C02, c02_outcome, i2_json, ironic_nodes, lab, rack_outcome

pytestmark = [pytest.mark.needs_root("ZTP's mount namespaces need root"),
              pytest.mark.slow(200)]


def test_rack_c02_on_a_current_release_inspects_with_the_agent_and_ends_the_same(tmp_path: Path) -> None:
    with lab(tmp_path / "lab", undercloud_releases={"uc-new": "current"}) as labdir:
        uc = i2_json(labdir, "baremetal", "check")["underclouds"]["uc-new"]
        assert (uc["release"], uc["inspection"]) == ("current", "agent"), uc

        report = i2_json(labdir, "rack", "apply", "c02", "--yes")
        assert {d["device"]: d["state"] for d in report["devices"]} == {
            **{s: "hypervisor" for s in C02}, "c02-leaf1": "verified", "c02-leaf2": "verified",
            "ie1-new": "deployed"}, report
        assert rack_outcome(labdir, report["run"]) == c02_outcome()

        log = [json.loads(line) for line in
               (labdir / "ironic" / "uc-new" / "api-versions.jsonl").read_text().splitlines() if line]
        assert not [r for r in log if r["service"] == "inspector"]
        # i2 names a node by its name or its UUID in the path: either counts
        names = {n["server"]: {n["server"], n["uuid"]} for n in ironic_nodes(labdir)}
        assert len(names) == 8
        inspected = Counter(str(r["path"]).split("/")[3] for r in log if r.get("target") == "inspect"
                            and r["method"] == "PUT" and r["status"] == 202)
        assert all(ids & set(inspected) for ids in names.values()), inspected
        # the inventory read the agent way (API 1.81), which Train's 1.58 does not offer
        read = {str(r["path"]).split("/")[3] for r in log if r["method"] == "GET"
                and str(r["path"]).endswith("/inventory") and r["status"] == 200}
        assert all(ids & read for ids in names.values()), read
