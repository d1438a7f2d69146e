"""The immutable-cloud upgrade on the twin, through the real ``i2`` CLI, in one estate.

The estate is the example site with rack c02 already serving the new cloud (its 8 computes
deployed by the twin's undercloud at start) and an 8 s soak, so a test can act while B soaks.
The tests run in order on that estate, each moving other applications:

1. the readiness report;
2. orders: a kill -9 during the soak, then a rollback (volumes back, B gone);
3. orders again: a kill -9 after each step kind's intent, resumed each time;
4. billing: the mirror of the entry naming subnet A deleted while B soaks: A's retirement is
   refused and nothing goes down; a resume re-creates the mirror and finishes;
5. notifications and reporting: a quota of 0 makes notifications fail permanently; it is
   quarantined while reporting moves; after the fix a resume finishes;
6. everything else, the recommissioning of the old computes, then a second apply that changes
   nothing.

Throughout, the probes measure 0 ms of downtime for every application, no VSD object, VM or
volume is ever doubled, and every volume keeps its array serial (it moved, it was not copied).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.runbooks.twin import Operator, edited_site, lab, undercloud_ironic, wait_until

pytestmark = [pytest.mark.needs_root("the twin's ZTP mount namespaces need root"),
              pytest.mark.slow(540)]

OLD, NEW = "ie1-old", "ie1-new"


def estate_site(tmp: Path) -> Path:
    """The example site with c02 in service in the new cloud and a longer soak."""
    return edited_site(tmp, ("racks/c02.yaml", "state: planned", "state: in-service"),
                       ("openstack.yaml", "{name: ComputeNuage, count: 0,", "{name: ComputeNuage, count: 8,"),
                       ("upgrade.yaml", "soak_seconds: 2", "soak_seconds: 8"))


class Estate(Operator):
    def __init__(self, labdir: Path, site: Path):
        super().__init__(labdir, site)
        self.t0 = time.time()
        self.ep = yaml.safe_load((labdir / "endpoints.yaml").read_text())
        self.serials = {v["name"]: v["serial"] for v in self.array()}

    # -- what the systems say ----------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        # read-only: never create the store the CLI is about to create
        return sqlite3.connect(f"file:{self.dir / 'runs.db'}?mode=ro", uri=True, timeout=30)

    def steps(self, run_id: str | None = None) -> dict[str, str]:
        """Step key -> status of a run (the latest); empty while no run exists yet."""
        try:
            db = self._db()
        except sqlite3.OperationalError:
            return {}
        try:
            run_id = run_id or self.last_run()
            return dict(db.execute("select key, status from steps where run_id=?", (run_id,)).fetchall())
        except (sqlite3.OperationalError, TypeError):
            return {}
        finally:
            db.close()

    def run_status(self, run_id: str) -> str:
        db = self._db()
        try:
            return str(db.execute("select status from runs where id=?", (run_id,)).fetchone()[0])
        finally:
            db.close()

    def last_run(self) -> str:
        db = self._db()
        try:
            return str(db.execute("select id from runs order by created_at desc limit 1").fetchone()[0])
        finally:
            db.close()

    def control(self, path: str) -> Any:
        state = json.loads((self.dir / "state.json").read_text())
        url = next(c["url"] for c in state["components"] if c["name"] == "control")
        return requests.get(f"{url}{path}", timeout=10).json()

    def array(self) -> list[dict[str, Any]]:
        return list(self.control("/array")["volumes"])

    def downtime(self) -> dict[str, dict[str, Any]]:
        p = self.ep["probes"]
        return dict(requests.get(f"{p['url']}/v1/downtime", params={"since": self.t0}, verify=p["ca_file"],
                                 timeout=10).json()["apps"])

    def cloud(self, name: str) -> Any:
        from lifecycle.clouds import Cloud
        from lifecycle.model.endpoints import load_endpoints

        return Cloud.connect(load_endpoints(self.dir / "endpoints.yaml"), name)

    def vsd(self) -> Any:
        from lifecycle.model.endpoints import SecretStore, load_endpoints
        from lifecycle.nuage import Nuage

        ep = load_endpoints(self.dir / "endpoints.yaml")
        return Nuage.connect(ep, SecretStore(ep))

    def vsd_subnets(self) -> Counter[str]:
        vsd = self.vsd()
        ent = vsd.enterprise("IE1")
        return Counter(s.name for d in vsd.all(ent.domains) for s in vsd.all(d.subnets))

    def mirrors(self) -> Counter[str]:
        vsd = self.vsd()
        ent = vsd.enterprise("IE1")
        return Counter(e.external_id for d in vsd.all(ent.domains) for e in vsd.entries(d, ent)
                       if e.external_id.startswith("i2-mirror:"))

    def serving(self, app_env: str) -> list[str]:
        """The sides serving through the application environment's VIP, as ``i2 lb status`` says."""
        app, env = app_env.split("/")
        res = self.i2("-o", "json", "lb", "status", app, "--env", env)
        return list(json.loads(res.stdout)[0]["serving_sides"])

    def servers(self, cloud: str) -> Counter[str]:
        return Counter(s.name for s in self.cloud(cloud).servers())

    # -- what must always hold -----------------------------------------------------------------

    def check_nothing_doubled(self) -> None:
        doubled = {k: n for k, n in (self.vsd_subnets() + self.mirrors()).items() if n > 1}
        for c in (OLD, NEW):
            doubled |= {f"{c}:{k}": n for k, n in self.servers(c).items() if n > 1}
        assert not doubled, doubled
        vols = self.array()
        assert len(vols) == len(self.serials), vols  # nothing copied, nothing lost
        assert sorted(v["serial"] for v in vols) == sorted(self.serials.values())
        for v in vols:
            assert v["owner"] in (OLD, NEW, None), v

    def check_no_downtime(self, *apps: str) -> dict[str, dict[str, Any]]:
        seen = self.downtime()
        for key, d in seen.items():
            if not apps or key.split("/")[0] in apps:
                assert d["downtime_ms"] == 0, (key, d["windows"])
        return seen

    def volume_owner(self, name: str) -> str | None:
        """Which cloud's Cinder holds volume ``name`` (never both)."""
        owners = [c for c in (OLD, NEW) if any(v.name == name for v in self.cloud(c).volumes())]
        assert len(owners) <= 1, f"{name} managed by {owners}"
        return owners[0] if owners else None


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("upgrade")
    site = estate_site(tmp)
    with lab(tmp / "lab", rack=None, site=site) as labdir:
        yield Estate(labdir, site)


def poll_until(cond: Any, timeout: float, what: str) -> None:
    """wait_until at 20 ms: a step of the twin takes a few ms, a kill should land right after it."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)


def test_1_readiness_names_what_each_move_needs(estate: Estate) -> None:
    plan = estate.json("upgrade", "plan")
    blocking = [f for f in plan["findings"] if f["level"] == "blocking"]
    assert not blocking, blocking
    acl = [f["detail"] for f in plan["findings"] if f["check"] == "acl" and f["app"] == "billing/prd"]
    assert len(acl) == 2 and all("reporting-to-ledger names billing-prd-a" in d for d in acl), acl
    volumes = [f for f in plan["findings"] if f["check"] == "volume"]
    assert len(volumes) == 4 and all("without copying" in f["detail"] for f in volumes), volumes
    capacity = {f["wave"]: f for f in plan["findings"] if f["check"] == "capacity"}
    assert set(capacity) == {"wave1", "wave2"} and all(f["level"] == "ok" for f in capacity.values())
    assert plan["steps"] > 150 and plan["eta_seconds"] > 0


def test_2_kill_during_the_soak_then_roll_back(estate: Estate) -> None:
    proc = estate.spawn("upgrade", "apply", "--app", "orders", "--yes")
    wait_until(lambda: estate.steps().get("orders/prd/soak") == "running", 120, "orders/prd soaking")
    kill(proc)
    run = estate.last_run()
    # both sides serve through the VIP: B bound and UP, A not yet drained (its writes stay with
    # B's volume)
    assert estate.serving("orders/prd") == ["a", "b"]
    assert estate.volume_owner("orders-prd-db") == NEW
    estate.check_nothing_doubled()

    res = estate.i2("runs", "abort", run)
    assert res.returncode == 0, res.stderr
    back = estate.json("upgrade", "rollback", "orders", "--yes")
    states = {a["app"]: a["state"] for a in back["applications"]}
    assert states["orders/prd"] == states["orders/qa"] == "rolled back", back
    assert estate.servers(NEW)["orders-prd-1"] == 0 and estate.servers(OLD)["orders-prd-1"] == 1
    assert estate.volume_owner("orders-prd-db") == OLD
    vol = next(v for v in estate.cloud(OLD).volumes() if v.name == "orders-prd-db")
    assert vol.status == "in-use"  # back on A's VM
    assert estate.vsd_subnets()["orders-prd-b"] == 0 and estate.vsd_subnets()["orders-prd-a"] == 1
    estate.check_nothing_doubled()
    estate.check_no_downtime("orders")


KINDS = ["vsd-subnet", "acl-mirror", "lb-ensure", "network", "boot", "freeze", "detach", "unmanage",
         "manage", "attach", "healthy", "in-service", "soak", "retire", "unbind-a", "delete-a-vms",
         "delete-a-network", "delete-vsd-a", "evidence"]


def test_3_kill_9_after_every_step_kind_resumes_without_doubling(estate: Estate) -> None:
    killed: list[str] = []
    proc = estate.spawn("upgrade", "apply", "--app", "orders", "--yes")
    run = None
    for kind in KINDS:
        def started(kind: str = kind, proc: subprocess.Popen[str] = proc, run: str | None = run) -> bool:
            if proc.poll() is not None:
                return True
            steps = estate.steps(run)
            return any(k.startswith("orders/prd/") and k.endswith(kind) and s != "pending"
                       for k, s in steps.items())

        poll_until(started, 180, f"orders/prd/{kind} to start")
        if proc.poll() is not None:
            break  # the run got past the remaining kinds before a kill landed
        kill(proc)
        killed.append(kind)
        run = run or estate.last_run()
        estate.check_nothing_doubled()
        if estate.run_status(run) == "succeeded":  # the kill landed after the last step
            break
        proc = estate.spawn("runs", "resume", run)
    if proc.returncode is None:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, out + err
    assert run is not None and estate.run_status(run) == "succeeded"
    assert len(killed) >= 12, killed  # most kinds were cut right after their intent
    states = {k: s for k, s in estate.steps(run).items() if k.startswith("orders/")}
    assert set(states.values()) == {"done"}, states
    assert estate.servers(NEW)["orders-prd-1"] == 1 and estate.servers(OLD)["orders-prd-1"] == 0
    assert estate.volume_owner("orders-prd-db") == NEW
    assert estate.vsd_subnets()["orders-prd-a"] == 0
    estate.check_nothing_doubled()
    estate.check_no_downtime("orders")


def test_4_a_missing_mirror_refuses_retiring_a_and_resume_remirrors(estate: Estate) -> None:
    proc = estate.spawn("upgrade", "apply", "--app", "billing", "--yes")
    wait_until(lambda: estate.steps().get("billing/prd/in-service") == "done", 120, "billing/prd on B")
    vsd = estate.vsd()
    ent = vsd.enterprise("IE1")
    dom = vsd.domain(ent, "ie1-prd")
    mirrors = [e for e in vsd.entries(dom, ent) if e.external_id.endswith(":billing-prd-b")]
    assert len(mirrors) == 2, mirrors  # ingress and egress of reporting-to-ledger
    for e in mirrors:
        vsd.delete_entry(dom, e)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, out + err
    rows = {a["app"]: a for a in json.loads(out)["applications"]}
    assert rows["billing/prd"]["state"] == "retire failed", rows["billing/prd"]
    assert "reporting-to-ledger" in rows["billing/prd"]["error"]
    assert "without a mirror for billing-prd-b" in rows["billing/prd"]["error"]
    assert "a" in estate.serving("billing/prd")  # A kept serving: reporting never lost billing
    estate.check_no_downtime("billing")

    res = estate.i2("-o", "json", "runs", "resume", estate.last_run())
    assert res.returncode == 0, res.stdout + res.stderr
    assert estate.mirrors()["i2-mirror:" + mirrors[0].external_id.split(":", 2)[1] + ":billing-prd-b"] == 1
    assert estate.servers(OLD)["billing-prd-1"] == 0
    estate.check_nothing_doubled()
    estate.check_no_downtime("billing", "reporting")


def test_5_a_permanent_failure_quarantines_one_application_only(estate: Estate) -> None:
    new = estate.cloud(NEW)
    project = new.project("platform-prd")
    new.conn.compute.update_quota_set(project.id, instances=0)
    try:
        res = estate.i2("-o", "json", "upgrade", "apply", "--app", "notifications", "--app", "reporting",
                        "--yes", "--force", "--max-fail-percent", "60")
    finally:
        new.conn.compute.update_quota_set(project.id, instances=20)
    assert res.returncode == 1, res.stdout + res.stderr
    rows = {a["app"]: a for a in json.loads(res.stdout)["applications"]}
    assert rows["notifications/prd"]["state"] == "boot failed", rows["notifications/prd"]
    assert "uota" in rows["notifications/prd"]["error"]
    assert rows["notifications/qa"]["state"].endswith("quarantined")
    assert rows["reporting/prd"]["state"] == rows["reporting/qa"]["state"] == "moved"
    assert estate.servers(OLD)["notifications-prd-1"] == 1  # A untouched
    res = estate.i2("runs", "resume", estate.last_run())
    assert res.returncode == 0, res.stdout + res.stderr
    assert estate.servers(NEW)["notifications-prd-1"] == 1 and estate.servers(OLD)["notifications-prd-1"] == 0
    estate.check_nothing_doubled()
    estate.check_no_downtime()


def test_6_the_campaign_ends_with_the_old_computes_serving_the_new_cloud(estate: Estate) -> None:
    before_status = estate.json("upgrade", "status")
    report = estate.json("upgrade", "apply", "--yes")
    assert report["status"] == "succeeded", report
    status = estate.json("upgrade", "status")
    assert {a["app"]: a["state"] for a in status["applications"]} == {
        f"{a}/{e}": "moved" for a in ("api-gateway", "billing", "notifications", "orders", "reporting",
                                      "web-portal") for e in ("prd", "qa")}
    assert all(a["downtime_ms"] == 0 for a in status["applications"])
    assert all(p["ok"] for p in status["probes"])
    # the load balancer's own account of each move: B serves alone, its monitor went UP before
    # A was drained (GOING OUT OF SERVICE -> OUT OF SERVICE) and unbound
    earlier = {a["app"] for a in before_status["applications"] if a["state"] != "pending"}
    for a in status["applications"]:
        lb = a["lb"]
        assert lb["state"] == "UP" and set(lb["sides"]) == {"b"}, (a["app"], lb)
        assert all(m["serving"] for m in lb["sides"]["b"]), (a["app"], lb)
        seen = [(t["side"], t["from"], t["to"]) for t in lb["transitions"]]
        if ("b", "DOWN", "UP") not in seen:
            # B went into service in an earlier run (tests 2-5 left it there): this run found it
            # UP and has no transition of it to show
            assert lb["up_after_s"] is None and a["app"] in earlier, (a["app"], seen)
            assert lb["state"] == "UP"
            continue
        assert ("b", None, "DOWN") in seen, (a["app"], seen)
        # A unbound from a drained state (the unbind may come before the appliance says OUT OF SERVICE)
        assert {f for side, f, to in seen if side == "a" and to is None} <= {
            "GOING OUT OF SERVICE", "OUT OF SERVICE"}, (a["app"], seen)
        if not any(side == "a" and to is None for side, _, to in seen):
            # A was drained and unbound by an earlier run (tests 2-5): only B serves now (above)
            assert a["app"] in earlier, (a["app"], seen)
            continue
        # A left UP (drained: GOING OUT OF SERVICE, or OUT OF SERVICE when the poll came late)
        # only after B was UP, by the appliance's own clock
        b_up = min(t["at"] for t in lb["transitions"] if (t["side"], t["to"]) == ("b", "UP"))
        a_out = min(t["at"] for t in lb["transitions"]
                    if t["side"] == "a" and t["to"] in ("GOING OUT OF SERVICE", "OUT OF SERVICE"))
        assert b_up <= a_out, (a["app"], lb["transitions"])
        assert a["both_served_s"] is not None and a["both_served_s"] >= 0, a
    # A sides cleaned; volumes imported (same serials, the new cloud's Cinder)
    assert not estate.servers(OLD) and not [n for n in estate.vsd_subnets() if n.endswith("-a")]
    assert {v["owner"] for v in estate.array()} == {NEW}
    # teams' endpoints on the new cloud
    teams = yaml.safe_load((estate.dir / "teams-clouds.yaml").read_text())["clouds"]
    new_url = yaml.safe_load((estate.dir / "clouds.yaml").read_text())["clouds"][NEW]["auth"]["auth_url"]
    assert {p: e["auth"]["auth_url"] for p, e in teams.items()} == {p: new_url for p in teams}
    # the old computes are hypervisors of the new cloud; the old cloud has none left
    hyper = {h.name.split(".")[0] for h in estate.cloud(NEW).hypervisors()}
    assert {f"c01-s0{i}" for i in range(1, 7)} <= hyper and len(hyper) == 14
    assert not estate.cloud(OLD).compute_services()
    estate.check_nothing_doubled()
    estate.check_no_downtime()

    before = (estate.vsd_subnets(), estate.servers(NEW), estate.mirrors())
    again = estate.json("upgrade", "apply", "--yes")
    assert again["status"] == "succeeded"
    db = sqlite3.connect(estate.dir / "runs.db")
    applied = Counter(r[0] for r in db.execute(
        "select s.action from events e join steps s on s.run_id = e.run_id and s.key = e.step_key "
        "where e.run_id = ? and e.type = 'done'", (again["run"],)))
    read_only = {"upgrade.healthy", "upgrade.evidence", "upgrade.rec_drain", "oneview.identify",
                 "ironic.check", "ironic.tag", "tripleo.render", "tripleo.validate", "tripleo.prove"}
    assert set(applied) <= read_only, applied
    tags = [json.loads(r[0]) for r in db.execute(
        "select outputs from steps where run_id = ? and action = 'ironic.tag'", (again["run"],))]
    assert all(t["changes"] == [] for t in tags), tags
    assert (estate.vsd_subnets(), estate.servers(NEW), estate.mirrors()) == before


def test_hazard7_recommission_shrinks_the_old_overcloud_stack(estate: Estate) -> None:
    """Issue 12, hazard 7: the recommissioned computes left the old overcloud through its
    director (``openstack overcloud node delete`` on uc-old), so the old stack no longer counts
    them; deleted from the old Ironic behind the director's back, the stack would still hold 6."""
    moved = {f"c01-s0{i}" for i in range(1, 7)}
    state = json.loads((estate.dir / "underclouds" / "uc-old" / "stacks" / "overcloud.json").read_text())
    compute = state["roles"]["Compute"]
    assert compute["count"] == 0 and not compute["members"], compute
    assert state["parameter_defaults"]["ComputeCount"] == 0
    assert sorted(int(i) for i in compute["blacklist"]) == list(range(6))  # Heat's removal policies
    assert state["status"] == "UPDATE_COMPLETE", state["status"]
    history = (estate.dir / "underclouds" / "uc-old" / "history.jsonl").read_text().splitlines()
    deletes = [e["command"] for e in map(json.loads, history)
               if e["event"] == "process" and "overcloud node delete" in e["command"]]
    assert len(deletes) == 1 and "--stack overcloud" in deletes[0], deletes  # one stack update
    # then, and only then, the old Ironic forgot them (the new undercloud enrolled them, test 6);
    # read as the old undercloud's stackrc would: its Keystone, Newton's 1.22
    old_ironic = undercloud_ironic(estate.dir, "uc-old", "1.22")
    assert not moved & {n.name for n in old_ironic.baremetal.nodes()}


def test_recommission_went_through_newton_s_ironic_at_1_22(estate: Estate) -> None:
    """Issue 13: everything i2 asked the old undercloud (Newton) stayed within Ironic API 1.22,
    through its Keystone, and the six moved nodes left it by i2's deletes."""
    from lifecycle.baremetal.releases import newer

    log = [json.loads(line) for line in
           (estate.dir / "ironic" / "uc-old" / "api-versions.jsonl").read_text().splitlines() if line]
    versions = {str(r["version"]) for r in log if r["version"] is not None}
    assert versions and not [v for v in versions if newer(v, "1.22")], versions
    assert {r["service"] for r in log} == {"ironic"}  # Newton: no inspector in front of it
    assert not [r for r in log if r["status"] in (401, 406)]
    deleted = [r for r in log if r["method"] == "DELETE" and str(r["path"]).startswith("/v1/nodes/")]
    assert len({r["path"] for r in deleted}) == 6 and {r["status"] for r in deleted} == {204}, deleted
