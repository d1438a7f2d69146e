"""The rack run's report, built from a stored twin rack run and the site model alone: the servers
with their outcomes, the elevation, the fabric with what LLDP proved, quarantines with reasons."""

from __future__ import annotations

import getpass
import itertools
import socket
from collections import Counter
from pathlib import Path

from lifecycle.engine import Plan, StepSpec
from lifecycle.model import load_site
from lifecycle.report.build import build_report
from tests.report.stored import SITE, copy, fail_step, open_store, run_of

MISWIRED = ("c02-s03 nic1 (94:40:c9:03:03:01): LLDP sees c02-leaf1 Ethernet99, the cabling plan says "
            "c02-leaf1 Ethernet3")


def rack_report(tmp_path: Path, edit: tuple[str, str] | None = None):
    db = copy(tmp_path)
    with open_store(db) as st:
        run_id = run_of(st, "rack")
    if edit:
        fail_step(db, run_id, *edit)
    with open_store(db) as st:
        return st.get_run(run_id), st.get_steps(run_id), build_report(st, run_id, load_site(SITE))


def test_every_server_of_the_run_with_its_outcome_and_evidence(tmp_path: Path):
    run, steps, doc = rack_report(tmp_path)
    site = load_site(SITE)
    servers = sorted(s.name for s in site.servers_in("c02"))
    got = {o.name: o for o in doc.outcomes if o.kind == "server"}
    assert sorted(got) == servers
    for name, o in got.items():  # each server proven a hypervisor of the new cloud, by Nova
        prove = next(s for s in steps if s.key == f"{name}/hypervisor")
        assert o.state == ("hypervisor" if prove.outputs["proof"] == "nova" else "deployed")
        check = next(s for s in steps if s.key == f"{name}/check").outputs
        assert f"{check['cpus']} CPUs" in o.evidence and not o.quarantined
    assert {o.name for o in doc.outcomes if o.kind == "switch"} == {"c02-leaf1", "c02-leaf2"}
    assert doc.quarantines == []
    assert (doc.run.id, doc.run.kind, doc.run.target) == (run.id, "rack", "rack:c02")
    assert doc.run.status == "succeeded"
    assert (doc.run.started_at, doc.run.finished_at) == (run.started_at, run.finished_at)
    assert doc.run.site == "ie1" and doc.run.site_digest == run.site_digest
    assert doc.run.user == "" and doc.run.host == ""  # written before runs recorded their creator
    assert doc.next.resume == ""


def test_the_elevation_places_each_server_at_its_u_with_its_profile(tmp_path: Path):
    _, _, doc = rack_report(tmp_path)
    site = load_site(SITE)
    assert [r.name for r in doc.racks] == ["c02"]
    rack = doc.racks[0]
    assert rack.leaves == [leaf.name for leaf in site.rack("c02").leaves.leaves]
    planned = {s.name: s for s in site.servers_in("c02")}
    assert {s.name for s in rack.servers} == set(planned)
    for s in rack.servers:
        assert (s.u, s.profile, s.role) == (planned[s.name].u, planned[s.name].hardware_profile,
                                            planned[s.name].role)
        model = site.hardware_profiles[s.profile].server_model
        assert s.height == (2 if "DL380" in model else 1), (s.name, model)
        assert s.outcome == "hypervisor"
    ends = sorted((s.u, s.u + s.height - 1) for s in rack.servers)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ends)), "servers overlap"


def test_the_fabric_holds_every_cable_of_the_rack_as_lldp_proved_it(tmp_path: Path):
    _, _, doc = rack_report(tmp_path)
    site = load_site(SITE)
    mine = {s.name for s in site.servers_in("c02")} | {"c02-leaf1", "c02-leaf2"}
    planned = {(c.a, c.b) for c in site.cables if {c.a.split(":")[0], c.b.split(":")[0]} & mine}
    got = {(f"{c.a}:{c.a_port}", f"{c.b}:{c.b_port}") for c in doc.fabric.cables}
    assert got == planned
    kinds = Counter(c.kind for c in doc.fabric.cables)
    assert kinds == {"server": 2 * len(site.servers_in("c02")), "uplink": 4, "peer": 2}
    assert {c.status for c in doc.fabric.cables} == {"planned"}  # the twin is cabled as planned
    roles = {n.name: n.role for n in doc.fabric.nodes}
    assert roles["ie1-spine1"] == roles["ie1-spine2"] == "spine" and roles["c02-leaf1"] == "leaf"
    assert {n for n, r in roles.items() if r == "server"} == {s.name for s in site.servers_in("c02")}


def test_a_quarantined_server_and_its_miswired_cable(tmp_path: Path):
    run, _, doc = rack_report(tmp_path, ("c02-s03/check", MISWIRED))
    bad = [o for o in doc.outcomes if o.quarantined]
    assert [(o.name, o.state) for o in bad] == [("c02-s03", "check failed")]
    assert [q.target for q in doc.quarantines] == ["server:c02-s03"]
    assert "LLDP sees c02-leaf1 Ethernet99" in doc.quarantines[0].reason
    s03 = next(s for s in doc.racks[0].servers if s.name == "c02-s03")
    assert s03.outcome == "quarantined" and "Ethernet99" in s03.reason
    cables = {(c.a, c.a_port): c for c in doc.fabric.cables}
    assert (cables[("c02-s03", "nic1")].status, cables[("c02-s03", "nic1")].seen) == \
        ("miswired", "c02-leaf1:Ethernet99")
    assert cables[("c02-s03", "nic2")].status == "unknown"  # its check failed before saying more
    assert cables[("c02-s02", "nic1")].status == "planned"
    assert doc.run.status == "partial" and doc.next.resume == f"i2 runs resume {run.id}"


def test_a_leaf_uplink_miswired(tmp_path: Path):
    error = ("c02-leaf1: cabling differs from the plan: lldp Ethernet49/1: expected ie1-spine1:Ethernet3/5, "
             "saw ie1-spine2:Ethernet3/9")
    _, _, doc = rack_report(tmp_path, ("c02-leaf1/verify", error))
    up = next(c for c in doc.fabric.cables if (c.a, c.a_port) == ("c02-leaf1", "Ethernet49/1"))
    assert (up.kind, up.status, up.seen) == ("uplink", "miswired", "ie1-spine2:Ethernet3/9")
    assert [q.target for q in doc.quarantines] == ["switch:c02-leaf1"]


def test_a_new_run_records_who_created_it(tmp_path: Path):
    with open_store(tmp_path / "new.db") as st:
        run_id = st.create_run(Plan(kind="toy", target="rack:t1", site_digest="", runbook="x:y",
                                    steps=[StepSpec(key="a", target="server:a", action="toy.step")]))
        doc = build_report(st, run_id)
    assert (doc.run.user, doc.run.host) == (getpass.getuser(), socket.gethostname())
    assert [o.name for o in doc.outcomes] == ["a"] and doc.outcomes[0].state == "a pending"
