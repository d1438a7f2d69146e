"""The rack, overcloud and recommission steps' typed params and outputs, without a twin: plans
are checked when they are built, and what the previous version stored still fits."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest
from pydantic import ValidationError

from lifecycle.engine import ActionRegistry, PlanError, StepSpec
from lifecycle.report.rack import report
from lifecycle.runbooks import overcloud, rack, recommission
from lifecycle.runbooks.common import Services
from lifecycle.runbooks.rack.base import ServerParams
from tests.runbooks.twin import SITE


class Offline(Services):
    """The example site; an Ironic without tagged nodes (node indices start at 0)."""

    def baremetal(self, undercloud: str) -> Any:
        return NS(used_indices=lambda prefix: {}, node=lambda name: None)


@pytest.fixture
def svc() -> Services:
    return Offline(site_dir=SITE, endpoints_file="endpoints.yaml")


def registry(svc: Services) -> ActionRegistry:
    return ActionRegistry([*rack.actions(svc), *recommission.actions(svc)])


def test_rack_plan_steps_fit_their_actions(svc: Services) -> None:
    plan = rack.build_plan(svc, "c02", ztp_timeout=600)
    registry(svc).check(plan.steps)
    by_key = {s.key: s for s in plan.steps}
    assert by_key["c02-s03/tag"].params == {"server": "c02-s03", "undercloud": "uc-new",
                                            "identify_step": "c02-s03/identify",
                                            "node_index": "computenuage-2"}
    assert by_key["c02-leaf1/ztp"].params == {"leaf": "c02-leaf1", "ztp_timeout": 600.0}
    assert by_key["c02-s03/hypervisor"].params == {"server": "c02-s03", "cloud": "ie1-new",
                                                   "hypervisor": True}


def test_a_misspelt_param_fails_when_the_plan_is_built(svc: Services) -> None:
    with pytest.raises(ValidationError, match="undrcloud"):
        ServerParams(server="c02-s01", undrcloud="uc-new", identify_step="c02-s01/identify")
    bad = StepSpec(key="c02-s01/manage", target="server:c02-s01", action="ironic.manage",
                   params={"server": "c02-s01", "identify_step": "c02-s01/identify"})
    with pytest.raises(PlanError, match=r"c02-s01/manage.*undercloud"):
        registry(svc).check([bad])


def test_recommission_steps_fit_their_actions(svc: Services) -> None:
    svc.override_site(recommission.recommissioned(svc.site))
    steps = recommission.recommission_steps(svc, waves=["wave2"], after={"wave2": ["end"]})
    registry(svc).check(steps)
    by_key = {s.key: s for s in steps}
    assert by_key["rec/c01-s01/drain"].params == {"server": "c01-s01", "old_cloud": "ie1-old",
                                                  "old_undercloud": "uc-old"}
    assert by_key["rec/c01-s01/enroll"].params["undercloud"] == "uc-new"


def test_overcloud_plan_keeps_the_change_in_its_params(svc: Services) -> None:
    render = overcloud.render_params("ie1-new", work=Path("/tmp/w"), remove=["c02-s08"])
    plan = overcloud.build_plan(svc, "ie1-new", mode="remove", render=render, delete=True)
    params = {s.key.rsplit("/", 1)[1]: s.params for s in plan.steps}
    assert params["render"]["remove"] == ["c02-s08"] and params["validate"] == params["render"]
    assert params["node-delete"] == {"cloud": "ie1-new", "render_step": "overcloud/ie1-new/render",
                                     "validate_step": "overcloud/ie1-new/validate"}
    assert plan.params["work_dir"] == "/tmp/w"


# What the previous version stored (untyped dicts), step by step: still fits.
STORED = {
    "fabric.ztp_stage": ({"rack": "c02"}, {"changed": ["c02-leaf1.cfg"]}),
    "fabric.await_ztp": ({"leaf": "c02-leaf1", "ztp_timeout": 900.0},
                         {"hostname": "c02-leaf1", "waited_s": 41.2}),
    "fabric.verify": ({"leaf": "c02-leaf1", "rack": "c02", "index": 0},
                      {"checks": [{"check": "mlag", "ok": True, "detail": "active"}]}),
    "oneview.template": ({"profile": "dl360g9-compute"},
                         {"uri": "/rest/spt/1", "name": "i2-dl360g9-compute", "action": "unchanged"}),
    "oneview.identify": ({"server": "c02-s01", "undercloud": "uc-new", "identify_step": "c02-s01/identify"},
                         {"ilo": "10.0.2.1", "macs": {"nic1": "aa:bb"}, "serial": "CZ1",
                          "model": "DL360 Gen9"}),
    "oneview.profile": ({"server": "c02-s01", "undercloud": "uc-new", "identify_step": "c02-s01/identify",
                         "template_step": "template/dl360g9-compute", "power": "off"},
                        {"action": "created", "compliance": "Compliant"}),
    "ironic.enroll": ({"server": "c02-s01", "undercloud": "uc-new", "identify_step": "c02-s01/identify"},
                      {"uuid": "n-1", "created": True, "updated": [], "ports_created": ["aa:bb"]}),
    "ironic.inspect": ({"server": "c02-s01", "undercloud": "uc-new", "identify_step": "c02-s01/identify"},
                       {"provision_state": None}),
    "ironic.check": ({"server": "c02-s01", "undercloud": "uc-new", "identify_step": "c02-s01/identify"},
                     {"cpus": 32, "memory_mb": None, "disks": 2, "lldp": {"nic1": "c02-leaf1:Ethernet1"}}),
    "ironic.tag": ({"server": "c02-s01", "undercloud": "uc-new", "identify_step": "c02-s01/identify",
                    "node_index": "computenuage-0"}, {"changes": [], "node": "computenuage-0"}),
    "tripleo.render": ({"cloud": "ie1-new", "render_step": "r", "validate_step": "v", "work_dir": "/w",
                        "templates_dir": "/tht", "remote_dir": "/home/stack/i2/ie1-new", "env_files": [],
                        "extra_env": [], "scale_out": ["c02-s01"]},
                       {"dir": "/w/rendered", "undercloud": "uc-new", "stack": "overcloud",
                        "remote_dir": "/home/stack/i2/ie1-new", "command": ["openstack"],
                        "files": [["a", "0f"]],
                        "target": {"before": {"ComputeNuage": 0}, "counts": {"ComputeNuage": 1},
                                   "removed": {"ComputeNuage": []}, "delete": [], "added": ["c02-s01"]},
                        "stack_status": None}),
    "tripleo.deploy": ({"cloud": "ie1-new", "render_step": "r", "validate_step": "v"},
                       {"deployment": "DEPLOY_SUCCESS", "seconds": 12.5, "lines": 300, "ran": True}),
    "tripleo.node_delete": ({"cloud": "ie1-new", "render_step": "r", "validate_step": "v"},
                            {"deleted": ["c02-s08"], "ran": False}),
    "tripleo.prove": ({"server": "c02-s01", "cloud": "ie1-new"},
                      {"node": "c02-s01", "role": "ComputeNuage", "index": 0, "instance": "i-1",
                       "hostname": "ie1-new-novacomputenuage-0", "proof": "nova", "hypervisor": "h",
                       "state": None, "vcpus": None, "memory_mb": None}),
    "upgrade.rec_undeploy": ({"server": "c01-s01", "old_cloud": "ie1-old", "old_undercloud": "uc-old"},
                             {"deleted": True, "was": "active"}),
    "upgrade.rec_fabric": ({"rack": "c01"}, {"changed": {"c01-leaf1": 4}}),
}


@pytest.mark.parametrize("name", sorted(STORED))
def test_what_the_previous_version_stored_still_fits(svc: Services, name: str) -> None:
    params, outputs = STORED[name]
    action = registry(svc).get(name)
    assert action.parse_params(params) is not None
    assert action.Outputs is not None
    stored = action.store_outputs(outputs)  # the JSON the store keeps: defaults filled in, None left out
    kept = {k: v for k, v in outputs.items() if v is not None}
    assert {k: stored.get(k) for k in kept} == kept


def test_rack_report_reads_stored_outputs() -> None:
    steps = [NS(seq=1, target="overcloud:ie1-new", key="overcloud/ie1-new/render", status="done",
                outputs=STORED["tripleo.render"][1], last_error=None),
             NS(seq=2, target="server:c02-s01", key="c02-s01/hypervisor", status="done",
                outputs=STORED["tripleo.prove"][1], last_error=None)]
    rows = report(NS(get_steps=lambda run_id: steps), "run-1")
    assert [(r["device"], r["state"], r["evidence"]) for r in rows] == [
        ("c02-s01", "hypervisor", "ie1-new-novacomputenuage-0 (ComputeNuage 0, proof: nova)"),
        ("ie1-new", "render done", "ComputeNuage 0 -> 1")]
